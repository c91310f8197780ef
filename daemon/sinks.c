/*
 * sinks: where alerts go.  The terminal (stdout: a person in front of
 * `demo` or a foreground run, or the journal under systemd) and
 * alerts.jsonl are local and written at once.  The network sinks
 * (sink_webhook.c, sink_telegram.c, sink_email.c) each sit behind an outq
 * (outbox, grouping, pacing, retries, daily cap); this file routes alerts
 * to them and adapts outq's items to their "deliver these alerts" call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "outq.h"
#include "utf8.h"
#include "xmalloc.h"

#define MISCONF_EVERY_MS	(3600 * 1000)	/* "X is misconfigured" */

static const struct netsink_ops *const sink_ops[LW_NSINKS] = {
	&webhook_ops, &telegram_ops, &email_ops
};

/* One message in flight: the outq items it carries. */
struct sink_batch {
	struct netsink		*s;
	struct outq_item	*it[OUTQ_MAX_BATCH];
	size_t			 n;
};

/* The terminal block of a, rendered when the alert is routed; NULL if
 * it cannot be. */
static char *
sink_terminal_render(struct lw_daemon *d, const struct lw_alert *a)
{
	struct buf	b;

	buf_init(&b, 256 * 1024);
	if (lw_alert_render_terminal(a, d->color, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* Append one line; open and close each time so that a user who rotates
 * or deletes alerts.jsonl simply gets a new file.  One write() with
 * O_APPEND: lines never interleave. */
static int
sink_jsonl(struct lw_daemon *d, const char *json, char *err, size_t errsz)
{
	const char	*path = d->cfg->alerts.jsonl;
	size_t		 len = strlen(json);
	char		*line;
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
	if (lw_write_all(fd, line, len + 1) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	if (close(fd) == -1 && rc == 0) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

void
sinks_classify_http(long status, const char *err, const char *body,
    size_t len, enum outq_result *res, char *reason, size_t sz)
{
	struct buf	b;

	if (status >= 200 && status < 300) {
		snprintf(reason, sz, "HTTP %ld", status);
		*res = OUTQ_OK;
		return;
	}
	if (status == 0) {
		snprintf(reason, sz, "%s", err && err[0] ? err : "no response");
		*res = OUTQ_RETRY;
		return;
	}
	buf_init(&b, 200);
	lw_vis(&b, body ? body : "", len > 120 ? 120 : len);
	snprintf(reason, sz, "HTTP %ld%s%s", status, b.len ? ": " : "",
	    buf_str(&b));
	buf_free(&b);
	if (status == 408 || status == 425 || status == 429 || status >= 500)
		*res = OUTQ_RETRY;
	else
		*res = OUTQ_FAIL;
}

static void
batch_done(void *ctx, enum outq_result res, int retry_after,
    const char *reason)
{
	struct sink_batch	*b = ctx;
	size_t			 i;

	/* At shutdown the items simply stay pending in the outbox. */
	if (!b->s->d->stopping)
		for (i = 0; i < b->n; i++)
			outq_done(b->s->q, b->it[i], res, retry_after, reason);
	free(b);
}

/* outq's send: the items' JSON back into alerts, then the sink. */
static int
sink_send(struct outq *q, struct outq_item **items, size_t n, void *arg)
{
	struct netsink		*s = arg;
	struct lw_alert		*alerts[OUTQ_MAX_BATCH];
	struct sink_batch	*b;
	size_t			 i, k = 0, m;
	int			 took;

	b = xcalloc(1, sizeof(*b));
	b->s = s;
	for (i = 0; i < n; i++) {
		alerts[k] = lw_alert_from_json(items[i]->json,
		    strlen(items[i]->json));
		if (alerts[k] == NULL) {
			/* Only a damaged outbox row can do this. */
			log_warnx("%s: alert %s in the outbox is unreadable",
			    s->ops->name, items[i]->id);
			continue;
		}
		b->it[k++] = items[i];
	}
	if (k < n) {
		/* Only a damaged outbox row gets here: fail it, and put the
		 * readable ones of this batch back for the next send. */
		for (i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < k && b->it[j] != items[i]; j++)
				;
			if (j == k)
				outq_done(q, items[i], OUTQ_FAIL, -1,
				    "unreadable outbox entry");
			else
				outq_done(q, items[i], OUTQ_RETRY, 0,
				    "sent with the next message");
		}
		for (i = 0; i < k; i++)
			lw_alert_free(alerts[i]);
		free(b);
		return (int)n;
	}
	/* A scheduled report is a message of its own. */
	for (m = 1; m < n && !lw_alert_is_report(alerts[0]) &&
	    !lw_alert_is_report(alerts[m]); m++)
		;
	took = s->ops->start(s->d, alerts, m, batch_done, b);
	for (i = 0; i < n; i++)
		lw_alert_free(alerts[i]);
	if (took < 0) {
		free(b);
		return -1;
	}
	b->n = (size_t)took;
	return took;
}

static void
sink_summary(struct outq *q, int day, uint64_t held, unsigned cap,
    void *arg)
{
	struct netsink	*s = arg;
	struct lw_alert	*a = lw_alert_new();
	char		 title[256], detail[512];
	char		*json;

	a->severity = LW_SEV_INFO;
	snprintf(title, sizeof(title), "%llu alerts were held back on "
	    "%04d-%02d-%02d (daily cap of %u for %s)",
	    (unsigned long long)held, day / 10000, day / 100 % 100, day % 100,
	    cap, s->ops->name);
	snprintf(detail, sizeof(detail), "The daily cap was reached; the "
	    "alerts after it were not sent here. alerts.jsonl and the other "
	    "sinks have them all. Raise %s.daily_cap (0: no cap) if this "
	    "happens often.", s->ops->name);
	lw_alert_set_rule(a, "cap");
	lw_alert_set_title(a, title);
	lw_alert_set_detail(a, detail);
	lw_alert_set_host(a, s->d->host);
	lw_alert_set_log(a, s->d->cfg->source.path);
	lw_alert_set_count(a, (long long)held);
	if ((json = lw_alert_to_json(a)) != NULL) {
		log_info("%s: %s", s->ops->name, title);
		outq_push(q, a->id, json);
		free(json);
	}
	lw_alert_free(a);
}

/* Scheduled reports pass the daily cap: a noisy day is when they matter
 * most.  Parsed only for items past the cap. */
static int
sink_exempt(const char *json)
{
	struct lw_alert	*a = lw_alert_from_json(json, strlen(json));
	int		 r = a != NULL && lw_alert_is_report(a);

	lw_alert_free(a);
	return r;
}

static void
sinks_policy(struct lw_daemon *d)
{
	struct outq_policy	p;
	int			i;

	for (i = 0; i < LW_NSINKS; i++) {
		d->sinks[i].ops->policy(d->cfg, &p);
		if (d->once)
			p.group_interval = 0;	/* nothing waits in --once */
		outq_set_policy(d->sinks[i].q, &p);
	}
}

void
sinks_init(struct lw_daemon *d)
{
	int	i;

	for (i = 0; i < LW_NSINKS; i++) {
		struct netsink *s = &d->sinks[i];

		s->ops = sink_ops[i];
		s->d = d;
		s->q = outq_new(d->loop, s->ops->name, d->st, sink_send, s);
		outq_set_summary(s->q, sink_summary);
		outq_set_exempt(s->q, sink_exempt);
	}
	sinks_policy(d);
	for (i = 0; i < LW_NSINKS; i++)
		if (d->sinks[i].ops->enabled(d->cfg))
			outq_load(d->sinks[i].q);
}

void
sinks_reconfig(struct lw_daemon *d)
{
	int	i;

	sinks_policy(d);
	for (i = 0; i < LW_NSINKS; i++) {
		struct netsink *s = &d->sinks[i];

		/* A sink switched on by the reload may have old items. */
		if (s->ops->enabled(d->cfg) && outq_pending(s->q) == 0)
			outq_load(s->q);
		outq_kick(s->q);
	}
}

void
sinks_free(struct lw_daemon *d)
{
	int	i;

	sinks_flush_local(d);
	for (i = 0; i < LW_NSINKS; i++) {
		outq_free(d->sinks[i].q);
		d->sinks[i].q = NULL;
	}
}

static void
sink_local(struct lw_daemon *d, const struct local_alert *l)
{
	char	err[512];

	if (l->term != NULL) {
		fputs(l->term, stdout);
		fflush(stdout);
	}
	/* alerts.jsonl is the alert log; reports are in the state DB. */
	if (l->report)
		return;
	if (sink_jsonl(d, l->json, err, sizeof(err)) == -1) {
		if (!d->jsonl_warned)
			log_warnx("alerts.jsonl: %s", err);
		d->jsonl_warned = 1;
	} else
		d->jsonl_warned = 0;
}

/* The batch is committed: its alerts may now show up locally.  Held back
 * until then, a crash before the commit (which replays the lines and
 * raises the alerts again) cannot leave an alert in alerts.jsonl that no
 * network sink will ever get. */
void
sinks_flush_local(struct lw_daemon *d)
{
	size_t	i;

	for (i = 0; i < d->nlocal; i++) {
		sink_local(d, &d->local[i]);
		free(d->local[i].json);
		free(d->local[i].term);
	}
	free(d->local);
	d->local = NULL;
	d->nlocal = 0;
}

/* Route one alert; skip is a sink index not to use, or -1. */
static void
sinks_route(struct lw_daemon *d, struct lw_alert *a, int skip)
{
	struct local_alert	 l;
	char			*json;
	int			 i;

	json = lw_alert_to_json(a);
	if (json == NULL) {
		log_warnx("alert %s could not be serialised", a->id);
		return;
	}
	lw_state_alert_put(d->st, a, json);	/* the history; not reports */
	for (i = 0; i < LW_NSINKS; i++) {
		struct netsink *s = &d->sinks[i];

		/* A report is asked for: no severity to filter it by. */
		if (i != skip && s->ops->enabled(d->cfg) &&
		    (lw_alert_is_report(a) ||
		    a->severity >= s->ops->min_severity(d->cfg)))
			outq_push(s->q, a->id, json);
	}
	l.json = json;
	l.term = sink_terminal_render(d, a);
	l.report = lw_alert_is_report(a);
	if (d->in_batch && d->nlocal < OUTQ_MAX_ITEMS) {
		d->local = xreallocarray(d->local, d->nlocal + 1,
		    sizeof(*d->local));
		d->local[d->nlocal++] = l;
		return;
	}
	sink_local(d, &l);
	free(l.json);
	free(l.term);
}

void
sinks_dispatch(struct lw_daemon *d, struct lw_alert *a)
{
	sinks_route(d, a, -1);
}

/* A sink refuses our messages for good (bad token, chat, address): the
 * operator must hear it through the other sinks, once an hour at most. */
void
sinks_misconfigured(struct lw_daemon *d, const char *sink, const char *why)
{
	struct lw_alert	*a;
	char		 title[512], detail[1024], rule[64];
	int64_t		 now = lw_mono_ms();
	int		 i;

	for (i = 0; i < LW_NSINKS; i++)
		if (strcmp(d->sinks[i].ops->name, sink) == 0)
			break;
	if (i == LW_NSINKS || (d->misconf_mono[i] != 0 &&
	    now - d->misconf_mono[i] < MISCONF_EVERY_MS))
		return;
	d->misconf_mono[i] = now;
	a = lw_alert_new();
	a->severity = LW_SEV_WARNING;
	snprintf(rule, sizeof(rule), "sink:%s", sink);
	snprintf(title, sizeof(title), "%s refuses logwarden's alerts: %s",
	    sink, why);
	snprintf(detail, sizeof(detail), "Alerts are not reaching %s and "
	    "will not be retried: %s. Check the [%s] section of %s (token, "
	    "chat id, address) and run `logwarden test-alert`.", sink, why,
	    sink, d->cfgpath ? d->cfgpath : "the config");
	lw_alert_set_rule(a, rule);
	lw_alert_set_title(a, title);
	lw_alert_set_detail(a, detail);
	lw_alert_set_host(a, d->host);
	lw_alert_set_log(a, d->cfg->source.path);
	lw_alert_redact(a, NULL);
	sinks_route(d, a, i);
	lw_alert_free(a);
}

size_t
sinks_pending(struct lw_daemon *d)
{
	size_t	n = 0;
	int	i;

	for (i = 0; i < LW_NSINKS; i++)
		n += outq_pending(d->sinks[i].q);
	return n;
}

/* 1 while a network sink has something in flight or due now. */
int
sinks_busy(struct lw_daemon *d)
{
	int	i;

	for (i = 0; i < LW_NSINKS; i++)
		if (outq_due_now(d->sinks[i].q))
			return 1;
	return 0;
}

void
sinks_status(struct lw_daemon *d, FILE *fp)
{
	uint64_t	del, fail, drop, held;
	int		i;

	for (i = 0; i < LW_NSINKS; i++) {
		struct netsink *s = &d->sinks[i];

		outq_counts(s->q, &del, &fail, &drop, &held);
		fprintf(fp, "%s%s: %s; queued %zu (in flight %zu), delivered "
		    "%llu, given up %llu, dropped %llu, held by the daily cap "
		    "%llu", i ? "; " : "", s->ops->name,
		    s->ops->enabled(d->cfg) ? "on" : "off",
		    outq_pending(s->q), outq_inflight(s->q),
		    (unsigned long long)del, (unsigned long long)fail,
		    (unsigned long long)drop, (unsigned long long)held);
	}
}

/* test-alert: one attempt per sink, reported. */
struct test_wait {
	int			 done;
	enum outq_result	 res;
	char			 reason[512];
};

static void
test_done(void *ctx, enum outq_result res, int retry_after,
    const char *reason)
{
	struct test_wait	*w = ctx;

	(void)retry_after;
	w->res = res;
	snprintf(w->reason, sizeof(w->reason), "%s", reason);
	w->done = 1;
}

int
sinks_test(struct lw_daemon *d, struct lw_alert *a)
{
	char		*json = lw_alert_to_json(a), err[512], *term;
	int		 failed = 0, any = 0, i;

	if (json == NULL) {
		fprintf(stderr, "cannot serialise the test alert\n");
		return -1;
	}
	printf("terminal: delivered\n");
	if ((term = sink_terminal_render(d, a)) != NULL)
		fputs(term, stdout);
	free(term);
	/* alerts.jsonl is the alert log: a test report is not for it. */
	if (d->cfg->alerts.jsonl != NULL && !lw_alert_is_report(a)) {
		any = 1;
		if (sink_jsonl(d, json, err, sizeof(err)) == 0)
			printf("alerts.jsonl: delivered (%s)\n",
			    d->cfg->alerts.jsonl);
		else {
			printf("alerts.jsonl: FAILED: %s\n", err);
			failed = 1;
		}
	}
	for (i = 0; i < LW_NSINKS; i++) {
		const struct netsink_ops	*ops = d->sinks[i].ops;
		struct test_wait		 w = { 0 };
		struct lw_alert			*one[1] = { a };

		if (!ops->enabled(d->cfg))
			continue;
		any = 1;
		fflush(stdout);
		if (ops->start(d, one, 1, test_done, &w) < 0) {
			printf("%s: FAILED: the message could not be "
			    "prepared (see the log)\n", ops->name);
			failed = 1;
			continue;
		}
		while (!w.done)
			ev_run(d->loop, EVRUN_ONCE);
		if (w.res == OUTQ_OK)
			printf("%s: delivered (%s)\n", ops->name, w.reason);
		else {
			printf("%s: FAILED: %s\n", ops->name, w.reason);
			failed = 1;
		}
	}
	if (!any)
		printf("(no alerts.jsonl, webhook, Telegram or email "
		    "configured)\n");
	free(json);
	return failed ? -1 : 0;
}
