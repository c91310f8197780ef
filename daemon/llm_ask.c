/*
 * llm_ask: one question to the model, for the commands (`search --llm`,
 * `analyze --llm`): the same request format, transport (libcurl multi on
 * a libev loop), key handling and redaction as the daemon's checks, but
 * one call, waited for, with a spinner on a terminal so the user sees
 * that something is happening.  llm_ask_start is the same question
 * without the wait, for the daemon's scheduled reports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "llm.h"
#include "log.h"
#include "logwarden.h"
#include "xmalloc.h"

struct ask_wait {
	int			 done;
	char			*answer;
	char			 error[256];
};

/* One question in flight: the caller's callback and what to call it with. */
struct ask_req {
	llm_answer_fn		 fn;
	void			*arg;
};

static void
ask_done(const struct http_result *r, void *arg)
{
	struct ask_req		*q = arg;
	struct lw_llm_response	 rsp;
	char			 err[512];

	memset(&rsp, 0, sizeof(rsp));
	if (r->status == 0) {
		q->fn(NULL, r->error[0] ? r->error : "no response", q->arg);
		goto out;
	}
	lw_llm_parse_response(r->body, r->body_len, &rsp);
	if (r->status != 200 || !rsp.ok || rsp.content == NULL) {
		snprintf(err, sizeof(err), "HTTP %ld%s%s", r->status,
		    rsp.err_message[0] ? ": " : "", rsp.err_message);
		q->fn(NULL, err, q->arg);
		goto out;
	}
	q->fn(rsp.content, NULL, q->arg);
out:
	lw_llm_response_free(&rsp);
	free(q);
}

struct http_req *
llm_post(struct http *h, const struct lw_config *cfg, const char *body,
    size_t len, http_done_cb cb, void *arg)
{
	struct http_opts	 o;
	struct http_req		*req;
	const char		*hdrs[2] = { NULL, NULL };
	char			*auth = NULL;

	memset(&o, 0, sizeof(o));
	o.url = cfg->llm.url;
	o.content_type = "application/json";
	o.body = body;
	o.body_len = len;
	o.timeout = cfg->llm.timeout;
	o.max_body = LW_LLM_RESPONSE_MAX;
	/* No key configured: no header at all (Ollama, llama.cpp). */
	if (cfg->llm.api_key != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", cfg->llm.api_key);
		hdrs[0] = auth;
	}
	o.headers = hdrs;
	req = http_request(h, &o, cb, arg);
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return req;
}

struct http_req *
llm_ask_start(struct http *h, const struct lw_config *cfg, const char *system,
    const char *user, llm_answer_fn fn, void *arg, char *err, size_t errsz)
{
	struct lw_llm_prompt	 p;
	struct http_req		*req = NULL;
	struct ask_req		*q;
	struct buf		 body;

	memset(&p, 0, sizeof(p));
	buf_init(&p.system, LW_LLM_RESPONSE_MAX);
	buf_init(&p.user, LW_LLM_RESPONSE_MAX);
	buf_init(&body, LW_LLM_RESPONSE_MAX);
	if (buf_adds(&p.system, system) == -1 ||
	    buf_adds(&p.user, user) == -1 ||
	    lw_llm_request(cfg->llm.model, &p, 0, &body) == -1) {
		snprintf(err, errsz, "the question is too long");
		goto out;
	}
	q = xcalloc(1, sizeof(*q));
	q->fn = fn;
	q->arg = arg;
	if ((req = llm_post(h, cfg, body.data, body.len, ask_done, q)) ==
	    NULL) {
		free(q);
		snprintf(err, errsz, "the request could not be set up");
	}
out:
	buf_free(&p.system);
	buf_free(&p.user);
	buf_free(&body);
	return req;
}

static void
wait_done(const char *answer, const char *err, void *arg)
{
	struct ask_wait	*w = arg;

	w->done = 1;
	if (answer != NULL)
		w->answer = xstrdup(answer);
	else
		snprintf(w->error, sizeof(w->error), "%s", err);
}

static void
spin_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	static const char	 frames[] = "|/-\\";
	unsigned		*n = t->data;

	(void)loop;
	(void)revents;
	fprintf(stderr, "\rasking %c ", frames[(*n)++ % 4]);
	fflush(stderr);
}

int
llm_ask_once(const struct lw_config *cfg, const char *system,
    const char *user, char **answer, char *err, size_t errsz)
{
	struct ev_loop		*loop;
	struct http		*h;
	struct ask_wait		 w;
	ev_timer		 spin;
	unsigned		 frame = 0;
	int			 tty = isatty(STDERR_FILENO), rc = -1;

	*answer = NULL;
	memset(&w, 0, sizeof(w));
	if ((loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		snprintf(err, errsz, "cannot create an event loop");
		return -1;
	}
	h = http_new(loop);
	if (llm_ask_start(h, cfg, system, user, wait_done, &w, err,
	    errsz) == NULL)
		goto out;
	if (tty) {
		ev_timer_init(&spin, spin_cb, 0, 0.2);
		spin.data = &frame;
		ev_timer_start(loop, &spin);
	}
	while (!w.done)
		ev_run(loop, EVRUN_ONCE);
	if (tty) {
		ev_timer_stop(loop, &spin);
		fprintf(stderr, "\r          \r");
	}
	if (w.answer == NULL) {
		snprintf(err, errsz, "%s", w.error);
		goto out;
	}
	*answer = w.answer;
	rc = 0;
out:
	http_free(h);
	ev_loop_destroy(loop);
	return rc;
}
