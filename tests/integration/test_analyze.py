#!/usr/bin/python3
"""`logwarden analyze`: the daily report from the real binary.

Every test writes its own fixture log (fixture_lines below, with the
figures worked out by hand next to it), runs `analyze` on it and checks
the report: markdown sections and numbers, the JSON shape, rotated .gz
files read in time order, a missing file, runs with and without config.
"""

import gzip
import json
import os
import random

import lwtest

# Hour k (HH = 09 + k) of 2025-03-20: a heartbeat, two REST calls with
# latency_ms 10 and 30, one fill (qty 2), E[k] "Insufficient funds" errors.
# Hour 1 adds a disconnect warning, hour 3 a closed trade with pnl=5.
# Per hour: lines 4 + E[k] (+1 in hours 1 and 3), so 5 6 6 6 with
# E = 1 1 2 1: 23 lines, 5 errors, 1 warning, 4 fills, latency avg 20
# (p95 30: the larger of two), errors per hour 5 / 4 = 1.25.
E = [1, 1, 2, 1]


def fixture_lines(day="2025-03-20", first_hour=9, hours=4):
    out = []
    for k in range(hours):
        hh = "%s %02d" % (day, first_hour + k)
        out.append("%s:00:00.000 [INFO] Heartbeat - Heartbeat OK | "
                   "uptime_s=%d |" % (hh, k))
        out.append("%s:00:01.000 [INFO] Exchange - REST request completed "
                   "method=GET path=/api/v3/ticker status=200 "
                   "latency_ms=10" % hh)
        out.append("%s:00:02.000 [INFO] Exchange - REST request completed "
                   "method=GET path=/api/v3/ticker status=200 "
                   "latency_ms=30" % hh)
        out.append("%s:00:03.000 [INFO] OrderManager - Order filled | "
                   "id=%d | symbol=BTC/USDT | side=buy | price=100 | "
                   "qty=2 | fee=0.1 USDT |" % (hh, k))
        for i in range(E[k % len(E)]):
            out.append("%s:00:%02d.000 [ERROR] Exchange - Order placement "
                       "failed: Insufficient funds" % (hh, 10 + i))
        if k == 1:
            out.append("%s:00:20.000 [WARNING] WebSocket - WebSocket "
                       "disconnected (code=1006), reconnecting in 5s" % hh)
        if k == 3:
            out.append("%s:00:21.000 [INFO] Strategy - Trade closed "
                       "BTC/USDT side=buy entry=100 exit=105 pnl=5 "
                       "roi=5.0%%" % hh)
    return out


def write(path, lines, gz=False):
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    return path


NOCONFIG = {"LOGWARDEN_CONFIG": "/nonexistent/logwarden.ini"}


def analyze(env, args, config=False, extra_env=None):
    e = dict(NOCONFIG) if not config else {}
    e.update(extra_env or {})
    return env.run(["analyze"] + list(args), env=e)


def test_markdown_sections_and_numbers():
    with lwtest.Env() as env:
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, [log])
        assert p.returncode == 0, p.stderr
        out = p.stdout
        for section in ("# logwarden report", "## Critical issues",
                        "## Error patterns", "## Anomalies",
                        "## Hourly series", "## Correlations",
                        "## Trading figures", "## Statistics"):
            assert section in out, (section, out)
        # Sections come in this order.
        pos = [out.index(s) for s in ("## Critical", "## Error patterns",
               "## Anomalies", "## Hourly", "## Correlations",
               "## Trading", "## Statistics")]
        assert pos == sorted(pos), pos
        assert ("Period: 2025-03-20T09:00:00.000Z .. "
                "2025-03-20T12:00:21.000Z (4 hours, UTC)") in out, out
        assert ("| insufficient_funds | money | 5 | 2025-03-20T09:00:10.000Z "
                "| 2025-03-20T12:00:10.000Z |") in out, out
        assert ("| 1 | error | 5 | 83.3% | 2025-03-20T09:00:10.000Z | "
                "2025-03-20T12:00:10.000Z | 11:00 | `Exchange` | - | "
                "`Order placement failed: Insufficient funds` |") in out, out
        assert ("| 2 | warning | 1 | 16.7% |") in out, out
        assert "| connectivity | degraded | 1 |" in out, out
        assert "- Lines: 23 (23 records, 0 without a time)" in out, out
        assert "- Errors: 5 (0 critical), warnings: 1, tracebacks: 0" in out
        assert "- Unique error types: 1, warning types: 1" in out, out
        assert "- Errors per hour: 1.25" in out, out
        assert "- Fills: 4\n- Closed positions: 1\n" in out, out
        assert "- Win rate: 100.0% (1 wins, 0 losses)" in out, out
        assert "- PnL: sum 5, mean 5, min 5, max 5" in out, out
        assert "- Position sizes: 4 fills, mean 2, min 2, max 2" in out, out
        assert "| 2025-03-20 11:00 | 6 | 2 | 0 | 1 | 20.00 | 30.00 | 0.00 |" \
            in out, out
        assert "| 2025-03-20 12:00 | 6 | 1 | 0 | 1 | 20.00 | 30.00 | 5.00 |" \
            in out, out
        assert "- errors       ▅▅█▅\n" in out, out
        assert "Not checked: no state database." in out, out
        # No config: said on stderr, the report is made all the same.
        assert "built-in defaults" in p.stderr, p.stderr


def test_json_shape():
    with lwtest.Env() as env:
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, ["--format", "json", log])
        assert p.returncode == 0, p.stderr
        j = json.loads(p.stdout)
        for key in ("version", "files", "period", "stats", "critical",
                    "patterns", "anomalies", "hourly", "correlations",
                    "trading", "metrics"):
            assert key in j, key
        assert j["version"] == 1
        assert j["files"] == [{"name": log,
                               "bytes": os.path.getsize(log), "lines": 23}]
        assert j["period"] == {"first": "2025-03-20T09:00:00.000Z",
                               "last": "2025-03-20T12:00:21.000Z",
                               "hours": 4}
        s = j["stats"]
        assert (s["lines"], s["records"], s["errors"], s["warnings"],
                s["criticals"], s["unique_errors"], s["unique_warnings"]) \
            == (23, 23, 5, 1, 0, 1, 1), s
        assert s["errors_per_hour"] == 1.25 and s["trend"] is None, s
        assert [c["category"] for c in j["critical"]] == \
            ["insufficient_funds", "connectivity"]
        p0 = j["patterns"][0]
        assert set(p0) == {"id", "template", "level", "count", "share",
                           "first", "last", "peak_hour", "components",
                           "symbols", "example", "category", "new"}, p0
        assert p0["template"] == "Order placement failed: Insufficient funds"
        assert p0["count"] == 5 and abs(p0["share"] - 5 / 6) < 1e-9
        assert p0["peak_hour"] == "11:00" and p0["new"] is None
        assert len(p0["id"]) == 16 and int(p0["id"], 16) >= 0
        h = j["hourly"]
        assert h["start"] == "2025-03-20T09:00:00.000Z" and h["hours"] == 4
        assert h["series"]["lines"] == [5, 6, 6, 6]
        assert h["series"]["errors"] == [1, 1, 2, 1]
        assert h["series"]["warnings"] == [0, 1, 0, 0]
        assert h["series"]["trades"] == [1, 1, 1, 1]
        assert h["series"]["latency_avg"] == [20, 20, 20, 20]
        assert h["series"]["latency_p95"] == [30, 30, 30, 30]
        assert h["series"]["pnl"] == [0, 0, 0, 5]
        assert h["series"]["disconnects"] == [0, 1, 0, 0]
        assert set(h["sparklines"]) == set(h["series"])
        assert h["sparklines"]["errors"] == "▅▅█▅"
        a = j["anomalies"]
        assert a["new_templates"] is None and a["latency_spikes"] == []
        assert isinstance(a["hours"], list)
        t = j["trading"]
        assert (t["fills"], t["closed"], t["wins"], t["win_rate"]) == \
            (4, 1, 1, 1), t
        assert t["pnl"] == {"sum": 5, "mean": 5, "min": 5, "max": 5}
        assert t["size"] == {"count": 4, "mean": 2, "min": 2, "max": 2}
        for c in j["correlations"]:
            assert set(c) == {"x", "y", "r", "n", "caution"}
            assert abs(c["r"]) >= 0.5


def test_gz_and_plain_in_time_order():
    with lwtest.Env() as env:
        # The rotated file holds the older hours (09, 10), the live one
        # the newer (11, 12); given newest first on the command line.
        lines = fixture_lines()
        old = write(env.path("bot.log.1.gz"), lines[:10], gz=True)
        new = write(env.path("bot.log"), lines[10:])
        p = analyze(env, ["--format=json", new, old])
        assert p.returncode == 0, p.stderr
        j = json.loads(p.stdout)
        assert [f["name"] for f in j["files"]] == [old, new]
        assert [f["lines"] for f in j["files"]] == [10, 13]
        # The same figures as the single file: nothing lost at the seam.
        assert j["stats"]["lines"] == 23 and j["stats"]["errors"] == 5
        assert j["hourly"]["series"]["lines"] == [5, 6, 6, 6]
        assert j["period"]["first"] == "2025-03-20T09:00:00.000Z"
        # Markdown names both files, oldest first.
        p = analyze(env, [new, old])
        assert p.returncode == 0, p.stderr
        assert p.stdout.index(old) < p.stdout.index("`%s`" % new), p.stdout


def test_several_files():
    with lwtest.Env() as env:
        a = write(env.path("a.log"), fixture_lines(first_hour=9, hours=2))
        b = write(env.path("b.log.gz"), fixture_lines(first_hour=13,
                                                      hours=2), gz=True)
        c = write(env.path("c.log"), fixture_lines(first_hour=11, hours=2))
        p = analyze(env, ["--format", "json", b, a, c])
        assert p.returncode == 0, p.stderr
        j = json.loads(p.stdout)
        assert [f["name"] for f in j["files"]] == [a, c, b]
        assert j["period"]["hours"] == 6
        assert j["stats"]["errors"] == 6      # 1 1 per file pair of hours
        assert j["hourly"]["series"]["errors"] == [1, 1, 1, 1, 1, 1]


def test_hostile_bytes_give_valid_json_and_a_safe_terminal():
    # Invalid UTF-8, NULs, escape sequences and huge tokens in errors,
    # warnings, components and examples.
    rnd = random.Random(6)
    lines = []
    for i in range(400):
        junk = bytes(rnd.choice([b for b in range(256) if b != 10])
                     for _ in range(rnd.randrange(40)))
        lvl = rnd.choice([b"ERROR", b"WARNING", b"INFO", b"CRITICAL"])
        comp = rnd.choice([b"Exchange", b"Ex\xffch", b"\x1b[31mRed"])
        lines.append(b"2025-03-20 09:%02d:%02d.000 [" % (i // 60 % 60, i % 60)
                     + lvl + b"] " + comp + b" - Order %d failed: " % i
                     + junk + (b"x" * rnd.choice([0, 0, 70000])))
    with lwtest.Env() as env:
        path = env.path("hostile.log")
        with open(path, "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        p = env.run(["analyze", "--format", "json", path], env=NOCONFIG,
                    raw=True)
        assert p.returncode == 0, p.stderr
        j = json.loads(p.stdout.decode("utf-8"))     # strict UTF-8
        assert j["stats"]["lines"] == 400, j["stats"]
        assert j["patterns"], j
        p = env.run(["analyze", path], env=NOCONFIG, raw=True)
        assert p.returncode == 0, p.stderr
        p.stdout.decode("utf-8")
        # No control byte but line breaks reaches the terminal.
        assert not [c for c in p.stdout if c < 0x20 and c not in (9, 10)], \
            sorted({c for c in p.stdout if c < 0x20})


def test_missing_file():
    with lwtest.Env() as env:
        log = write(env.path("bot.log"), fixture_lines())
        missing = env.path("nope.log")
        p = analyze(env, [log, missing])
        assert p.returncode == 1, p.returncode
        assert missing in p.stderr and "No such file" in p.stderr, p.stderr
        assert p.stdout == "", p.stdout


def test_usage_errors():
    with lwtest.Env() as env:
        log = write(env.path("bot.log"), fixture_lines())
        assert analyze(env, []).returncode == 2
        assert analyze(env, ["--format", "xml", log]).returncode == 2
        assert analyze(env, ["--bogus", log]).returncode == 2


def test_llm_without_config_still_reports():
    with lwtest.Env() as env:
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, ["--llm", log])
        assert p.returncode == 0, p.stderr
        assert "without the narrative" in p.stderr, p.stderr
        assert "## Statistics" in p.stdout


def test_llm_narrative_from_the_summary():
    import fakes
    with lwtest.Env() as env, fakes.LlmServer(script=[{
            "content": "Funds ran out at 10:00.\nTop up the account."}]) \
            as srv:
        env.write_config({"llm": {"enabled": True, "model": "m",
                                  "url": srv.url("/v1/chat/completions"),
                                  "api_key_env": "LW_NONE"}})
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, ["--llm", log], config=True)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith("## Narrative (from the model)"), \
            p.stdout[:200]
        assert "Funds ran out at 10:00.\nTop up the account." in p.stdout
        assert "## Statistics" in p.stdout
        body = srv.requests()[0].json
        user = body["messages"][1]["content"]
        # The model gets the report's summary, not raw lines.
        assert "## Error patterns" in user and "LOGDATA-BEGIN" in user, \
            user[:500]
        p = analyze(env, ["--llm", "--format", "json", log], config=True)
        assert json.loads(p.stdout)["narrative"].startswith("Funds ran out")


def test_config_extends_the_category_table():
    with lwtest.Env() as env:
        env.write_config({"category.feed_gap": {
            "match": "WebSocket disconnected, stale data",
            "impact": "halt"}})
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, ["--format", "json", log], config=True)
        assert p.returncode == 0, p.stderr
        crit = {c["category"]: c for c in json.loads(p.stdout)["critical"]}
        assert "feed_gap" in crit, crit
        assert crit["feed_gap"]["impact"] == "halt", crit["feed_gap"]
        assert crit["feed_gap"]["count"] == 1, crit["feed_gap"]
        # The built-in table still applies to the rest.
        assert "insufficient_funds" in crit, crit


def test_with_config_state_and_metric():
    with lwtest.Env() as env:
        env.write_config({"metric.lat": {"pattern": "latency_ms=([0-9.]+)",
                                         "above": 1000}})
        day1 = write(env.path("day1.log"), fixture_lines(day="2025-03-19"))
        p = analyze(env, ["--format", "json", day1], config=True)
        assert p.returncode == 0, p.stderr
        assert "built-in defaults" not in p.stderr, p.stderr
        j = json.loads(p.stdout)
        # Nothing was known: both patterns are new.
        assert len(j["anomalies"]["new_templates"]) == 2
        assert all(pt["new"] is True for pt in j["patterns"])
        assert j["stats"]["trend"] is None
        m = j["metrics"]
        assert m == [{"name": "lat", "count": 8, "avg": 20, "min": 10,
                      "max": 30, "p95": 30}], m
        # The next day: the trend comes from the totals stored above.
        day2 = write(env.path("day2.log"),
                     fixture_lines(day="2025-03-20", hours=2))
        p = analyze(env, ["--format", "json", day2], config=True)
        assert p.returncode == 0, p.stderr
        t = json.loads(p.stdout)["stats"]["trend"]
        assert t == {"day": "2025-03-20", "previous_day": "2025-03-19",
                     "lines": 11, "errors": 2, "warnings": 1,
                     "previous_lines": 23, "previous_errors": 5,
                     "previous_warnings": 1, "source": "state"}, t
        p = analyze(env, [day2], config=True)
        assert "- Trend 2025-03-20 against 2025-03-19 (state database):" \
            in p.stdout, p.stdout
        assert "  - errors: 2 (previous day 5, -60%)" in p.stdout, p.stdout


def test_broken_config_still_reports():
    with lwtest.Env() as env:
        env.write_config(text="[source]\npath = /x\nbogus = 1\n")
        log = write(env.path("bot.log"), fixture_lines())
        p = analyze(env, [log], config=True)
        assert p.returncode == 0, p.stderr
        assert "bogus" in p.stderr and "built-in defaults" in p.stderr
        assert "- Lines: 23 " in p.stdout


if __name__ == "__main__":
    lwtest.run_tests(globals())
