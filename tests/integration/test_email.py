#!/usr/bin/python3
"""E-mail delivery through a real SMTP server (Debian's python3-aiosmtpd)
on loopback with STARTTLS on a certificate the test generates: headers,
an RFC 2047 subject, several recipients, AUTH, no plain-text fallback,
smtps://, retries after a temporary failure, exactly once."""

import email.utils

import lwtest
import smtpd
from common import line, rules, rules_of, wait_lines

PASSWORD = "s3cret-smtp-pass"


def mail_config(srv, **extra):
    c = {"url": srv.url(), "ca_file": srv.ca_file,
         "from": "logwarden <lw@example.org>",
         "to": "ops@example.org, Trader <trader@example.org>",
         "min_severity": "warning", "username": "lw",
         "password_env": "LW_SMTP_PASS"}
    c.update(extra)
    return c


def start(env, cfg):
    env.write_config(cfg)
    d = env.start(env={"LW_SMTP_PASS": PASSWORD})
    d.wait_ready()
    return d


def test_starttls_auth_headers_and_utf8_subject():
    with lwtest.Env() as env, smtpd.SmtpServer(auth=("lw", PASSWORD)) as srv:
        d = start(env, {"rules": rules(new_error=True),
                        "email": mail_config(srv)})
        env.log.append(line("ERROR", "Ошибка ордера: недостаточно средств"))
        m = srv.wait_messages(1, 15)[0]
        assert m.tls and m.user == "lw", m
        assert sorted(m.rcpt_tos) == ["ops@example.org",
                                      "trader@example.org"], m.rcpt_tos
        msg = m.message
        for h in ("Date", "Message-ID", "From", "To", "Subject",
                  "MIME-Version"):
            assert msg[h], (h, m.data[:600])
        assert email.utils.parsedate_to_datetime(msg["Date"])
        raw_subject = m.data.split(b"\r\nSubject: ", 1)[1][:200]
        assert b"=?UTF-8?B?" in raw_subject or b"=?utf-8?b?" in \
            raw_subject.lower(), raw_subject
        subj = m.subject
        assert subj.startswith("[logwarden] WARNING: New error: "), subj
        assert "Ошибка ордера" in subj and subj.endswith(")"), subj
        assert msg.get_content_type() == "text/plain"
        assert msg.get_content_charset() == "utf-8"
        body = m.body_text()
        a = env.alerts()[0]
        assert a["id"] in body and "недостаточно средств" in body, body
        assert PASSWORD not in m.data.decode("utf-8", "replace")
        assert d.stop() == 0


def test_group_of_alerts_in_one_email():
    with lwtest.Env() as env, smtpd.SmtpServer(auth=("lw", PASSWORD)) as srv:
        d = start(env, {"rules": rules(new_error=True),
                        "alerts": {"group_interval": 2},
                        "email": mail_config(srv)})
        env.log.append(line("ERROR", "first kind"))
        srv.wait_messages(1, 15)
        env.log.append(line("ERROR", "second kind"),
                       line("ERROR", "third kind"))
        msgs = srv.wait_messages(2, 15)
        assert msgs[1].subject.startswith("[logwarden] WARNING: 2 alerts: "),\
            msgs[1].subject
        body = msgs[1].body_text()
        assert "second kind" in body and "third kind" in body, body
        wait_lines(d, 3)
        assert len(srv.messages()) == 2
        assert d.stop() == 0


def test_starttls_required_never_falls_back_to_plain_text():
    with lwtest.Env() as env, smtpd.SmtpServer(starttls=False,
                                               require_starttls=False) as srv:
        d = start(env, {"rules": rules(errors=1),
                        "email": mail_config(srv, username=None,
                                             password_env=None,
                                             min_severity="critical")})
        env.log.append(line("ERROR", "boom"))
        d.wait_stderr("email:")
        d.wait_stderr("not retried")
        assert srv.messages() == [], srv.transactions()
        assert all(t.data is None for t in srv.transactions())
        assert d.stop() == 0


def test_temporary_failure_is_retried_and_delivered_once():
    with lwtest.Env() as env, smtpd.SmtpServer(auth=("lw", PASSWORD)) as srv:
        srv.set_mode("fail", status=451)
        d = start(env, {"rules": rules(errors=1),
                        "email": mail_config(srv, min_severity="critical")})
        env.log.append(line("ERROR", "boom"))
        srv.wait_for(lambda t: len(t) >= 1, 10, "the refused attempt",
                     refused=True)
        srv.set_mode("ok")
        srv.wait_messages(1, 15)
        wait_lines(d, 1)
        assert len(srv.messages()) == 1
        assert d.stop() == 0


def test_smtps_implicit_tls_and_test_alert():
    with lwtest.Env() as env, smtpd.SmtpServer(implicit_tls=True,
                                               auth=("lw", PASSWORD)) as srv:
        env.write_config({"email": mail_config(srv, min_severity="info")})
        r = env.run(["test-alert"], env={"LW_SMTP_PASS": PASSWORD})
        assert r.returncode == 0 and "email: delivered" in r.stdout, r
        m = srv.wait_messages(1, 10)[0]
        assert m.tls and m.subject.startswith("[logwarden] INFO: "), m
        r = env.run(["test-alert"], env={"LW_SMTP_PASS": "wrong"})
        assert r.returncode == 1 and "email: FAILED" in r.stdout, r.stdout


if __name__ == "__main__":
    lwtest.run_tests(globals())
