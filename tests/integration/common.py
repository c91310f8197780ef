#!/usr/bin/python3
"""common: small helpers shared by the integration test scripts."""

import re
import time

import lwtest

_BASE = time.time()


def ts(offset=0.0):
    """A seed-format timestamp offset seconds from the test's start."""
    t = _BASE + offset
    frac = int((t - int(t)) * 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + \
        ".%03d" % frac


def line(level, msg, offset=0.0, comp="Exchange"):
    """One line in the seed format."""
    return "%s [%s] %s - %s" % (ts(offset), level, comp, msg)


# Rules that stay quiet unless a test turns them on.
QUIET = {"errors": 0, "warnings": 0, "repeat": 0, "silence": 0,
         "new_error": False, "spike": 0, "window": 60}


def rules(**kw):
    r = dict(QUIET)
    r.update(kw)
    return r


def status_lines(d):
    """The `lines N` figure of the most recent SIGUSR1 status."""
    m = re.findall(r"status: lines (\d+)", d.stderr())
    return int(m[-1]) if m else None


def wait_lines(d, n, timeout=10.0):
    """Ask for status until the daemon has read n lines in all."""
    def check():
        before = d.stderr().count("status: lines")
        d.usr1()
        lwtest.wait_until(lambda: d.stderr().count("status: lines") > before,
                          5.0, "a status report", d)
        return status_lines(d) == n
    lwtest.wait_until(check, timeout, "%d lines read" % n, d)


def rules_of(alerts):
    return [a["rule"] for a in alerts]
