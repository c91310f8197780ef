#!/usr/bin/python3
"""`logwarden search`: a timeline around an order across rotated files
(.gz too) in time order, with line and time context and shared
identifiers; --regex, --json, colour highlighting, and `--llm` asking
the (fake, loopback) model within the token budget, secrets redacted."""

import gzip
import json
import os
import re

import fakes
import lwtest

KEY = "sk-abcdefghijklmnopqrstuvwxyz012345"
ESC = "\x1b"
RED = ESC + "[1;31m"
CYAN = ESC + "[1;36m"
OFF = ESC + "[0m"
TIMELINE_RE = re.compile(r"^[>~ ] \S+:\d+: ")


def write_logs(env):
    old = env.path("bot.log.1.gz")
    with gzip.open(old, "wt") as f:
        f.write("2025-03-20 09:15:20.000 [INFO] Exchange - Order #12345 "
                "placed for BTC/USDT qty=0.1\n"
                "2025-03-20 09:15:21.000 [INFO] Strategy - unrelated\n")
    env.log.append("2025-03-20 09:16:00.000 [INFO] Other - noise",
                   "2025-03-20 09:16:01.000 [ERROR] Exchange - Order #12345 "
                   "failed: Insufficient funds api_key=" + KEY,
                   "2025-03-20 09:16:02.000 [WARNING] Risk - BTC/USDT "
                   "exposure high",
                   "2025-03-20 09:17:00.000 [INFO] Other - later")
    return old


def timeline(stdout):
    return [l for l in stdout.splitlines() if TIMELINE_RE.match(l)]


def search_json(env, args):
    r = env.run(["search", "--json"] + args)
    assert r.returncode in (0, 1), r
    try:
        return r, json.loads(r.stdout)
    except ValueError as e:
        raise AssertionError("not JSON (%s): %r" % (e, r.stdout[:2000]))


def test_timeline_across_rotated_files():
    with lwtest.Env() as env:
        env.write_config()
        old = write_logs(env)
        r = env.run(["search", "-C", "0", env.log.path, old, "12345"])
        assert r.returncode == 0, r
        lines = timeline(r.stdout)
        assert len(lines) == 3, r.stdout
        assert lines[0].startswith("> ") and "placed" in lines[0], lines
        assert "bot.log.1.gz:1:" in lines[0], lines
        assert lines[1].startswith("> ") and "failed" in lines[1], lines
        assert "bot.log:2:" in lines[1], lines
        assert lines[2].startswith("~ ") and "exposure" in lines[2], lines
        r = env.run(["search", "-C", "1", env.log.path, old, "12345"])
        assert "unrelated" in r.stdout and "noise" in r.stdout, r.stdout
        r = env.run(["search", "--window", "30", "-C", "0", env.log.path,
                     "failed"])
        assert "later" not in r.stdout and "noise" in r.stdout, r.stdout
        r = env.run(["search", env.log.path, "nothing-like-this"])
        assert r.returncode == 1 and "no line contains" in r.stdout, r
        r = env.run(["search", env.path("missing.log"), "x"])
        assert r.returncode == 1 and "missing.log" in r.stderr, r


def test_correlation_by_order_id_and_symbol():
    """An order id ties a line of the gzipped older file to the match;
    a symbol ties lines of both files; neither matches a longer token."""
    with lwtest.Env() as env:
        old = env.path("bot.log.1.gz")
        with gzip.open(old, "wt") as f:
            f.write("2025-03-20 08:00:00.000 [INFO] Exchange - order_id=777001 "
                    "created\n"
                    "2025-03-20 08:00:01.000 [INFO] Market - SOL/USDT tick\n"
                    "2025-03-20 08:00:02.000 [INFO] Market - XSOL/USDTX tick\n"
                    "2025-03-20 08:00:03.000 [INFO] Exchange - order 7770011 "
                    "other\n")
        env.log.append("2025-03-20 09:00:00.000 [INFO] Noise - a",
                       "2025-03-20 09:00:01.000 [INFO] Noise - b",
                       "2025-03-20 09:00:02.000 [ERROR] Exchange - "
                       "Order #777001 rejected on SOL/USDT (margin)",
                       "2025-03-20 09:00:03.000 [INFO] Noise - c",
                       "2025-03-20 09:00:04.000 [INFO] Noise - d",
                       "2025-03-20 09:00:05.000 [INFO] Risk - SOL/USDT "
                       "limit hit")
        env.write_config()
        r = env.run(["search", "-C", "0", env.log.path, old, "rejected"])
        assert r.returncode == 0, r
        assert "following 777001 SOL/USDT" in r.stdout, r.stdout
        lines = timeline(r.stdout)
        assert [l[:1] for l in lines] == ["~", "~", ">", "~"], lines
        assert "created" in lines[0] and "bot.log.1.gz:1:" in lines[0], lines
        assert "SOL/USDT tick" in lines[1], lines
        assert "limit hit" in lines[3], lines
        assert "XSOL" not in r.stdout and "7770011" not in r.stdout, r.stdout


def test_line_and_time_context():
    with lwtest.Env() as env:
        env.write_config()
        env.log.append(*["2025-03-20 10:00:%02d.000 [INFO] Filler - line %d"
                         % (i, i) for i in range(10)])
        env.log.append("2025-03-20 10:00:30.000 [ERROR] Engine - target hit",
                       "Traceback (most recent call last):",
                       '  File "bot.py", line 1, in <module>')
        env.log.append(*["2025-03-20 10:00:%02d.000 [INFO] Filler - line %d"
                         % (40 + i, 40 + i) for i in range(10)])
        r = env.run(["search", "-C", "2", env.log.path, "target"])
        got = timeline(r.stdout)
        assert len(got) == 5, r.stdout
        assert "line 8" in got[0] and "line 9" in got[1], got
        assert got[2].startswith("> "), got
        assert "Traceback" in got[3] and "bot.py" in got[4], got
        # --window 12: 10:00:18..10:00:42; no line context at all.
        r = env.run(["search", "-C", "0", "--window", "12", env.log.path,
                     "target"])
        got = timeline(r.stdout)
        text = "\n".join(got)
        assert "line 40" in text and "line 41" in text, text
        assert "line 42" in text, text
        assert "line 43" not in text and "line 9" not in text, text
        assert "Traceback" in text, text
        assert len(got) == 6, text
        r = env.run(["search", "-C", "x", env.log.path, "target"])
        assert r.returncode == 2 and "not a number" in r.stderr, r


def test_long_lines_crlf_and_truncated_gz():
    with lwtest.Env() as env:
        env.write_config()
        env.log.write(b"2025-03-20 09:00:00.000 [INFO] a - first\r\n" +
                      b"2025-03-20 09:00:01.000 [INFO] a - big " +
                      b"y" * (100 * 1024) + b" NEEDLE-at-end\r\n" +
                      b"".join(b"2025-03-20 09:00:02.000 [INFO] a - fill %d\r\n"
                               % i for i in range(20000)) +
                      b"2025-03-20 09:00:03.000 [INFO] a - NEEDLE, no newline")
        r, d = search_json(env, ["-C", "0", env.log.path, "NEEDLE"])
        assert r.returncode == 0, r
        assert d["files"][0]["lines"] == 20003, d["files"]
        tl = d["timeline"]
        assert [e["line"] for e in tl] == [2, 20003], tl
        # The long line is shown cut (and says so); the CR is no part of
        # any line.
        assert len(tl[0]["text"]) == 64 * 1024 and tl[0]["spans"] == [], tl
        assert "1 line longer than 65536 bytes is cut" in r.stderr, r.stderr
        assert tl[1]["text"].endswith("no newline"), tl
        r = env.run(["search", "-C", "1", env.log.path, "first"])
        assert "\\x0d" not in r.stdout and "fill" not in r.stdout, r.stdout
        # A line longer than the 1 MiB block whose end falls just before
        # a block boundary: the next line must stay whole.
        with open(env.path("huge.log"), "wb") as f:
            f.write(b"A" * (2 * 1024 * 1024 - 6) + b"\n" +
                    b"2025-03-20 09:00:00.000 [INFO] a - NEEDLE one\n")
        r, d = search_json(env, ["-C", "0", env.path("huge.log"), "NEEDLE"])
        assert d["files"][0]["lines"] == 2, d["files"]
        assert [(e["line"], e["text"][-10:]) for e in d["timeline"]] == \
            [(2, "NEEDLE one")], d["timeline"]
        good = gzip.compress(b"".join(b"2025-03-20 09:00:00.000 [INFO] a - "
                                      b"line %d\n" % i for i in range(5000)))
        with open(env.path("cut.gz"), "wb") as f:
            f.write(good[:len(good) // 2])
        r = env.run(["search", env.path("cut.gz"), "line 1"])
        assert r.returncode == 1 and "unexpected end of file" in r.stderr, r


def test_caps_reported():
    with lwtest.Env() as env:
        env.write_config()
        env.log.append(*["2025-03-20 12:%02d:%02d.000 [ERROR] Engine - boom "
                         "%d on BTC/USDT" % (i // 60 % 60, i % 60, i)
                         for i in range(2500)])
        env.log.append(*["2025-03-20 13:00:00.000 [INFO] Feed - BTC/USDT "
                         "tick %d" % i for i in range(500)])
        r, d = search_json(env, ["-C", "0", env.log.path, "boom"])
        assert r.returncode == 0, r
        assert d["matches"] == 2500 and d["capped"] is True, d["matches"]
        tl = d["timeline"]
        assert len(tl) == 2000, len(tl)
        assert [e["kind"] for e in tl] == ["match"] * 1000 + \
            ["related"] * 1000, tl[995:1005]
        assert d["timeline_capped"] is True and d["left_out"] == 1000, d
        assert "only the first 1000 of the 2500 matching lines are used" \
            in r.stderr, r.stderr
        assert "the timeline is cut at 2000 lines; 1000 more lines were " \
            "left out" in r.stderr, r.stderr
        r = env.run(["search", "-C", "0", env.log.path, "boom"])
        assert r.stdout.startswith("2500 lines contain"), r.stdout[:200]
        assert len(timeline(r.stdout)) == 2000, r.stdout[-300:]
        assert "timeline is cut" in r.stderr, r.stderr


def test_regex():
    with lwtest.Env() as env:
        env.write_config()
        old = write_logs(env)
        r = env.run(["search", "--regex", "-C", "0", env.log.path, old,
                     r"Order #\d+ (placed|failed)"])
        assert r.returncode == 0, r
        got = timeline(r.stdout)
        assert [l[:1] for l in got] == [">", ">", "~"], got
        r = env.run(["search", "-E", "-C", "0", env.log.path,
                     r"^2025-03-20 09:1[67]:0[02]\.000 \[INFO\]"])
        got = timeline(r.stdout)
        assert len(got) == 2 and "noise" in got[0] and "later" in got[1], \
            r.stdout
        # Line by line semantics: the pattern cannot reach across lines.
        r = env.run(["search", "-E", "-C", "0", env.log.path,
                     r"noise\s+2025"])
        assert r.returncode == 1 and "no line matches" in r.stdout, r
        # Without --regex the query is literal.
        r = env.run(["search", "-C", "0", env.log.path, r"Order #\d+"])
        assert r.returncode == 1, r
        r = env.run(["search", "--regex", env.log.path, "Order (#12"])
        assert r.returncode == 2, r
        assert "offset 10" in r.stderr, r.stderr
        assert "missing closing parenthesis" in r.stderr, r.stderr
        assert r.stdout == "", r


def test_json_shape_and_content():
    with lwtest.Env() as env:
        env.write_config()
        old = write_logs(env)
        # A line with an escape sequence and bytes that are not UTF-8.
        env.log.append(b"2025-03-20 09:17:01.000 [ERROR] Exchange - Order "
                       b"#12345 \x1b[31mlate\xff\xfe end",
                       b"  detail line without a time")
        r, d = search_json(env, ["-C", "0", env.log.path, old, "#12345"])
        assert r.returncode == 0, r
        assert d["query"] == "#12345" and d["regex"] is False, d
        assert [f["name"] for f in d["files"]] == [old, env.log.path], d
        assert [f["lines"] for f in d["files"]] == [2, 6], d
        assert d["matches"] == 3 and d["capped"] is False, d
        assert set(d["ids"]) == {"12345", "BTC/USDT"}, d
        tl = d["timeline"]
        assert [(e["file"], e["line"], e["kind"]) for e in tl] == [
            (old, 1, "match"), (env.log.path, 2, "match"),
            (env.log.path, 3, "related"), (env.log.path, 5, "match")], tl
        times = [e["time"] for e in tl]
        assert times == ["2025-03-20T09:15:20.000Z",
                         "2025-03-20T09:16:01.000Z",
                         "2025-03-20T09:16:02.000Z",
                         "2025-03-20T09:17:01.000Z"], times
        for e in tl:
            raw = e["text"].encode("utf-8")
            for s, t in e["spans"]:
                want = b"#12345" if e["kind"] == "match" else b"BTC/USDT"
                assert raw[s:t] == want, (e, raw[s:t])
            assert len(e["spans"]) == 1, e
        last = tl[3]["text"]
        assert "\x1b[31mlate\ufffd\ufffd end" in last, repr(last)
        assert d["timeline_capped"] is False and d["left_out"] == 0, d
        assert "llm" not in d, d
        # Context lines have no spans; a traceback line takes its
        # record's time.
        r, d = search_json(env, ["-C", "1", "--regex", env.log.path,
                                 r"\x1b\[31mlate"])
        kinds = [(e["kind"], e["line"], e["time"]) for e in d["timeline"]]
        assert kinds == [("related", 2, "2025-03-20T09:16:01.000Z"),
                         ("context", 4, "2025-03-20T09:17:00.000Z"),
                         ("match", 5, "2025-03-20T09:17:01.000Z"),
                         ("context", 6, "2025-03-20T09:17:01.000Z")], kinds
        assert d["timeline"][1]["spans"] == [], d
        s, t = d["timeline"][2]["spans"][0]
        assert d["timeline"][2]["text"].encode()[s:t] == \
            b"\x1b[31mlate", d
        # Nothing found: still one JSON document, exit status 1.
        r, d = search_json(env, [env.log.path, "absent"])
        assert r.returncode == 1 and d["matches"] == 0, r
        assert d["timeline"] == [] and d["ids"] == [], d


def test_colour():
    with lwtest.Env() as env:
        env.write_config()
        env.log.append(b"2025-03-20 09:16:01.000 [ERROR] Exchange - Order "
                       b"#12345 failed \x1b[2J\x07 twice failed",
                       b"2025-03-20 09:16:02.000 [INFO] Exchange - retry "
                       b"#12345 soon")
        args = ["-C", "0", env.log.path, "failed"]
        r = env.run(["search", "--color=always"] + args)
        assert r.returncode == 0, r
        got = timeline(r.stdout)
        assert len(got) == 2, r.stdout
        m = got[0]
        # Exactly the matches are red; the log's own ESC and BEL bytes
        # are shown escaped, so the only ESC bytes are ours.
        assert m.count(RED + "failed" + OFF) == 2, repr(m)
        assert m.count(ESC) == 4, repr(m)
        assert "\\x1b[2J\\x07 twice" in m, repr(m)
        assert m.endswith(RED + "failed" + OFF), repr(m)
        assert got[1].startswith("~ ") and \
            (CYAN + "12345" + OFF) in got[1], repr(got[1])
        assert got[1].count(ESC) == 2, repr(got[1])
        for extra in (["--color=never"], [], ["--color=auto"]):
            r = env.run(["search"] + extra + args)
            assert r.returncode == 0 and ESC not in r.stdout, (extra, r)
            assert "\\x1b[2J" in r.stdout, r.stdout
        r = env.run(["search", "--color=always", "--json"] + args)
        assert ESC not in r.stdout.replace("\\u001b", ""), r.stdout
        r = env.run(["search", "--color=sometimes"] + args)
        assert r.returncode == 2 and "--color" in r.stderr, r


# Two logs covering the same seconds: the bot's and its exchange
# connector's, sharing order #777.  A traceback follows the 09:00:03
# record, and the exchange has a line at that very millisecond.
BOT_LINES = ["2025-03-20 09:00:01.000 [INFO] Exchange - Order #777 placed",
             "2025-03-20 09:00:03.000 [ERROR] Exchange - Order #777 failed",
             "Traceback (most recent call last):",
             '  File "bot.py", line 7, in submit',
             "2025-03-20 09:00:05.000 [INFO] Exchange - Order #777 closed"]
EXCH_LINES = ["2025-03-20 09:00:02.000 [INFO] conn - ack #777",
              "2025-03-20 09:00:03.000 [INFO] conn - fill #777 partial",
              "2025-03-20 09:00:04.000 [WARNING] conn - reject #777"]
# (file, line, kind, time) of the merged timeline of "#777" with -C 1.
MERGED = [("bot", 1, "match", "09:00:01"), ("exch", 1, "match", "09:00:02"),
          ("bot", 2, "match", "09:00:03"), ("bot", 3, "context", "09:00:03"),
          ("bot", 4, "context", "09:00:03"), ("exch", 2, "match", "09:00:03"),
          ("exch", 3, "match", "09:00:04"), ("bot", 5, "match", "09:00:05")]


def write_overlapping(env, gz=None):
    """bot.log and exchange.log (either gzipped when gz names it);
    returns their paths."""
    paths = []
    for name, lines in (("bot", BOT_LINES), ("exch", EXCH_LINES)):
        data = "".join(l + "\n" for l in lines).encode()
        path = env.path(name + ".log" + (".gz" if gz == name else ""))
        if gz == name:
            data = gzip.compress(data)
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def merged_expected(bot, exch):
    names = {"bot": bot, "exch": exch}
    text = {"bot": BOT_LINES, "exch": EXCH_LINES}
    return [(names[f], n, k, "2025-03-20T%s.000Z" % t, text[f][n - 1])
            for f, n, k, t in MERGED]


def test_overlapping_files_merged_in_time_order():
    """Lines of two files that overlap in time interleave by log time,
    in text and JSON, plain or gzipped, whatever order the files are
    named in; a traceback stays under its record."""
    with lwtest.Env() as env:
        env.write_config()
        for gz in (None, "exch", "bot"):
            bot, exch = write_overlapping(env, gz)
            want = merged_expected(bot, exch)
            for files in ([bot, exch], [exch, bot]):
                r = env.run(["search", "-C", "1"] + files + ["#777"])
                assert r.returncode == 0, r
                marks = {"match": ">", "context": " "}
                assert timeline(r.stdout) == [
                    "%s %s:%d: %s" % (marks[k], f, n, text)
                    for f, n, k, _, text in want], (gz, r.stdout)
                assert r.stdout.startswith("6 lines contain \"#777\"; "
                                           "following 777\n"), r.stdout
                assert r.stderr == "", r.stderr
                r, d = search_json(env, ["-C", "1"] + files + ["#777"])
                assert r.returncode == 0, r
                got = [(e["file"], e["line"], e["kind"], e["time"],
                        e["text"]) for e in d["timeline"]]
                assert got == want, (gz, got)
                assert d["timeline_capped"] is False and \
                    d["left_out"] == 0, d
                assert [f["lines"] for f in d["files"]] == [5, 3], d
            for p in (bot, exch):
                os.unlink(p)


def test_merged_timeline_single_file_unchanged():
    """A second file that adds nothing to the timeline (an empty one, as
    context lines run on across files) leaves the output byte for byte
    as the one-file search streams it, with --window too; and one file's
    output is what it always was."""
    with lwtest.Env() as env:
        env.write_config()
        old = write_logs(env)
        env.log.append("Traceback (most recent call last):",
                       "  raise InsufficientFunds(12345)")
        other = env.path("other.log")
        open(other, "w").close()
        for args in (["-C", "0"], ["-C", "2"], ["--window", "30", "-C", "0"],
                     ["--color=always", "-C", "1"]):
            one = env.run(["search"] + args + [env.log.path, "12345"])
            two = env.run(["search"] + args + [env.log.path, other, "12345"])
            assert one.returncode == 0 and two.returncode == 0, (one, two)
            assert one.stdout == two.stdout, (args, one.stdout, two.stdout)
            assert one.stderr == two.stderr == "", (one, two)
        one = env.run(["search", "-C", "0", env.log.path, "12345"])
        assert timeline(one.stdout) == [
            "> %s:2: %s" % (env.log.path, "2025-03-20 09:16:01.000 [ERROR] "
                            "Exchange - Order #12345 failed: Insufficient "
                            "funds api_key=" + KEY),
            "> %s:6:   raise InsufficientFunds(12345)" % env.log.path], \
            one.stdout
        # Rotated files that do not overlap keep their file order.
        r = env.run(["search", "-C", "1", env.log.path, old, "12345"])
        got = [l.split(": ", 1)[0] for l in timeline(r.stdout)]
        assert got == ["> %s:1" % old, "  %s:2" % old] + \
            ["%s %s:%d" % (m, env.log.path, n) for m, n in
             ((" ", 1), (">", 2), ("~", 3), (" ", 5), (">", 6))], \
            got


def test_merged_timeline_cap_keeps_the_earliest():
    """Past the 2000-line cap the lines kept are the first 2000 in time
    order across both files, and the rest count as left out."""
    with lwtest.Env() as env:
        env.write_config()
        env.log.append(*["2025-03-20 12:%02d:%02d.000 [ERROR] Engine - boom "
                         "%d on BTC/USDT" % (2 * i // 60 % 60, 2 * i % 60, i)
                         for i in range(1500)])
        exch = env.path("exchange.log")
        with open(exch, "w") as f:
            f.write("".join("2025-03-20 12:%02d:%02d.000 [INFO] conn - "
                            "BTC/USDT book %d\n" % ((2 * i + 1) // 60 % 60,
                                                    (2 * i + 1) % 60, i)
                            for i in range(1500)))
        r, d = search_json(env, ["-C", "0", exch, env.log.path, "boom"])
        assert r.returncode == 0, r
        tl = d["timeline"]
        assert len(tl) == 2000, len(tl)
        assert d["timeline_capped"] is True and d["left_out"] == 1000, d
        assert [(e["file"], e["line"], e["kind"]) for e in tl] == [
            (env.log.path if i % 2 == 0 else exch, i // 2 + 1,
             "match" if i % 2 == 0 else "related") for i in range(2000)], \
            tl[:4]
        times = [e["time"] for e in tl]
        assert times == sorted(times) and len(set(times)) == 2000, times[:4]
        assert "the timeline is cut at 2000 lines; 1000 more lines were " \
            "left out" in r.stderr, r.stderr
        r = env.run(["search", "-C", "0", exch, env.log.path, "boom"])
        got = timeline(r.stdout)
        assert len(got) == 2000 and "book 999" in got[-1], got[-1]


def test_merged_timeline_byte_cap():
    """Lines too big to keep 2000 of in 64 MiB: the later ones are kept
    shortened, said on stderr, and --json stays valid and in order."""
    with lwtest.Env() as env:
        env.write_config()
        blob = "\x01" * 66000
        for name, sec in (("a.log", 0), ("b.log", 1)):
            with open(env.path(name), "w") as f:
                f.write("".join("2025-03-20 09:%02d:%02d.000 [INFO] x - "
                                "#555 %s %s\n" % ((2 * i + sec) // 60,
                                                  (2 * i + sec) % 60,
                                                  name, blob)
                                for i in range(80)))
        r, d = search_json(env, ["-C", "0", env.path("a.log"),
                                 env.path("b.log"), "#555"])
        assert r.returncode == 0, r
        tl = d["timeline"]
        assert len(tl) == 160, len(tl)
        assert [e["line"] for e in tl] == [i // 2 + 1 for i in range(160)]
        assert [e["file"][-5:] for e in tl] == ["a.log", "b.log"] * 80
        sizes = [len(e["text"]) for e in tl]
        full, short = sizes.count(64 * 1024), sizes.count(len(tl[-1]["text"]))
        # a.log is read first: its lines fill the budget.
        assert sizes[0] == 64 * 1024 and sizes[-1] < 600, sizes
        assert full > 100 and full + short == 160, sizes
        m = re.search(r"(\d+) timeline lines are shown cut to 512 bytes: "
                      r"the merged timeline holds at most 64 MiB", r.stderr)
        assert m and int(m.group(1)) == short, r.stderr
        assert "160 lines longer than 65536 bytes are cut" in r.stderr, \
            r.stderr
        # --llm gets the same 160 lines, the shortened ones too.
        with fakes.LlmServer(script=[{"content": "answer"}]) as srv:
            llm_env(env, srv, 100000)
            r = env.run(["search", "--llm", "-C", "0", env.path("b.log"),
                         env.path("a.log"), "#555"])
            assert r.returncode == 0 and "answer" in r.stdout, r
            user = messages(srv)["user"]
            assert "The timeline has 160 lines" in user, user[:500]
            fence = user.split("LOGDATA-BEGIN\n")[1].split("LOGDATA-END")[0]
            assert [l[:41] for l in fence.splitlines()[:2]] == [
                "> 2025-03-20 09:00:00.000 [INFO] x - #555",
                "> 2025-03-20 09:00:01.000 [INFO] x - #555"], fence[:300]


def llm_tokens(b):
    """lw_llm_tokens (lib/llm_prompt.c), the estimate the budget is in."""
    NONE, ALPHA, DIGIT, PUNCT = range(4)
    tokens = run = 0
    prev = NONE
    lower = False
    for i, c in enumerate(b):
        was_lower = lower
        lower = 0x61 <= c <= 0x7a
        if lower or 0x41 <= c <= 0x5a:
            cl = ALPHA
        elif 0x30 <= c <= 0x39:
            cl = DIGIT
        elif 0x20 < c < 0x7f:
            cl = PUNCT
        else:
            cl = NONE
        if cl != NONE and cl == prev and \
                not (cl == ALPHA and was_lower and not lower):
            run += 1
            if run > (3 if cl == DIGIT else 2 if cl == PUNCT else 6):
                tokens += 1
                run = 1
        elif cl != NONE:
            tokens += 1
            run = 1
        elif c == 0x20:
            pass
        elif c < 0x80:
            tokens += 1
        elif 0xc0 <= c < 0xf8:
            tokens += 2 if c >= 0xe0 else 1
        elif i == 0 or b[i - 1] < 0x80 or c >= 0xf8:
            tokens += 1
        prev = cl
    return tokens


def llm_env(env, srv, tokens=None):
    env.write_config({"llm": {"enabled": True, "model": "m",
                              "url": srv.url("/v1/chat/completions"),
                              "api_key_env": "LW_NONE",
                              "max_prompt_tokens": tokens}})


def messages(srv, n=0):
    body = json.loads(srv.requests()[n].body.decode())
    return {m["role"]: m["content"] for m in body["messages"]}


def test_llm_explains_without_secrets():
    with lwtest.Env() as env, fakes.LlmServer(script=[{
            "content": "## What happened\nThe order failed for lack of "
                       "funds.\n## Next steps\nTop up."}]) as srv:
        llm_env(env, srv)
        old = write_logs(env)
        r = env.run(["search", "--llm", env.log.path, old, "12345"])
        assert r.returncode == 0, r
        assert "The order failed for lack of funds.\n## Next steps\n" \
            in r.stdout, r.stdout
        body = srv.requests()[0].body.decode()
        assert KEY not in body, body
        msgs = messages(srv)
        user = msgs["user"]
        assert "Order #12345 failed" in user, user
        for q in ("What happened?", "What is the root cause?",
                  "Which related events", "What should the operator do "
                  "next?"):
            assert q in user, user
        assert "0 of them are left out" in user, user
        assert "LOGDATA-BEGIN\n" in user and user.endswith("LOGDATA-END\n")
        # Every log line in the fence starts with our marker.
        fence = user.split("LOGDATA-BEGIN\n")[1].split("LOGDATA-END\n")[0]
        assert all(l[:2] in ("> ", "~ ", "  ") for l in
                   fence.splitlines()), fence
        # --json carries the answer too.
        r = env.run(["search", "--llm", "--json", env.log.path, old,
                     "12345"])
        assert r.returncode == 0, r
        d = json.loads(r.stdout)
        assert d["llm"].startswith("## What happened\n"), d
        assert d["matches"] == 2, d


def test_llm_prompt_trimmed_to_budget():
    """A long timeline and a small llm.max_prompt_tokens: the prompt the
    model receives fits the budget, keeps the match and the lines next to
    it, and says how many lines were left out."""
    budget = 600
    with lwtest.Env() as env, fakes.LlmServer(script=[{
            "content": "answer"}]) as srv:
        llm_env(env, srv, budget)
        before = ["2025-03-20 11:%02d:%02d.000 [INFO] Feed - before %03d "
                  "price=%d.25 bid ask spread ok" % (i // 60, i % 60, i,
                                                      40000 + i)
                  for i in range(150)]
        after = ["2025-03-20 11:%02d:%02d.000 [INFO] Feed - after %03d "
                 "price=%d.75 bid ask spread ok" % (3 + i // 60, i % 60, i,
                                                     50000 + i)
                 for i in range(150)]
        env.log.append(*before)
        env.log.append("2025-03-20 11:02:59.000 [ERROR] Exchange - "
                       "TARGET rejected: price filter")
        env.log.append(*after)
        r = env.run(["search", "--llm", "-C", "200", env.log.path,
                     "TARGET"])
        assert r.returncode == 0, r
        assert "answer" in r.stdout, r.stdout
        assert len(timeline(r.stdout)) == 301, r.stdout
        msgs = messages(srv)
        user, system = msgs["user"], msgs["system"]
        used = llm_tokens(system.encode()) + llm_tokens(user.encode()) + 12
        assert used <= budget, (used, user)
        assert "TARGET rejected" in user, user
        m = re.search(r"The timeline has (\d+) lines; (\d+) of them are "
                      r"left out", user)
        assert m, user
        fence = user.split("LOGDATA-BEGIN\n")[1].split("LOGDATA-END\n")[0]
        sent = fence.splitlines()
        total, left = int(m.group(1)), int(m.group(2))
        assert total == 301 and left > 0, user
        assert len(sent) + left == total, (len(sent), left, total)
        assert len(sent) >= 5, sent
        # The lines nearest the match are kept, the farthest left out,
        # and the kept ones stay in time order.
        assert "before 149" in fence and "after 000" in fence, fence
        assert "before 000" not in fence and "after 149" not in fence
        assert [l[:1] for l in sent].count(">") == 1, sent
        assert "left out to fit" in r.stderr, r.stderr
        # The same timeline with a large budget goes whole.
        llm_env(env, srv, 100000)
        r = env.run(["search", "--llm", "-C", "200", env.log.path,
                     "TARGET"])
        assert r.returncode == 0, r
        user = messages(srv, 1)["user"]
        assert "301 lines; 0 of them are left out" in user, user
        assert "before 000" in user and "after 149" in user, user


def test_llm_prompt_in_merged_order():
    """--llm over overlapping files: the prompt's lines come in merged
    time order, secrets redacted, the totals right."""
    with lwtest.Env() as env, fakes.LlmServer(script=[{
            "content": "answer"}]) as srv:
        llm_env(env, srv)
        bot, exch = write_overlapping(env, "exch")
        with open(exch, "ab") as f:
            f.write(gzip.compress(b"2025-03-20 09:00:04.500 [INFO] conn - "
                                  b"#777 api_key=" + KEY.encode() + b"\n"))
        r = env.run(["search", "--llm", "-C", "1", exch, bot, "#777"])
        assert r.returncode == 0, r
        user = messages(srv)["user"]
        assert "The timeline has 9 lines; 0 of them are left out" in user, \
            user
        fence = user.split("LOGDATA-BEGIN\n")[1].split("LOGDATA-END\n")[0]
        want = [{"match": ">", "context": " "}[k] + " " + text
                for _, _, k, _, text in merged_expected(bot, exch)]
        want.insert(7, "> 2025-03-20 09:00:04.500 [INFO] conn - #777 "
                    "api_key=[REDACTED]")
        assert fence.splitlines() == want, fence
        assert KEY not in srv.requests()[0].body.decode()
        assert [l[:1] for l in timeline(r.stdout)] == \
            [w[:1] for w in want], r.stdout


if __name__ == "__main__":
    lwtest.run_tests(globals())
