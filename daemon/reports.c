/*
 * reports: the scheduled reports of [reports] (hourly = yes, daily =
 * HH:MM).  Each kind keeps an analyzer report (lib/report.c, the code of
 * `logwarden analyze`) of the records read since its period began; when
 * the period ends the report is compared with the previous one of its
 * kind (the state DB's reports table), the model is asked for a
 * narrative when it is on (on the loop, never waited for: the report
 * goes out without one if the model fails), and the result is routed to
 * every network sink as one message of its own: Telegram the compact
 * summary, email the full report, the webhook the report's JSON.  Every
 * report is kept in the state DB for `logwarden history`.
 *
 * Periods follow the local wall clock: an hourly report at every full
 * hour about the hour before it, the daily one at HH:MM about the 24
 * hours before it.  A period the daemon did not see from its start (it
 * was first started, or the kind switched on by a reload, within it)
 * says so.
 * Records are taken by arrival, so a backlog read at start counts in the
 * first period.
 *
 * A restart within a period reads its part of the log again
 * (reports_resume.c), so the report still covers the whole period.
 *
 * Each period's report is built with a configuration of its own, loaded
 * from the config file when the period begins: a reload in between
 * frees the daemon's config, which the report's metric patterns and
 * categories point into.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "buf.h"
#include "categories.h"
#include "llm_prompt.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "redact.h"
#include "report.h"
#include "reportmsg.h"
#include "xmalloc.h"

#define REPORTS_TICK		1.0	/* seconds between clock checks */
#define REPORTS_HOURS		24	/* errors-per-hour sparkline */
#define REPORTS_SLACK_MS	60000	/* a period seen from this near its
					 * start is whole */
#define REPORTS_LLM_BYTES	(32 * 1024)	/* markdown sent, at most */
#define REPORTS_PENDING_MAX	8	/* reports waiting for the model */
#define REPORTS_TEST_BYTES	(16u << 20)	/* test-report reads */
#define HOUR_MS			(3600 * 1000LL)

enum { K_HOURLY, K_DAILY, K_N };
static const char *const kind_names[K_N] = { "hourly", "daily" };

struct period {
	int			 on;
	struct lw_config	*cfg;		/* the report's own; may be NULL */
	struct lw_redactor	*red;
	struct lw_category	*cats;
	struct lw_report	*rep;
	int64_t			 start_ms;	/* the period as scheduled */
	int64_t			 seen_ms;	/* records taken since */
	int64_t			 due_ms;
	int			 daily_min;	/* the daily one's HH:MM */
};

/* A report made, waiting for the model's narrative. */
struct pending {
	struct reports		*r;
	int			 kind;
	int64_t			 start_ms, end_ms;
	char			 period[96];
	char			*partial;
	cJSON			*json;
	char			*md;
	int			 has_prev;
	struct lw_report_row	 prev;
	double			 errs[REPORTS_HOURS];
	size_t			 nerrs;
};

struct reports {
	struct lw_daemon	*d;
	ev_timer		 timer;
	struct period		 p[K_N];
	unsigned		 npending;
};

/* Local time of ms as "YYYY-MM-DD HH:MM" (date 0: "HH:MM"), and zone. */
static void
fmt_local(int64_t ms, int date, char *out, size_t sz)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, sz, date ? "%Y-%m-%d %H:%M" : "%H:%M", &tm) == 0)
		snprintf(out, sz, "?");
}

static void
zone(int64_t ms, char *out, size_t sz)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL || strftime(out, sz, "%Z", &tm) == 0)
		snprintf(out, sz, "local time");
}

/* The next full local hour after now. */
static int64_t
next_hour(int64_t now_ms)
{
	time_t		t = (time_t)(now_ms / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return (now_ms / HOUR_MS + 1) * HOUR_MS;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_hour++;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* The next local HH:MM (minute of the day) after now. */
static int64_t
next_daily(int64_t now_ms, int minute)
{
	time_t		t = (time_t)(now_ms / 1000);
	struct tm	tm;
	int64_t		due;
	int		day;

	for (day = 0; day < 3; day++) {
		if (localtime_r(&t, &tm) == NULL)
			break;
		tm.tm_mday += day;
		tm.tm_hour = minute / 60;
		tm.tm_min = minute % 60;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		due = (int64_t)mktime(&tm) * 1000;
		if (due > now_ms)
			return due;
	}
	return now_ms + 24 * HOUR_MS;
}

static struct lw_report *
reports_new_report(struct lw_daemon *d, const struct lw_config *cfg,
    const struct lw_redactor *red, struct lw_category **cats)
{
	struct lw_report_opts	o;

	memset(&o, 0, sizeof(o));
	*cats = NULL;
	if (cfg != NULL) {
		*cats = categories_from_config(cfg);
		o.metrics = cfg->metrics;
		o.nmetrics = cfg->nmetrics;
		o.extra_categories = *cats;
		o.nextra_categories = cfg->ncategories;
	}
	o.st = d->st;
	o.redactor = red;
	return lw_report_new(&o);
}

static void
period_clear(struct period *p)
{
	lw_report_free(p->rep);
	free(p->cats);
	lw_redactor_free(p->red);
	lw_config_free(p->cfg);
	p->rep = NULL;
	p->cats = NULL;
	p->red = NULL;
	p->cfg = NULL;
}

/* A fresh report for the period [start, due), records from now on. */
static void
period_begin(struct reports *r, struct period *p, int64_t start_ms,
    int64_t now_ms)
{
	struct lw_cfgerrs	 errs = { 0 };
	const char		*pat;
	char			 err[256];

	period_clear(p);
	/* Not the daemon's config: a reload would free it under us. */
	if ((p->cfg = lw_config_load(r->d->cfgpath, &errs)) == NULL)
		log_warnx("reports: %s does not load now; this period's "
		    "report has no [metric.*] or [category.*] figures",
		    r->d->cfgpath);
	lw_cfgerrs_free(&errs);
	pat = p->cfg != NULL ? p->cfg->alerts.redact : NULL;
	if ((p->red = lw_redactor_new(pat ? &pat : NULL, pat ? 1 : 0, err,
	    sizeof(err))) == NULL) {
		log_warnx("reports: redaction: %s; built-in rules only", err);
		p->red = lw_redactor_new(NULL, 0, err, sizeof(err));
	}
	p->rep = reports_new_report(r->d, p->cfg, p->red, &p->cats);
	p->start_ms = start_ms;
	p->seen_ms = now_ms;
}

/* A previous hourly report's errors into its hour's slot. */
struct hours_ctx {
	int64_t		 end_ms;
	double		*out;
};

static void
hours_one(const struct lw_hist_entry *e, void *arg)
{
	struct hours_ctx	*c = arg;
	int64_t			 k;

	if (e->kind != LW_HIST_REPORT || strcmp(e->report->kind,
	    kind_names[K_HOURLY]) != 0)
		return;
	k = (c->end_ms - e->report->end_ms + HOUR_MS / 2) / HOUR_MS;
	if (k >= 1 && k < REPORTS_HOURS)
		c->out[REPORTS_HOURS - 1 - k] = (double)e->report->errors;
}

/*
 * Errors per hour for the sparkline, oldest first, from the state DB and
 * the report, so that a restart loses none of it: an hourly report shows
 * the previous hourly reports of the last day and its own count (an hour
 * without a report is a gap); a daily one its own hourly series.
 */
static size_t
errs_series(const struct reports *r, int kind, const cJSON *json,
    int64_t end_ms, double *out)
{
	const cJSON		*a, *v;
	struct lw_hist_query	 q;
	struct hours_ctx	 c;
	uint64_t		 lines, errors, warnings;
	size_t			 i, n = 0, from;

	if (kind == K_DAILY) {
		a = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(json, "hourly"),
		    "series"), "errors");
		n = (size_t)cJSON_GetArraySize(a);
		from = n > REPORTS_HOURS ? n - REPORTS_HOURS : 0;
		for (i = from; i < n; i++) {
			v = cJSON_GetArrayItem(a, (int)i);
			out[i - from] = cJSON_IsNumber(v) ? v->valuedouble :
			    NAN;
		}
		return n - from;
	}
	for (i = 0; i < REPORTS_HOURS; i++)
		out[i] = NAN;
	lw_reportmsg_counts(json, &lines, &errors, &warnings);
	out[REPORTS_HOURS - 1] = (double)errors;
	if (r->d->st != NULL) {
		memset(&q, 0, sizeof(q));
		q.since_ms = end_ms - (int64_t)(REPORTS_HOURS + 1) * HOUR_MS;
		q.kinds = LW_HIST_REPORT;
		c.end_ms = end_ms;
		c.out = out;
		(void)lw_state_history(r->d->st, &q, hours_one, &c);
	}
	/* Hours before the first report are not a gap: left out. */
	for (from = 0; from < REPORTS_HOURS - 1 && isnan(out[from]); from++)
		;
	memmove(out, out + from, (REPORTS_HOURS - from) * sizeof(*out));
	return REPORTS_HOURS - from;
}

static void
pending_free(struct pending *q)
{
	if (q == NULL)
		return;
	cJSON_Delete(q->json);
	free(q->md);
	free(q->partial);
	free(q);
}

/*
 * The report's JSON for the alert: within LW_ALERT_REPORT_JSON_MAX, by
 * dropping patterns from the end (long templates) when needed.
 */
static char *
report_json_text(cJSON *json)
{
	cJSON	*pats = cJSON_GetObjectItemCaseSensitive(json, "patterns");
	char	*s;
	int	 n;

	for (;;) {
		if ((s = cJSON_PrintUnformatted(json)) == NULL)
			fatalx("%s: out of memory", __func__);
		if (strlen(s) <= LW_ALERT_REPORT_JSON_MAX)
			return s;
		free(s);
		if ((n = cJSON_GetArraySize(pats)) == 0)
			return NULL;
		while (n > cJSON_GetArraySize(pats) / 2 && n > 0)
			cJSON_DeleteItemFromArray(pats, --n);
		if (cJSON_GetArraySize(pats) == 1)
			cJSON_DeleteItemFromArray(pats, 0);
	}
}

/* The report as the alert every sink renders (rule "report.KIND"). */
static struct lw_alert *
report_alert(struct lw_daemon *d, const struct pending *q, const char *kind,
    const char *narrative)
{
	struct lw_reportmsg_in	 in;
	struct lw_alert		*a;
	struct buf		 compact, full;
	char			 title[LW_ALERT_TITLE_MAX], rule[32], *js;

	memset(&in, 0, sizeof(in));
	in.kind = kind;
	in.period = q->period;
	in.report = q->json;
	in.has_prev = q->has_prev;
	in.prev_lines = q->prev.lines;
	in.prev_errors = q->prev.errors;
	in.prev_warnings = q->prev.warnings;
	in.errors_hourly = q->errs;
	in.nhours = q->nerrs;
	in.narrative = narrative;
	in.partial = q->partial;
	buf_init(&compact, 64 * 1024);
	buf_init(&full, LW_ALERT_REPORT_TEXT_MAX);
	lw_reportmsg_title(&in, title, sizeof(title));
	if (lw_reportmsg_compact(&in, &compact) == -1)
		log_warnx("reports: the summary was cut");
	if (lw_reportmsg_full(&in, q->md, &full) == -1)
		log_warnx("reports: the full report was cut at %d KiB",
		    LW_ALERT_REPORT_TEXT_MAX / 1024);

	a = lw_alert_new();
	a->severity = LW_SEV_INFO;
	snprintf(rule, sizeof(rule), "report.%s", kind);
	lw_alert_set_rule(a, rule);
	lw_alert_set_title(a, title);
	lw_alert_set_detail(a, buf_str(&compact));
	lw_alert_set_host(a, d->host);
	lw_alert_set_log(a, d->cfg->source.path);
	lw_alert_set_report_text(a, buf_str(&full));
	if ((js = report_json_text(q->json)) == NULL ||
	    lw_alert_set_report_json(a, js) == -1)
		log_warnx("reports: the report's JSON is too large to send");
	free(js);
	/* Log and model text: redacted like every alert. */
	lw_alert_redact(a, lw_engine_redactor(d->eng));
	buf_free(&compact);
	buf_free(&full);
	return a;
}

/* Build the message, store the report, route it to the sinks. */
static void
pending_deliver(struct pending *q, const char *narrative)
{
	struct lw_daemon	*d = q->r->d;
	struct lw_report_row	 row;
	struct lw_alert		*a;
	uint64_t		 lines, errors, warnings;

	a = report_alert(d, q, kind_names[q->kind], narrative);
	lw_reportmsg_counts(q->json, &lines, &errors, &warnings);
	memset(&row, 0, sizeof(row));
	row.time_ms = a->time_ms;
	row.kind = kind_names[q->kind];
	row.start_ms = q->start_ms;
	row.end_ms = q->end_ms;
	row.lines = lines;
	row.errors = errors;
	row.warnings = warnings;
	row.title = a->title;
	row.text = a->report_text;
	if (d->st != NULL && lw_state_report_put(d->st, &row) == -1)
		log_warnx("reports: the %s report could not be stored",
		    kind_names[q->kind]);
	log_info("report: %s", a->title);
	sinks_dispatch(d, a);
	lw_alert_free(a);
}

static void
narrative_done(const char *answer, const char *err, void *arg)
{
	struct pending	*q = arg;

	if (answer == NULL)
		log_warnx("reports: no narrative from the model (%s); the %s "
		    "report goes without", err, kind_names[q->kind]);
	pending_deliver(q, answer);
	q->r->npending--;
	pending_free(q);
}

/* Ask the model about q; 0 started (narrative_done follows), -1 not. */
static int
ask_narrative(struct reports *r, struct pending *q)
{
	struct lw_daemon	*d = r->d;
	struct buf		 user;
	size_t			 max = REPORTS_LLM_BYTES;
	char			 err[256];
	int			 rc = -1;

	if (!d->cfg->llm.enabled || d->http == NULL || d->stopping)
		return -1;
	if (r->npending >= REPORTS_PENDING_MAX || !llm_reserve_call(d)) {
		log_warnx("reports: the model is busy or at its hourly cap; "
		    "the %s report goes without a narrative",
		    kind_names[q->kind]);
		return -1;
	}
	buf_init(&user, 2 * REPORTS_LLM_BYTES);
	/* Within the prompt budget, the system text included. */
	for (;;) {
		buf_reset(&user);
		if (lw_reportmsg_llm_user(q->md, lw_engine_redactor(d->eng),
		    max, &user) == 0 && lw_llm_tokens(user.data, user.len) +
		    lw_llm_tokens(lw_reportmsg_llm_system,
		    strlen(lw_reportmsg_llm_system)) <= d->cfg->llm.max_prompt_tokens)
			break;
		if (max < 512)
			goto out;
		max = max * 3 / 4;
	}
	if (llm_ask_start(d->http, d->cfg, lw_reportmsg_llm_system,
	    buf_str(&user), narrative_done, q, err, sizeof(err)) == NULL) {
		log_warnx("reports: %s", err);
		goto out;
	}
	r->npending++;
	rc = 0;
out:
	buf_free(&user);
	return rc;
}

/* The period p ended at end_ms (its due time): make its report. */
static void
period_emit(struct reports *r, int kind, int64_t end_ms)
{
	struct period	*p = &r->p[kind];
	struct pending	*q;
	struct buf	 md;
	char		 a[32], b[32], tz[16], seen[32];
	int		 k;

	q = xcalloc(1, sizeof(*q));
	q->r = r;
	q->kind = kind;
	q->start_ms = p->start_ms;
	q->end_ms = end_ms;
	fmt_local(p->start_ms, 1, a, sizeof(a));
	fmt_local(end_ms, kind == K_DAILY, b, sizeof(b));
	zone(end_ms, tz, sizeof(tz));
	snprintf(q->period, sizeof(q->period), "%s-%s %s", a, b, tz);
	if (p->seen_ms > p->start_ms + REPORTS_SLACK_MS) {
		fmt_local(p->seen_ms, 0, seen, sizeof(seen));
		xasprintf(&q->partial, "logwarden saw it from %s on (started "
		    "or switched on then)", seen);
	}
	if ((q->json = lw_report_json(p->rep)) == NULL)
		fatalx("%s: report JSON", __func__);
	buf_init(&md, LW_ALERT_REPORT_TEXT_MAX);
	if (lw_report_markdown(p->rep, &md) == -1)
		log_warnx("reports: the markdown report was cut");
	q->md = xstrdup(buf_str(&md));
	buf_free(&md);
	if (r->d->st != NULL) {
		k = lw_state_report_prev(r->d->st, kind_names[kind], end_ms,
		    &q->prev);
		q->has_prev = k == 1;
	}
	q->nerrs = errs_series(r, kind, q->json, end_ms, q->errs);
	if (ask_narrative(r, q) == 0)
		return;
	pending_deliver(q, NULL);
	pending_free(q);
}

/* Where this period began in the log, for a restart within it. */
static void
period_checkpoint(struct reports *r, int kind)
{
	struct reports_ckpt	c;

	memset(&c, 0, sizeof(c));
	if (!reports_position(r->d, &c.dev, &c.ino, &c.off))
		return;
	c.start_ms = r->p[kind].start_ms;
	c.seen_ms = r->p[kind].seen_ms;
	reports_checkpoint(r->d, kind_names[kind], &c);
}

/*
 * A period begun before this start: read its part of the log again
 * (reports_resume.c), so the report covers it whole; else it begins
 * here, and a checkpoint says so for the next restart.
 */
static void
period_resume(struct reports *r, int kind)
{
	struct period		*p = &r->p[kind];
	struct reports_ckpt	 c;
	char			 err[256];

	if (reports_checkpoint_get(r->d, kind_names[kind], &c) == 1 &&
	    c.start_ms == p->start_ms) {
		if (reports_resume(r->d, &c, p->rep, err, sizeof(err)) == 0) {
			p->seen_ms = c.seen_ms;
			return;
		}
		log_info("reports: the %s report covers the period from now "
		    "on only: %s", kind_names[kind], err);
	}
	period_checkpoint(r, kind);
}

static void
reports_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct reports	*r = w->data;
	int64_t		 now = lw_wall_ms(), end;
	int		 k;

	(void)loop;
	(void)revents;
	for (k = 0; k < K_N; k++) {
		struct period *p = &r->p[k];

		if (!p->on || now < p->due_ms)
			continue;
		end = p->due_ms;
		period_emit(r, k, end);
		/* Asleep past several due times: one report, then on. */
		p->due_ms = k == K_HOURLY ? next_hour(now) :
		    next_daily(now, p->daily_min);
		period_begin(r, p, end, now);
		period_checkpoint(r, k);
	}
}

/* The kind's schedule from the current config; a change of it starts
 * the period afresh, an unchanged one keeps its records. */
static void
period_config(struct reports *r, int kind, int on, int daily_min,
    int64_t now)
{
	struct period	*p = &r->p[kind];
	int64_t		 due;
	char		 when[32], tz[16];

	if (!on) {
		period_clear(p);
		p->on = 0;
		return;
	}
	if (p->on && (kind == K_HOURLY || p->daily_min == daily_min))
		return;
	p->on = 1;
	p->daily_min = daily_min;
	due = kind == K_HOURLY ? next_hour(now) : next_daily(now, daily_min);
	p->due_ms = due;
	period_begin(r, p, kind == K_HOURLY ? due - HOUR_MS :
	    due - 24 * HOUR_MS, now);
	fmt_local(due, 1, when, sizeof(when));
	zone(due, tz, sizeof(tz));
	log_info("reports: the %s report is due at %s %s", kind_names[kind],
	    when, tz);
	period_resume(r, kind);
}

void
reports_reconfig(struct lw_daemon *d)
{
	struct reports		*r = d->reports;
	const struct lw_config	*c = d->cfg;
	int64_t			 now;

	if (d->once || (!c->reports.hourly && c->reports.daily < 0)) {
		/* A narrative on its way still needs r: off until then. */
		if (r != NULL && r->npending > 0) {
			period_config(r, K_HOURLY, 0, -1, 0);
			period_config(r, K_DAILY, 0, -1, 0);
		} else
			reports_free(d);
		return;
	}
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		r->d = d;
		ev_timer_init(&r->timer, reports_tick, REPORTS_TICK,
		    REPORTS_TICK);
		r->timer.data = r;
		ev_timer_start(d->loop, &r->timer);
		d->reports = r;
	}
	now = lw_wall_ms();
	period_config(r, K_HOURLY, c->reports.hourly, -1, now);
	period_config(r, K_DAILY, c->reports.daily >= 0, c->reports.daily,
	    now);
}

void
reports_record(struct lw_daemon *d, const struct lw_record *rec)
{
	struct reports	*r = d->reports;
	int		 k;

	if (r == NULL)
		return;
	for (k = 0; k < K_N; k++)
		if (r->p[k].on && r->p[k].rep != NULL)
			lw_report_add(r->p[k].rep, rec);
}

/*
 * `logwarden test-report`: a report of the last REPORTS_TEST_BYTES of
 * the log, made and worded like a scheduled one (with the model's
 * narrative when it is on), so that the operator sees at once what the
 * sinks will get.  Not kept in the history.
 */
struct lw_alert *
reports_test(struct lw_daemon *d)
{
	struct pending		 q;
	struct lw_category	*cats = NULL;
	struct lw_report	*rep;
	struct lw_alert		*a = NULL;
	struct buf		 md, user;
	uint64_t		 bytes;
	char			 err[512], *narrative = NULL;

	memset(&q, 0, sizeof(q));
	buf_init(&md, LW_ALERT_REPORT_TEXT_MAX);
	buf_init(&user, 2 * REPORTS_LLM_BYTES);
	rep = reports_new_report(d, d->cfg, lw_engine_redactor(d->eng), &cats);
	if (reports_read_tail(d, REPORTS_TEST_BYTES, rep, &bytes, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "test-report: %s\n", err);
		goto out;
	}
	snprintf(q.period, sizeof(q.period), "(a test: the last %llu KiB of "
	    "the log)", (unsigned long long)(bytes + 1023) / 1024);
	if ((q.json = lw_report_json(rep)) == NULL)
		fatalx("%s: report JSON", __func__);
	(void)lw_report_markdown(rep, &md);
	q.md = xstrdup(buf_str(&md));
	q.nerrs = errs_series(NULL, K_DAILY, q.json, 0, q.errs);
	if (d->cfg->llm.enabled) {
		lw_reportmsg_llm_user(q.md, lw_engine_redactor(d->eng),
		    REPORTS_LLM_BYTES, &user);
		if (llm_ask_once(d->cfg, lw_reportmsg_llm_system,
		    buf_str(&user), &narrative, err, sizeof(err)) == -1)
			fprintf(stderr, "test-report: no narrative from the "
			    "model: %s\n", err);
	}
	a = report_alert(d, &q, "test", narrative);
out:
	free(narrative);
	free(q.md);
	cJSON_Delete(q.json);
	lw_report_free(rep);
	free(cats);
	buf_free(&md);
	buf_free(&user);
	return a;
}

void
reports_status(struct lw_daemon *d, FILE *fp)
{
	struct reports	*r = d->reports;
	char		 when[32], tz[16];
	int		 k, n = 0;

	fputs("reports:", fp);
	for (k = 0; r != NULL && k < K_N; k++) {
		const struct period *p = &r->p[k];

		if (!p->on)
			continue;
		fmt_local(p->due_ms, 1, when, sizeof(when));
		zone(p->due_ms, tz, sizeof(tz));
		fprintf(fp, "%s %s next at %s %s", n++ ? ";" : "",
		    kind_names[k], when, tz);
	}
	if (n == 0)
		fputs(" off", fp);
	if (r != NULL && r->npending > 0)
		fprintf(fp, "; %u waiting for the model", r->npending);
}

/*
 * After http_abort_all(notify) at shutdown: reports that waited for the
 * model have gone out without it, so nothing is pending here.
 */
void
reports_free(struct lw_daemon *d)
{
	struct reports	*r = d->reports;
	int		 k;

	if (r == NULL)
		return;
	if (r->npending > 0)
		log_warnx("reports: %u reports still wait for the model",
		    r->npending);
	ev_timer_stop(d->loop, &r->timer);
	for (k = 0; k < K_N; k++)
		period_clear(&r->p[k]);
	free(r);
	d->reports = NULL;
}
