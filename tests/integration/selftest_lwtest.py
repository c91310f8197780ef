#!/usr/bin/python3
"""selftest_lwtest: exercises lwtest.py and fakes.py without the daemon.

A stand-in "daemon" (a small Python script written into the temp dir and
passed as LOGWARDEN_BIN) follows the log, turns ERROR lines into alerts
and webhook POSTs, and speaks sd_notify, so every helper of the toolkit is
driven the way the real tests will drive the real binary.  Run by hand:

    /usr/bin/python3 tests/integration/selftest_lwtest.py [test_name ...]
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fakes    # noqa: E402
import lwtest   # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

STAND_IN = r'''#!/usr/bin/python3
# Stand-in for logwarden used by selftest_lwtest.py: nothing more.
import configparser, json, os, re, signal, socket, sys, time, urllib.request
args = sys.argv[1:]
cfg = None
if args[:1] == ["-c"]:
    cfg, args = args[1], args[2:]
cmd = args[0] if args else "run"
cp = configparser.ConfigParser()
cp.read(cfg)
if cmd == "check":
    if not cp.has_option("source", "path"):
        sys.stderr.write("%s:1: source.path is required\n" % cfg)
        sys.exit(1)
    sys.exit(0)
if cmd == "templates":
    for line in sys.stdin:
        print(re.sub(r"[0-9]+", "<*>", line.rstrip("\n")))
    sys.exit(0)
if cmd != "run":
    sys.exit(2)
flags = {"stop": False, "hup": False}
signal.signal(signal.SIGTERM, lambda *a: flags.update(stop=True))
signal.signal(signal.SIGHUP, lambda *a: flags.update(hup=True))
def notify(msg):
    ns = os.environ.get("NOTIFY_SOCKET")
    if ns:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(msg.encode(), ns)
        s.close()
path = cp.get("source", "path")
jsonl = cp.get("alerts", "jsonl")
hook = cp.get("webhook", "url", fallback=None)
ident, off, pending = None, 0, b""
sys.stderr.write("<6>stand-in: following %s\n" % path)
notify("READY=1")
while not flags["stop"]:
    if flags["hup"]:
        flags["hup"] = False
        sys.stderr.write("<6>stand-in: reloading\n")
        notify("READY=1")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if ident is not None:
            sys.stderr.write("<6>stand-in: waiting for %s\n" % path)
        ident, off, pending = None, 0, b""
        time.sleep(0.02)
        continue
    if (st.st_dev, st.st_ino) != ident or st.st_size < off:
        ident, off, pending = (st.st_dev, st.st_ino), 0, b""
    if st.st_size > off:
        with open(path, "rb") as f:
            f.seek(off)
            data = f.read()
        off += len(data)
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if b"ERROR" not in line:
                continue
            alert = {"id": str(time.monotonic()), "rule": "errors",
                     "severity": "critical", "title": "error line",
                     "evidence": [line.decode("utf-8", "replace")]}
            with open(jsonl, "a") as f:
                f.write(json.dumps(alert) + "\n")
            if hook:
                req = urllib.request.Request(hook, json.dumps(alert).encode(),
                    {"Content-Type": "application/json"})
                try:
                    urllib.request.urlopen(req, timeout=5).read()
                except Exception as e:
                    sys.stderr.write("<4>stand-in: webhook: %s\n" % e)
    time.sleep(0.02)
sys.stderr.write("<6>stand-in: stopping\n")
'''


def with_stand_in(fn):
    """Run fn with LOGWARDEN_BIN pointing at the stand-in daemon."""
    def wrapper():
        with lwtest.Env(prefix="lwself-bin-") as holder:
            path = holder.path("logwarden")
            with open(path, "w") as f:
                f.write(STAND_IN)
            os.chmod(path, 0o755)
            old = os.environ.get("LOGWARDEN_BIN")
            os.environ["LOGWARDEN_BIN"] = path
            try:
                fn()
            finally:
                if old is None:
                    del os.environ["LOGWARDEN_BIN"]
                else:
                    os.environ["LOGWARDEN_BIN"] = old
    wrapper.__name__ = fn.__name__
    return wrapper


def http(url, data=None, timeout=5.0, headers=None):
    """(status, headers, body) of one request; HTTP errors are answers."""
    req = urllib.request.Request(url, data, headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def expect_assertion(fn, *needles):
    try:
        fn()
    except AssertionError as e:
        msg = str(e)
        for n in needles:
            assert n in msg, "%r not in %r" % (n, msg[:500])
        return msg
    raise AssertionError("no AssertionError raised")


# -- lwtest pieces ---------------------------------------------------------

def test_config_text():
    text = lwtest.format_config(lwtest.merge_config(
        {"source": {"path": "/x.log", "start": "end"}},
        {"source": {"start": "beginning"}, "metric.lat": {"above": 2.5},
         "llm": {"enabled": False, "url": None},
         "email": {"to": ["a@x", "b@y"]}}))
    assert text == ("[source]\npath = /x.log\nstart = beginning\n\n"
                    "[metric.lat]\nabove = 2.5\n\n[llm]\nenabled = no\n\n"
                    "[email]\nto = a@x,b@y\n"), repr(text)
    with lwtest.Env() as env:
        path = env.write_config({"rules": {"errors": 3}})
        with open(path) as f:
            body = f.read()
        assert "path = %s\n" % env.log.path in body
        assert "jsonl = %s\n" % env.alerts_path in body
        assert "[rules]\nerrors = 3\n" in body
        assert "enabled = no" in body
        env.write_config(text="[bogus\n", name="bad.ini")
        assert env.config_path.endswith("bad.ini")


def test_env_cleanup():
    with lwtest.Env() as env:
        d = env.dir
        assert os.path.isdir(env.state_dir)
    assert not os.path.exists(d)


def test_logfile_helpers():
    with lwtest.Env() as env:
        log = env.log
        assert log.size() == -1
        log.append("one", b"two\xff")
        log.write("par")
        log.write("tial\n")
        with open(log.path, "rb") as f:
            assert f.read() == b"one\ntwo\xff\npartial\n"
        ino = os.stat(log.path).st_ino
        old = log.rotate()
        assert os.path.getsize(old) == 17 and log.size() == 0
        assert os.stat(log.path).st_ino != ino
        log.append("x")
        old = log.copytruncate(".2")
        with open(old) as f:
            assert f.read() == "x\n"
        ino = os.stat(log.path).st_ino
        assert log.size() == 0
        log.append("y")
        assert os.stat(log.path).st_ino == ino
        log.delete()
        assert log.size() == -1
        log.recreate()
        assert log.size() == 0


def test_read_alerts():
    with lwtest.Env() as env:
        assert env.alerts() == []
        with open(env.alerts_path, "w") as f:
            f.write('{"rule":"errors"}\n\n{"rule":"rep')
        assert env.alerts() == [{"rule": "errors"}]
        with open(env.alerts_path, "a") as f:
            f.write('eat"}\n')
        assert [a["rule"] for a in env.alerts()] == ["errors", "repeat"]
        with open(env.alerts_path, "a") as f:
            f.write('not json\n')
        expect_assertion(env.alerts, "alerts.jsonl:4", "not valid")


def test_wait_until():
    box = []
    threading.Timer(0.1, box.append, ("x",)).start()
    t0 = time.monotonic()
    assert lwtest.wait_until(lambda: box and box[0], 5, "box") == "x"
    assert time.monotonic() - t0 < 1.0
    t0 = time.monotonic()
    msg = expect_assertion(lambda: lwtest.wait_until(lambda: 0, 0.3,
                                                     "the moon"),
                           "timed out after 0.3s", "the moon")
    took = time.monotonic() - t0
    assert 0.29 <= took < 1.0, took
    assert "last value: 0" in msg


def test_closed_port_refuses():
    port = lwtest.closed_port()
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        raise AssertionError("connected to a closed port")
    except ConnectionRefusedError:
        pass
    finally:
        s.close()


# -- the stand-in daemon -------------------------------------------------------

@with_stand_in
def test_daemon_follows_and_alerts():
    with lwtest.Env() as env, fakes.WebhookServer() as hook:
        env.write_config({"webhook": {"url": hook.url("/hook")}})
        d = env.start()
        d.wait_ready()
        env.log.append("2025-03-20 14:35:12 INFO fine",
                       "2025-03-20 14:35:13 ERROR boom 1")
        alerts = env.wait_alerts(1, 10, "the first alert")
        assert alerts[0]["evidence"] == ["2025-03-20 14:35:13 ERROR boom 1"]
        reqs = hook.wait_requests(1)
        assert reqs[0].path == "/hook"
        assert reqs[0].header("Content-Type") == "application/json"
        assert reqs[0].json == alerts[0]
        assert hook.alerts() == [alerts[0]]

        # A partial line is not a line until its newline comes.
        env.log.write("ERROR par")
        env.log.append("INFO marker")   # completes "ERROR parINFO marker"
        env.wait_alerts(2, 10, "the completed line")
        env.log.write("ERROR tail")
        env.log.write("ed\n")
        alerts = env.wait_alerts(3, 10, "the joined partial line")
        assert alerts[2]["evidence"] == ["ERROR tailed"]

        env.log.rotate()
        env.log.append("ERROR after rotate")
        env.wait_alerts(4, 10, "an alert after rotation")
        env.log.copytruncate()
        # Shorter than what was there: a follower that only compares
        # sizes (like this stand-in) could not see the truncation else.
        env.log.append("ERROR ct")
        env.wait_alerts(5, 10, "an alert after copytruncate")
        env.log.delete()
        # The new file may get the old inode number: let it see the gap.
        d.wait_stderr("waiting for")
        env.log.recreate()
        env.log.append("ERROR after re-create")
        alerts = env.wait_alerts(6, 10, "an alert after re-creation")
        assert alerts[5]["evidence"] == ["ERROR after re-create"]
        hook.wait_requests(6)

        d.hup()
        d.wait_stderr("reloading")
        d.wait_notify("READY=1", count=2)
        assert d.alive()
        assert d.stop() == 0
        assert "stand-in: stopping" in d.stderr()
        assert not d.alive() and d.returncode == 0


@with_stand_in
def test_daemon_webhook_failure_visible():
    with lwtest.Env() as env, fakes.WebhookServer(mode="fail") as hook:
        env.write_config({"webhook": {"url": hook.url("/h")}})
        d = env.start()
        d.wait_ready()
        env.log.append("ERROR x")
        hook.wait_requests(1)
        d.wait_stderr("webhook: HTTP Error 500")


@with_stand_in
def test_daemon_failure_messages():
    with lwtest.Env() as env:
        env.write_config()
        d = env.start()
        d.wait_ready()
        d.wait_stderr("following")
        # wait_until attaches the stderr tail of the live daemon.
        expect_assertion(lambda: lwtest.wait_until(lambda: False, 0.2,
                                                   "nothing"),
                         "waiting for nothing", "stand-in: following",
                         "running")
        expect_assertion(lambda: d.wait(0.2), "to exit",
                         "stand-in: following")
        d.kill()
        assert d.wait(5) == -9
        # Exiting before READY=1 fails at once, not at the timeout.
        env.write_config(text="[source]\n", name="broken.ini")
        d2 = env.start()
        t0 = time.monotonic()
        expect_assertion(lambda: d2.wait_ready(10), "before READY=1",
                         "exited")
        assert time.monotonic() - t0 < 5


@with_stand_in
def test_env_run_commands():
    with lwtest.Env() as env:
        env.write_config()
        r = env.run(["check"])
        assert r.returncode == 0, r.stderr
        env.write_config(text="[rules]\nerrors = 1\n", base=False)
        r = env.run(["check"])
        assert r.returncode == 1
        assert "source.path is required" in r.stderr
        r = env.run(["templates"], input="order 17 failed\nid 3 and 4\n")
        assert r.stdout == "order <*> failed\nid <*> and <*>\n", r.stdout
        assert env.run(["bogus"]).returncode == 2


RUNNER_SCRIPT = r'''
import sys
sys.path.insert(0, %r)
import lwtest
def test_pass():
    pass
def test_fail():
    assert 1 == 2, "numbers differ"
def test_error():
    raise ValueError("bad value")
def test_skip():
    raise lwtest.Skip("not today")
def helper_not_a_test():
    raise SystemExit(3)
lwtest.run_tests(globals())
'''


def test_runner_output():
    with lwtest.Env() as env:
        script = env.path("t.py")
        with open(script, "w") as f:
            f.write(RUNNER_SCRIPT % HERE)
        p = subprocess.run([sys.executable, script], capture_output=True,
                           text=True, timeout=30)
        lines = p.stdout.splitlines()
        assert p.returncode == 1, p
        assert lines[0].startswith("ok test_pass"), lines
        assert lines[1].startswith("FAIL test_fail: t.py:8: numbers "
                                   "differ"), lines
        assert lines[2].startswith("FAIL test_error: Traceback"), lines
        assert any("ValueError: bad value" in l for l in lines)
        assert "skip test_skip: not today" in lines
        assert lines[-1] == "1 passed, 2 failed", lines
        p = subprocess.run([sys.executable, script, "test_pass"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stdout.splitlines()[-1] == \
            "1 passed, 0 failed", p
        p = subprocess.run([sys.executable, script, "test_nope"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and "no such test" in p.stderr


# -- fakes ------------------------------------------------------------------------

def test_fake_modes():
    with fakes.WebhookServer() as hook:
        st, hd, body = http(hook.url("/a?x=1"), b'{"k": [1, 2]}',
                            headers={"Content-Type": "application/json"})
        assert st == 200 and json.loads(body) == {"ok": True}
        r = hook.requests()[0]
        assert (r.method, r.path, r.query) == ("POST", "/a", {"x": "1"})
        assert r.json == {"k": [1, 2]} and r.body == b'{"k": [1, 2]}'
        assert r.header("content-type") == "application/json"

        hook.set_mode("fail")
        assert http(hook.url("/b"), b"not json")[0] == 500
        assert hook.requests()[-1].json is None
        hook.set_mode("fail", status=503)
        assert http(hook.url("/b"), b"x")[0] == 503

        hook.set_mode("429", retry_after=7)
        st, hd, _ = http(hook.url("/c"), b"x")
        assert st == 429 and hd["Retry-After"] == "7"

        hook.set_mode("slow", seconds=0.4)
        t0 = time.monotonic()
        assert http(hook.url("/d"), b"x")[0] == 200
        assert time.monotonic() - t0 >= 0.39

        hook.set_mode("ok", body_bytes=50000, no_length=True)
        st, hd, body = http(hook.url("/big"), b"x")
        assert st == 200 and len(body) == 50000
        assert hd["Content-Length"] is None

        hook.set_mode("hang")
        t0 = time.monotonic()
        try:
            http(hook.url("/e"), b"x", timeout=0.5)
            raise AssertionError("hang answered")
        except (socket.timeout, TimeoutError, urllib.error.URLError):
            pass
        assert hook.requests()[-1].path == "/e"
        assert 0.45 <= time.monotonic() - t0 < 3

        hook.set_mode("refuse")
        try:
            http(hook.url("/f"), b"x")
            raise AssertionError("refuse accepted")
        except urllib.error.URLError as e:
            assert isinstance(e.reason, ConnectionRefusedError), e
        hook.set_mode("ok")
        assert http(hook.url("/g"), b"x")[0] == 200
        paths = [r.path for r in hook.requests()]
        assert paths == ["/a", "/b", "/b", "/c", "/d", "/big", "/e", "/g"]
        times = [r.time for r in hook.requests()]
        assert times == sorted(times)
        hook.clear()
        assert hook.requests() == []


def test_fake_refuse_for_a_while():
    with fakes.WebhookServer() as hook:
        hook.set_mode("refuse", seconds=0.5)
        t0 = time.monotonic()
        refused = 0

        def up():
            nonlocal refused
            try:
                return http(hook.url("/x"), b"x")[0] == 200
            except urllib.error.URLError:
                refused += 1
                return False
        lwtest.wait_until(up, 5, "the fake to listen again")
        assert refused >= 1 and time.monotonic() - t0 >= 0.45
        assert hook.mode == "ok"


def test_fake_wait_for():
    with fakes.WebhookServer() as hook:
        threading.Timer(0.2, http, (hook.url("/late"), b"{}")).start()
        t0 = time.monotonic()
        reqs = hook.wait_for(lambda r: r if r else None, 5, "one post")
        assert reqs[0].path == "/late"
        assert time.monotonic() - t0 < 2
        t0 = time.monotonic()
        expect_assertion(lambda: hook.wait_for(lambda r: len(r) > 5, 0.3,
                                               "six posts"),
                         "six posts", "1 request(s) so far")
        assert 0.29 <= time.monotonic() - t0 < 1.5


def test_fake_telegram_and_llm():
    with fakes.TelegramServer() as tg, fakes.LlmServer() as llm:
        st, _, body = http(tg.url("/botTOKEN/sendMessage"),
                           b'{"chat_id":"1","text":"hi"}',
                           headers={"Content-Type": "application/json"})
        out = json.loads(body)
        assert st == 200 and out["ok"] is True
        assert out["result"]["message_id"] == 1
        assert tg.messages() == [{"chat_id": "1", "text": "hi"}]
        tg.set_mode("429", retry_after=4)
        st, hd, body = http(tg.url("/botTOKEN/sendMessage"), b"{}")
        assert st == 429 and hd["Retry-After"] == "4"
        assert json.loads(body)["parameters"]["retry_after"] == 4

        llm.set_content('{"status":"alert","severity":"critical"}')
        st, _, body = http(llm.url("/v1/chat/completions"),
                           b'{"messages":[{"role":"user","content":"x"}]}')
        msg = json.loads(body)["choices"][0]["message"]["content"]
        assert json.loads(msg)["severity"] == "critical"
        assert llm.prompts() == [[{"role": "user", "content": "x"}]]


def test_fake_script_mode():
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fakes.py"),
                          "webhook", "--mode", "fail", "--status", "502"],
                         stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        base = "http://127.0.0.1:%d" % port
        assert http(base + "/x", b'{"a":1}')[0] == 502
        assert http(base + "/__mode?mode=429&retry_after=9")[0] == 200
        st, hd, _ = http(base + "/y", b"x")
        assert st == 429 and hd["Retry-After"] == "9"
        assert http(base + "/__mode?mode=nonsense")[0] == 400
        assert http(base + "/__mode", b'{"mode": "ok"}')[0] == 200
        assert http(base + "/z", b"x")[0] == 200
        reqs = json.loads(http(base + "/__requests")[2])
        assert [r["path"] for r in reqs] == ["/x", "/y", "/z"]
        assert reqs[0]["json"] == {"a": 1}
        http(base + "/__clear")
        assert json.loads(http(base + "/__requests")[2]) == []
    finally:
        p.terminate()
        p.stdout.close()
        assert p.wait(10) == 0


if __name__ == "__main__":
    lwtest.run_tests(globals())
