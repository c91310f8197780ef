/*
 * http: libcurl's multi-socket interface driven by libev, so that webhook,
 * Telegram, LLM and SMTP transfers never block the loop that tails the log.
 *
 * The glue follows the idea of curl's evhiperfifo example: curl tells us
 * through CURLMOPT_SOCKETFUNCTION which sockets to watch (one ev_io each,
 * hung on the socket with curl_multi_assign) and through
 * CURLMOPT_TIMERFUNCTION when it next wants to be woken (one ev_timer).
 * When either fires we hand it to curl_multi_socket_action and then drain
 * curl_multi_info_read for finished transfers.
 *
 * Name resolution: Debian's libcurl is built with the threaded resolver
 * (CURL_VERSION_ASYNCHDNS), so getaddrinfo runs in a helper thread and
 * the loop only waits on a socket.  http_new warns when it is missing,
 * because a synchronous resolver would stall the loop for a slow DNS.
 */
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

#ifndef LW_VERSION
#define LW_VERSION "0"
#endif
#define HTTP_USER_AGENT		"logwarden/" LW_VERSION
#define HTTP_DATE_MAX		64	/* longest Retry-After date we parse */

enum http_state {
	REQ_RUNNING,		/* in the multi handle */
	REQ_ABORTING,		/* taken by http_abort_all, not yet told */
	REQ_DONE		/* callback running, freed when it returns */
};

struct http_req {
	TAILQ_ENTRY(http_req)	 entry;
	CURL			*easy;
	struct curl_slist	*headers;	/* ours, freed with the request */
	struct buf		 body;
	http_done_cb		 cb;
	void			*arg;
	enum http_state		 state;
	int			 too_big;
	int			 retry_after;
	char			 errbuf[CURL_ERROR_SIZE];
};
TAILQ_HEAD(http_reqs, http_req);

/* One per socket curl wants watched. */
struct http_sock {
	TAILQ_ENTRY(http_sock)	 entry;
	ev_io			 io;
	curl_socket_t		 fd;
	struct http		*h;
};

struct http {
	struct ev_loop		*loop;
	CURLM			*multi;
	ev_timer		 timer;
	struct http_reqs	 reqs;
	size_t			 npending;
	TAILQ_HEAD(, http_sock)	 socks;
};

static void	http_check_done(struct http *);

static void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	buf_free(&r->body);
	free(r);
}

static void
http_sock_free(struct http *h, struct http_sock *s)
{
	ev_io_stop(h->loop, &s->io);
	TAILQ_REMOVE(&h->socks, s, entry);
	free(s);
}

static void
http_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_sock	*s = w->data;
	struct http		*h = s->h;
	curl_socket_t		 fd = s->fd;
	int			 action = 0, running;
	CURLMcode		 mc;

	(void)loop;
	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	if (revents & EV_ERROR)
		action |= CURL_CSELECT_ERR;
	/* s may be freed inside: only h and fd are used afterwards. */
	mc = curl_multi_socket_action(h->multi, fd, action, &running);
	if (mc != CURLM_OK)
		log_warnx("%s: %s", __func__, curl_multi_strerror(mc));
	http_check_done(h);
}

static void
http_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http	*h = w->data;
	int		 running;
	CURLMcode	 mc;

	(void)loop;
	(void)revents;
	mc = curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0,
	    &running);
	if (mc != CURLM_OK)
		log_warnx("%s: %s", __func__, curl_multi_strerror(mc));
	http_check_done(h);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching one socket. */
static int
http_socket_fn(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct http		*h = userp;
	struct http_sock	*s = socketp;
	int			 events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			http_sock_free(h, s);
		return 0;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->h = h;
		s->fd = fd;
		ev_init(&s->io, http_io_cb);
		s->io.data = s;
		TAILQ_INSERT_TAIL(&h->socks, s, entry);
		if (curl_multi_assign(h->multi, fd, s) != CURLM_OK) {
			http_sock_free(h, s);
			return -1;
		}
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(h->loop, &s->io);
	if (events != 0) {
		ev_io_set(&s->io, fd, events);
		ev_io_start(h->loop, &s->io);
	}
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: curl wants socket_action(TIMEOUT) in timeout_ms,
 * or never (-1).  A 0 timeout fires on the next loop iteration: curl asks
 * not to be called back from inside this function.
 */
static int
http_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct http	*h = userp;

	(void)multi;
	ev_timer_stop(h->loop, &h->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&h->timer, (double)timeout_ms / 1000.0, 0.0);
		ev_timer_start(h->loop, &h->timer);
	}
	return 0;
}

/* CURLOPT_WRITEFUNCTION: collect the body, refuse to pass the cap. */
static size_t
http_write_fn(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct http_req	*r = userp;
	size_t		 n;

	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		r->too_big = 1;
		return 0;
	}
	n = size * nmemb;
	if (buf_add(&r->body, ptr, n) == -1) {
		/* A short count makes curl stop with CURLE_WRITE_ERROR. */
		r->too_big = 1;
		return 0;
	}
	return n;
}

/* Retry-After is delta-seconds or an HTTP-date (RFC 9110 10.2.3). */
static int
http_parse_retry_after(const char *v, size_t len)
{
	char	 date[HTTP_DATE_MAX];
	long	 secs = 0;
	size_t	 i;
	time_t	 t, now;

	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0)
		return -1;
	for (i = 0; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
		if (secs < HTTP_RETRY_AFTER_MAX)
			secs = secs * 10 + (v[i] - '0');
	}
	if (i == len)
		return secs > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX :
		    (int)secs;
	if (i != 0 || len >= sizeof(date))
		return -1;
	memcpy(date, v, len);
	date[len] = '\0';
	if ((t = curl_getdate(date, NULL)) == -1)
		return -1;
	/* A date is wall-clock by nature; turn it into a delay at once. */
	now = time(NULL);
	if (t <= now)
		return 0;
	if (t - now > HTTP_RETRY_AFTER_MAX)
		return HTTP_RETRY_AFTER_MAX;
	return (int)(t - now);
}

/* CURLOPT_HEADERFUNCTION: one header line at a time, not NUL-terminated. */
static size_t
http_header_fn(char *line, size_t size, size_t nitems, void *userp)
{
	static const char	 name[] = "retry-after:";
	struct http_req		*r = userp;
	size_t			 n = size * nitems, skip;

	/* A new status line (after 100 Continue) starts a new header set. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
		r->retry_after = -1;
	else if (n > sizeof(name) - 1 &&
	    strncasecmp(line, name, sizeof(name) - 1) == 0) {
		skip = sizeof(name) - 1;
		while (skip < n && (line[skip] == ' ' || line[skip] == '\t'))
			skip++;
		r->retry_after = http_parse_retry_after(line + skip, n - skip);
	}
	return n;
}

struct http *
http_new(struct ev_loop *loop)
{
	struct http			*h;
	const curl_version_info_data	*vi;
	CURLcode			 rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		fatalx("%s: curl_global_init: %s", __func__,
		    curl_easy_strerror(rc));
	vi = curl_version_info(CURLVERSION_NOW);
	if (!(vi->features & CURL_VERSION_ASYNCHDNS))
		log_warnx("%s: libcurl %s resolves names synchronously; a slow "
		    "DNS server will stall the loop", __func__, vi->version);

	h = xcalloc(1, sizeof(*h));
	h->loop = loop;
	TAILQ_INIT(&h->reqs);
	TAILQ_INIT(&h->socks);
	ev_init(&h->timer, http_timer_cb);
	h->timer.data = h;
	if ((h->multi = curl_multi_init()) == NULL)
		fatalx("%s: curl_multi_init failed", __func__);
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION,
	    http_socket_fn) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION,
	    http_timer_fn) != CURLM_OK ||
	    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
		fatalx("%s: curl_multi_setopt failed", __func__);
	return h;
}

void
http_free(struct http *h)
{
	struct http_sock	*s;

	if (h == NULL)
		return;
	http_abort_all(h, 0);
	/* Closing cached connections may still call http_socket_fn. */
	curl_multi_cleanup(h->multi);
	while ((s = TAILQ_FIRST(&h->socks)) != NULL)
		http_sock_free(h, s);
	ev_timer_stop(h->loop, &h->timer);
	free(h);
	curl_global_cleanup();
}

/* Hand a finished transfer to its owner, then free it. */
static void
http_finish(struct http *h, struct http_req *r, CURLcode code)
{
	struct http_result	 res;

	memset(&res, 0, sizeof(res));
	res.curl_code = code;
	res.retry_after = r->retry_after;
	if (curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE,
	    &res.status) != CURLE_OK)
		res.status = 0;
	if (curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME,
	    &res.total_secs) != CURLE_OK)
		res.total_secs = 0.0;
	/* curl's own text for a refused write would hide the real cause. */
	if (r->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		res.body_too_big = 1;
		snprintf(r->errbuf, sizeof(r->errbuf),
		    "response body over %zu bytes", r->body.max);
	} else if (code == CURLE_OK)
		r->errbuf[0] = '\0';
	else if (r->errbuf[0] == '\0')
		snprintf(r->errbuf, sizeof(r->errbuf), "%s",
		    curl_easy_strerror(code));
	res.error = r->errbuf;
	res.body = buf_str(&r->body);
	res.body_len = r->body.len;

	curl_multi_remove_handle(h->multi, r->easy);
	TAILQ_REMOVE(&h->reqs, r, entry);
	h->npending--;
	r->state = REQ_DONE;
	r->cb(&res, r->arg);
	http_req_free(r);
}

static void
http_check_done(struct http *h)
{
	CURLMsg		*m;
	CURL		*easy;
	CURLcode	 code;
	char		*priv;
	int		 left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is only valid until the handle is removed. */
		easy = m->easy_handle;
		code = m->data.result;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) !=
		    CURLE_OK || priv == NULL)
			fatalx("%s: finished transfer without request",
			    __func__);
		http_finish(h, (struct http_req *)(void *)priv, code);
	}
}

/*
 * The part every request shares.  Takes easy and headers over, frees
 * them on failure too.
 */
static struct http_req *
http_start(struct http *h, CURL *easy, struct curl_slist *headers,
    long timeout, long connect_timeout, size_t max_body, http_done_cb cb,
    void *arg)
{
	struct http_req	*r;
	CURLcode	 rc = CURLE_OK;
	CURLMcode	 mc;
	const char	*what = NULL;

	r = xcalloc(1, sizeof(*r));
	r->easy = easy;
	r->headers = headers;
	r->cb = cb;
	r->arg = arg;
	r->retry_after = -1;
	if (max_body == 0)
		max_body = HTTP_BODY_MAX;
	buf_init(&r->body, max_body);
	if (timeout <= 0)
		timeout = HTTP_TIMEOUT_DEFAULT;
	if (connect_timeout <= 0)
		connect_timeout = HTTP_CONNECT_TIMEOUT;
	if (connect_timeout > timeout)
		connect_timeout = timeout;

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(easy, opt, val)) != CURLE_OK) {	\
		what = #opt;						\
		goto fail;						\
	}								\
} while (0)
	/* No SIGALRM from curl: signals belong to the daemon's loop. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PRIVATE, (char *)r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	SET(CURLOPT_TIMEOUT, timeout);
	SET(CURLOPT_CONNECTTIMEOUT, connect_timeout);
	SET(CURLOPT_WRITEFUNCTION, http_write_fn);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_HEADERFUNCTION, http_header_fn);
	SET(CURLOPT_HEADERDATA, r);
	/* Refuses early when Content-Length announces too much. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
#undef SET

	if ((mc = curl_multi_add_handle(h->multi, easy)) != CURLM_OK) {
		log_warnx("%s: curl_multi_add_handle: %s", __func__,
		    curl_multi_strerror(mc));
		goto fail_quiet;
	}
	TAILQ_INSERT_TAIL(&h->reqs, r, entry);
	h->npending++;
	return r;

fail:
	log_warnx("%s: %s: %s", __func__, what, curl_easy_strerror(rc));
fail_quiet:
	http_req_free(r);
	return NULL;
}

struct http_req *
http_add_easy(struct http *h, CURL *easy, long timeout_secs,
    size_t max_body, http_done_cb cb, void *arg)
{
	return http_start(h, easy, NULL, timeout_secs, 0, max_body, cb, arg);
}

/* Copy caller headers into a list of our own; NULL on failure. */
static int
http_add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist	*n;

	if ((n = curl_slist_append(*list, line)) == NULL)
		return -1;
	*list = n;
	return 0;
}

struct http_req *
http_request(struct http *h, const struct http_opts *o, http_done_cb cb,
    void *arg)
{
	CURL			*easy = NULL;
	struct curl_slist	*hdrs = NULL;
	const char		*method = o->method, *what = NULL;
	char			*ct = NULL;
	CURLcode		 rc = CURLE_OK;
	size_t			 i;

	if (method == NULL)
		method = o->body != NULL ? "POST" : "GET";
	if ((easy = curl_easy_init()) == NULL) {
		log_warnx("%s: curl_easy_init failed", __func__);
		goto fail;
	}
	if (o->content_type != NULL) {
		xasprintf(&ct, "Content-Type: %s", o->content_type);
		if (http_add_header(&hdrs, ct) == -1)
			goto nomem;
	}
	/*
	 * Without this curl waits up to a second for "100 Continue" before
	 * sending a larger body, and many small servers never send it.
	 */
	if (o->body != NULL && http_add_header(&hdrs, "Expect:") == -1)
		goto nomem;
	for (i = 0; o->headers != NULL && o->headers[i] != NULL; i++) {
		if (http_add_header(&hdrs, o->headers[i]) == -1)
			goto nomem;
	}

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(easy, opt, val)) != CURLE_OK) {	\
		what = #opt;						\
		goto bad;						\
	}								\
} while (0)
	SET(CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") == 0)
		SET(CURLOPT_HTTPGET, 1L);
	else if (strcmp(method, "HEAD") == 0)
		SET(CURLOPT_NOBODY, 1L);
	else {
		/* The size first, so that COPYPOSTFIELDS copies binary bodies. */
		SET(CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(o->body != NULL ? o->body_len : 0));
		SET(CURLOPT_COPYPOSTFIELDS, o->body != NULL ? o->body : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	free(ct);
	return http_start(h, easy, hdrs, o->timeout, o->connect_timeout,
	    o->max_body, cb, arg);

bad:
	log_warnx("%s: %s: %s", __func__, what, curl_easy_strerror(rc));
	goto fail;
nomem:
	log_warnx("%s: curl_slist_append failed", __func__);
fail:
	free(ct);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(easy);
	return NULL;
}

struct http_req *
http_post(struct http *h, const char *url, const char *content_type,
    const char *body, size_t len, const char *const *extra_headers,
    long timeout_secs, http_done_cb cb, void *arg)
{
	struct http_opts	 o;

	memset(&o, 0, sizeof(o));
	o.method = "POST";
	o.url = url;
	o.content_type = content_type;
	o.body = body != NULL ? body : "";
	o.body_len = body != NULL ? len : 0;
	o.headers = extra_headers;
	o.timeout = timeout_secs;
	return http_request(h, &o, cb, arg);
}

void
http_cancel(struct http *h, struct http_req *r)
{
	if (r == NULL)
		return;
	switch (r->state) {
	case REQ_DONE:
		/* Inside its own callback: http_finish frees it. */
		return;
	case REQ_ABORTING:
		/* http_abort_all frees it; just keep it from being told. */
		r->cb = NULL;
		return;
	case REQ_RUNNING:
		break;
	}
	curl_multi_remove_handle(h->multi, r->easy);
	TAILQ_REMOVE(&h->reqs, r, entry);
	h->npending--;
	http_req_free(r);
}

size_t
http_pending(const struct http *h)
{
	return h != NULL ? h->npending : 0;
}

void
http_abort_all(struct http *h, int notify)
{
	struct http_reqs	 gone = TAILQ_HEAD_INITIALIZER(gone);
	struct http_req		*r;
	struct http_result	 res;

	/*
	 * Move the list aside first: a callback may start new requests,
	 * which stay pending, or cancel one of these, which is then not
	 * told (REQ_ABORTING).
	 */
	TAILQ_CONCAT(&gone, &h->reqs, entry);
	TAILQ_FOREACH(r, &gone, entry)
		r->state = REQ_ABORTING;
	while ((r = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, r, entry);
		curl_multi_remove_handle(h->multi, r->easy);
		h->npending--;
		if (notify && r->cb != NULL) {
			memset(&res, 0, sizeof(res));
			res.curl_code = CURLE_ABORTED_BY_CALLBACK;
			res.error = "aborted";
			res.body = "";
			res.retry_after = -1;
			r->state = REQ_DONE;
			r->cb(&res, r->arg);
		}
		http_req_free(r);
	}
}

int
http_result_ok(const struct http_result *res)
{
	return res->curl_code == CURLE_OK && res->status >= 200 &&
	    res->status <= 299;
}
