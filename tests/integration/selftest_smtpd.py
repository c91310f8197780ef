#!/usr/bin/python3
"""selftest_smtpd: proves smtpd.py is a server a real client can use.

Two independent clients drive it: curl's command line (the same libcurl
SMTP code the daemon uses, with --ssl-reqd as email.starttls = yes asks)
and Python's smtplib.  Not run by ctest (the name does not start with
test_); run by hand:

    /usr/bin/python3 tests/integration/selftest_smtpd.py [test_name ...]
"""

import json
import os
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lwtest   # noqa: E402
import smtpd    # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

MSG = (b"From: logwarden <lw@bot.example>\r\n"
       b"To: ops@example.com, duty@example.com\r\n"
       b"Subject: [logwarden] CRITICAL: test (bot-1)\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=UTF-8\r\n"
       b"\r\n"
       b"hello\r\n"
       b".leading dot survives\r\n")


def curl(url, *extra, msg=MSG, rcpts=("ops@example.com",)):
    """Send msg with the curl command; (exit code, stderr)."""
    with tempfile.NamedTemporaryFile(suffix=".eml") as f:
        f.write(msg)
        f.flush()
        cmd = ["curl", "--silent", "--show-error", "--max-time", "20",
               "--url", url, "--mail-from", "lw@bot.example",
               "--upload-file", f.name] + list(extra)
        for r in rcpts:
            cmd += ["--mail-rcpt", r]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=30)
    return p.returncode, p.stderr


def client_ctx(srv):
    ctx = ssl.create_default_context(cafile=srv.ca_file)
    return ctx


def expect_smtp_error(fn, code):
    try:
        fn()
    except smtplib.SMTPResponseException as e:
        assert e.smtp_code == code, (e.smtp_code, e.smtp_error)
        return
    except smtplib.SMTPRecipientsRefused as e:
        codes = [c for c, _ in e.recipients.values()]
        assert codes == [code], e.recipients
        return
    raise AssertionError("expected SMTP %d" % code)


def test_certificates_once():
    a = smtpd.certificates()
    b = smtpd.certificates()
    assert a is b
    out = subprocess.run(["openssl", "verify", "-CAfile", a["ca_file"],
                          a["cert_file"]], capture_output=True, text=True)
    assert out.returncode == 0 and ": OK" in out.stdout, out
    text = subprocess.run(["openssl", "x509", "-noout", "-ext",
                           "subjectAltName", "-in", a["cert_file"]],
                          capture_output=True, text=True).stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text, text


def test_curl_starttls_auth():
    with smtpd.SmtpServer(auth=("user", "pass")) as srv:
        assert srv.url() == "smtp://127.0.0.1:%d" % srv.port
        rc, err = curl(srv.url(), "--ssl-reqd", "--cacert", srv.ca_file,
                       "--user", "user:pass",
                       rcpts=("ops@example.com", "duty@example.com"))
        assert rc == 0, err
        (m,) = srv.wait_messages(1)
        assert m.tls is True and m.user == "user", m
        assert m.mail_from == "lw@bot.example"
        assert m.rcpt_tos == ["ops@example.com", "duty@example.com"]
        assert m.subject == "[logwarden] CRITICAL: test (bot-1)"
        assert m.data.endswith(b"hello\r\n.leading dot survives\r\n"), m.data
        assert m.body_text() == "hello\n.leading dot survives\n", \
            m.body_text()


def test_curl_needs_the_ca():
    with smtpd.SmtpServer() as srv:
        # Without our CA the certificate is unknown: curl 60, nothing sent.
        rc, err = curl(srv.url(), "--ssl-reqd", "--capath", "/nonexistent",
                       "--cacert", "/dev/null")
        assert rc != 0, err
        rc, err = curl(srv.url(), "--ssl-reqd")
        assert rc == 60, (rc, err)
        assert srv.transactions() == []


def test_curl_wrong_password():
    with smtpd.SmtpServer(auth=("user", "pass")) as srv:
        rc, err = curl(srv.url(), "--ssl-reqd", "--cacert", srv.ca_file,
                       "--user", "user:nope")
        assert rc == 67, (rc, err)      # CURLE_LOGIN_DENIED
        assert srv.transactions() == []


def test_require_starttls_refuses_plain():
    with smtpd.SmtpServer() as srv:
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.ehlo("t")
            assert s.has_extn("starttls")
            code, _ = s.mail("lw@bot.example")
            assert code == 530, code
        # curl without --ssl-reqd tries plain text and is refused too.
        rc, err = curl(srv.url())
        assert rc != 0, err
        # With STARTTLS the same client gets through.
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.starttls(context=client_ctx(srv))
            s.sendmail("lw@bot.example", ["ops@example.com"], MSG)
        (m,) = srv.wait_messages(1)
        assert m.tls and m.user is None


def test_auth_needs_tls():
    with smtpd.SmtpServer(require_starttls=False,
                          auth=("user", "pass")) as srv:
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.ehlo("t")
            assert not s.has_extn("auth")
            code, _ = s.docmd("AUTH", "PLAIN AHVzZXIAcGFzcw==")
            assert code == 538, code
            # And no mail without AUTH.
            code, _ = s.mail("lw@bot.example")
            assert code == 530, code
            s.starttls(context=client_ctx(srv))
            s.ehlo("t")
            assert s.has_extn("auth")
            s.login("user", "pass")
            s.sendmail("lw@bot.example", ["ops@example.com"], MSG)
        (m,) = srv.wait_messages(1)
        assert m.tls and m.user == "user"


def test_plain_server():
    with smtpd.SmtpServer(starttls=False) as srv:
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.ehlo("t")
            assert not s.has_extn("starttls")
            s.sendmail("lw@bot.example", ["ops@example.com"], MSG)
        (m,) = srv.wait_messages(1)
        assert m.tls is False
        # curl --ssl-reqd must not fall back to plain text.
        rc, err = curl(srv.url(), "--ssl-reqd", "--cacert", srv.ca_file)
        assert rc == 64, (rc, err)      # CURLE_USE_SSL_FAILED
        assert len(srv.transactions()) == 1


def test_implicit_tls():
    with smtpd.SmtpServer(implicit_tls=True, auth=("user", "pass")) as srv:
        assert srv.url() == "smtps://127.0.0.1:%d" % srv.port
        rc, err = curl(srv.url(), "--cacert", srv.ca_file,
                       "--user", "user:pass")
        assert rc == 0, err
        with smtplib.SMTP_SSL(smtpd.HOST, srv.port, timeout=10,
                              context=client_ctx(srv)) as s:
            s.ehlo("t")
            assert not s.has_extn("starttls")
            s.login("user", "pass")
            s.sendmail("lw@bot.example", ["duty@example.com"], MSG)
        msgs = srv.wait_messages(2)
        assert [m.tls for m in msgs] == [True, True]
        assert [m.user for m in msgs] == ["user", "user"]
        assert msgs[1].rcpt_tos == ["duty@example.com"]


def test_fail_modes():
    with smtpd.SmtpServer(mode="fail") as srv:
        rc, err = curl(srv.url(), "--ssl-reqd", "--cacert", srv.ca_file)
        assert rc != 0, err
        (t,) = srv.wait_for(lambda ts: ts, 5, "a refusal", refused=True)
        assert not t.accepted and t.stage == "data"
        assert t.reply.startswith("451 ") and t.data == MSG, t
        assert srv.messages() == []

        srv.set_mode("fail", status=550, stage="rcpt")
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.starttls(context=client_ctx(srv))
            expect_smtp_error(lambda: s.sendmail(
                "lw@bot.example", ["ops@example.com"], MSG), 550)
        srv.set_mode("fail", status=421, stage="mail")
        with smtplib.SMTP(smtpd.HOST, srv.port, timeout=10) as s:
            s.starttls(context=client_ctx(srv))
            expect_smtp_error(lambda: s.sendmail(
                "lw@bot.example", ["ops@example.com"], MSG), 421)
        stages = [(t.stage, t.reply[:3]) for t in srv.transactions()]
        assert stages == [("data", "451"), ("rcpt", "550"), ("mail", "421")]

        # The retry after the outage goes through.
        srv.set_mode("ok")
        rc, err = curl(srv.url(), "--ssl-reqd", "--cacert", srv.ca_file)
        assert rc == 0, err
        (m,) = srv.wait_messages(1)
        assert m.data == MSG
        for bad in (lambda: srv.set_mode("nonsense"),
                    lambda: srv.set_mode("fail", status=250),
                    lambda: srv.set_mode("fail", stage="quit")):
            try:
                bad()
            except ValueError:
                continue
            raise AssertionError("accepted a bad mode")


def test_wait_for_times_out():
    with smtpd.SmtpServer() as srv:
        t0 = time.monotonic()
        try:
            srv.wait_for(lambda m: m, timeout=0.3, what="nothing")
        except AssertionError as e:
            assert "nothing" in str(e)
        else:
            raise AssertionError("wait_for returned without a message")
        assert 0.25 <= time.monotonic() - t0 < 5


def test_two_servers_one_ca():
    with smtpd.SmtpServer() as a, smtpd.SmtpServer(implicit_tls=True) as b:
        assert a.port != b.port and a.ca_file == b.ca_file
        assert curl(a.url(), "--ssl-reqd", "--cacert", a.ca_file)[0] == 0
        assert curl(b.url(), "--cacert", b.ca_file)[0] == 0
        assert len(a.wait_messages(1)) == 1 and len(b.wait_messages(1)) == 1


def test_script_mode():
    spool = tempfile.mkdtemp(prefix="lw-smtpd-spool-")
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "smtpd.py"),
                          "--auth", "u:p", "--spool", spool,
                          "--status", "554"],
                         stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        ca = p.stdout.readline().strip()
        assert os.path.isfile(ca), ca
        url = "smtp://127.0.0.1:%d" % port
        rc, err = curl(url, "--ssl-reqd", "--cacert", ca, "--user", "u:p")
        assert rc == 0, err
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(spool, "0001.json")):
            assert time.monotonic() < deadline, os.listdir(spool)
            time.sleep(0.05)
        with open(os.path.join(spool, "0001.eml"), "rb") as f:
            assert f.read() == MSG
        with open(os.path.join(spool, "0001.json")) as f:
            meta = json.load(f)
        assert meta["tls"] is True and meta["user"] == "u", meta
        assert meta["rcpt_tos"] == ["ops@example.com"]
        # SIGUSR2: fail (554 at DATA, nothing spooled); SIGUSR1: ok again.
        # The signal is asynchronous: retry until it shows.
        p.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while curl(url, "--ssl-reqd", "--cacert", ca, "--user",
                   "u:p")[0] == 0:
            assert time.monotonic() < deadline, "SIGUSR2 had no effect"
        before = set(os.listdir(spool))
        p.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while curl(url, "--ssl-reqd", "--cacert", ca, "--user", "u:p")[0]:
            assert time.monotonic() < deadline, "SIGUSR1 had no effect"
        new = sorted(set(os.listdir(spool)) - before)
        assert len(new) == 2 and new[0].endswith(".eml"), new
    finally:
        p.terminate()
        p.stdout.close()
        assert p.wait(10) == 0
        shutil.rmtree(spool, True)


if __name__ == "__main__":
    lwtest.run_tests(globals())
