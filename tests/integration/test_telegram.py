#!/usr/bin/python3
"""Telegram delivery against a fake Bot API on loopback that validates
like the real one (HTML entities, 4096 characters, token): grouping,
exactly once under 429, 5xx and restarts, no retry on 401, info alerts
silent, the other sinks told about a misconfiguration."""

import time

import fakes
import lwtest
from common import line, rules, rules_of, wait_lines

TOKEN = "123456:TESTTOKENabcdefghij"


def tg_config(tg, **extra):
    c = {"chat_id": "-1001234567890", "api_url": tg.url(""),
         "bot_token_env": "LW_TG_TOKEN", "min_severity": "info"}
    c.update(extra)
    return c


def start(env, cfg):
    env.write_config(cfg)
    d = env.start(env={"LW_TG_TOKEN": TOKEN})
    d.wait_ready()
    return d


def test_first_alert_at_once_then_one_grouped_follow_up():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        d = start(env, {"rules": rules(new_error=True),
                        "alerts": {"group_interval": 2},
                        "telegram": tg_config(tg)})
        t0 = time.monotonic()
        env.log.append(line("ERROR", "First <b>bad</b> & thing"))
        lwtest.wait_until(lambda: len(tg.accepted()) >= 1, 5, "first message")
        assert time.monotonic() - t0 < 1.5
        env.log.append(line("ERROR", "Second kind of failure"),
                       line("WARNING", "Third kind, a warning"),
                       line("ERROR", "Fourth kind x"))
        lwtest.wait_until(lambda: len(tg.accepted()) >= 2, 6,
                          "the grouped follow-up")
        msgs = tg.accepted()
        assert tg.rejected() == [], tg.rejected()
        assert msgs[0]["parse_mode"] == "HTML"
        assert "First &lt;b&gt;bad&lt;/b&gt; &amp; thing" in msgs[0]["text"]
        for want in ("Second kind", "Third kind", "Fourth kind"):
            assert want in msgs[1]["text"], msgs[1]["text"]
        assert len(msgs) == 2
        assert str(msgs[0]["chat_id"]) == "-1001234567890"
        assert d.stop() == 0


def test_429_is_waited_out_and_delivered_once():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        tg.set_mode("429", retry_after="2")
        d = start(env, {"rules": rules(errors=1),
                        "alerts": {"group_interval": 0},
                        "telegram": tg_config(tg)})
        env.log.append(line("ERROR", "boom"))
        tg.wait_requests(1, 5)
        t429 = time.monotonic()
        tg.set_mode("ok")
        lwtest.wait_until(lambda: len(tg.accepted()) >= 1, 8, "the retry")
        ok = [r for r in tg.requests() if r.path.endswith("sendMessage")]
        assert ok[-1].time - t429 >= 1.5, "retry_after not honoured"
        wait_lines(d, 1)
        assert len(tg.accepted()) == 1
        assert d.stop() == 0


def test_5xx_backs_off_then_delivers_once():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        tg.set_mode("fail", status=502)
        d = start(env, {"rules": rules(errors=1),
                        "telegram": tg_config(tg)})
        env.log.append(line("ERROR", "boom"))
        tg.wait_requests(2, 8)      # first try and one backed-off retry
        tg.set_mode("ok")
        lwtest.wait_until(lambda: len(tg.accepted()) >= 1, 10, "delivery")
        assert len(tg.accepted()) == 1
        assert d.stop() == 0


def test_401_is_not_retried_and_the_other_sinks_hear_of_it():
    with lwtest.Env() as env, fakes.TelegramServer(token="999:OTHER") as tg:
        d = start(env, {"rules": rules(errors=1),
                        "telegram": tg_config(tg)})
        env.log.append(line("ERROR", "boom"))
        a = env.wait_alerts(lambda a: "sink:telegram" in rules_of(a), 5,
                            "the misconfiguration alert")
        told = [x for x in a if x["rule"] == "sink:telegram"][0]
        assert "Unauthorized" in told["title"], told
        assert TOKEN not in str(a) and TOKEN not in d.stderr()
        d.usr1()
        d.wait_stderr("given up 1")
        assert len(tg.requests()) == 1, tg.requests()
        assert d.stop() == 0


def test_huge_evidence_still_fits_4096():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        d = start(env, {"rules": rules(errors=10),
                        "telegram": tg_config(tg)})
        env.log.append(*[line("ERROR", "x" * 3000 + " <&> %d" % i)
                         for i in range(10)])
        tg.wait_for(lambda r: len(r) >= 1, 5, "a message")
        wait_lines(d, 10)
        assert tg.rejected() == [], tg.rejected()
        assert len(tg.accepted()) == 1
        assert d.stop() == 0


def test_pending_messages_survive_a_restart_exactly_once():
    port = lwtest.closed_port()
    with lwtest.Env() as env:
        cfg = {"rules": rules(errors=1),
               "alerts": {"cooldown": 0, "group_interval": 0},
               "telegram": {"chat_id": "42", "bot_token_env": "LW_TG_TOKEN",
                            "api_url": "http://127.0.0.1:%d" % port,
                            "min_severity": "info"}}
        d = start(env, cfg)
        env.log.append(*[line("ERROR", "e%d" % i, i) for i in range(3)])
        env.wait_alerts(3, 5, "three alerts")
        d.wait_stderr("not delivered")
        d.kill()
        d.wait(5)
        with fakes.TelegramServer(port=port, token=TOKEN) as tg:
            d2 = start(env, cfg)
            lwtest.wait_until(lambda: sum(len([1 for a in env.alerts()
                                               if a["id"] in m["text"]])
                                          for m in tg.accepted()) >= 3, 15,
                              "all three alerts")
            assert d2.stop() == 0
            texts = " ".join(m["text"] for m in tg.accepted())
            for a in env.alerts():
                assert texts.count(a["id"]) == 1, (a["id"], texts)


def test_big_group_is_split_in_order():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        d = start(env, {"rules": rules(errors=1),
                        "alerts": {"cooldown": 0, "group_interval": 2},
                        "telegram": tg_config(tg)})
        env.log.append(line("ERROR", "lead"))
        lwtest.wait_until(lambda: len(tg.accepted()) >= 1, 5, "the lead")
        env.log.append(*[line("ERROR", "failure %d " % i + "y" * 600, i)
                         for i in range(30)])
        wait_lines(d, 31)
        ids = [a["id"] for a in env.alerts()]
        assert len(ids) == 31, len(ids)

        def seen():
            texts = [m["text"] for m in tg.accepted()]
            return [i for t in texts for i in ids if i in t]
        lwtest.wait_until(lambda: len(set(seen())) == 31, 20,
                          "all 31 alerts on Telegram")
        assert tg.rejected() == []
        assert len(tg.accepted()) >= 3, len(tg.accepted())
        order = []
        for m in tg.accepted():
            order += sorted((m["text"].index(i), i) for i in ids
                            if i in m["text"])
        assert [i for _, i in order] == ids, "out of order"
        assert d.stop() == 0


def test_min_severity_and_daily_cap():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        d = start(env, {"rules": rules(errors=1, new_error=True),
                        "alerts": {"cooldown": 0, "group_interval": 0},
                        "telegram": tg_config(tg, min_severity="critical",
                                              daily_cap=2)})
        # new_error (warning) stays off Telegram; errors (critical) go.
        env.log.append(*[line("ERROR", "kind %s" % c, i)
                         for i, c in enumerate("abcde")])
        wait_lines(d, 5)
        a = env.alerts()
        assert rules_of(a).count("new_error") == 5, rules_of(a)
        lwtest.wait_until(lambda: len(tg.accepted()) >= 2, 10,
                          "two messages")
        d.usr1()
        d.wait_stderr("daily cap of 2 messages reached")
        d.wait_stderr("held by the daily cap")
        assert len(tg.accepted()) == 2
        for m in tg.accepted():
            assert "New error" not in m["text"], m["text"]
        assert d.stop() == 0


def test_held_alerts_are_summed_up_when_the_utc_day_turns():
    # The wall clock starts 5 s before a UTC midnight (the test hook).
    midnight = 1796428800           # 2026-12-05 00:00:00 UTC
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        env.write_config({"rules": rules(new_error=True),
                          "alerts": {"cooldown": 0, "group_interval": 0},
                          "telegram": tg_config(tg, daily_cap=1)})
        d = env.start(env={"LW_TG_TOKEN": TOKEN,
                           "LOGWARDEN_FAKE_NOW": str(midnight - 5)})
        d.wait_ready()
        env.log.append(*[line("ERROR", "kind %s" % c, i)
                         for i, c in enumerate("abc")])
        d.wait_stderr("daily cap of 1 messages reached")
        assert len(tg.accepted()) == 1
        # No new alert after midnight: the summary comes by itself.
        lwtest.wait_until(lambda: len(tg.accepted()) >= 2, 12,
                          "the summary of the held alerts", d)
        text = tg.accepted()[1]["text"]
        assert "2 alerts were held back on 2026-12-04" in text, text
        assert "daily cap of 1 for telegram" in text, text
        assert tg.accepted()[1].get("disable_notification") is True
        assert d.stop() == 0


def test_test_alert_reports_telegram():
    with lwtest.Env() as env, fakes.TelegramServer(token=TOKEN) as tg:
        env.write_config({"telegram": tg_config(tg)})
        r = env.run(["test-alert"], env={"LW_TG_TOKEN": TOKEN})
        assert r.returncode == 0 and "telegram: delivered" in r.stdout, r
        m = tg.accepted()[0]
        assert m.get("disable_notification") is True, m   # info: silent
        r = env.run(["test-alert"], env={"LW_TG_TOKEN": "1:WRONG"})
        assert r.returncode == 1, r
        assert "telegram: FAILED" in r.stdout and "Unauthorized" in \
            r.stdout, r.stdout


if __name__ == "__main__":
    lwtest.run_tests(globals())
