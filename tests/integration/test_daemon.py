#!/usr/bin/python3
"""The daemon's life: check, run --once, signals (HUP valid and invalid,
TERM, USR1), sd_notify, test-alert, templates, a broken state dir."""

import os
import subprocess
import time

import fakes
import lwtest
from common import line, rules, rules_of, wait_lines


def test_check_reports_every_problem_with_file_and_line():
    with lwtest.Env() as env:
        good = env.write_config({"rules": rules(errors=3)})
        r = env.run(["check"])
        assert r.returncode == 0 and "configuration OK" in r.stderr, r
        assert "  follows   " + env.log.path in r.stderr, r
        assert "  rules     errors 3 in 60 s;" in r.stderr, r
        bad = env.write_config(text="[source]\n"
                               "pth = /tmp/x.log\n"
                               "\n[rules]\nwindow = abc\n"
                               "errorz = 3\n[nosuch]\n", name="bad.ini")
        r = env.run(["-c", bad, "check"], config=good)
        assert r.returncode == 1, r
        for want in (bad + ":2:", bad + ":5:", bad + ":6:", bad + ":7:",
                     bad + ":1:"):
            assert want in r.stderr, (want, r.stderr)
        r = env.run(["run"], config=bad)
        assert r.returncode == 1 and bad + ":5:" in r.stderr, r


def test_usage_errors_exit_2():
    with lwtest.Env() as env:
        env.write_config()
        for args in (["frobnicate"], ["run", "--twice"], ["-x"]):
            r = env.run(args)
            assert r.returncode == 2, (args, r)
        r = env.run(["--version"])
        assert r.returncode == 0 and r.stdout.startswith("logwarden "), r


def test_run_once_twice_delivers_nothing_new():
    with lwtest.Env() as env, fakes.WebhookServer() as hook:
        env.write_config({"rules": rules(errors=2),
                          "webhook": {"url": hook.url("/")}})
        env.log.append(line("INFO", "start"), line("ERROR", "one"),
                       line("ERROR", "two"))
        r = env.run(["run", "--once"])
        assert r.returncode == 0, r
        assert rules_of(env.alerts()) == ["errors"], env.alerts()
        assert len(hook.alerts()) == 1
        r = env.run(["run", "--once"])
        assert r.returncode == 0, r
        assert len(env.alerts()) == 1 and len(hook.alerts()) == 1
        env.log.append(line("ERROR", "three", 1000), line("ERROR", "four",
                                                          1001))
        r = env.run(["run", "--once"])
        assert len(env.alerts()) == 2 and len(hook.alerts()) == 2, r


def test_sighup_applies_new_thresholds_and_keeps_state():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=100)})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "e1"), line("ERROR", "e2"))
        wait_lines(d, 2)
        env.write_config({"rules": rules(errors=3)})
        d.hup()
        d.wait_notify("RELOADING=1")
        d.wait_stderr("configuration reloaded")
        d.wait_notify("READY=1", count=2)
        env.log.append(line("ERROR", "e3"))
        a = env.wait_alerts(1, 5, "alert at the reloaded threshold")
        # The counters were kept: e1 and e2 count toward the 3.
        assert a[0]["count"] == 3, a
        wait_lines(d, 3)
        assert d.stop() == 0


def test_sighup_with_invalid_config_keeps_the_old_one():
    with lwtest.Env() as env:
        path = env.write_config({"rules": rules(errors=2)})
        d = env.start()
        d.wait_ready()
        env.write_config({"rules": rules(errors="lots")})
        d.hup()
        d.wait_stderr("not reloading")
        assert (path + ":") in d.stderr() and "lots" in d.stderr()
        assert d.alive()
        env.log.append(line("ERROR", "a"), line("ERROR", "b"))
        env.wait_alerts(1, 5, "alert under the old config")
        assert d.stop() == 0


def test_sigterm_exits_0_quickly_and_saves_the_offset():
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        d = env.start()
        d.wait_ready()
        env.log.append(*[line("INFO", "l%d" % i) for i in range(10)])
        wait_lines(d, 10)
        t0 = time.monotonic()
        d.term()
        d.wait(2.0, "exit within 2 s of SIGTERM")
        assert d.returncode == 0, d.returncode
        assert time.monotonic() - t0 < 2.0
        d.wait_notify("STOPPING=1")
        d2 = env.start()
        d2.wait_ready()
        env.log.append(line("INFO", "new"))
        wait_lines(d2, 1)
        assert d2.stop() == 0


def test_watchdog_pings_when_asked():
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        d = env.start(env={"WATCHDOG_USEC": "200000"})
        d.wait_ready()
        d.wait_notify("WATCHDOG=1", count=3, timeout=5)
        assert d.stop() == 0


def test_sigusr1_status():
    with lwtest.Env() as env:
        env.write_config({"rules": rules()})
        d = env.start()
        d.wait_ready()
        env.log.append(line("WARNING", "w"), line("ERROR", "e"))
        wait_lines(d, 2)
        err = d.stderr()
        for want in ("status: " + env.log.path, "offset", "lines 2",
                     "error 1", "warning 1", "webhook: off",
                     "last LLM verdict"):
            assert want in err, (want, err[-2000:])
        assert "<6>" in err      # journald priority prefixes
        assert d.stop() == 0


def test_state_dir_unusable_alerting_goes_on():
    with lwtest.Env() as env:
        blocker = env.path("not-a-dir")
        with open(blocker, "w") as f:
            f.write("x")
        env.write_config({"rules": rules(errors=1),
                          "state": {"dir": blocker}})
        d = env.start()
        d.wait_ready()
        d.wait_stderr("state database unavailable")
        env.log.append(line("ERROR", "still alerting"))
        env.wait_alerts(1, 5, "alert without a state database")
        assert d.stop() == 0


def test_full_state_disk_alerting_goes_on():
    with lwtest.Env() as env:
        mnt = env.path("small")
        os.mkdir(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k",
                            "tmpfs", mnt], capture_output=True)
        if r.returncode != 0:
            raise lwtest.Skip("cannot mount a small tmpfs here (needs "
                              "root): " + r.stderr.decode().strip())
        try:
            env.write_config({"rules": rules(errors=1, new_error=True),
                              "state": {"dir": mnt}})
            d = env.start()
            d.wait_ready()
            filler = os.path.join(mnt, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                while os.write(fd, b"\0" * 4096) > 0:
                    pass
            except OSError:
                pass            # ENOSPC: the disk is full now
            os.close(fd)
            for i in range(200):
                env.log.append(line("ERROR", "distinct failure kind%s z" %
                                    ("q" * i), i))
            d.wait_stderr("alerting goes on")
            env.wait_alerts(lambda a: len(a) >= 2, 10,
                            "alerts despite the full state disk")
            assert d.alive()
            os.unlink(filler)
            env.log.append(line("ERROR", "after space came back", 300))
            d.wait_stderr("writes work again")
            assert d.stop() == 0
        finally:
            subprocess.run(["umount", "-l", mnt])


def test_test_alert_reports_per_sink():
    with lwtest.Env() as env, fakes.WebhookServer() as hook:
        env.write_config({"webhook": {"url": hook.url("/t")}})
        r = env.run(["test-alert"])
        assert r.returncode == 0, r
        assert "webhook: delivered" in r.stdout, r.stdout
        assert "alerts.jsonl: delivered" in r.stdout, r.stdout
        got = hook.alerts()
        assert got and got[0]["rule"] == "test" and \
            got[0]["severity"] == "info", got
        port = lwtest.closed_port()
        env.write_config({"webhook": {"url": "http://127.0.0.1:%d/" %
                                      port}})
        r = env.run(["test-alert"])
        assert r.returncode == 1, r
        assert "webhook: FAILED" in r.stdout, r.stdout
        hook.set_mode("fail", status=403)
        env.write_config({"webhook": {"url": hook.url("/t")}})
        r = env.run(["test-alert"])
        assert r.returncode == 1 and "HTTP 403" in r.stdout, r.stdout


def test_templates_command():
    with lwtest.Env() as env:
        env.write_config()
        raw = "Order #12345 failed for BTC/USDT at 43250.5\nplain words\n"
        r = env.run(["templates", "--raw"], input=raw)
        assert r.returncode == 0, r
        assert r.stdout.splitlines() == ["Order <*> failed for <*> at <*>",
                                         "plain words"], r.stdout
        full = line("ERROR", "Order #7 failed for ETH/USDT") + "\n" + \
            "  File \"x.py\", line 3, in f\n"
        r = env.run(["templates"], input=full)
        out = r.stdout.splitlines()
        assert len(out) == 2 and out[0] == "Order <*> failed for <*>", out


if __name__ == "__main__":
    lwtest.run_tests(globals())
