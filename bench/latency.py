#!/usr/bin/python3
"""bench/latency.py: how long a live `logwarden run` takes from the line
that trips a rule to the webhook POST that reports it.

A loopback webhook receiver runs in a thread.  Each iteration appends a
burst of five ERROR lines (rules.errors = 5, so the fifth is the trigger),
notes time.monotonic() right after the trigger is written, and waits for
the "errors" alert to arrive.  Each burst's log timestamps lie two windows
after the previous one, and the next burst waits out alerts.cooldown, so
every burst is a fresh condition.

Assumption: the daemon prints a line containing "following PATH" on stderr
(info level) once it follows the log file; the script waits for it.

Exit status: 0 with the figures printed, 1 on a timeout or a daemon that
died, 2 on usage errors.
"""

import argparse
import datetime
import http.server
import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WINDOW = 60          # rules.window
COOLDOWN = 1         # alerts.cooldown
BURST = 5            # rules.errors: the fifth line is the trigger
START = datetime.datetime(2025, 3, 20, 10, 0, 0)


class Hook(http.server.BaseHTTPRequestHandler):
    """Accepts any POST, answers 200, hands (arrival, body) to the queue."""

    protocol_version = "HTTP/1.1"   # keep-alive, as libcurl expects

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_POST(self):
        body = self._body()
        arrived = time.monotonic()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
        self.server.posts.put((arrived, body))

    def log_message(self, fmt, *args):
        pass


def stamp(t):
    return t.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (t.microsecond // 1000)


def percentile(sorted_vals, p):
    """Nearest rank, as the daemon computes p95."""
    k = max(1, math.ceil(p / 100.0 * len(sorted_vals)))
    return sorted_vals[k - 1]


def write_conf(path, log, state, port):
    with open(path, "w") as f:
        f.write(f"""; written by bench/latency.py
[source]
path = {log}
start = end

[state]
dir = {state}

[rules]
window = {WINDOW}
errors = {BURST}
; only the errors rule may speak, so that every POST is one we wait for
warnings = 0
repeat = 0
silence = 0
new_error = no
spike = 0

[alerts]
cooldown = {COOLDOWN}
group_interval = 0

[llm]
enabled = no

[webhook]
url = http://127.0.0.1:{port}/
""")


def read_stderr(proc, lines, following, log):
    for raw in proc.stderr:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        if "following" in line and log in line:
            following.set()


def fail(msg, lines):
    print(f"latency.py: {msg}", file=sys.stderr)
    if lines:
        print("daemon stderr ends:", file=sys.stderr)
        for line in lines[-20:]:
            print("  " + line, file=sys.stderr)
    return 1


def wait_alert(posts, deadline):
    """The next "errors" alert before the deadline: (arrival, alert)."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            arrived, body = posts.get(timeout=left)
        except queue.Empty:
            return None
        try:
            alert = json.loads(body)
        except ValueError:
            continue
        if alert.get("rule") == "errors":
            return arrived, alert


def run(args, tmp):
    log = os.path.join(tmp, "bot.log")
    state = os.path.join(tmp, "state")
    conf = os.path.join(tmp, "logwarden.ini")
    os.mkdir(state)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.daemon_threads = True
    server.posts = queue.Queue()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    write_conf(conf, log, state, server.server_address[1])

    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    t = START
    os.write(fd, (f"{stamp(t)} [INFO] Main - Bot started\n").encode())

    lines = []
    following = threading.Event()
    proc = subprocess.Popen([args.bin, "-c", conf, "run"],
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    threading.Thread(target=read_stderr, args=(proc, lines, following, log),
                     daemon=True).start()
    try:
        if not following.wait(args.timeout):
            return fail(f"no 'following {log}' within {args.timeout} s",
                        lines)
        lat = []
        for i in range(args.iterations):
            if proc.poll() is not None:
                return fail(f"daemon exited with {proc.returncode}", lines)
            # Two windows on, the previous burst is out of every count.
            t = START + datetime.timedelta(seconds=(i + 1) * 2 * WINDOW)
            burst = [f"{stamp(t + datetime.timedelta(milliseconds=100 * k))}"
                     f" [ERROR] Exchange - Order placement failed: "
                     f"Insufficient funds (burst {i})\n"
                     for k in range(BURST)]
            os.write(fd, "".join(burst[:-1]).encode())
            os.write(fd, burst[-1].encode())
            written = time.monotonic()
            got = wait_alert(server.posts, written + args.timeout)
            if got is None:
                return fail(f"iteration {i}: no 'errors' alert within "
                            f"{args.timeout} s", lines)
            lat.append(got[0] - written)
            # Past the cooldown, so the next burst may alert again.
            time.sleep(max(0.0, got[0] + COOLDOWN + 0.2 - time.monotonic()))
        lat.sort()
        ms = [x * 1000 for x in lat]
        print(f"alert latency over {len(ms)} bursts (trigger line written "
              f"-> webhook POST received):")
        print(f"  p50 {percentile(ms, 50):8.1f} ms")
        print(f"  p90 {percentile(ms, 90):8.1f} ms")
        print(f"  p99 {percentile(ms, 99):8.1f} ms")
        print(f"  max {ms[-1]:8.1f} ms")
        print(f"  min {ms[0]:8.1f} ms")
        return 0
    finally:
        os.close(fd)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        server.shutdown()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", "--iterations", type=int, default=200,
                    help="bursts to time (default 200)")
    ap.add_argument("-t", "--timeout", type=float, default=10.0,
                    help="seconds to wait for the daemon or an alert")
    ap.add_argument("--bin", default=os.environ.get(
        "LOGWARDEN_BIN", os.path.join(ROOT, "build", "daemon", "logwarden")),
        help="logwarden binary (default $LOGWARDEN_BIN, then "
             "build/daemon/logwarden)")
    args = ap.parse_args()
    if args.iterations < 1 or args.timeout <= 0:
        ap.error("iterations and timeout must be positive")
    if not os.access(args.bin, os.X_OK):
        print(f"latency.py: no logwarden binary at {args.bin}",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="lw-latency-") as tmp:
        return run(args, tmp)


if __name__ == "__main__":
    sys.exit(main())
