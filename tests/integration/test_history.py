#!/usr/bin/python3
"""`logwarden history`: a live daemon with a scripted fake model raises
rule alerts and an LLM alert, and records the model's verdict; history
then lists them from the state DB, oldest first, as text (untrusted bytes
escaped) and as JSON (valid UTF-8), filtered by --since, --rule and
--limit; bad arguments exit 2, a missing database exits 1."""

import json
import re

import fakes
import lwtest
from common import line, rules, rules_of

# The model's issue and a log message carry an escape sequence and HTML.
# The issue becomes the LLM alert's title as it is; the log message gets
# into new_error's title as its template, which has lost the control
# bytes but kept the HTML.
ISSUE = "Orders <b>fail</b> \x1b[2J for lack of funds"
ANSWER = ("ALERT: CRITICAL\nIssue: " + ISSUE + "\nImpact: No new "
          "positions\nAction: Top up the account")
HOSTILE = "Order rejected \x1b[31m<script>alert(1)</script>"

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  ")


def history(env, *args):
    return env.run(["history"] + list(args))


def history_json(env, *args):
    r = history(env, "--json", *args)
    assert r.returncode == 0, r
    entries = json.loads(r.stdout)
    assert isinstance(entries, list), r.stdout
    return entries


def make_history(env, srv, hook):
    """Run the daemon until errors, new_error and llm alerts are in and
    the webhook has them all."""
    env.write_config({
        "rules": rules(errors=3, new_error=True),
        "alerts": {"cooldown": 0},
        "webhook": {"url": hook.url("/hook")},
        "llm": {"enabled": True, "url": srv.url("/v1/chat/completions"),
                "model": "test-model", "api_key_env": "LW_NO_SUCH_VAR",
                "interval": 3600, "timeout": 3}})
    d = env.start()
    d.wait_ready()
    env.log.append(line("ERROR", HOSTILE),
                   *[line("ERROR", "Order placement failed: Insufficient "
                          "funds for order %d" % i, i * 0.1)
                     for i in range(3)])
    alerts = env.wait_alerts(
        lambda a: {"errors", "new_error", "llm"} <= set(rules_of(a)), 10,
        "errors, new_error and llm alerts")
    lwtest.wait_until(lambda: len(hook.alerts()) >= len(env.alerts()), 10,
                      "the webhook's deliveries", d)
    assert d.stop() == 0
    return env.alerts()


def test_history_text_json_and_filters():
    with lwtest.Env() as env, fakes.LlmServer(
            script=[{"content": ANSWER}]) as srv, \
            fakes.WebhookServer() as hook:
        raised = make_history(env, srv, hook)

        # --- JSON: every raised alert once, the verdict, in time order.
        entries = history_json(env)
        alerts = [e for e in entries if e["kind"] == "alert"]
        verdicts = [e for e in entries if e["kind"] == "verdict"]
        assert sorted(a["id"] for a in alerts) == \
            sorted(a["id"] for a in raised), (alerts, raised)
        assert len(verdicts) == 1, entries
        times = [e["time"] for e in entries]
        assert times == sorted(times), times
        for a in alerts:
            full = [x for x in raised if x["id"] == a["id"]][0]
            assert a["alert"] == full, (a, full)
            assert a["rule"] == full["rule"] and \
                a["severity"] == full["severity"], a
            # Was I told?  Each sink's state of the alert.
            assert a["delivery"] == [{"sink": "webhook",
                                      "status": "delivered",
                                      "attempts": 1}], a
        v = verdicts[0]
        assert v["verdict"] == "alert" and v["severity"] == "critical", v
        assert v["issue"] == ISSUE, v
        assert v["model"] == "test-model", v
        assert v["trigger"].startswith("local rule"), v
        llm = [a for a in alerts if a["rule"] == "llm"][0]
        assert llm["source"] == "llm" and llm["title"] == ISSUE, llm
        new = [a for a in alerts if a["rule"] == "new_error"]
        assert any("Order rejected <script>" in a["title"] for a in new), new

        # --- text: one line per entry, the same order, escaped.
        r = history(env)
        assert r.returncode == 0, r
        lines = r.stdout.splitlines()
        assert len(lines) == len(entries), (lines, entries)
        assert "\x1b" not in r.stdout, r.stdout
        for l, e in zip(lines, entries):
            assert TIME_RE.match(l), l
            assert l.startswith(e["time"]), (l, e)
            assert l.split()[1] == e["kind"], (l, e)
        assert any("verdict" in l and "critical" in l and
                   "Orders <b>fail</b> \\x1b[2J" in l for l in lines), lines
        assert any(" llm " in l and "\\x1b[2J" in l and " alert " in l
                   for l in lines), lines
        assert any("new_error" in l and "Order rejected <script>" in l
                   for l in lines), lines
        assert all(l.endswith("  [webhook delivered]") for l in lines
                   if l.split()[1] == "alert"), lines

        # --- --rule: a rule's alerts, the verdicts, the reports.
        only = history_json(env, "--rule", "errors")
        assert only and {e["rule"] for e in only} == {"errors"}, only
        assert {e["kind"] for e in only} == {"alert"}, only
        only = history_json(env, "--rule", "llm")
        assert [e["kind"] for e in only] == ["verdict"], only
        assert history_json(env, "--rule", "report") == []
        assert history_json(env, "--rule", "no_such_rule") == []
        r = history(env, "--rule", "errors")
        assert r.returncode == 0 and r.stdout.strip(), r
        assert all(l.split()[3] == "errors"
                   for l in r.stdout.splitlines()), r.stdout

        # --- --limit keeps the newest, still oldest first.
        assert history_json(env, "--limit", "1") == entries[-1:]
        assert history_json(env, "--limit", "2") == entries[-2:]
        assert history_json(env, "--limit", "1000") == entries

        # --- --since: a future time is empty, an age or a date not.
        r = history(env, "--since", "2999-01-01")
        assert r.returncode == 0 and r.stdout == "", r
        assert "nothing since" in r.stderr, r
        assert history_json(env, "--since", "2999-01-01T10:00Z") == []
        assert history_json(env, "--since", "2h") == entries
        assert history_json(env, "--since", "30m") == entries
        assert history_json(env, "--since", "2000-01-01") == entries
        assert history_json(env, "--since", "2000-01-01T13:00") == entries
        assert history_json(env, "--since", entries[-1]["time"]) == \
            [e for e in entries if e["time"] >= entries[-1]["time"]]
        assert history_json(env, "--since", "0s") == []


def test_history_usage_errors():
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        for args in (["--since", "yesterday"], ["--since", "2026-13"],
                     ["--since", "2026-12-04T25:00"], ["--since", "5x"],
                     ["--limit", "0"], ["--limit", "ten"], ["--bogus"],
                     ["--rule", ""], ["extra"]):
            r = history(env, *args)
            assert r.returncode == 2, (args, r)
            assert r.stdout == "", (args, r)


def test_history_missing_database():
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        r = history(env)
        assert r.returncode == 1, r
        assert "does not exist" in r.stderr and "logwarden.db" in \
            r.stderr, r
        r = history(env, "--json")
        assert r.returncode == 1 and r.stdout == "", r


def test_analyze_marks_templates_first_seen_in_period_new():
    """The daemon stores every template it meets; analyze over a period
    still calls one new when the daemon first met it in that period."""
    day1 = ["2025-03-19 10:00:0%d [ERROR] Exchange - Old failure id=%d"
            % (i, i) for i in range(3)]
    day2 = ["2025-03-20 10:00:00 [ERROR] Exchange - Old failure id=7",
            "2025-03-20 10:00:01 [ERROR] Exchange - Fresh failure in "
            "module x"]
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        env.log.append(*day1)
        assert env.run(["run", "--once"]).returncode == 0
        env.log.append(*day2)
        assert env.run(["run", "--once"]).returncode == 0
        path = env.path("day2.log")
        with open(path, "w") as f:
            f.write("\n".join(day2) + "\n")
        r = env.run(["analyze", "--format", "json", path])
        assert r.returncode == 0, r
        rep = json.loads(r.stdout)
        new = {p["template"]: p["new"] for p in rep["patterns"]}
        assert new == {"Old failure id=<*>": False,
                       "Fresh failure in module x": True}, new
        assert [t["template"] for t in
                rep["anomalies"]["new_templates"]] == \
            ["Fresh failure in module x"], rep["anomalies"]
        r = env.run(["analyze", path])
        assert r.returncode == 0, r
        sec = r.stdout.split("### New templates", 1)[1].split("###", 1)[0]
        assert "Fresh failure in module x" in sec and \
            "Old failure" not in sec, sec


if __name__ == "__main__":
    lwtest.run_tests(globals())
