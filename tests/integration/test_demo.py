#!/usr/bin/python3
"""`logwarden demo` runs by itself (no config, no network, no root), shows
alerts from every kind of incident it stages and ends with a summary."""

import os
import re
import subprocess

import lwtest


def test_demo_shows_every_incident_and_ends():
    env = dict(os.environ)
    env.pop("LOGWARDEN_CONFIG", None)
    p = subprocess.run([lwtest.binary(), "demo"], capture_output=True,
                       timeout=120, env=env, stdin=subprocess.DEVNULL)
    out = p.stdout.decode("utf-8")
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    assert "==== demo summary ====" in out, out[-2000:]
    for rule in ("errors", "repeat", "new_error", "silence",
                 "metric:latency"):
        assert re.search(r"^\s+rule %s\b" % re.escape(rule), out, re.M), \
            (rule, out[-3000:])
    assert "\x1b" not in out        # not a terminal: no colour codes
    tmp = re.search(r"alerts as JSON: (\S+)", out).group(1)
    assert os.path.exists(tmp), tmp


if __name__ == "__main__":
    lwtest.run_tests(globals())
