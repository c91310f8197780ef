/*
 * sinks: where alerts go.  The terminal (stdout: a person in front of
 * `demo` or a foreground run, or the journal under systemd) and
 * alerts.jsonl are local and written at once; the webhook is a network
 * sink behind an outq (outbox, retries).  Telegram and email are two more
 * outq-backed sinks of the same shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "outq.h"
#include "utf8.h"
#include "xmalloc.h"

struct webhook_job {
	struct lw_daemon	*d;
	struct outq		*q;
	struct outq_item	*it;
};

static void
sink_terminal(struct lw_daemon *d, const struct lw_alert *a)
{
	struct buf	b;

	if (d->quiet_terminal)
		return;
	buf_init(&b, 256 * 1024);
	if (lw_alert_render_terminal(a, d->color, &b) == 0) {
		fwrite(b.data, 1, b.len, stdout);
		fflush(stdout);
	}
	buf_free(&b);
}

/* Append one line; open and close each time so that a user who rotates
 * or deletes alerts.jsonl simply gets a new file. */
static int
sink_jsonl(struct lw_daemon *d, const char *json, char *err, size_t errsz)
{
	const char	*path = d->cfg->alerts.jsonl;
	size_t		 len = strlen(json);
	char		*line;
	ssize_t		 n;
	int		 fd, rc = 0;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = xmalloc(len + 1);
	memcpy(line, json, len);
	line[len] = '\n';
	/* One write() with O_APPEND: lines never interleave. */
	n = write(fd, line, len + 1);
	if (n != (ssize_t)(len + 1)) {
		snprintf(err, errsz, "%s: %s", path, n == -1 ?
		    strerror(errno) : "short write");
		rc = -1;
	}
	free(line);
	if (close(fd) == -1 && rc == 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* Classify an HTTP outcome for the outbox. */
static enum outq_result
http_classify(const struct http_result *r, char *reason, size_t sz)
{
	if (http_result_ok(r)) {
		snprintf(reason, sz, "HTTP %ld", r->status);
		return OUTQ_OK;
	}
	if (r->status == 0) {
		snprintf(reason, sz, "%s", r->error[0] ? r->error :
		    "no response");
		return OUTQ_RETRY;
	}
	{
		struct buf	b;

		buf_init(&b, 200);
		lw_vis(&b, r->body, r->body_len > 120 ? 120 : r->body_len);
		snprintf(reason, sz, "HTTP %ld%s%s", r->status,
		    b.len ? ": " : "", buf_str(&b));
		buf_free(&b);
	}
	if (r->status == 408 || r->status == 425 || r->status == 429 ||
	    r->status >= 500)
		return OUTQ_RETRY;
	return OUTQ_FAIL;
}

static void
webhook_done(const struct http_result *r, void *arg)
{
	struct webhook_job	*job = arg;
	char			 reason[256];
	enum outq_result	 res;

	if (r->curl_code == CURLE_ABORTED_BY_CALLBACK) {
		/* Shutdown: the alert stays pending in the outbox. */
		free(job);
		return;
	}
	res = http_classify(r, reason, sizeof(reason));
	outq_done(job->q, job->it, res, r->retry_after, reason);
	free(job);
}

static int
webhook_send(struct outq *q, struct outq_item *it, void *arg)
{
	struct lw_daemon	*d = arg;
	struct webhook_job	*job;
	static const char	*hdrs[] = { "User-Agent: logwarden/" LW_VERSION,
				    NULL };

	if (!d->cfg->webhook.enabled)
		return -1;
	job = xcalloc(1, sizeof(*job));
	job->d = d;
	job->q = q;
	job->it = it;
	if (http_post(d->http, d->cfg->webhook.url, "application/json",
	    it->json, strlen(it->json), hdrs, d->cfg->webhook.timeout,
	    webhook_done, job) == NULL) {
		free(job);
		return -1;
	}
	return 0;
}

void
sinks_init(struct lw_daemon *d)
{
	d->webhook = outq_new(d->loop, "webhook", d->st, webhook_send, d);
	if (d->cfg->webhook.enabled)
		outq_load(d->webhook);
}

void
sinks_reconfig(struct lw_daemon *d)
{
	/* The webhook's URL and timeout are read at each attempt; a
	 * webhook switched on by the reload may have old pending items. */
	if (d->cfg->webhook.enabled && outq_pending(d->webhook) == 0)
		outq_load(d->webhook);
	outq_kick(d->webhook);
}

void
sinks_free(struct lw_daemon *d)
{
	outq_free(d->webhook);
	d->webhook = NULL;
}

void
sinks_dispatch(struct lw_daemon *d, struct lw_alert *a)
{
	char	*json, err[512];

	json = lw_alert_to_json(a);
	if (json == NULL) {
		log_warnx("alert %s could not be serialised", a->id);
		return;
	}
	sink_terminal(d, a);
	if (sink_jsonl(d, json, err, sizeof(err)) == -1) {
		if (!d->jsonl_warned)
			log_warnx("alerts.jsonl: %s", err);
		d->jsonl_warned = 1;
	} else
		d->jsonl_warned = 0;
	if (d->cfg->webhook.enabled && a->severity >=
	    d->cfg->webhook.min_severity)
		outq_push(d->webhook, a->id, json);
	free(json);
}

size_t
sinks_pending(struct lw_daemon *d)
{
	return outq_pending(d->webhook);
}

/* 1 while a network sink has something in flight or due now. */
int
sinks_busy(struct lw_daemon *d)
{
	return outq_due_now(d->webhook);
}

void
sinks_status(struct lw_daemon *d, FILE *fp)
{
	uint64_t	del, fail, drop;

	outq_counts(d->webhook, &del, &fail, &drop);
	fprintf(fp, "webhook: %s; queued %zu (in flight %zu), delivered "
	    "%llu, given up %llu, dropped %llu",
	    d->cfg->webhook.enabled ? "on" : "off", outq_pending(d->webhook),
	    outq_inflight(d->webhook), (unsigned long long)del,
	    (unsigned long long)fail, (unsigned long long)drop);
}

/* test-alert: one attempt per sink, reported. */
struct test_wait {
	int			 done;
	enum outq_result	 res;
	char			 reason[256];
};

static void
test_done(const struct http_result *r, void *arg)
{
	struct test_wait	*w = arg;

	w->res = http_classify(r, w->reason, sizeof(w->reason));
	w->done = 1;
}

int
sinks_test(struct lw_daemon *d, struct lw_alert *a)
{
	char		*json = lw_alert_to_json(a), err[512];
	int		 failed = 0, any = 0;

	if (json == NULL) {
		fprintf(stderr, "cannot serialise the test alert\n");
		return -1;
	}
	printf("terminal: delivered\n");
	sink_terminal(d, a);
	if (d->cfg->alerts.jsonl != NULL) {
		any = 1;
		if (sink_jsonl(d, json, err, sizeof(err)) == 0)
			printf("alerts.jsonl: delivered (%s)\n",
			    d->cfg->alerts.jsonl);
		else {
			printf("alerts.jsonl: FAILED: %s\n", err);
			failed = 1;
		}
	}
	if (d->cfg->webhook.enabled) {
		struct test_wait w = { 0 };
		static const char *hdrs[] = {
		    "User-Agent: logwarden/" LW_VERSION, NULL };

		any = 1;
		if (http_post(d->http, d->cfg->webhook.url,
		    "application/json", json, strlen(json), hdrs,
		    d->cfg->webhook.timeout, test_done, &w) == NULL) {
			printf("webhook: FAILED: the request could not be "
			    "set up\n");
			failed = 1;
		} else {
			while (!w.done)
				ev_run(d->loop, EVRUN_ONCE);
			if (w.res == OUTQ_OK)
				printf("webhook: delivered (%s)\n", w.reason);
			else {
				printf("webhook: FAILED: %s\n", w.reason);
				failed = 1;
			}
		}
	}
	if (d->cfg->telegram.enabled)
		printf("telegram: configured, but this version does not "
		    "send to Telegram yet\n");
	if (d->cfg->email.enabled)
		printf("email: configured, but this version does not send "
		    "email yet\n");
	if (!any)
		printf("(no alerts.jsonl and no webhook configured)\n");
	free(json);
	return failed ? -1 : 0;
}
