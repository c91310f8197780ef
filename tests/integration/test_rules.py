#!/usr/bin/python3
"""Local rules end to end, with the webhook sink on loopback: a burst is
reported within a second (latency printed), silence, cooldown, repeat,
new_error after the first-run baseline, metrics, a hanging or refusing
webhook that must not delay anything else."""

import time

import fakes
import lwtest
from common import line, rules, rules_of, wait_lines


def test_burst_alert_latency_under_a_second():
    with lwtest.Env() as env, fakes.WebhookServer() as hook:
        env.write_config({"rules": rules(errors=5),
                          "alerts": {"cooldown": 1},
                          "webhook": {"url": hook.url("/hook")}})
        d = env.start()
        d.wait_ready()
        lat = []
        for i in range(5):
            # Each round is a new window: log time 200 s further on, past
            # the window and the cooldown (both measured in log time).
            base = i * 200.0
            env.log.append(*[line("ERROR", "order %d failed" % j, base + j
                                  * 0.01) for j in range(4)])
            wait_lines(d, 4 * (i + 1) + i)
            t0 = time.monotonic()
            env.log.append(line("ERROR", "the fifth", base + 0.05))
            reqs = hook.wait_requests(i + 1, 5)
            lat.append(reqs[i].time - t0)
        body = hook.alerts()[0]
        for k in ("id", "time", "severity", "source", "rule", "title",
                  "detail", "host", "log", "count", "evidence"):
            assert k in body, (k, body)
        assert body["severity"] == "critical" and body["source"] == "rule"
        assert body["count"] == 5 and len(body["evidence"]) == 5, body
        lat.sort()
        print("burst -> webhook latency: min %.1f ms, median %.1f ms, "
              "max %.1f ms" % (lat[0] * 1e3, lat[len(lat) // 2] * 1e3,
                               lat[-1] * 1e3))
        assert lat[-1] < 1.0, lat
        assert d.stop() == 0


def test_silence_fires_once_and_rearms():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(silence=2),
                          "alerts": {"cooldown": 1}})
        env.log.append(line("INFO", "alive"))
        d = env.start()
        d.wait_ready()
        a = env.wait_alerts(1, 6, "the silence alert")
        assert a[0]["rule"] == "silence" and a[0]["severity"] == \
            "critical", a
        assert "alive" in a[0]["evidence"][-1], a[0]["evidence"]
        wait_lines(d, 1)
        assert len(env.alerts()) == 1     # fired once, not every second
        env.log.append(line("INFO", "alive again"))
        a = env.wait_alerts(2, 6, "a second silence alert after re-arming")
        assert rules_of(a) == ["silence", "silence"], a
        assert d.stop() == 0


def test_resolved_follow_ups():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(silence=2, errors=2, window=10),
                          "alerts": {"cooldown": 0, "resolved": True}})
        env.log.append(line("ERROR", "a", 0), line("ERROR", "b", 1))
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "c", 2), line("ERROR", "d", 3))
        env.wait_alerts(1, 5, "errors alert")
        # 30 s later in log time the window holds no errors: resolved.
        env.log.append(line("INFO", "calm", 40))
        a = env.wait_alerts(lambda a: any(x["title"].startswith(
            "Resolved: errors") for x in a), 5, "errors resolved")
        a = env.wait_alerts(lambda a: "silence" in rules_of(a), 6,
                            "silence alert")
        env.log.append(line("INFO", "back", 50))
        a = env.wait_alerts(lambda a: any(x["title"].startswith(
            "Resolved: the bot is logging again") for x in a), 5,
            "silence resolved")
        assert d.stop() == 0


def test_periodic_summary_without_llm():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(),
                          "llm": {"enabled": False, "interval": 1}})
        d = env.start()
        d.wait_ready()
        env.log.append(*[line("ERROR", "Order placement failed: "
                              "Insufficient funds", i) for i in range(3)])
        d.wait_stderr("summary: Summary ")
        d.wait_stderr("summary: Critical: insufficient_funds 3 (money)")
        assert d.stop() == 0


def test_cooldown_holds_repeats_per_key():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=2),
                          "alerts": {"cooldown": 600}})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "a", 0), line("ERROR", "b", 1))
        env.wait_alerts(1, 5, "first errors alert")
        # Still within the cooldown (log time +100 s): held.
        env.log.append(line("ERROR", "c", 100), line("ERROR", "d", 101))
        wait_lines(d, 4)
        assert len(env.alerts()) == 1, env.alerts()
        d.usr1()
        d.wait_stderr("held by cooldown 1")
        # Past the cooldown (log time +700 s): alerts again.
        env.log.append(line("ERROR", "e", 700), line("ERROR", "f", 701))
        a = env.wait_alerts(2, 5, "errors alert after the cooldown")
        assert rules_of(a) == ["errors", "errors"], a
        assert d.stop() == 0


def test_repeat_names_the_template():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(repeat=3)})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "Order #1 failed for BTC/USDT"),
                       line("ERROR", "Disk full on /var"),
                       line("ERROR", "Order #2 failed for ETH/USDT"),
                       line("ERROR", "Order #3 failed for SOL/USDT"))
        a = env.wait_alerts(1, 5, "repeat alert")
        assert a[0]["rule"] == "repeat", a
        assert a[0]["template"] == "Order <*> failed for <*>", a[0]
        assert a[0]["count"] == 3 and len(a[0]["evidence"]) == 3, a[0]
        assert d.stop() == 0


def test_new_error_after_baseline_and_across_restarts():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(new_error=True)})
        env.log.append(line("ERROR", "Known failure 1"),
                       line("WARNING", "Known warning x=1"))
        d = env.start()
        d.wait_ready()
        d.wait_stderr("first run: learned 2 templates")
        env.log.append(line("ERROR", "Known failure 2"))
        env.log.append(line("ERROR", "Brand new failure code=7"))
        a = env.wait_alerts(1, 5, "new_error alert")
        assert rules_of(a) == ["new_error"], a
        assert a[0]["template"] == "Brand new failure code=<*>", a
        assert d.stop() == 0
        d2 = env.start()
        d2.wait_ready()
        env.log.append(line("ERROR", "Brand new failure code=8"),
                       line("ERROR", "Another new one"))
        a = env.wait_alerts(2, 5, "second new_error alert")
        assert a[1]["title"].endswith("Another new one"), a[1]
        wait_lines(d2, 2)
        assert len(env.alerts()) == 2
        assert d2.stop() == 0


def test_templates_generalise_under_a_stable_id():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(new_error=True, repeat=4),
                          "alerts": {"cooldown": 0}})
        d = env.start()
        d.wait_ready()
        users = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
        env.log.append(*[line("ERROR", "Login failed for user " + u, i)
                         for i, u in enumerate(users)])
        wait_lines(d, len(users))
        a = env.alerts()
        new = [x for x in a if x["rule"] == "new_error"]
        # Three distinct words are three templates; the fourth makes the
        # position a variable, and the rest join that group at once.
        assert len(new) == 3, [x["template"] for x in new]
        rep = [x for x in a if x["rule"] == "repeat"]
        assert rep and rep[-1]["template"] == "Login failed for user <*>", a
        # More than the 4 MiB replayed as context at a restart.
        env.log.write(("%s\n" % line("INFO", "x" * 100, 10)) * 45000)
        wait_lines(d, len(users) + 45000, 30)
        assert d.stop() == 0
        # After a restart the groups come back from the state DB: a new
        # user is the known "Login failed for user <*>", not a new error.
        n = len(env.alerts())
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "Login failed for user zed", 20),
                       line("ERROR", "Disk quota exceeded on volume", 21))
        a = env.wait_alerts(n + 1, 5, "the genuinely new error")
        wait_lines(d, 2)
        after = [x for x in env.alerts()[n:] if x["rule"] == "new_error"]
        assert [x["template"] for x in after] == \
            ["Disk quota exceeded on volume"], after
        assert d.stop() == 0


def test_metric_p95_above():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(),
                          "metric.latency": {
                              "pattern": r"latency_ms=([0-9.]+)",
                              "stat": "p95", "above": 500}})
        d = env.start()
        d.wait_ready()
        env.log.append(*[line("INFO", "order sent latency_ms=%d" % (10 + i))
                         for i in range(19)])
        wait_lines(d, 19)
        assert env.alerts() == []
        env.log.append(line("INFO", "order sent latency_ms=900", 1),
                       line("INFO", "order sent latency_ms=950", 1))
        a = env.wait_alerts(1, 5, "metric alert")
        assert a[0]["rule"] == "metric:latency", a
        assert "950" in a[0]["title"] or "900" in a[0]["title"], a[0]
        assert d.stop() == 0


def test_hanging_webhook_does_not_delay_local_alerts():
    with lwtest.Env() as env, fakes.WebhookServer(mode="hang") as hook:
        env.write_config({"rules": rules(errors=2, repeat=2),
                          "webhook": {"url": hook.url("/"), "timeout": 2}})
        d = env.start()
        d.wait_ready()
        t0 = time.monotonic()
        env.log.append(line("ERROR", "x 1"), line("ERROR", "x 2"))
        env.wait_alerts(2, 1.0, "both alerts in alerts.jsonl at once")
        assert time.monotonic() - t0 < 1.0
        hook.wait_for(lambda r: len(r) >= 1, 5, "the hanging POST")
        # Reading goes on while the POST hangs.
        env.log.append(line("INFO", "still reading"))
        wait_lines(d, 3)
        hook.set_mode("ok")
        hook.wait_for(lambda r: len({q.json["id"] for q in r if
                                     q.json}) >= 2, 15,
                      "both alerts delivered after the hang")
        ids = [q.json["id"] for q in hook.requests() if q.json]
        assert set(ids) == {x["id"] for x in env.alerts()}, ids
        assert d.stop() == 0


def test_refusing_webhook_is_retried_and_survives_restart():
    port = lwtest.closed_port()
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=1),
                          "webhook": {"url": "http://127.0.0.1:%d/" % port}})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "lost?"))
        a = env.wait_alerts(1, 5, "the alert in alerts.jsonl")
        d.wait_stderr("not delivered")
        assert d.stop() == 0
        with fakes.WebhookServer(port=port) as hook:
            d2 = env.start()
            d2.wait_ready()
            got = hook.wait_requests(1, 10)
            assert got[0].json["id"] == a[0]["id"], (got[0].json, a)
            assert d2.stop() == 0
            assert len(hook.alerts()) == 1


if __name__ == "__main__":
    lwtest.run_tests(globals())
