#!/usr/bin/python3
"""Scheduled reports ([reports] hourly / daily): the daemon's report clock
is moved with LOGWARDEN_FAKE_NOW to a few seconds before a full hour, so
the report falls due while the test watches.  Checked: the counts of the
period reach the webhook (JSON) and the fake Telegram (compact summary
with the sparkline and top patterns), above telegram.min_severity; a
second report compares with the first (trend in %) across a restart; the
daily report goes by email in full with the model's narrative; reports
are not alerts (not in alerts.jsonl) but are kept in the history."""

import json
import re
import time

import fakes
import lwtest
import smtpd
from common import line, rules, wait_lines

TOKEN = "123456:TESTTOKENabcdefghij"
KEY = "sk-reportsecretreportsecret0123456789"
# 2026-12-04 14:00:00 UTC: the test's "full hour".
HOUR = 1796392800
LEAD = 6        # seconds the fake clock starts before the hour


def fake_env(at, **extra):
    e = {"TZ": "UTC", "LOGWARDEN_FAKE_NOW": str(at)}
    e.update(extra)
    return e


def tg_config(tg):
    # min_severity stays "warning": a report is info, and goes anyway;
    # so does the daily cap, which the new_error alerts use up.
    return {"chat_id": "-1001234567890", "api_url": tg.url(""),
            "bot_token_env": "LW_TG_TOKEN", "daily_cap": 1}


def tg_reports(tg):
    return [m["text"] for m in tg.accepted() if "report" in m["text"]]


def write_period(env, errors, warnings, infos, tag):
    lines = []
    for i in range(errors):
        lines.append(line("ERROR", "Order %d failed: Insufficient funds "
                          "for %s" % (1000 + i, tag)))
    for i in range(warnings):
        lines.append(line("WARNING", "Slow response from exchange %s" % tag))
    for i in range(infos):
        lines.append(line("INFO", "Heartbeat ok %d" % i))
    env.log.append(*lines)
    return len(lines)


def reports_of(hook):
    return [a for a in hook.alerts() if a.get("rule") == "report.hourly"]


def test_hourly_report_counts_trend_and_sinks():
    with lwtest.Env() as env, fakes.WebhookServer() as hook, \
            fakes.TelegramServer(token=TOKEN) as tg:
        env.write_config({"rules": rules(new_error=True),
                          "webhook": {"url": hook.url("/hook")},
                          "telegram": tg_config(tg),
                          "alerts": {"group_interval": 0},
                          "reports": {"hourly": True}})
        t0 = time.monotonic()
        d = env.start(env=fake_env(HOUR - LEAD, LW_TG_TOKEN=TOKEN))
        d.wait_ready()
        n = write_period(env, 3, 2, 5, "first")
        lwtest.wait_until(lambda: len(reports_of(hook)) >= 1, LEAD + 10,
                          "the first hourly report", d)
        assert time.monotonic() - t0 >= LEAD - 2, "report came too early"
        r = reports_of(hook)[0]
        st = r["report"]["stats"]
        assert (st["errors"], st["warnings"], st["lines"]) == (3, 2, n), st
        assert r["severity"] == "info" and r["source"] == "rule"
        assert r["title"].startswith("Hourly report 2026-12-04 13:00-14:00"
                                     " UTC: 3 errors, 2 warnings"), r["title"]
        # Started within the hour: the report says it saw only part.
        assert "Covers part of the period only" in r["detail"], r["detail"]
        assert "## " in r["report_text"]
        lwtest.wait_until(lambda: len(tg_reports(tg)) >= 1, 5,
                          "the Telegram summary", d)
        text = tg_reports(tg)[0]
        d.wait_stderr("daily cap of 1 messages reached")
        assert tg.rejected() == [], tg.rejected()
        assert "Hourly report" in text and "3 errors" in text, text
        assert "Errors per hour, last 1 h:" in text, text
        assert re.search("[\u2581-\u2588]", text), "no sparkline: " + text
        assert "Top patterns:" in text and "Insufficient funds" in text
        # Reports are not alerts: alerts.jsonl does not get them.
        assert not [a for a in env.alerts() if a["rule"].startswith("report")]
        assert len([a for a in env.alerts() if a["rule"] == "new_error"]) == 2
        # The next period began while the daemon ran: two errors in it,
        # then a restart within it.
        write_period(env, 2, 0, 0, "second")
        wait_lines(d, n + 2)
        assert d.stop() == 0

        # Restarted near the period's end: what came before the restart
        # is read again into the report, which covers the whole hour.
        d = env.start(env=fake_env(HOUR + 3600 - LEAD, LW_TG_TOKEN=TOKEN))
        d.wait_ready()
        write_period(env, 6, 1, 2, "second")
        lwtest.wait_until(lambda: len(reports_of(hook)) >= 2, LEAD + 10,
                          "the second hourly report", d)
        assert "read 2 records" in d.stderr(), d.stderr_tail()
        r = reports_of(hook)[1]
        st = r["report"]["stats"]
        assert (st["errors"], st["warnings"]) == (8, 1), st
        assert r["title"].endswith(": 8 errors (+167%), 1 warning (-50%)"), \
            r["title"]
        assert "8 errors (+167% vs 3)" in r["detail"], r["detail"]
        assert "1 warning (-50% vs 2)" in r["detail"], r["detail"]
        assert "Covers part" not in r["detail"], r["detail"]
        lwtest.wait_until(lambda: len(tg_reports(tg)) >= 2, 5,
                          "the second report past the daily cap", d)
        # The sparkline goes on across the restart: the hour before
        # comes from the stored report.
        assert "Errors per hour, last 2 h: \u2584\u2588 (max 8)" in \
            tg_reports(tg)[1], tg_reports(tg)[1]
        assert d.stop() == 0

        # Kept for `logwarden history`.
        res = env.run(["history", "--since", "2026-12-01", "--rule",
                       "report", "--json"], env={"LW_TG_TOKEN": TOKEN})
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        entries = out["entries"] if isinstance(out, dict) else out
        titles = [e.get("title", "") for e in entries]
        assert len(entries) == 2, entries
        assert all(t.startswith("Hourly report") for t in titles), titles


def test_daily_report_by_email_with_the_models_narrative():
    story = "Orders failed all day for lack of funds; top up the account."
    with lwtest.Env() as env, smtpd.SmtpServer() as srv, \
            fakes.LlmServer(content=story) as llm:
        env.write_config({
            "rules": rules(),
            "llm": {"enabled": True, "url": llm.url("/v1/chat/completions"),
                    "model": "test-model", "api_key_env": "LW_LLM_KEY",
                    "interval": 3600, "timeout": 5},
            "email": {"url": srv.url(), "ca_file": srv.ca_file,
                      "from": "lw@example.org", "to": "ops@example.org"},
            "alerts": {"group_interval": 1},
            "reports": {"daily": "14:00", "hourly": True}})
        d = env.start(env=fake_env(HOUR - LEAD, LW_LLM_KEY=KEY))
        d.wait_ready()
        env.log.append(line("ERROR", "Order 7 failed: Insufficient funds "
                            "api_key=" + KEY),
                       line("ERROR", "Order 8 failed: Insufficient funds"),
                       line("INFO", "Heartbeat ok"))
        # Both fall due at 14:00: two messages of their own.
        msgs = srv.wait_messages(2, LEAD + 15)
        daily = [x for x in msgs if "Daily report" in x.subject]
        hourly = [x for x in msgs if "Hourly report" in x.subject]
        assert len(daily) == 1 and len(hourly) == 1, \
            [x.subject for x in msgs]
        assert "2 errors" in hourly[0].subject, hourly[0].subject
        m = daily[0]
        assert m.subject.startswith("[logwarden] REPORT: Daily report "
                                    "2026-12-03 14:00-2026-12-04 14:00 UTC: "
                                    "2 errors"), m.subject
        body = m.body_text()
        assert "The model's narrative" in body and story in body, body
        assert "Errors per hour, last 1 h:" in body, body
        assert "Summary:" in body and "Report:" in body
        # The analyzer's full report follows.
        assert "Insufficient funds" in body
        assert KEY not in body
        reqs = [r.json for r in llm.requests()
                if r.path.endswith("/chat/completions") and r.json]
        asked = [r for r in reqs if "LOGDATA-BEGIN" in
                 r["messages"][-1]["content"] and "narrative" in
                 r["messages"][0]["content"]]
        assert len(asked) == 2, reqs       # one narrative per report
        assert KEY not in json.dumps(reqs)
        assert d.stop() == 0


def test_reload_keeps_the_period_and_switching_off_stops_reports():
    with lwtest.Env() as env, fakes.WebhookServer() as hook:
        cfg = {"rules": rules(), "webhook": {"url": hook.url("/hook")},
               "reports": {"hourly": True}}
        env.write_config(cfg)
        d = env.start(env=fake_env(HOUR - LEAD - 2))
        d.wait_ready()
        d.usr1()
        d.wait_stderr("status: reports: hourly next at 2026-12-04 14:00 UTC")
        write_period(env, 2, 0, 0, "before")
        wait_lines(d, 2)
        # A reload that leaves [reports] alone keeps what was counted.
        cfg["rules"] = rules(errors=1000)
        env.write_config(cfg)
        d.hup()
        d.wait_stderr("configuration reloaded")
        write_period(env, 1, 0, 0, "after")
        lwtest.wait_until(lambda: len(reports_of(hook)) >= 1, LEAD + 10,
                          "the hourly report", d)
        assert reports_of(hook)[0]["report"]["stats"]["errors"] == 3
        # Switched off: the timer stops, nothing more is sent.
        cfg["reports"] = {"hourly": False}
        env.write_config(cfg)
        d.hup()
        d.wait_stderr("configuration reloaded")
        assert d.stop() == 0
        assert len(reports_of(hook)) == 1


def test_stopped_while_the_model_thinks_the_report_goes_next_start():
    with lwtest.Env() as env, fakes.WebhookServer() as hook, \
            fakes.LlmServer(script=[{"delay": 30, "content": "late"}]) as llm:
        cfg = {"rules": rules(),
               "llm": {"enabled": True,
                       "url": llm.url("/v1/chat/completions"),
                       "model": "test-model", "interval": 3600,
                       "timeout": 60},
               "webhook": {"url": hook.url("/hook")},
               "reports": {"hourly": True}}
        env.write_config(cfg)
        d = env.start(env=fake_env(HOUR - LEAD))
        d.wait_ready()
        write_period(env, 1, 0, 0, "pending")
        lwtest.wait_until(lambda: len(llm.requests()) >= 1, LEAD + 10,
                          "the narrative request", d)
        t0 = time.monotonic()
        assert d.stop() == 0
        assert time.monotonic() - t0 < 3, "shutdown waited for the model"
        assert "no narrative from the model (aborted)" in d.stderr()
        assert reports_of(hook) == []
        # The report waited in the outbox; the next start delivers it.
        cfg["llm"]["enabled"] = False
        env.write_config(cfg)
        d = env.start(env=fake_env(HOUR + 60))
        d.wait_ready()
        lwtest.wait_until(lambda: len(reports_of(hook)) == 1, 10,
                          "the report from the outbox", d)
        assert reports_of(hook)[0]["report"]["stats"]["errors"] == 1
        assert d.stop() == 0


def test_test_report_sends_one_now():
    with lwtest.Env() as env, fakes.WebhookServer() as hook, \
            fakes.TelegramServer(token=TOKEN) as tg:
        env.write_config({"rules": rules(),
                          "webhook": {"url": hook.url("/hook")},
                          "telegram": tg_config(tg)})
        write_period(env, 4, 1, 3, "test")
        r = env.run(["test-report"], env={"LW_TG_TOKEN": TOKEN})
        assert r.returncode == 0, r
        assert "webhook: delivered" in r.stdout, r.stdout
        assert "telegram: delivered" in r.stdout, r.stdout
        assert "alerts.jsonl" not in r.stdout, r.stdout
        w = [a for a in hook.alerts() if a.get("rule") == "report.test"]
        assert len(w) == 1, hook.alerts()
        st = w[0]["report"]["stats"]
        assert (st["errors"], st["warnings"], st["lines"]) == (4, 1, 8), st
        assert w[0]["title"].startswith("Test report (a test: the last 1 "
                                        "KiB of the log): 4 errors"), w[0]
        text = tg.accepted()[0]["text"]
        assert "Test report" in text and "Top patterns:" in text, text
        assert env.alerts() == []           # not an alert
        # Not kept in the history either.
        h = env.run(["history", "--rule", "report", "--json"],
                    env={"LW_TG_TOKEN": TOKEN})
        assert h.returncode == 0 and json.loads(h.stdout) == [], h


def test_reports_config_is_checked():
    with lwtest.Env() as env:
        env.write_config({"reports": {"daily": "25:61"}})
        res = env.run(["check"])
        assert res.returncode == 1
        assert "reports.daily" in res.stderr and "HH:MM" in res.stderr


if __name__ == "__main__":
    lwtest.run_tests(globals())
