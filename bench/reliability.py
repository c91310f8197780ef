#!/usr/bin/python3
"""reliability: exactly-once Telegram delivery through outages and crashes.

100 alerts are raised while the (fake) Telegram Bot API is down; the
daemon is killed with SIGKILL 20 times at random moments meanwhile; then
the server comes back and one more daemon delivers what is pending.
Every alert in alerts.jsonl must reach Telegram exactly once (alert ids
are in the messages).

    /usr/bin/python3 bench/reliability.py [--alerts 100] [--kills 20]
        [--seed 1] [--bin build/daemon/logwarden]

Standard library only; 127.0.0.1 only.  Exit 0 when every alert arrived
exactly once, 1 otherwise.
"""

import argparse
import os
import random
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import fakes   # noqa: E402
import lwtest  # noqa: E402

TOKEN = "4242:RELIABILITYtoken"
ID_RE = re.compile(r"id <code>([0-9a-f]{12}-[0-9a-f]{16})</code>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=100)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "build",
                                                  "daemon", "logwarden"))
    args = ap.parse_args()
    os.environ["LOGWARDEN_BIN"] = os.path.abspath(args.bin)
    rnd = random.Random(args.seed)
    port = lwtest.closed_port()
    t0 = time.monotonic()
    with lwtest.Env(prefix="lw-reliability-") as env:
        env.write_config({
            "rules": {"errors": 1, "warnings": 0, "repeat": 0,
                      "silence": 0, "new_error": False, "spike": 0,
                      "window": 60},
            "alerts": {"cooldown": 0, "group_interval": 1},
            "telegram": {"chat_id": "42", "bot_token_env": "LW_TG",
                         "api_url": "http://127.0.0.1:%d" % port,
                         "min_severity": "info", "timeout": 2}})
        per_round = [args.alerts // args.kills] * args.kills
        for i in range(args.alerts % args.kills):
            per_round[i] += 1
        written = 0
        base = time.time()
        for k in range(args.kills):
            d = env.start(env={"LW_TG": TOKEN})
            d.wait_ready()
            for _ in range(per_round[k]):
                t = base + written
                stamp = time.strftime("%Y-%m-%d %H:%M:%S",
                                      time.gmtime(t)) + ".000"
                env.log.append("%s [ERROR] Exchange - Order %d failed" %
                               (stamp, written))
                written += 1
                time.sleep(rnd.uniform(0, 0.05))
            time.sleep(rnd.uniform(0, 0.4))
            d.kill()
            d.wait(5)
        raised = env.alerts()
        with fakes.TelegramServer(port=port, token=TOKEN) as tg:
            d = env.start(env={"LW_TG": TOKEN})
            d.wait_ready()

            def delivered():
                ids = {}
                for m in tg.accepted():
                    for i in ID_RE.findall(m["text"]):
                        ids[i] = ids.get(i, 0) + 1
                return ids
            want = {a["id"] for a in env.alerts()}
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                got = delivered()
                if want <= set(got):
                    break
                time.sleep(0.2)
            # A little longer: anything sent twice would show up now.
            time.sleep(3)
            got = delivered()
            d.stop()
            alerts = env.alerts()
            msgs = len(tg.accepted())
    ids = [a["id"] for a in alerts]
    missing = [i for i in ids if i not in got]
    twice = {i: n for i, n in got.items() if n > 1}
    unknown = [i for i in got if i not in set(ids)]
    print("error lines written:        %d" % written)
    print("SIGKILLs while down:        %d" % args.kills)
    print("alerts in alerts.jsonl:     %d (%d before the last start, "
          "%d unique ids)" % (len(ids), len(raised), len(set(ids))))
    print("Telegram messages accepted: %d" % msgs)
    print("alerts delivered:           %d" % len(got))
    print("missing:                    %d" % len(missing))
    print("delivered twice or more:    %d" % len(twice))
    print("delivered but not raised:   %d" % len(unknown))
    print("elapsed:                    %.1f s" % (time.monotonic() - t0))
    ok = (not missing and not twice and not unknown and
          len(ids) == len(set(ids)) == written)
    print("RESULT: %s" % ("every alert exactly once" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
