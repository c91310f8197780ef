/*
 * sink_telegram: the Bot API's sendMessage (telegram.api_url +
 * /bot<TOKEN>/sendMessage), HTML parse mode, at most 4096 characters per
 * message (lib/tgfmt renders and splits), silent for info alerts.
 * Telegram's limits are kept by the queue's pacing: one message a second
 * per chat, twenty a minute to a group.  429 waits retry_after; 5xx and
 * network errors back off; 400/401/403/404 mean a configuration problem:
 * no retry, and the other sinks are told.
 *
 * The URL holds the bot token: it is never logged.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "tgfmt.h"
#include "xmalloc.h"

struct tg_job {
	struct lw_daemon	*d;
	sink_done_fn		 done;
	void			*ctx;
};

static int
tg_enabled(const struct lw_config *c)
{
	return c->telegram.enabled;
}

static enum lw_sev
tg_min_severity(const struct lw_config *c)
{
	return c->telegram.min_severity;
}

static void
tg_policy(const struct lw_config *c, struct outq_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->group_interval = c->alerts.group_interval;
	/* group_interval = 0: every alert on its own (SPEC). */
	p->max_batch = c->alerts.group_interval > 0 ? 20 : 1;
	p->min_gap = 1.0;
	/* A negative chat id is a group or channel. */
	if (c->telegram.chat_id != NULL && c->telegram.chat_id[0] == '-')
		p->per_minute = 20;
	p->daily_cap = c->telegram.daily_cap;
	p->max_age = c->alerts.max_age;
}

static void
tg_done(const struct http_result *r, void *arg)
{
	struct tg_job		*job = arg;
	struct lw_tg_reply	 rep;
	char			 reason[LW_TG_DESC_MAX + 64];

	if (r->curl_code == CURLE_ABORTED_BY_CALLBACK) {
		job->done(job->ctx, OUTQ_RETRY, -1, "aborted");
		free(job);
		return;
	}
	if (r->status == 0) {
		/* No answer at all: the network, a timeout. */
		job->done(job->ctx, OUTQ_RETRY, -1, r->error[0] ? r->error :
		    "no response");
		free(job);
		return;
	}
	lw_tg_parse_reply(r->body, r->body_len, r->status, &rep);
	snprintf(reason, sizeof(reason), "Telegram %ld: %s", rep.error_code,
	    rep.description[0] ? rep.description : "(no description)");
	switch (rep.kind) {
	case LW_TG_OK:
		job->done(job->ctx, OUTQ_OK, -1, "ok");
		break;
	case LW_TG_RETRY:
		job->done(job->ctx, OUTQ_RETRY, rep.retry_after >= 0 ?
		    (int)rep.retry_after : r->retry_after, reason);
		break;
	case LW_TG_FATAL:
		log_err("telegram: %s (not retried: check telegram.chat_id "
		    "and the bot token)", reason);
		job->done(job->ctx, OUTQ_FAIL, -1, reason);
		sinks_misconfigured(job->d, "telegram", reason);
		break;
	}
	free(job);
}

static int
tg_start(struct lw_daemon *d, struct lw_alert *const *alerts, size_t n,
    sink_done_fn done, void *ctx)
{
	const struct lw_config	*c = d->cfg;
	static const char	*hdrs[] = { "User-Agent: logwarden/" LW_VERSION,
				    NULL };
	struct buf		 text, body;
	struct tg_job		*job;
	size_t			 used = 0, i, ulen;
	char			*url = NULL;
	int			 silent = 1, rc = -1;

	if (c->telegram.bot_token == NULL || c->telegram.chat_id == NULL) {
		log_warnx("telegram: no bot token or chat id");
		return -1;
	}
	buf_init(&text, LW_TG_RENDER_MAX);
	buf_init(&body, LW_TG_BODY_MAX);
	if (lw_tg_render((const struct lw_alert *const *)alerts, n, &used,
	    &text) == -1 || used == 0) {
		log_warnx("telegram: the message could not be rendered");
		goto out;
	}
	for (i = 0; i < used; i++)
		if (alerts[i]->severity > LW_SEV_INFO)
			silent = 0;
	if (lw_tg_body(c->telegram.chat_id, buf_str(&text), silent,
	    c->telegram.message_thread_id, &body) == -1) {
		log_warnx("telegram: the request could not be built");
		goto out;
	}
	ulen = strlen(c->telegram.api_url);
	while (ulen > 0 && c->telegram.api_url[ulen - 1] == '/')
		ulen--;
	xasprintf(&url, "%.*s/bot%s/sendMessage", (int)ulen,
	    c->telegram.api_url, c->telegram.bot_token);
	job = xcalloc(1, sizeof(*job));
	job->d = d;
	job->done = done;
	job->ctx = ctx;
	if (http_post(d->http, url, "application/json", body.data, body.len,
	    hdrs, c->telegram.timeout, tg_done, job) == NULL) {
		free(job);
		goto out;
	}
	rc = (int)used;
out:
	if (url != NULL) {
		explicit_bzero(url, strlen(url));
		free(url);
	}
	buf_free(&text);
	buf_free(&body);
	return rc;
}

const struct netsink_ops telegram_ops = {
	"telegram", tg_enabled, tg_min_severity, tg_policy, tg_start
};
