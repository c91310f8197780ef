#!/usr/bin/python3
"""bench/reports_cost.py: what scheduled reports cost the live daemon.

`run` (live mode, not --once, which has no reports) catches up on a
generated backlog from the start of the file, once with [reports] off
and once with hourly = yes and daily = 08:00 (two period reports fed with
every record), interleaved; the time until the daemon has read every line
(SIGUSR1 status) is measured, and the medians and their ratio printed.
With llm.enabled = no both runs also feed the periodic summary.

    /usr/bin/python3 bench/reports_cost.py [--lines N] [--runs R]

Environment: LOGWARDEN_BIN (default build/daemon/logwarden), LW_GEN
(default build/bench/lw-gen), BENCH_DIR (default /tmp/lw-bench).
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gen_log(gen, lines, bench_dir):
    path = os.path.join(bench_dir, "reports-%d.log" % lines)
    if not os.path.exists(path):
        subprocess.run([gen, "-n", str(lines), "-s", "1", "-o",
                        path + ".tmp"], check=True)
        os.rename(path + ".tmp", path)
    with open(path, "rb") as f:
        n = sum(1 for _ in f)
    return path, n


def one_run(binary, log, nlines, bench_dir, reports):
    state = os.path.join(bench_dir, "rstate")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    conf = os.path.join(bench_dir, "reports.ini")
    with open(conf, "w") as f:
        f.write("[source]\npath = %s\nstart = beginning\n"
                "[state]\ndir = %s\n[llm]\nenabled = no\n"
                "[reports]\nhourly = %s\ndaily = %s\n"
                % (log, state, "yes" if reports else "no",
                   "08:00" if reports else ""))
    err = open(os.path.join(bench_dir, "reports.err"), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen([binary, "-c", conf, "run"], stdout=subprocess.DEVNULL,
                         stderr=err)
    done = None
    try:
        while time.monotonic() - t0 < 600:
            time.sleep(0.05)
            p.send_signal(signal.SIGUSR1)
            err.seek(0)
            m = re.findall(r"status: lines (\d+)", err.read())
            if m and int(m[-1]) >= nlines:
                done = time.monotonic() - t0
                break
    finally:
        p.terminate()
        p.wait()
        err.close()
    if done is None:
        sys.exit("reports_cost: the daemon did not read every line")
    return done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    binary = os.environ.get("LOGWARDEN_BIN",
                            os.path.join(ROOT, "build/daemon/logwarden"))
    gen = os.environ.get("LW_GEN", os.path.join(ROOT, "build/bench/lw-gen"))
    bench_dir = os.path.realpath(os.environ.get("BENCH_DIR", "/tmp/lw-bench"))
    if bench_dir.startswith(ROOT + os.sep):
        sys.exit("reports_cost: BENCH_DIR must lie outside the repository")
    os.makedirs(bench_dir, exist_ok=True)
    log, n = gen_log(gen, a.lines, bench_dir)
    off, on = [], []
    for _ in range(a.runs):
        off.append(one_run(binary, log, n, bench_dir, False))
        on.append(one_run(binary, log, n, bench_dir, True))
    moff, mon = statistics.median(off), statistics.median(on)
    print("lines %d, runs %d" % (n, a.runs))
    print("reports off: median %.2f s = %.2f M lines/s  (%s)"
          % (moff, n / moff / 1e6, " ".join("%.2f" % x for x in off)))
    print("reports on:  median %.2f s = %.2f M lines/s  (%s)"
          % (mon, n / mon / 1e6, " ".join("%.2f" % x for x in on)))
    print("ratio on/off: %.2f" % (mon / moff))


if __name__ == "__main__":
    main()
