#!/usr/bin/python3
"""`logwarden search`: a timeline around an order across rotated files
(.gz too) in time order, with context and shared identifiers, and
`--llm` asking the (fake, loopback) model to explain it, secrets
redacted."""

import gzip
import re

import fakes
import lwtest

KEY = "sk-abcdefghijklmnopqrstuvwxyz012345"


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


def test_timeline_across_rotated_files():
    with lwtest.Env() as env:
        env.write_config()
        old = write_logs(env)
        r = env.run(["search", "-C", "0", env.log.path, old, "12345"])
        assert r.returncode == 0, r
        lines = [l for l in r.stdout.splitlines()
                 if re.match(r"^[>~ ] \S+:\d+: ", l)]
        assert len(lines) == 3, r.stdout
        assert lines[0].startswith("> ") and "placed" in lines[0], lines
        assert lines[1].startswith("> ") and "failed" in lines[1], lines
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


def test_llm_explains_without_secrets():
    with lwtest.Env() as env, fakes.LlmServer(script=[{
            "content": "The order failed for lack of funds."}]) as srv:
        env.write_config({"llm": {"enabled": True, "model": "m",
                                  "url": srv.url("/v1/chat/completions"),
                                  "api_key_env": "LW_NONE"}})
        old = write_logs(env)
        r = env.run(["search", "--llm", env.log.path, old, "12345"])
        assert r.returncode == 0, r
        assert "The order failed for lack of funds." in r.stdout, r.stdout
        body = srv.requests()[0].body.decode()
        assert KEY not in body, body
        assert "Order #12345 failed" in body, body


if __name__ == "__main__":
    lwtest.run_tests(globals())
