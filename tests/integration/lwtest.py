#!/usr/bin/python3
"""lwtest: the driver library for logwarden's integration tests.

A test script imports this module (and fakes for loopback servers), defines
functions named test_*, and ends with run_tests(globals()).  Each test makes
an Env: a temporary directory with the bot's log file, a state directory
and an alerts.jsonl path, removed again at the end.  The Env writes the
config, starts the real binary ($LOGWARDEN_BIN) with `-c CONFIG run`, and
everything waits with deadlines (wait_until), never with bare sleeps.

    import lwtest, fakes

    def test_errors_rule():
        with lwtest.Env() as env, fakes.WebhookServer() as hook:
            env.write_config({"rules": {"errors": 3, "window": 60},
                              "webhook": {"url": hook.url("/hook")}})
            d = env.start()
            d.wait_ready()
            env.log.append("2025-03-20 14:35:12 ERROR boom") ...
            env.wait_alerts(lambda a: len(a) >= 1, 10, "an errors alert")
            assert d.stop() == 0

    lwtest.run_tests(globals())

Set LWTEST_KEEP=1 to keep the temporary directories for a post-mortem.
Standard library only; run with /usr/bin/python3.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

POLL_INTERVAL = 0.02        # seconds between checks in wait_until
STDERR_TAIL_LINES = 30      # how much daemon stderr a failure shows
DEFAULT_TIMEOUT = 10.0

_live = []                  # Daemons not yet reaped: cleanup and context


class Skip(Exception):
    """Raise in a test to skip it (printed, neither passed nor failed)."""


def binary():
    """The logwarden binary under test, from $LOGWARDEN_BIN."""
    path = os.environ.get("LOGWARDEN_BIN")
    if not path:
        raise AssertionError("LOGWARDEN_BIN is not set (ctest sets it; by "
                             "hand: LOGWARDEN_BIN=build/daemon/logwarden)")
    return path


def shared_dir():
    """The shared data folder (sample bot logs): $LW_SHARED_DIR."""
    return os.environ.get("LW_SHARED_DIR") or os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "..", "..", "..", "shared"))


def closed_port():
    """A TCP port on 127.0.0.1 that nobody listens on (just freed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


# -- config ---------------------------------------------------------------

def ini_value(v):
    """Python value -> INI text: bools as yes/no, lists comma-joined."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        return ",".join(ini_value(x) for x in v)
    return str(v)


def format_config(sections):
    """{section: {key: value}} -> INI text; a None value leaves the key out.

    Section names are used as given, so metrics are {"metric.latency": {...}}.
    """
    out = []
    for name, keys in sections.items():
        out.append("[%s]" % name)
        for k, v in keys.items():
            if v is not None:
                out.append("%s = %s" % (k, ini_value(v)))
        out.append("")
    return "\n".join(out)


def merge_config(base, extra):
    """A copy of base with extra's sections merged in key by key."""
    merged = {name: dict(keys) for name, keys in base.items()}
    for name, keys in (extra or {}).items():
        merged.setdefault(name, {}).update(keys)
    return merged


# -- waiting --------------------------------------------------------------

def _context(daemons):
    parts = []
    for d in daemons:
        parts.append("\n--- stderr of %s (pid %d, %s), last %d lines ---\n%s"
                     % (" ".join(d.args), d.pid, d.state(),
                        STDERR_TAIL_LINES, d.stderr_tail()))
    return "".join(parts)


def wait_until(pred, timeout=DEFAULT_TIMEOUT, what="condition",
               daemon=None, interval=POLL_INTERVAL):
    """Poll pred() until it returns a true value, and return that value.

    On timeout raise AssertionError naming `what`, with pred's last value
    and the stderr tail of `daemon` (default: every daemon still known).
    An exception raised by pred propagates at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() >= deadline:
            break
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
    daemons = [daemon] if daemon is not None else list(_live)
    raise AssertionError("timed out after %.1fs waiting for %s (last value: "
                         "%.200r)%s" % (timeout, what, value,
                                        _context(daemons)))


# -- alerts.jsonl -----------------------------------------------------------

def read_alerts(path):
    """Every complete line of an alerts.jsonl as a dict ([] if absent).

    A line still being written (no newline yet) is left for the next
    read; a complete line that is not a JSON object fails the test.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    alerts = []
    lines = data.split(b"\n")
    for n, line in enumerate(lines[:-1], 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError("%s:%d: not valid UTF-8 JSON (%s): %.200r"
                                 % (path, n, e, line))
        if not isinstance(obj, dict):
            raise AssertionError("%s:%d: not a JSON object" % (path, n))
        alerts.append(obj)
    return alerts


# -- the bot's log file -------------------------------------------------------

class LogFile:
    """The log the daemon follows; each helper is one syscall-ish step."""

    def __init__(self, path):
        self.path = path

    def _write(self, data, mode="ab"):
        if isinstance(data, str):
            data = data.encode("utf-8")
        # One write() per call so the daemon never sees half of a call.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT |
                     (os.O_APPEND if mode == "ab" else os.O_TRUNC), 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def append(self, *lines):
        """Append each line (str or bytes) with a newline."""
        data = b"".join((l.encode("utf-8") if isinstance(l, str) else l)
                        + b"\n" for l in lines)
        self._write(data)

    def write(self, data):
        """Append data as is: no newline added (partial lines)."""
        self._write(data)

    def rotate(self, suffix=".1", create=True):
        """Rename rotation: the log becomes path+suffix; a new empty file
        takes its place when create.  Returns the old file's new path."""
        old = self.path + suffix
        os.rename(self.path, old)
        if create:
            self.recreate()
        return old

    def copytruncate(self, suffix=".1"):
        """logrotate's copytruncate: copy aside, then truncate in place.

        Appending more than the old size right after it leaves a follower
        that polls sizes nothing to notice; inotify (IN_MODIFY after the
        truncate) does, and tests may rely on that for the real daemon.
        """
        old = self.path + suffix
        shutil.copyfile(self.path, old)
        os.truncate(self.path, 0)
        return old

    def delete(self):
        os.unlink(self.path)

    def recreate(self):
        """Create the file empty (truncating it if it exists)."""
        self._write(b"", mode="wb")

    def size(self):
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return -1


# -- the daemon ---------------------------------------------------------------

class Daemon:
    """One running logwarden process (see Env.start)."""

    def __init__(self, args, cwd, env, stderr_path, stdout_path,
                 notify_sock=None):
        self.args = list(args)
        self.stderr_path = stderr_path
        self.stdout_path = stdout_path
        self._notify = notify_sock
        self._notes = []
        with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, start_new_session=True)
        self.pid = self.proc.pid
        _live.append(self)

    def state(self):
        rc = self.proc.poll()
        return "running" if rc is None else "exited %d" % rc

    def alive(self):
        return self.proc.poll() is None

    @property
    def returncode(self):
        return self.proc.poll()

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def hup(self):
        self.signal(signal.SIGHUP)

    def term(self):
        self.signal(signal.SIGTERM)

    def usr1(self):
        self.signal(signal.SIGUSR1)

    def kill(self):
        self.signal(signal.SIGKILL)

    def wait(self, timeout=DEFAULT_TIMEOUT, what=None):
        """Wait for exit; return the exit code (negative: killed by it)."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("timed out after %.1fs waiting for %s to "
                                 "exit%s" % (timeout, what or "the daemon",
                                             _context([self])))
        self._reaped()
        return rc

    def stop(self, timeout=DEFAULT_TIMEOUT):
        """SIGTERM and wait; returns the exit code."""
        self.term()
        return self.wait(timeout, "the daemon to stop after SIGTERM")

    def reap(self):
        """Kill if still running and wait: cleanup, never fails."""
        if self.proc.poll() is None:
            try:
                self.proc.kill()
            except OSError:
                pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reaped()

    def _reaped(self):
        if self in _live:
            _live.remove(self)
        if self._notify is not None:
            self._drain_notify()
            self._notify.close()
            self._notify = None

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr_tail(self, n=STDERR_TAIL_LINES):
        return "\n".join(self.stderr().splitlines()[-n:])

    def wait_stderr(self, text, timeout=DEFAULT_TIMEOUT):
        """Wait until stderr contains text; returns the whole stderr."""
        return wait_until(lambda: text in self.stderr() and self.stderr(),
                          timeout, "%r on the daemon's stderr" % text, self)

    # sd_notify: the daemon's own readiness report, when it sends one.

    def _drain_notify(self):
        while self._notify is not None:
            try:
                msg = self._notify.recv(4096)
            except (BlockingIOError, OSError):
                return
            self._notes.extend(l for l in msg.decode("utf-8", "replace")
                               .split("\n") if l)

    def notifications(self):
        """Every sd_notify assignment received so far ("READY=1", ...)."""
        self._drain_notify()
        return list(self._notes)

    def wait_notify(self, assignment, timeout=DEFAULT_TIMEOUT, count=1):
        """Wait until the daemon has sent `assignment` count times."""
        if self._notify is None and not self._notes:
            raise AssertionError("started without notify=True")
        return wait_until(
            lambda: self.notifications().count(assignment) >= count,
            timeout, "sd_notify %s (x%d)" % (assignment, count), self)

    def wait_ready(self, timeout=DEFAULT_TIMEOUT):
        """Wait for READY=1, failing at once if the daemon exits first."""
        def ready():
            if "READY=1" in self.notifications():
                return True
            if not self.alive():
                raise AssertionError("daemon exited (%s) before READY=1%s"
                                     % (self.state(), _context([self])))
            return False
        return wait_until(ready, timeout, "READY=1", self)


# -- the test environment -------------------------------------------------------

class Env:
    """A temporary directory with the bot's log, state and alerts paths."""

    def __init__(self, prefix="lwtest-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.log = LogFile(os.path.join(self.dir, "bot.log"))
        self.state_dir = os.path.join(self.dir, "state")
        os.mkdir(self.state_dir)
        self.alerts_path = os.path.join(self.dir, "alerts.jsonl")
        self.config_path = None
        self.daemons = []
        self._nrun = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for d in self.daemons:
            d.reap()
        self.daemons = []
        if os.environ.get("LWTEST_KEEP"):
            sys.stderr.write("lwtest: kept %s\n" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def base_config(self):
        """What every test needs: our paths, and no LLM (no network)."""
        return {"source": {"path": self.log.path},
                "state": {"dir": self.state_dir},
                "llm": {"enabled": False},
                "alerts": {"jsonl": self.alerts_path}}

    def write_config(self, sections=None, name="logwarden.ini", base=True,
                     text=None):
        """Write the config and make it the one start() and run() use.

        sections are merged over base_config() (base=False: used alone);
        text, when given, is written verbatim instead (broken configs).
        """
        if text is None:
            merged = merge_config(self.base_config() if base else {},
                                  sections)
            text = format_config(merged)
        path = self.path(name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.config_path = path
        return path

    def _argv(self, args, config):
        config = config or self.config_path
        argv = [binary()]
        if config is not None:
            argv += ["-c", config]
        return argv + list(args)

    def _environ(self, extra):
        env = dict(os.environ)
        for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                  "LOGWARDEN_CONFIG", "LISTEN_FDS"):
            env.pop(k, None)
        env.update(extra or {})
        return env

    def start(self, args=("run",), config=None, env=None, notify=True):
        """Start the daemon; returns a Daemon.  With notify, NOTIFY_SOCKET
        points at a socket of ours, so that wait_ready() works."""
        self._nrun += 1
        extra = dict(env or {})
        sock = None
        if notify:
            spath = self.path("notify-%d.sock" % self._nrun)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(spath)
            sock.setblocking(False)
            extra["NOTIFY_SOCKET"] = spath
        d = Daemon(self._argv(args, config), self.dir, self._environ(extra),
                   self.path("stderr-%d.txt" % self._nrun),
                   self.path("stdout-%d.txt" % self._nrun), sock)
        self.daemons.append(d)
        return d

    def run(self, args, input=None, timeout=30.0, config=None, env=None,
            raw=False):
        """Run a command to completion (check, templates, run --once ...).

        Returns subprocess.CompletedProcess with text stdout and stderr
        (raw: stdout as the bytes it wrote, to check them strictly).
        """
        argv = self._argv(args, config)
        if isinstance(input, str):
            input = input.encode("utf-8")
        try:
            p = subprocess.run(argv, cwd=self.dir, env=self._environ(env),
                               input=input, capture_output=True,
                               timeout=timeout)
        except subprocess.TimeoutExpired as e:
            err = (e.stderr or b"").decode("utf-8", "replace")
            raise AssertionError("timed out after %.1fs: %s\n--- stderr "
                                 "---\n%s" % (timeout, " ".join(argv),
                                              err[-4000:]))
        return subprocess.CompletedProcess(
            argv, p.returncode,
            p.stdout if raw else p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))

    def alerts(self):
        return read_alerts(self.alerts_path)

    def wait_alerts(self, pred, timeout=DEFAULT_TIMEOUT, what="alerts"):
        """Wait until pred(alerts) is true (an int n means >= n alerts);
        returns the alerts list."""
        if isinstance(pred, int):
            n = pred
            pred = lambda a: len(a) >= n
        def check():
            a = self.alerts()
            return a if pred(a) else None
        return wait_until(check, timeout, what)


# -- the runner ---------------------------------------------------------------

def _where(tb):
    """file:line of the innermost frame outside this module and fakes."""
    here = {os.path.abspath(__file__),
            os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "fakes.py")}
    frames = [f for f in traceback.extract_tb(tb)
              if os.path.abspath(f.filename) not in here]
    if not frames:
        return ""
    f = frames[-1]
    return "%s:%d" % (os.path.basename(f.filename), f.lineno)


def run_tests(namespace, argv=None):
    """Run every test_* function of namespace (a module's globals()), in
    definition order, or those named in argv; print `ok NAME` or
    `FAIL NAME: reason` per test and `N passed, N failed`; exit 1 when
    any failed."""
    names = sys.argv[1:] if argv is None else list(argv)
    tests = [(n, f) for n, f in namespace.items()
             if n.startswith("test_") and callable(f)]
    if names:
        unknown = set(names) - {n for n, _ in tests}
        if unknown:
            sys.stderr.write("no such test: %s\n" % ", ".join(sorted(unknown)))
            sys.exit(2)
        tests = [(n, f) for n, f in tests if n in names]
    passed = failed = 0
    for name, fn in tests:
        t0 = time.monotonic()
        try:
            fn()
        except Skip as e:
            print("skip %s: %s" % (name, e), flush=True)
            continue
        except AssertionError as e:
            failed += 1
            where = _where(sys.exc_info()[2])
            print("FAIL %s: %s%s" % (name, "%s: " % where if where else "",
                                     e or "assertion failed"), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s: %s" % (name, traceback.format_exc().rstrip()),
                  flush=True)
        else:
            passed += 1
            print("ok %s (%.2fs)" % (name, time.monotonic() - t0), flush=True)
        finally:
            # A test that forgot a daemon must not leave it to the next.
            for d in list(_live):
                d.reap()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)
