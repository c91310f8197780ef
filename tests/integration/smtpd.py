#!/usr/bin/python3
"""smtpd: a real SMTP server on loopback for logwarden's e-mail tests.

Debian's python3-aiosmtpd speaks the protocol (EHLO, STARTTLS, AUTH
PLAIN/LOGIN, pipelining-safe state machine); this module adds what the
tests need around it: a throw-away CA and a server certificate for
127.0.0.1/localhost made with the openssl command (once per process), an
ephemeral port, a record of every transaction, and failure modes.

    with smtpd.SmtpServer(auth=("user", "pass")) as srv:
        ... configure the daemon with srv.url(), srv.ca_file ...
        msgs = srv.wait_for(lambda m: len(m) >= 1, timeout=10,
                            what="one mail")
        msgs[0].message["Subject"], msgs[0].tls, msgs[0].user

Options:
    starttls=True          offer STARTTLS (smtp://)
    require_starttls=True  with starttls: refuse everything but EHLO, NOOP,
                           QUIT and STARTTLS before it (530), as a server
                           that never takes mail in clear does
    auth=None | (user, password)
                           require AUTH before MAIL (530); AUTH is refused
                           (538) and not advertised before TLS
    implicit_tls=False     TLS from the first byte (smtps://); no STARTTLS
    mode="ok"              see set_mode

Modes (set_mode, switchable at run time):
    ok      accept every message (250)
    fail    answer `status` (default 451, a temporary failure; 550 and
            554 are permanent) at `stage`: "data" (default, after the
            message was sent), "mail" or "rcpt"

As a script (tests in C, manual runs):

    smtpd.py [--port 0] [--no-starttls] [--no-require-starttls]
        [--auth USER:PASS] [--implicit-tls] [--mode ok|fail]
        [--status N] [--stage data|mail|rcpt] [--spool DIR]

prints the port on the first line of stdout and the CA file on the second,
and serves until SIGTERM or SIGINT.  SIGUSR1 switches to ok, SIGUSR2 to
fail (with --status/--stage).  With --spool every accepted message is
written as DIR/NNNN.eml (the raw bytes) and DIR/NNNN.json (envelope, TLS,
user), the .json last, so its presence means the pair is complete.

Only 127.0.0.1 is ever bound.  Standard library, aiosmtpd and openssl.
"""

import argparse
import atexit
import email
import email.policy
import json
import logging
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
MODES = ("ok", "fail")
STAGES = ("data", "mail", "rcpt")
_REPLIES = {421: "421 4.3.0 Service not available (test)",
            450: "450 4.2.0 Mailbox unavailable (test)",
            451: "451 4.3.0 Temporary failure (test)",
            452: "452 4.3.1 Insufficient storage (test)",
            550: "550 5.7.1 Rejected (test)",
            552: "552 5.3.4 Message too big (test)",
            554: "554 5.6.0 Transaction failed (test)"}

# aiosmtpd logs every command on "mail.log", a warning for each login
# (its own deprecated attribute) and a traceback for each client that
# drops the TLS handshake, which some tests do on purpose: a test's output
# should show the test.  LW_SMTPD_DEBUG=1 brings it all back.
if os.environ.get("LW_SMTPD_DEBUG"):
    logging.basicConfig(level=logging.DEBUG)
else:
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    # smtps:// requires AUTH without aiosmtpd's STARTTLS: it warns.
    warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")

_certs_lock = threading.Lock()
_certs = None


def _openssl(*args, cwd):
    r = subprocess.run(("openssl",) + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" %
                           (args[0], r.stdout.decode("utf-8", "replace")))


def certificates():
    """Paths of the throw-away CA and server certificate (made once).

    Returns a dict with dir, ca_file, ca_key, cert_file, key_file.  The
    server certificate names IP 127.0.0.1 and DNS localhost, is signed by
    the CA and lasts two days; the directory goes at process exit.
    """
    global _certs
    with _certs_lock:
        if _certs is not None:
            return _certs
        d = tempfile.mkdtemp(prefix="lw-smtpd-")
        atexit.register(shutil.rmtree, d, True)
        ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1")
        _openssl("req", "-x509", *ec, "-nodes", "-keyout", "ca.key",
                 "-out", "ca.pem", "-days", "2",
                 "-subj", "/CN=logwarden test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
        _openssl("req", "-new", *ec, "-nodes", "-keyout", "server.key",
                 "-out", "server.csr", "-subj", "/CN=localhost", cwd=d)
        with open(os.path.join(d, "server.ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
                 "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
                 "-extfile", "server.ext", "-out", "server.pem", cwd=d)
        _certs = {"dir": d,
                  "ca_file": os.path.join(d, "ca.pem"),
                  "ca_key": os.path.join(d, "ca.key"),
                  "cert_file": os.path.join(d, "server.pem"),
                  "key_file": os.path.join(d, "server.key")}
        return _certs


class Transaction:
    """One mail transaction as the server saw it.

    accepted: True when the message was taken (250 to DATA); stage and
    reply say where and how a refused one ended.  data: the raw message
    bytes (dot-unstuffed, CRLF kept), None before DATA; message: data
    parsed as an email.message.EmailMessage (policy.default).
    """

    def __init__(self, when, mail_from, rcpt_tos, data, tls, user,
                 accepted, stage, reply):
        self.time = when
        self.mail_from = mail_from
        self.rcpt_tos = list(rcpt_tos)
        self.data = data
        self.tls = tls
        self.user = user
        self.accepted = accepted
        self.stage = stage
        self.reply = reply
        self.message = None
        if data is not None:
            self.message = email.message_from_bytes(
                data, policy=email.policy.default)

    @property
    def subject(self):
        return None if self.message is None else str(self.message["Subject"])

    def body_text(self):
        """The decoded text/plain body (transfer encoding and charset
        undone), its line endings made "\\n"."""
        if self.message is None:
            return None
        return self.message.get_content().replace("\r\n", "\n")

    def to_dict(self):
        return {"time": self.time, "mail_from": self.mail_from,
                "rcpt_tos": self.rcpt_tos, "tls": self.tls,
                "user": self.user, "accepted": self.accepted,
                "stage": self.stage, "reply": self.reply,
                "bytes": None if self.data is None else len(self.data)}

    def __repr__(self):
        return "<%s %s -> %s tls=%s user=%s %s>" % (
            "mail" if self.accepted else "refused", self.mail_from,
            ",".join(self.rcpt_tos), self.tls, self.user,
            self.subject if self.accepted else self.reply)


class _Controller(Controller):
    """aiosmtpd's Controller on a socket we bound (port 0 works)."""

    def __init__(self, handler, sock, **kw):
        self._sock = sock
        super().__init__(handler, hostname=HOST,
                         port=sock.getsockname()[1], **kw)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock,
                                       ssl=self.ssl_context)


def _is_tls(server):
    t = server.transport
    return t is not None and t.get_extra_info("ssl_object") is not None


def _user(session):
    if not session.authenticated:
        return None
    return session.auth_data


class _Handler:
    def __init__(self, owner):
        self._owner = owner

    def _failure(self, stage):
        return self._owner._failure_at(stage)

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        reply = self._failure("mail")
        if reply is not None:
            self._owner._record(address, [], None, _is_tls(server),
                                _user(session), False, "mail", reply)
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self._failure("rcpt")
        if reply is not None:
            self._owner._record(envelope.mail_from, [address], None,
                                _is_tls(server), _user(session), False,
                                "rcpt", reply)
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self._failure("data")
        accepted = reply is None
        self._owner._record(envelope.mail_from, envelope.rcpt_tos,
                            envelope.original_content, _is_tls(server),
                            _user(session), accepted, "data",
                            reply or "250 OK")
        return reply or "250 Message accepted for delivery"


class SmtpServer:
    """A recording SMTP server on 127.0.0.1; see the module docstring."""

    def __init__(self, starttls=True, require_starttls=True, auth=None,
                 implicit_tls=False, port=0, mode="ok", status=None,
                 stage=None, spool=None):
        certs = certificates()
        self.ca_file = certs["ca_file"]
        self.cert_file = certs["cert_file"]
        self.implicit_tls = bool(implicit_tls)
        self.starttls = bool(starttls) and not self.implicit_tls
        self.require_starttls = self.starttls and bool(require_starttls)
        self.auth = auth
        self._spool = spool
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._transactions = []
        self._mode, self._status, self._stage = "ok", None, "data"
        self.set_mode(mode, status=status, stage=stage)

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certs["cert_file"], certs["key_file"])
        kw = {}
        if self.implicit_tls:
            kw["ssl_context"] = ctx
        elif self.starttls:
            kw["tls_context"] = ctx
            kw["require_starttls"] = self.require_starttls
        if auth is not None:
            kw["authenticator"] = self._authenticate
            kw["auth_required"] = True
        # aiosmtpd only counts STARTTLS as TLS: on smtps:// the whole
        # session is encrypted, so AUTH needs no further condition there.
        kw["auth_require_tls"] = not self.implicit_tls
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(64)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._controller = _Controller(_Handler(self), sock, **kw)
        self._started = False

    # -- life cycle -------------------------------------------------------

    def start(self):
        self._controller.start()
        self._started = True
        # Controller.start opened one connection to wake the server up;
        # it never reaches MAIL, so nothing was recorded.
        return self

    def stop(self):
        if self._started:
            self._started = False
            self._controller.stop()
        with self._cond:
            self._cond.notify_all()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self):
        return "%s://%s:%d" % ("smtps" if self.implicit_tls else "smtp",
                               HOST, self.port)

    # -- modes ------------------------------------------------------------

    def set_mode(self, mode, *, status=None, stage=None):
        """ok, or fail with status (default 451) at stage (default data)."""
        if mode not in MODES:
            raise ValueError("unknown mode %r" % (mode,))
        if stage is not None and stage not in STAGES:
            raise ValueError("unknown stage %r" % (stage,))
        if status is not None and not 400 <= int(status) <= 599:
            raise ValueError("a failure status is 4xx or 5xx: %r" % (status,))
        with self._lock:
            self._mode = mode
            self._status = None if status is None else int(status)
            self._stage = stage or "data"

    @property
    def mode(self):
        with self._lock:
            return self._mode

    def _failure_at(self, stage):
        with self._lock:
            if self._mode != "fail" or self._stage != stage:
                return None
            status = self._status or 451
        return _REPLIES.get(status, "%d Failure (test)" % status)

    # -- authentication ---------------------------------------------------

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if (user, password) == tuple(self.auth):
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)

    # -- records ------------------------------------------------------------

    def _record(self, mail_from, rcpt_tos, data, tls, user, accepted, stage,
                reply):
        t = Transaction(time.monotonic(), mail_from, rcpt_tos, data, tls,
                        user, accepted, stage, reply)
        with self._cond:
            self._transactions.append(t)
            n = len(self._transactions)
            self._cond.notify_all()
        if accepted and self._spool is not None:
            self._write_spool(n, t)

    def _write_spool(self, n, t):
        base = os.path.join(self._spool, "%04d" % n)
        with open(base + ".eml", "wb") as f:
            f.write(t.data)
        with open(base + ".json.tmp", "w") as f:
            json.dump(t.to_dict(), f)
        os.rename(base + ".json.tmp", base + ".json")

    def transactions(self):
        """Every transaction that ended, accepted or refused, oldest first."""
        with self._lock:
            return list(self._transactions)

    def messages(self):
        """The accepted messages, oldest first."""
        with self._lock:
            return [t for t in self._transactions if t.accepted]

    def clear(self):
        with self._lock:
            self._transactions.clear()

    def wait_for(self, predicate, timeout=10.0, what=None, refused=False):
        """Wait until predicate(messages()) is true; return its value.

        refused=True: the predicate sees transactions() instead.  Raises
        AssertionError naming `what` when timeout seconds pass.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                seen = list(self._transactions) if refused else \
                    [t for t in self._transactions if t.accepted]
                value = predicate(seen)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out after %.1fs waiting for %s; %d "
                        "transaction(s) so far: %s" %
                        (timeout, what or "the SMTP server",
                         len(self._transactions), self._transactions[-5:]))
                self._cond.wait(left)

    def wait_messages(self, n, timeout=10.0):
        """Wait for at least n accepted messages; return them."""
        return self.wait_for(lambda m: m if len(m) >= n else None, timeout,
                             "%d message(s)" % n)


def main(argv=None):
    ap = argparse.ArgumentParser(description="loopback SMTP server")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--no-starttls", action="store_true")
    ap.add_argument("--no-require-starttls", action="store_true")
    ap.add_argument("--auth", help="USER:PASS")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--mode", default="ok", choices=MODES)
    ap.add_argument("--status", type=int)
    ap.add_argument("--stage", choices=STAGES)
    ap.add_argument("--spool")
    args = ap.parse_args(argv)
    auth = None
    if args.auth is not None:
        user, sep, password = args.auth.partition(":")
        if not sep:
            ap.error("--auth wants USER:PASS")
        auth = (user, password)

    server = SmtpServer(starttls=not args.no_starttls,
                        require_starttls=not args.no_require_starttls,
                        auth=auth, implicit_tls=args.implicit_tls,
                        port=args.port, mode=args.mode, status=args.status,
                        stage=args.stage, spool=args.spool)
    # Blocked before the threads start, so that they inherit the mask and
    # only sigwait() below sees the signals.
    sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    server.start()
    sys.stdout.write("%d\n%s\n" % (server.port, server.ca_file))
    sys.stdout.flush()
    while True:
        sig = signal.sigwait(sigs)
        if sig == signal.SIGUSR1:
            server.set_mode("ok")
        elif sig == signal.SIGUSR2:
            server.set_mode("fail", status=args.status, stage=args.stage)
        else:
            break
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
