#!/usr/bin/python3
"""The LLM analyzer against a scripted fake OpenAI-compatible server on
loopback: well-formed requests within the token budget, no secret in any
request, verdicts in every accepted form, retries, Retry-After, quota,
the call cap, degraded mode, and local alerts that never wait."""

import json
import time

import fakes
import lwtest
from common import line, rules, rules_of, wait_lines

KEY = "sk-test-0123456789abcdefghijABCDEFGHIJ"
SEED_ALERT = ("ALERT: CRITICAL\nIssue: Orders keep failing for lack of "
              "funds\nImpact: No new positions\nAction: Top up the account")


def llm_cfg(srv, **extra):
    c = {"enabled": True, "url": srv.url("/v1/chat/completions"),
         "model": "test-model", "api_key_env": "LW_LLM_KEY",
         "interval": 3600, "timeout": 3, "max_prompt_tokens": 2000}
    c.update(extra)
    return c


def start(env, cfg, key=KEY):
    env.write_config(cfg)
    d = env.start(env={"LW_LLM_KEY": key} if key else {})
    d.wait_ready()
    return d


def bodies(srv):
    return [r.json for r in srv.requests()
            if r.path.endswith("/chat/completions") and r.json]


def test_triggered_check_is_well_formed_and_raises_llm_alert():
    with lwtest.Env() as env, fakes.LlmServer(
            script=[{"content": SEED_ALERT}]) as srv:
        d = start(env, {"rules": rules(errors=3),
                        "llm": llm_cfg(srv)})
        env.log.append(
            line("INFO", "connected api_key=" + KEY + " password=hunter2"),
            *[line("ERROR", "Order placement failed: Insufficient funds "
                   "for order %d" % i, i * 0.1) for i in range(3)])
        srv.wait_requests(1, 5)
        req = srv.requests()[0]
        assert req.header("authorization") == "Bearer " + KEY
        body = req.json
        assert body["model"] == "test-model", body
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["system", "user"], roles
        raw = req.body.decode("utf-8")
        assert KEY not in raw and "hunter2" not in raw, raw[:2000]
        assert "Order placement failed: Insufficient funds for order <*>" \
            in raw, raw[:3000]
        assert "errors" in raw                 # the local rule that fired
        # Within the budget: about 4 bytes per token at the very most.
        text = "".join(m["content"] for m in body["messages"])
        assert len(text.encode()) < 2000 * 4, len(text)
        a = env.wait_alerts(lambda a: "llm" in rules_of(a), 5, "llm alert")
        la = [x for x in a if x["rule"] == "llm"][0]
        assert la["source"] == "llm" and la["severity"] == "critical", la
        assert "Orders keep failing" in la["title"], la
        assert "Top up the account" in la["detail"], la
        d.usr1()
        d.wait_stderr("today 1 calls")
        assert d.stop() == 0
        r = env.run(["analyze", "--verdicts"])
        assert r.returncode == 0, r
        assert "alert" in r.stdout and "Orders keep failing" in r.stdout, \
            r.stdout


def test_no_key_no_authorization_header_and_json_verdicts():
    script = [{"content": '{"status":"normal"}'},
              {"content": 'Here you go:\n```json\n{"status": "alert", '
                          '"severity": "warning", "issue": "Fenced issue", '
                          '"impact": "i", "action": "a"}\n```\nBye'},
              {"content": "I am not sure what you mean."}]
    with lwtest.Env() as env, fakes.LlmServer(script=script) as srv:
        d = start(env, {"rules": rules(),
                        "llm": llm_cfg(srv, interval=1,
                                       api_key_env="LW_NO_SUCH_VAR")},
                  key=None)
        for i in range(3):
            env.log.append(line("WARNING", "something %d" % i, i))
            srv.wait_requests(i + 1, 5)
            wait_lines(d, i + 1)
        for r in srv.requests():
            assert r.header("authorization") is None, r.headers
        a = env.wait_alerts(lambda a: "llm" in rules_of(a), 5, "llm alert")
        assert [x["title"] for x in a if x["rule"] == "llm"] == \
            ["Fenced issue"], a
        d.wait_stderr("unparseable answer")
        assert d.stop() == 0


def test_retries_retry_after_and_quota():
    script = [{"status": 500},
              {"status": 429, "retry_after": "1",
               "error": {"message": "Rate limit reached", "type": "requests",
                         "code": "rate_limit_exceeded"}},
              {"content": '{"status":"normal"}'},
              {"status": 429, "error": {
                  "message": "You exceeded your current quota",
                  "type": "insufficient_quota",
                  "code": "insufficient_quota"}}]
    with lwtest.Env() as env, fakes.LlmServer(script=script) as srv:
        d = start(env, {"rules": rules(errors=1),
                        "alerts": {"cooldown": 0},
                        "llm": llm_cfg(srv, interval=1)})
        env.log.append(line("ERROR", "first"))
        srv.wait_requests(3, 10)
        t = [r.time for r in srv.requests()]
        assert t[2] - t[1] >= 0.9, t            # Retry-After: 1
        env.log.append(line("ERROR", "second", 100))
        srv.wait_requests(4, 10)
        a = env.wait_alerts(lambda a: any("LLM unavailable" in x["title"]
                                          for x in a), 5, "quota notice")
        # Not retried, told once, and local alerts go on.
        env.log.append(line("ERROR", "third", 200))
        env.wait_alerts(lambda a: rules_of(a).count("errors") >= 3, 5,
                        "local alerts after the quota error")
        d.usr1()
        d.wait_stderr("UNAVAILABLE")
        notices = [x for x in env.alerts() if "LLM unavailable" in
                   x["title"]]
        assert len(notices) == 1, notices
        assert d.stop() == 0


def test_call_cap_holds():
    with lwtest.Env() as env, fakes.LlmServer(
            script=[{"content": "NORMAL"}]) as srv:
        d = start(env, {"rules": rules(),
                        "llm": llm_cfg(srv, interval=1,
                                       max_calls_per_hour=2)})
        for i in range(5):
            env.log.append(line("INFO", "tick %d" % i, i))
            time.sleep(1.1)     # one periodic interval per line
        d.usr1()
        d.wait_stderr("requests in the last hour (cap 2)")
        assert len(srv.requests()) == 2, len(srv.requests())
        assert d.stop() == 0


def test_hanging_model_does_not_delay_local_alerts():
    with lwtest.Env() as env, fakes.LlmServer(
            script=[{"delay": 10, "content": "NORMAL"}]) as srv:
        d = start(env, {"rules": rules(errors=2),
                        "alerts": {"cooldown": 0},
                        "llm": llm_cfg(srv, timeout=5)})
        env.log.append(line("WARNING", "w"), line("ERROR", "e1"))
        env.log.append(line("ERROR", "e2"))
        # The error alert triggers a call that hangs ...
        srv.wait_requests(1, 5)
        env.log.append(line("ERROR", "e3", 400), line("ERROR", "e4", 401))
        t0 = time.monotonic()
        env.wait_alerts(lambda a: rules_of(a).count("errors") >= 2, 2,
                        "a local alert while the model hangs")
        assert time.monotonic() - t0 < 1.0
        assert d.stop() == 0


def test_unreachable_model_degraded_mode_told_once():
    port = lwtest.closed_port()
    with lwtest.Env() as env:
        cfg = {"rules": rules(errors=1), "alerts": {"cooldown": 0},
               "llm": {"enabled": True, "interval": 1, "timeout": 2,
                       "url": "http://127.0.0.1:%d/v1/chat/completions" %
                       port, "api_key_env": "LW_NO_SUCH_VAR"}}
        d = start(env, cfg, key=None)
        env.log.append(line("ERROR", "one"))
        env.wait_alerts(lambda a: any("LLM unavailable" in x["title"]
                                      for x in a), 20, "degraded notice")
        env.log.append(line("ERROR", "two", 10))
        env.wait_alerts(lambda a: rules_of(a).count("errors") >= 2, 5,
                        "local alerts on")
        assert sum("LLM unavailable" in x["title"]
                   for x in env.alerts()) == 1
        with fakes.LlmServer(port=port,
                             script=[{"content": "NORMAL"}]) as srv:
            env.log.append(line("INFO", "more", 20))
            env.wait_alerts(lambda a: any("LLM available again" in
                                          x["title"] for x in a), 20,
                            "recovery notice")
        assert d.stop() == 0


if __name__ == "__main__":
    lwtest.run_tests(globals())
