/*
 * llm_ask: one question to the model, for the commands (`search --llm`,
 * `analyze --llm`): the same request format, transport (libcurl multi on
 * a libev loop), key handling and redaction as the daemon's checks, but
 * one call, waited for, with a spinner on a terminal so the user sees
 * that something is happening.
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
	long			 status;
	char			*body;
	size_t			 len;
	char			 error[256];
};

static void
ask_done(const struct http_result *r, void *arg)
{
	struct ask_wait	*w = arg;

	w->done = 1;
	w->status = r->status;
	snprintf(w->error, sizeof(w->error), "%s", r->error);
	if (r->body_len > 0)
		w->body = xmemdup(r->body, r->body_len);
	w->len = r->body_len;
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
	struct lw_llm_prompt	 p;
	struct lw_llm_response	 rsp;
	struct http_opts	 o;
	struct ask_wait		 w;
	struct buf		 body;
	ev_timer		 spin;
	unsigned		 frame = 0;
	const char		*hdrs[2] = { NULL, NULL };
	char			*auth = NULL;
	int			 tty = isatty(STDERR_FILENO), rc = -1;

	*answer = NULL;
	memset(&w, 0, sizeof(w));
	memset(&p, 0, sizeof(p));
	memset(&rsp, 0, sizeof(rsp));
	if ((loop = ev_loop_new(EVFLAG_AUTO)) == NULL) {
		snprintf(err, errsz, "cannot create an event loop");
		return -1;
	}
	h = http_new(loop);
	buf_init(&p.system, LW_LLM_RESPONSE_MAX);
	buf_init(&p.user, LW_LLM_RESPONSE_MAX);
	buf_init(&body, LW_LLM_RESPONSE_MAX);
	if (buf_adds(&p.system, system) == -1 ||
	    buf_adds(&p.user, user) == -1 ||
	    lw_llm_request(cfg->llm.model, &p, 0, &body) == -1) {
		snprintf(err, errsz, "the question is too long");
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.url = cfg->llm.url;
	o.content_type = "application/json";
	o.body = body.data;
	o.body_len = body.len;
	o.timeout = cfg->llm.timeout;
	o.max_body = LW_LLM_RESPONSE_MAX;
	if (cfg->llm.api_key != NULL) {
		xasprintf(&auth, "Authorization: Bearer %s", cfg->llm.api_key);
		hdrs[0] = auth;
	}
	o.headers = hdrs;
	if (http_request(h, &o, ask_done, &w) == NULL) {
		snprintf(err, errsz, "the request could not be set up");
		goto out;
	}
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
	if (w.status == 0) {
		snprintf(err, errsz, "%s", w.error[0] ? w.error :
		    "no response");
		goto out;
	}
	lw_llm_parse_response(w.body, w.len, &rsp);
	if (w.status != 200 || !rsp.ok || rsp.content == NULL) {
		snprintf(err, errsz, "HTTP %ld%s%s", w.status,
		    rsp.err_message[0] ? ": " : "", rsp.err_message);
		goto out;
	}
	*answer = xstrdup(rsp.content);
	rc = 0;
out:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	lw_llm_response_free(&rsp);
	free(w.body);
	buf_free(&p.system);
	buf_free(&p.user);
	buf_free(&body);
	http_free(h);
	ev_loop_destroy(loop);
	return rc;
}
