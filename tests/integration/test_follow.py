#!/usr/bin/python3
"""Following the file: partial lines, rotation, truncation, deletion,
restarts (also after SIGKILL), huge lines and bad bytes."""

import json
import os
import signal

import lwtest
from common import line, rules, rules_of, wait_lines


def test_file_created_later_and_partial_line_waits():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=2)})
        d = env.start()
        d.wait_ready()
        d.wait_stderr("waiting for")
        env.log.append(line("ERROR", "first failure"))
        env.log.write(line("ERROR", "second failure, half written"))
        wait_lines(d, 1)
        assert env.alerts() == [], env.alerts()
        env.log.write(" and done\n")
        a = env.wait_alerts(1, 5, "the errors alert once the line ends")
        assert a[0]["rule"] == "errors" and a[0]["count"] == 2, a
        assert "and done" in a[0]["evidence"][-1], a[0]["evidence"]
        assert d.stop() == 0


def test_rename_rotation_reads_old_file_to_its_end():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=4)})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "e1"), line("ERROR", "e2"))
        wait_lines(d, 2)
        old = env.log.rotate(create=False)
        # The bot writes a last line to the renamed file before reopening.
        with open(old, "a") as f:
            f.write(line("ERROR", "e3 written after the rename") + "\n")
        env.log.recreate()
        env.log.append(line("ERROR", "e4 in the new file"))
        a = env.wait_alerts(1, 10, "errors alert over both files")
        assert a[0]["count"] == 4, a
        ev = "\n".join(a[0]["evidence"])
        assert "e3 written after the rename" in ev and "e4" in ev, ev
        wait_lines(d, 4)
        assert d.stop() == 0


def test_lines_written_to_the_renamed_file_after_the_switch_are_read():
    # logrotate "create" + a postrotate signal: the new file exists
    # before the bot reopens, and the bot writes to the old one meanwhile.
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=3)})
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "e1 before the rotation"))
        wait_lines(d, 1)
        old = env.log.rotate(create=True)
        d.wait_stderr("rotated")
        with open(old, "a") as f:
            f.write(line("ERROR", "e2 to the renamed file, late") + "\n")
        env.log.append(line("ERROR", "e3 in the new file"))
        a = env.wait_alerts(1, 10, "errors alert over both files")
        ev = "\n".join(a[0]["evidence"])
        assert a[0]["count"] == 3, a
        assert "e2 to the renamed file" in ev and "e3" in ev, ev
        wait_lines(d, 3)
        assert d.stop() == 0


def test_copytruncate_starts_again_at_zero():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=2)})
        d = env.start()
        d.wait_ready()
        env.log.append(*[line("INFO", "filler %d" % i) for i in range(50)])
        wait_lines(d, 50)
        env.log.copytruncate()
        env.log.append(line("ERROR", "after truncate 1"),
                       line("ERROR", "after truncate 2"))
        a = env.wait_alerts(1, 10, "errors alert after copytruncate")
        assert "after truncate 2" in a[0]["evidence"][-1], a
        wait_lines(d, 52)
        d.usr1()
        d.wait_stderr("offset")
        assert d.stop() == 0


def test_deleted_and_recreated():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=2)})
        env.log.append(line("INFO", "before"))
        d = env.start()
        d.wait_ready()
        env.log.delete()
        d.wait_stderr("gone")
        env.log.append(line("ERROR", "back 1"), line("ERROR", "back 2"))
        a = env.wait_alerts(1, 10, "errors alert from the re-created file")
        assert "back 2" in a[0]["evidence"][-1], a
        assert d.alive()
        assert d.stop() == 0


def test_restart_processes_lines_written_while_down():
    with lwtest.Env() as env:
        # The error before the restart still counts: the bytes before the
        # saved offset are replayed as context (never alerted on again).
        env.write_config({"rules": rules(errors=2)})
        env.log.append(line("INFO", "history"))
        d = env.start()
        d.wait_ready()
        env.log.append(line("ERROR", "one"))
        wait_lines(d, 2)
        assert d.stop() == 0
        env.log.append(line("ERROR", "two while down"),
                       line("ERROR", "three while down"))
        d2 = env.start()
        d2.wait_ready()
        a = env.wait_alerts(1, 10, "alert from lines written while down")
        ev = "\n".join(a[0]["evidence"])
        assert a[0]["count"] == 2, a[0]
        assert "one" in ev and "two while down" in ev, ev
        # Lines before the saved offset were not processed again.
        wait_lines(d2, 2)
        assert len(env.alerts()) == 1, env.alerts()
        assert d2.stop() == 0


def test_kill9_resumes_without_alerting_twice():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=3, window=3600)})
        d = env.start()
        d.wait_ready()
        env.log.append(*[line("ERROR", "burst %d" % i) for i in range(3)])
        env.wait_alerts(1, 10, "the first errors alert")
        wait_lines(d, 3)
        d.kill()
        d.wait(5)
        assert d.returncode == -signal.SIGKILL
        env.log.append(line("INFO", "after the crash"))
        d2 = env.start()
        d2.wait_ready()
        wait_lines(d2, 1)
        assert len(env.alerts()) == 1, env.alerts()
        assert d2.stop() == 0


def test_huge_line_is_cut_and_flagged():
    with lwtest.Env() as env:
        env.write_config({"source": {"max_line_bytes": 4096},
                          "rules": rules(errors=1)})
        d = env.start()
        d.wait_ready()
        big = line("ERROR", "huge payload " + "x" * (1 << 20))
        env.log.append(big, line("INFO", "next"))
        a = env.wait_alerts(1, 10, "alert for the huge line")
        ev = a[0]["evidence"][0]
        assert "[cut " in ev and ev.endswith("bytes]"), ev[-80:]
        cut = int(ev.rsplit("[cut ", 1)[1].split()[0])
        assert cut > len(big) - 4096 - 1, (cut, len(big))
        wait_lines(d, 2)
        assert d.stop() == 0


def test_bad_bytes_keep_json_valid():
    with lwtest.Env() as env:
        env.write_config({"rules": rules(errors=1)})
        d = env.start()
        d.wait_ready()
        bad = (line("ERROR", "bad ").encode() + b"\xff\xfe\x00nul\xc3 "
               + b"\x1b[31mred")
        env.log.append(bad)
        a = env.wait_alerts(1, 10, "alert for the line with bad bytes")
        raw = open(env.alerts_path, "rb").read()
        raw.decode("utf-8")          # strict: raises on invalid UTF-8
        assert "\ufffd" in a[0]["evidence"][0], a[0]["evidence"]
        assert "\x00" not in json.dumps(a), a
        assert d.stop() == 0


if __name__ == "__main__":
    lwtest.run_tests(globals())
