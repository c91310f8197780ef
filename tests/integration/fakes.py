#!/usr/bin/python3
"""fakes: loopback HTTP servers standing in for logwarden's sinks in tests.

A server binds 127.0.0.1 on an ephemeral port, answers each connection in
a thread of its own, records every request it receives (monotonic arrival
time, method, path, headers, body, body parsed as JSON when it is JSON) and
can be switched at run time between behaviours:

    ok      200 with a small JSON body (what the real service would say)
    fail    500 (or another status)
    slow    hold the request `seconds`, then answer as ok
    hang    hold the request `seconds` (None: until the client or the
            server gives up), then close without an answer
    refuse  close the listening socket: connecting is refused; leaving
            the mode (or `seconds` later) listens on the same port again
    429     429 Too Many Requests with Retry-After (alias: ratelimit)

In-process use (tests in Python):

    with fakes.WebhookServer() as hook:
        ... hook.url("/alerts") ...
        hook.set_mode("fail")
        reqs = hook.wait_for(lambda r: len(r) >= 2, timeout=5, what="2 posts")

As a script (tests in C, manual runs):

    fakes.py webhook|telegram|llm [--port 0] [--mode M] [--status N]
        [--seconds S] [--retry-after V] [--body-bytes N] [--no-length]
        [--token T (telegram)]

prints the port on the first line of stdout and serves until SIGTERM or
SIGINT.  Paths under /__ are controls, never recorded, answered in any mode:
GET /__requests (JSON list), GET or POST /__mode?mode=M&status=&seconds=
&retry_after=&body_bytes=&no_length=1, GET or POST /__clear.

Standard library only.
"""

import argparse
import json
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
IO_TIMEOUT = 10.0           # a client that stops mid-request is dropped
HOLD_POLL = 0.05            # how often a held request checks for stop

MODES = ("ok", "fail", "slow", "hang", "refuse", "429")
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized",
            403: "Forbidden", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


class Request:
    """One received request; `json` is None when the body is not JSON."""

    def __init__(self, when, method, target, headers, body):
        self.time = when
        self.method = method
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = dict(urllib.parse.parse_qsl(split.query))
        self.headers = headers          # lower-case name -> value
        self.body = body
        self.json = None
        try:
            self.json = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            pass

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def to_dict(self):
        return {"time": self.time, "method": self.method, "path": self.path,
                "query": self.query, "headers": self.headers,
                "body": self.text, "json": self.json}

    def __repr__(self):
        return "<%s %s %d bytes>" % (self.method, self.path, len(self.body))


class _BadRequest(Exception):
    pass


def _read_request(conn, rest=b""):
    """Read one request from conn: (method, target, headers, body)."""
    data = rest
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEADER_BYTES:
            raise _BadRequest("header too large")
        chunk = conn.recv(65536)
        if not chunk:
            raise _BadRequest("closed before the header ended")
        data += chunk
    head, _, data = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest("bad request line")
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest("bad header line")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")

    def need(n):
        nonlocal data
        while len(data) < n:
            chunk = conn.recv(65536)
            if not chunk:
                raise _BadRequest("closed inside the body")
            data += chunk

    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in data:
                need(len(data) + 1)
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if len(body) + size > MAX_BODY_BYTES:
                raise _BadRequest("body too large")
            need(size + 2)
            body += data[:size]
            data = data[size + 2:]
            if size == 0:
                break
    else:
        length = int(headers.get("content-length", "0"))
        if length < 0 or length > MAX_BODY_BYTES:
            raise _BadRequest("bad content-length")
        need(length)
        body = data[:length]
    return parts[0], parts[1], headers, body


class HttpServer:
    """A recording loopback HTTP server; subclasses shape the ok answer."""

    def __init__(self, port=0, mode="ok", **opts):
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._requests = []
        self._stop = threading.Event()
        self._threads = []
        self._conns = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._lsock = self._listen(port)
        self.port = self._lsock.getsockname()[1]
        self._mode = "ok"
        self._opts = {}
        self._reopen_timer = None
        self._acceptor = None
        self.set_mode(mode, **opts)

    # -- life cycle -------------------------------------------------------

    def _listen(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(64)
        return s

    def start(self):
        self._acceptor = threading.Thread(target=self._accept_loop,
                                          name="fake-accept", daemon=True)
        self._acceptor.start()
        return self

    def stop(self):
        """Stop accepting, release held requests, join every thread."""
        self._stop.set()
        with self._lock:
            if self._reopen_timer is not None:
                self._reopen_timer.cancel()
            self._cond.notify_all()
        self._wake()
        if self._acceptor is not None:
            self._acceptor.join(5)
        with self._lock:
            conns = list(self._conns)
            threads = list(self._threads)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in threads:
            t.join(5)
        with self._lock:
            if self._lsock is not None:
                self._lsock.close()
                self._lsock = None
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    # -- modes ------------------------------------------------------------

    def set_mode(self, mode, *, status=None, seconds=None, retry_after=None,
                 body=None, body_bytes=None, no_length=False):
        """Switch behaviour for requests that arrive from now on.

        status: the status of fail (default 500); seconds: how long slow
        and hang hold a request, or refuse lasts (None: forever);
        retry_after: Retry-After of 429, sent verbatim (default 1); body,
        body_bytes: replace the ok body (bytes/str, or that many 'x');
        no_length: answer ok without Content-Length, ending at close.
        """
        if mode == "ratelimit":
            mode = "429"
        if mode not in MODES:
            raise ValueError("unknown mode %r" % (mode,))
        if isinstance(body, str):
            body = body.encode("utf-8")
        opts = {"status": status, "seconds": seconds,
                "retry_after": retry_after, "body": body,
                "body_bytes": body_bytes, "no_length": no_length}
        with self._lock:
            if self._reopen_timer is not None:
                self._reopen_timer.cancel()
                self._reopen_timer = None
            self._mode, self._opts = mode, opts
            if mode == "refuse" and self._lsock is not None:
                # The accept thread may be in select() on it: wake it
                # and let it close the socket, then wait for that.
                self._wake()
                if self._acceptor is not None and self._acceptor.is_alive():
                    while self._lsock is not None and not self._stop.is_set():
                        self._cond.wait(1.0)
                else:
                    self._lsock.close()
                    self._lsock = None
            elif mode != "refuse" and self._lsock is None:
                self._lsock = self._listen(self.port)
                self._wake()
            if mode == "refuse" and seconds is not None:
                self._reopen_timer = threading.Timer(
                    seconds, self._reopen_after_refuse)
                self._reopen_timer.daemon = True
                self._reopen_timer.start()

    def _reopen_after_refuse(self):
        with self._lock:
            if self._mode != "refuse" or self._stop.is_set():
                return
        self.set_mode("ok")

    @property
    def mode(self):
        with self._lock:
            return self._mode

    # -- recorded requests --------------------------------------------------

    def requests(self):
        """A copy of the list of requests received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self):
        with self._lock:
            self._requests.clear()

    def wait_for(self, predicate, timeout=10.0, what=None):
        """Wait until predicate(requests()) is true; return its value.

        Raises AssertionError naming `what` when timeout seconds pass.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(list(self._requests))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out after %.1fs waiting for %s; %d request(s) "
                        "so far: %s" % (timeout, what or "the fake server",
                                        len(self._requests),
                                        self._requests[-5:]))
                self._cond.wait(left)

    def wait_requests(self, n, timeout=10.0):
        """Wait for at least n requests; return the list."""
        return self.wait_for(lambda r: r if len(r) >= n else None, timeout,
                             "%d request(s)" % n)

    # -- answers (subclasses override reply_ok / reply_429) -------------------

    def reply_ok(self, req):
        return 200, {"Content-Type": "application/json"}, b'{"ok":true}'

    def reply_429(self, req, retry_after):
        return 429, {"Content-Type": "application/json",
                     "Retry-After": retry_after}, b'{"ok":false}'

    # -- internals ------------------------------------------------------------

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _accept_loop(self):
        while not self._stop.is_set():
            with self._lock:
                if self._mode == "refuse" and self._lsock is not None:
                    self._lsock.close()
                    self._lsock = None
                    self._cond.notify_all()
                ls = self._lsock
            fds = [self._wake_r] + ([ls] if ls is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [])
            except (OSError, ValueError):
                continue
            if self._wake_r in ready:
                try:
                    self._wake_r.recv(4096)
                except OSError:
                    pass
                continue
            try:
                conn, _ = ls.accept()
            except OSError:
                continue
            t = threading.Thread(target=self._serve, args=(conn,),
                                 name="fake-conn", daemon=True)
            with self._lock:
                self._threads = [x for x in self._threads if x.is_alive()]
                self._threads.append(t)
                self._conns.add(conn)
            t.start()

    def _hold(self, conn, seconds):
        """Keep conn open seconds (None: ever); False if it went away."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self._stop.is_set():
            wait = HOLD_POLL
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return True
                wait = min(wait, left)
            r, _, _ = select.select([conn], [], [], wait)
            if r:
                try:
                    if not conn.recv(4096, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                # Pipelined bytes: let them sit, we answer the first.
                time.sleep(wait)
        return False

    def _send(self, conn, status, headers, body, no_length=False):
        head = ["HTTP/1.1 %d %s" % (status, _REASONS.get(status, "Status")),
                "Connection: close"]
        for k, v in headers.items():
            head.append("%s: %s" % (k, v))
        if not no_length:
            head.append("Content-Length: %d" % len(body))
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
                     + body)

    def _control(self, conn, req):
        name = req.path[3:]
        params = dict(req.query)
        if isinstance(req.json, dict):
            params.update(req.json)
        if name == "requests":
            body = json.dumps([r.to_dict() for r in self.requests()])
            self._send(conn, 200, {"Content-Type": "application/json"},
                       body.encode("utf-8"))
            return
        if name == "clear":
            self.clear()
            self._send(conn, 200, {}, b"cleared\n")
            return
        if name == "mode":
            def num(key, conv):
                v = params.get(key)
                return None if v in (None, "") else conv(v)
            try:
                # Switch before answering, so that the next request sees
                # the new mode (refuse leaves accepted sockets open).
                self.set_mode(params.get("mode", "ok"),
                              status=num("status", int),
                              seconds=num("seconds", float),
                              retry_after=params.get("retry_after"),
                              body_bytes=num("body_bytes", int),
                              no_length=params.get("no_length") in
                              ("1", "true", True, 1))
            except ValueError as e:
                self._send(conn, 400, {}, ("%s\n" % e).encode())
                return
            self._send(conn, 200, {}, b"ok\n")
            return
        self._send(conn, 404, {}, b"no such control\n")

    def _serve(self, conn):
        try:
            conn.settimeout(IO_TIMEOUT)
            try:
                method, target, headers, body = _read_request(conn)
            except (_BadRequest, ValueError, OSError):
                return
            req = Request(time.monotonic(), method, target, headers, body)
            if req.path.startswith("/__"):
                self._control(conn, req)
                return
            with self._cond:
                mode, opts = self._mode, dict(self._opts)
                self._requests.append(req)
                self._cond.notify_all()
            conn.settimeout(None)
            if mode == "hang":
                self._hold(conn, opts["seconds"])
                return
            if mode == "slow" and not self._hold(conn, opts["seconds"] or 0):
                return
            if mode == "fail":
                self._send(conn, opts["status"] or 500,
                           {"Content-Type": "text/plain"}, b"fail\n")
            elif mode == "429":
                ra = opts["retry_after"]
                status, hdrs, out = self.reply_429(
                    req, "1" if ra is None else str(ra))
                self._send(conn, status, hdrs, out)
            else:
                status, hdrs, out = self.reply_ok(req)
                if opts["body"] is not None:
                    out = opts["body"]
                elif opts["body_bytes"] is not None:
                    out = b"x" * opts["body_bytes"]
                self._send(conn, status, hdrs, out, opts["no_length"])
        except OSError:
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass


class WebhookServer(HttpServer):
    """The webhook sink: the alert JSON arrives as the body of a POST."""

    def alerts(self):
        """Bodies of the POSTs that were JSON objects, in arrival order."""
        return [r.json for r in self.requests()
                if r.method == "POST" and isinstance(r.json, dict)]


# Telegram's HTML mode (Bot API "formatting options"): these tags only,
# properly nested; '<' and '&' only as tags and entities.
_TG_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
            "span", "tg-spoiler", "a", "code", "pre", "blockquote",
            "tg-emoji"}
_TG_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
TG_TEXT_MAX = 4096


class _EntityError(Exception):
    pass


def _tg_entity(text, i):
    """Decode the entity at text[i] == '&': (character, next index)."""
    semi = text.find(";", i + 1, i + 12)
    if semi < 0:
        raise _EntityError("bare '&'")
    name = text[i + 1:semi]
    if name in _TG_ENTITIES:
        return _TG_ENTITIES[name], semi + 1
    try:
        if name[:2] in ("#x", "#X"):
            code = int(name[2:], 16)
        elif name[:1] == "#" and name[1:].isdigit():
            code = int(name[1:])
        else:
            raise ValueError
        return chr(code), semi + 1
    except (ValueError, OverflowError):
        raise _EntityError("unsupported HTML entity \"&%s;\"" % name)


def tg_parse_html(text):
    """The plain text Telegram makes of an HTML-mode message.

    Raises ValueError with Telegram's wording (after "can't parse
    entities: ") when Telegram would refuse the text.
    """
    out, stack, i = [], [], 0

    def offset(k):
        return len(text[:k].encode("utf-8"))

    try:
        while i < len(text):
            c = text[i]
            if c == "&":
                ch, i = _tg_entity(text, i)
                out.append(ch)
                continue
            if c != "<":
                out.append(c)
                i += 1
                continue
            end = text.find(">", i)
            if end < 0:
                raise ValueError("Unclosed start tag at byte offset %d"
                                 % offset(i))
            inner = text[i + 1:end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise ValueError("Unexpected end tag at byte offset %d"
                                     % offset(i))
                if name != stack[-1]:
                    raise ValueError(
                        "Unmatched end tag at byte offset %d, expected "
                        "\"</%s>\", found \"</%s>\""
                        % (offset(i), stack[-1], name))
                stack.pop()
            else:
                name, _, attrs = inner.partition(" ")
                name = name.lower()
                if name not in _TG_TAGS:
                    raise ValueError("Unsupported start tag \"%s\" at byte "
                                     "offset %d" % (name, offset(i)))
                if "<" in attrs:
                    raise ValueError("Unclosed start tag at byte offset %d"
                                     % offset(i))
                for k, ch in enumerate(attrs):
                    if ch == "&":
                        _tg_entity(attrs, k)
                if name == "span" and "tg-spoiler" not in attrs:
                    raise ValueError("Tag \"span\" must have class "
                                     "\"tg-spoiler\"")
                stack.append(name)
            i = end + 1
    except _EntityError as e:
        raise ValueError("%s at byte offset %d" % (e, offset(i)))
    if stack:
        raise ValueError("Can't find end tag corresponding to start tag "
                         "\"%s\"" % stack[-1])
    return "".join(out)


def tg_length(plain):
    """Telegram's count: UTF-16 code units."""
    return len(plain.encode("utf-16-le")) // 2


class TelegramServer(HttpServer):
    """The Bot API: POST /bot<TOKEN>/sendMessage, checked like Telegram.

    token: the bot token the test configured (None: any token).  In mode
    ok a request is answered 200 only when Telegram would take it: the
    right path and token, a JSON body with chat_id and a non-empty text of
    at most 4096 UTF-16 units after entity parsing, valid HTML when
    parse_mode is HTML.  Otherwise it gets Telegram's error answer (401,
    404, 400 with Telegram's description).  Every request is recorded as
    before; accepted() and rejected() tell the answers apart.
    """

    def __init__(self, *a, token=None, **kw):
        self._message_id = 0
        self._token = token
        self._accepted = []             # JSON bodies answered 200
        self._rejected = []             # (status, description)
        super().__init__(*a, **kw)

    def clear(self):
        with self._lock:
            self._accepted.clear()
            self._rejected.clear()
        super().clear()

    def _check(self, req):
        """None if Telegram would send the message, else (status, desc)."""
        parts = req.path.split("/")
        if len(parts) != 3 or parts[0] != "" or \
                not parts[1].startswith("bot") or len(parts[1]) == 3:
            return 404, "Not Found"
        if self._token is not None and parts[1][3:] != self._token:
            return 401, "Unauthorized"
        if parts[2] != "sendMessage":
            return 404, "Not Found"
        body = req.json
        if not isinstance(body, dict):
            return 400, "Bad Request: message text is empty"
        chat = body.get("chat_id")
        if chat is None or chat == "":
            return 400, "Bad Request: chat_id is empty"
        if isinstance(chat, bool) or not isinstance(chat, (int, str)) or \
                (isinstance(chat, str) and not chat.startswith("@") and
                 not chat.lstrip("-").isdigit()):
            return 400, "Bad Request: chat not found"
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return 400, "Bad Request: message text is empty"
        mode = body.get("parse_mode")
        plain = text
        if isinstance(mode, str) and mode.lower() == "html":
            try:
                plain = tg_parse_html(text)
            except ValueError as e:
                return 400, "Bad Request: can't parse entities: %s" % e
        elif mode not in (None, "", "Markdown", "MarkdownV2"):
            return 400, "Bad Request: unsupported parse_mode"
        if not plain.strip():
            return 400, "Bad Request: message text is empty"
        if tg_length(plain) > TG_TEXT_MAX:
            return 400, "Bad Request: message is too long"
        thread = body.get("message_thread_id")
        if thread is not None and (isinstance(thread, bool) or
                                   not isinstance(thread, int)):
            return 400, "Bad Request: message thread not found"
        return None

    def reply_ok(self, req):
        bad = self._check(req)
        with self._lock:
            if bad is not None:
                self._rejected.append(bad)
            else:
                self._message_id += 1
                mid = self._message_id
                self._accepted.append(req.json)
        if bad is not None:
            out = {"ok": False, "error_code": bad[0], "description": bad[1]}
            return bad[0], {"Content-Type": "application/json"}, \
                json.dumps(out).encode()
        out = {"ok": True, "result": {"message_id": mid, "date":
                                      int(time.time())}}
        return 200, {"Content-Type": "application/json"}, \
            json.dumps(out).encode()

    def reply_429(self, req, retry_after):
        try:
            secs = int(retry_after)
        except ValueError:
            secs = 1
        desc = "Too Many Requests: retry after %d" % secs
        with self._lock:
            self._rejected.append((429, desc))
        out = {"ok": False, "error_code": 429, "description": desc,
               "parameters": {"retry_after": secs}}
        return 429, {"Content-Type": "application/json",
                     "Retry-After": retry_after}, json.dumps(out).encode()

    def messages(self):
        """The JSON bodies of sendMessage calls, accepted or not."""
        return [r.json for r in self.requests()
                if r.path.endswith("/sendMessage") and r.json is not None]

    def accepted(self):
        """JSON bodies of the messages answered 200, in arrival order."""
        with self._lock:
            return list(self._accepted)

    def rejected(self):
        """(status, description) of each Telegram error answer given:
        validation failures in mode ok and the answers of mode 429 (fail,
        hang and refuse give none; see requests())."""
        with self._lock:
            return list(self._rejected)


class LlmServer(HttpServer):
    """An OpenAI-compatible chat-completions endpoint that follows a script.

    Each POST (in mode ok) is answered with the next item of the script;
    the last item repeats.  An item is a dict:

        {"content": "ALERT: CRITICAL\nIssue: ..."}   200, a chat.completion
        {"status": 500}                              OpenAI's server_error
        {"status": 429, "retry_after": "2",
         "error": {"type": "tokens", "code": "rate_limit_exceeded"}}
        {"status": 429, "error": {"code": "insufficient_quota",
                                  "type": "insufficient_quota"}}
        {"delay": 5, "content": ...}                 answer 5 s late
        {"body": "raw bytes or str", "status": 200}  a body sent verbatim

    An error item gets OpenAI's body {"error": {"message", "type",
    "param": null, "code"}}, missing fields filled in as OpenAI writes
    them; "retry_after" becomes the Retry-After header, "headers" adds
    more.  "usage" overrides the token counts.  The other modes (fail,
    hang, slow, 429, refuse) work as in every fake.  Controls: POST
    /__script with a JSON list sets the script.
    """

    # What OpenAI says for the common statuses, when the item says nothing.
    _ERRORS = {
        400: ("invalid_request_error", None, "Invalid request."),
        401: ("invalid_request_error", "invalid_api_key",
              "Incorrect API key provided: sk-test***. You can find your "
              "API key at https://platform.openai.com/account/api-keys."),
        404: ("invalid_request_error", "model_not_found",
              "The model `fake` does not exist or you do not have access "
              "to it."),
        429: ("requests", "rate_limit_exceeded",
              "Rate limit reached for fake in organization org-test on "
              "requests per min (RPM): Limit 3, Used 3, Requested 1. "
              "Please try again in 20s."),
        500: ("server_error", None, "The server had an error while "
              "processing your request. Sorry about that!"),
        503: ("server_error", None, "The engine is currently overloaded, "
              "please try again later"),
    }
    _QUOTA = ("You exceeded your current quota, please check your plan "
              "and billing details. For more information on this error, "
              "read the docs: https://platform.openai.com/docs/guides/"
              "error-codes/api-errors.")

    def __init__(self, *a, content='{"status":"normal"}', script=None,
                 **kw):
        self._script = [{"content": content}]
        self._next = 0
        self._answers = 0
        super().__init__(*a, **kw)
        if script is not None:
            self.set_script(script)

    def set_script(self, script):
        """Answer the next requests with these items, from the first."""
        items = list(script)
        if not items or not all(isinstance(i, dict) for i in items):
            raise ValueError("a script is a non-empty list of dicts")
        with self._lock:
            self._script, self._next = items, 0

    def set_content(self, content):
        """Every answer from now on carries content (a one-item script)."""
        self.set_script([{"content": content}])

    def _take(self):
        with self._lock:
            item = self._script[min(self._next, len(self._script) - 1)]
            self._next += 1
            self._answers += 1
            return dict(item), self._answers

    def _error_body(self, status, err):
        err = dict(err or {})
        code = err.get("code")
        if code == "insufficient_quota" or \
                err.get("type") == "insufficient_quota":
            dtype, dcode, dmsg = "insufficient_quota", "insufficient_quota", \
                self._QUOTA
        else:
            dtype, dcode, dmsg = self._ERRORS.get(
                status, ("server_error", None, "Error %d." % status))
        out = {"message": err.get("message", dmsg),
               "type": err.get("type", dtype),
               "param": err.get("param"),
               "code": err.get("code", dcode)}
        return {"error": out}

    def reply_ok(self, req):
        item, n = self._take()
        delay = item.get("delay")
        # Held like slow mode, but released at once when the server stops.
        if delay and self._stop.wait(float(delay)):
            return 503, {}, b""
        status = int(item.get("status", 200))
        hdrs = {"Content-Type": "application/json"}
        if item.get("retry_after") is not None:
            hdrs["Retry-After"] = str(item["retry_after"])
        hdrs.update(item.get("headers", {}))
        if "body" in item:
            body = item["body"]
            return status, hdrs, body.encode("utf-8") \
                if isinstance(body, str) else body
        if status != 200 or "error" in item:
            if status == 200:
                status = 500
            return status, hdrs, json.dumps(
                self._error_body(status, item.get("error"))).encode()
        content = item.get("content", '{"status":"normal"}')
        model = "fake"
        if isinstance(req.json, dict) and isinstance(req.json.get("model"),
                                                     str):
            model = req.json["model"]
        usage = {"prompt_tokens": max(1, len(req.body) // 4),
                 "completion_tokens": max(1, len(content) // 4)}
        usage.update(item.get("usage", {}))
        usage["total_tokens"] = usage["prompt_tokens"] + \
            usage["completion_tokens"]
        out = {"id": "chatcmpl-fake%06d" % n, "object": "chat.completion",
               "created": int(time.time()), "model": model,
               "choices": [{"index": 0,
                            "message": {"role": "assistant",
                                        "content": content,
                                        "refusal": None},
                            "logprobs": None,
                            "finish_reason": "stop"}],
               "usage": usage,
               "system_fingerprint": "fp_fake"}
        return 200, hdrs, json.dumps(out).encode()

    def reply_429(self, req, retry_after):
        body = self._error_body(429, None)
        return 429, {"Content-Type": "application/json",
                     "Retry-After": retry_after}, json.dumps(body).encode()

    def _control(self, conn, req):
        if req.path == "/__script":
            try:
                self.set_script(req.json)
            except (TypeError, ValueError) as e:
                self._send(conn, 400, {}, ("%s\n" % e).encode())
                return
            self._send(conn, 200, {}, b"ok\n")
            return
        super()._control(conn, req)

    def bodies(self):
        """The parsed JSON bodies of the requests received (model,
        messages, temperature, response_format ...), oldest first."""
        return [r.json for r in self.requests() if isinstance(r.json, dict)]

    def prompts(self):
        """The messages arrays of the requests received."""
        return [b.get("messages") for b in self.bodies()]


KINDS = {"webhook": WebhookServer, "telegram": TelegramServer,
         "llm": LlmServer}


def main(argv=None):
    ap = argparse.ArgumentParser(description="loopback fake servers")
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--status", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--retry-after")
    ap.add_argument("--body-bytes", type=int)
    ap.add_argument("--no-length", action="store_true")
    ap.add_argument("--token", help="telegram: the only bot token taken")
    args = ap.parse_args(argv)

    extra = {"token": args.token} if args.kind == "telegram" else {}
    server = KINDS[args.kind](args.port, args.mode, status=args.status,
                              seconds=args.seconds,
                              retry_after=args.retry_after,
                              body_bytes=args.body_bytes,
                              no_length=args.no_length, **extra)
    # Blocked before the threads start, so that they inherit the mask and
    # only sigwait() below sees the signals.
    stops = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    server.start()
    sys.stdout.write("%d\n" % server.port)
    sys.stdout.flush()
    signal.sigwait(stops)
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
