/*
 * engine: lines -> records -> counters -> rules -> alerts.
 *
 * Per physical line the work is: one ring copy, one parse (inside the
 * record assembler).  Per completed record: a window bucket, a component
 * tally, metric matches; for warnings and errors also a template mask,
 * a store lookup and a template tally.  Rules are threshold compares on
 * counters kept incrementally; only the metric statistics (max, p95) scan
 * their samples, and at most once per second of log time.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "level.h"
#include "log.h"
#include "lwtime.h"
#include "metric.h"
#include "cluster.h"
#include "miner.h"
#include "record.h"
#include "tally.h"
#include "utf8.h"
#include "window.h"
#include "xmalloc.h"

#define ENGINE_MAX_TEMPLATES	10000	/* in memory; the DB keeps all */
#define ENGINE_SEED_TEMPLATES	(ENGINE_MAX_TEMPLATES / 2)	/* at start */
#define ENGINE_MAX_TALLY	4096	/* templates counted over the window */
#define ENGINE_MAX_COMPONENTS	1024
#define ENGINE_COOLDOWNS	4096	/* alert keys remembered in memory */
#define SPIKE_MINUTES		60	/* baseline: the previous hour */
#define SPIKE_MIN_HISTORY	10	/* minutes of baseline needed */
#define SPIKE_MIN_ERRORS	5	/* fewer errors in a minute is no spike */

struct cooldown {
	char	*key;
	int64_t	 last_ms;
};

struct lw_engine {
	const struct lw_config	*cfg;
	struct lw_state		*st;
	char			*host;
	lw_alert_cb		 cb;
	void			*cbarg;
	lw_record_cb		 rcb;
	void			*rcbarg;
	int			 learning, quiet_new;

	struct lw_asm		*as;
	struct lw_ring		 ring;
	struct lw_window	 win;
	struct lw_tally		 tmpl_tally, comp_tally;
	struct lw_tmpl_store	*tmpls;
	struct lw_cluster	*cl;		/* masked -> generalised groups */
	struct lw_metric	*metrics;
	pcre2_match_data	**md;
	size_t			 nmetrics;
	int64_t			 metric_eval_sec;
	int			 metric_dirty;	/* samples since last eval */
	struct lw_redactor	*red;

	/* The pending record's ring entries: [rec_seq, ring.seq]. */
	uint64_t		 rec_seq;
	int			 have_pending;
	int64_t			 last_time_ms;	/* time of the last record */
	int64_t			 arrival_ms;

	/* Spike baseline: errors per minute of log time. */
	int64_t			 first_minute;	/* of the first record */
	int64_t			 min_id[SPIKE_MINUTES + 1];
	uint32_t		 min_n[SPIKE_MINUTES + 1];

	/* Silence: monotonic time of the last line; fired once per gap. */
	int64_t			 last_line_mono;
	int			 silence_fired;
	int64_t			 silence_alert_ms;	/* 0: not alerted */

	/* Conditions whose alert went out, for "resolved" follow-ups. */
	int			 active_errors, active_warnings;
	uint64_t		 active_metrics;	/* bit per metric */

	struct cooldown		*cd;
	size_t			 ncd;

	struct lw_snap_fired	 fired[LW_SNAP_FIRED];	/* ring */
	size_t			 nfired;

	struct lw_engine_stats	 stats;
	char			 tmplbuf[LW_TMPL_BUFSZ];
};

static void	engine_metrics_setup(struct lw_engine *);

/* Built-in secret rules plus the config's alerts.redact pattern (which
 * the config loader already compiled once, so this cannot fail on it). */
static struct lw_redactor *
engine_redactor(const struct lw_config *cfg, char *err, size_t errsz)
{
	const char	*pat = cfg->alerts.redact;

	return lw_redactor_new(pat ? &pat : NULL, pat ? 1 : 0, err, errsz);
}

/* Templates of the state DB for the clusters, oldest first. */
struct seed {
	uint64_t	 id;
	int64_t		 first_ms;
	char		*text;
};

struct seeds {
	struct seed	*v;
	size_t		 n;
};

static void
seed_collect(uint64_t id, const char *text, int level, int64_t first_ms,
    int64_t last_ms, uint64_t count, void *arg)
{
	struct seeds	*ss = arg;

	(void)level;
	(void)last_ms;
	(void)count;
	/* The newest come first: the busiest memory can hold. */
	if (ss->n == ENGINE_SEED_TEMPLATES)
		return;
	ss->v[ss->n].id = id;
	ss->v[ss->n].first_ms = first_ms;
	ss->v[ss->n].text = xstrdup(text);
	ss->n++;
}

static int
seed_cmp(const void *a, const void *b)
{
	const struct seed	*x = a, *y = b;

	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The clusters as they were before a restart, from the templates the
 * state DB remembers: else a new value of a generalised template ("Login
 * failed for user <*>") would start a group of its own and look new.
 */
static void
engine_seed_clusters(struct lw_engine *e)
{
	struct seeds	ss;
	size_t		i;

	ss.v = xcalloc(ENGINE_SEED_TEMPLATES, sizeof(*ss.v));
	ss.n = 0;
	if (lw_state_templates(e->st, seed_collect, &ss) == -1)
		log_warnx("templates could not be read back from the state "
		    "database; a new value of a known template may look new");
	qsort(ss.v, ss.n, sizeof(*ss.v), seed_cmp);
	for (i = 0; i < ss.n; i++) {
		lw_cluster_seed(e->cl, ss.v[i].id, ss.v[i].text,
		    strlen(ss.v[i].text));
		free(ss.v[i].text);
	}
	free(ss.v);
}

struct lw_engine *
lw_engine_new(const struct lw_config *cfg, struct lw_state *st,
    const char *host)
{
	struct lw_engine	*e;
	char			 err[256];

	e = xcalloc(1, sizeof(*e));
	e->cfg = cfg;
	e->st = st;
	e->host = xstrdup(host ? host : "localhost");
	e->as = lw_asm_new(LW_ASM_RECORD_BYTES, LW_ASM_RECORD_LINES);
	lw_ring_init(&e->ring, cfg->source.ring_lines);
	lw_window_init(&e->win, cfg->rules.window);
	lw_tally_init(&e->tmpl_tally, ENGINE_MAX_TALLY, cfg->rules.window);
	lw_tally_init(&e->comp_tally, ENGINE_MAX_COMPONENTS, cfg->rules.window);
	e->tmpls = lw_tmpl_store_new(ENGINE_MAX_TEMPLATES);
	e->cl = lw_cluster_new(ENGINE_MAX_TEMPLATES);
	if (st != NULL)
		engine_seed_clusters(e);
	if ((e->red = engine_redactor(cfg, err, sizeof(err))) == NULL)
		fatalx("redactor: %s", err);
	e->last_time_ms = INT64_MIN;
	e->metric_eval_sec = INT64_MIN;
	engine_metrics_setup(e);
	return e;
}

static void
engine_metrics_clear(struct lw_engine *e)
{
	size_t	i;

	for (i = 0; i < e->nmetrics; i++) {
		lw_metric_free(&e->metrics[i]);
		pcre2_match_data_free(e->md[i]);
	}
	free(e->metrics);
	free(e->md);
	e->metrics = NULL;
	e->md = NULL;
	e->nmetrics = 0;
}

static void
engine_metrics_setup(struct lw_engine *e)
{
	size_t	i;

	engine_metrics_clear(e);
	e->nmetrics = e->cfg->nmetrics;
	if (e->nmetrics == 0)
		return;
	e->metrics = xcalloc(e->nmetrics, sizeof(*e->metrics));
	e->md = xcalloc(e->nmetrics, sizeof(*e->md));
	for (i = 0; i < e->nmetrics; i++) {
		lw_metric_init(&e->metrics[i], LW_METRIC_MAX_SAMPLES);
		e->md[i] = pcre2_match_data_create_from_pattern(
		    e->cfg->metrics[i].re, NULL);
		if (e->md[i] == NULL)
			fatalx("pcre2_match_data_create_from_pattern");
	}
}

void
lw_engine_free(struct lw_engine *e)
{
	size_t	i;

	if (e == NULL)
		return;
	engine_metrics_clear(e);
	lw_asm_free(e->as);
	lw_ring_free(&e->ring);
	lw_window_free(&e->win);
	lw_tally_free(&e->tmpl_tally);
	lw_tally_free(&e->comp_tally);
	lw_tmpl_store_free(e->tmpls);
	lw_cluster_free(e->cl);
	lw_redactor_free(e->red);
	for (i = 0; i < e->ncd; i++)
		free(e->cd[i].key);
	free(e->cd);
	free(e->host);
	free(e);
}

void
lw_engine_set_alert_cb(struct lw_engine *e, lw_alert_cb cb, void *arg)
{
	e->cb = cb;
	e->cbarg = arg;
}

void
lw_engine_set_record_cb(struct lw_engine *e, lw_record_cb cb, void *arg)
{
	e->rcb = cb;
	e->rcbarg = arg;
}

void
lw_engine_set_state(struct lw_engine *e, struct lw_state *st)
{
	e->st = st;
}

void
lw_engine_set_learning(struct lw_engine *e, int learning, int quiet_new)
{
	e->learning = learning;
	e->quiet_new = quiet_new;
}

void
lw_engine_reconfig(struct lw_engine *e, const struct lw_config *cfg)
{
	const struct lw_config	*old = e->cfg;
	size_t			 i;
	int			 same = old->nmetrics == cfg->nmetrics;

	e->cfg = cfg;
	{
		struct lw_redactor	*r;
		char			 err[256];

		if ((r = engine_redactor(cfg, err, sizeof(err))) != NULL) {
			lw_redactor_free(e->red);
			e->red = r;
		} else
			log_warnx("redactor: %s (keeping the old one)", err);
	}
	lw_ring_resize(&e->ring, cfg->source.ring_lines);
	if (cfg->rules.window != old->rules.window) {
		/* The buckets are per second of the old width; rebuilding
		 * them would need the lines again, so the window restarts. */
		lw_window_resize(&e->win, cfg->rules.window);
		lw_tally_set_window(&e->tmpl_tally, cfg->rules.window);
		lw_tally_set_window(&e->comp_tally, cfg->rules.window);
	}
	/* Metric samples survive when the metric list is unchanged. */
	for (i = 0; same && i < cfg->nmetrics; i++)
		if (strcmp(cfg->metrics[i].name, old->metrics[i].name) != 0 ||
		    strcmp(cfg->metrics[i].pattern, old->metrics[i].pattern))
			same = 0;
	if (same) {
		for (i = 0; i < e->nmetrics; i++) {
			pcre2_match_data_free(e->md[i]);
			e->md[i] = pcre2_match_data_create_from_pattern(
			    cfg->metrics[i].re, NULL);
			if (e->md[i] == NULL)
				fatalx("pcre2_match_data_create_from_pattern");
		}
	} else
		engine_metrics_setup(e);
}

/* ---- cooldowns ---------------------------------------------------- */

static struct cooldown *
cooldown_find(struct lw_engine *e, const char *key)
{
	size_t	i;

	for (i = 0; i < e->ncd; i++)
		if (strcmp(e->cd[i].key, key) == 0)
			return &e->cd[i];
	return NULL;
}

/*
 * 1 when key may fire at now_ms (log time) and then records it.  The
 * database remembers keys across restarts; memory holds the recent ones.
 */
/* Remember key in memory, making room by forgetting the stalest key
 * (the database still has it). */
static struct cooldown *
cooldown_add(struct lw_engine *e, const char *key, int64_t last_ms)
{
	struct cooldown	*c;
	size_t		 i, old;

	if (e->ncd >= ENGINE_COOLDOWNS) {
		for (old = 0, i = 1; i < e->ncd; i++)
			if (e->cd[i].last_ms < e->cd[old].last_ms)
				old = i;
		free(e->cd[old].key);
		e->cd[old] = e->cd[--e->ncd];
	}
	if (e->ncd % 64 == 0)
		e->cd = xreallocarray(e->cd, e->ncd + 64, sizeof(*e->cd));
	c = &e->cd[e->ncd++];
	c->key = xstrdup(key);
	c->last_ms = last_ms;
	return c;
}

/*
 * 1 when key may fire at now_ms (log time) and then records it.  The
 * database remembers keys across restarts; memory holds the recent ones.
 */
static int
cooldown_pass(struct lw_engine *e, const char *key, int64_t now_ms)
{
	struct cooldown	*c = cooldown_find(e, key);
	int64_t		 last, cool = (int64_t)e->cfg->alerts.cooldown * 1000;

	if (c == NULL && e->st != NULL &&
	    lw_state_cooldown_get(e->st, key, &last) == 1)
		c = cooldown_add(e, key, last);
	if (c != NULL && now_ms - c->last_ms < cool && now_ms >= c->last_ms)
		return 0;
	if (c == NULL)
		c = cooldown_add(e, key, now_ms);
	c->last_ms = now_ms;
	if (e->st != NULL)
		lw_state_cooldown_put(e->st, key, now_ms);
	return 1;
}

/* ---- alerts ------------------------------------------------------- */

/* Which ring lines make good evidence for an alert. */
enum evsel {
	EV_NONE,	/* no evidence (resolved follow-ups) */
	EV_LEVEL,	/* first lines of records of a level or worse */
	EV_TMPL,	/* first lines of records of a template */
	EV_RECORD,	/* the newest record of a template, all its lines */
	EV_METRIC,	/* lines a metric matched */
	EV_LAST		/* the last few lines, whatever they are */
};

static void
engine_evidence(struct lw_engine *e, struct lw_alert *a, enum evsel sel,
    enum lw_level lvl, uint64_t tmpl, unsigned metric)
{
	const struct lw_ring_entry	*pick[LW_ALERT_MAX_EVIDENCE];
	struct lw_ring_entry		*r;
	struct buf			 line;
	unsigned			 i, n = 0, max = LW_ALERT_MAX_EVIDENCE;

	if (sel == EV_LAST)
		max = 5;
	if (sel == EV_NONE)
		max = 0;
	/* Newest first, then reversed so the alert reads in log order. */
	for (i = 0; n < max && (r = lw_ring_recent(&e->ring, i)) != NULL;
	    i++) {
		int	ok = 0;

		switch (sel) {
		case EV_LEVEL:
			ok = r->head && r->level >= lvl;
			break;
		case EV_TMPL:
			ok = r->head && r->tmpl_id == tmpl;
			break;
		case EV_RECORD:
			if (r->tmpl_id != tmpl) {
				if (n > 0)
					i = e->ring.count;	/* done */
				break;
			}
			ok = 1;
			break;
		case EV_METRIC:
			ok = (r->metrics >> metric) & 1;
			break;
		case EV_LAST:
			ok = 1;
			break;
		case EV_NONE:
			break;
		}
		if (ok)
			pick[n++] = r;
	}
	buf_init(&line, LW_ALERT_EVIDENCE_MAX + 64);
	while (n-- > 0) {
		r = (struct lw_ring_entry *)pick[n];
		buf_reset(&line);
		if (r->cut == 0) {
			lw_alert_add_evidence(a, e->red, r->text, r->len);
			continue;
		}
		/* SPEC: a line cut at max_line_bytes ends with the marker.
		 * Room is left for redaction markers, so that the alert
		 * does not cut the line a second time. */
		buf_add(&line, r->text, lw_utf8_cut(r->text,
		    r->len > LW_ALERT_EVIDENCE_MAX - 512 ?
		    LW_ALERT_EVIDENCE_MAX - 512 : r->len));
		buf_addf(&line, "\xe2\x80\xa6[cut %zu bytes]",
		    r->cut + (r->len - (line.len)));
		lw_alert_add_evidence(a, e->red, line.data, line.len);
	}
	buf_free(&line);
}

/*
 * 1 when an alert with this key may go out now; it is then recorded as
 * sent.  Rules ask before they build the alert's text: a condition that
 * holds for a while re-evaluates on every record, and almost all of
 * those evaluations end here.
 */
static int
engine_gate(struct lw_engine *e, const char *key, int64_t when_ms)
{
	if (e->learning)
		return 0;
	if (!cooldown_pass(e, key, when_ms)) {
		e->stats.suppressed++;
		return 0;
	}
	return 1;
}

/* Build and hand out one alert (the gate was passed); NULL key means one
 * key per rule. */
static void
engine_raise_src(struct lw_engine *e, const char *rule, enum lw_sev sev,
    const char *key, int64_t when_ms, const char *title, const char *detail,
    int has_count, long long count, const char *tmpl, enum evsel sel,
    enum lw_level lvl, uint64_t tmpl_id, unsigned metric, int llm)
{
	struct lw_alert	*a;

	a = lw_alert_new();
	a->severity = sev;
	a->source_llm = llm;
	lw_alert_set_rule(a, rule);
	lw_alert_set_key(a, key ? key : rule);
	lw_alert_set_title(a, title);
	lw_alert_set_detail(a, detail);
	lw_alert_set_host(a, e->host);
	lw_alert_set_log(a, e->cfg->source.path);
	if (has_count)
		lw_alert_set_count(a, count);
	lw_alert_set_template(a, tmpl);
	engine_evidence(e, a, sel, lvl, tmpl_id, metric);
	lw_alert_redact(a, e->red);
	e->stats.alerts++;
	{
		struct lw_snap_fired *f = &e->fired[e->nfired++ %
		    LW_SNAP_FIRED];

		snprintf(f->rule, sizeof(f->rule), "%s", rule);
		snprintf(f->title, sizeof(f->title), "%s", a->title ?
		    a->title : "");
		f->time_ms = when_ms;
	}
	if (e->cb != NULL)
		e->cb(a, e->cbarg);
	else
		lw_alert_free(a);
}

static void
engine_raise(struct lw_engine *e, const char *rule, enum lw_sev sev,
    const char *key, int64_t when_ms, const char *title, const char *detail,
    int has_count, long long count, const char *tmpl, enum evsel sel,
    enum lw_level lvl, uint64_t tmpl_id, unsigned metric)
{
	engine_raise_src(e, rule, sev, key, when_ms, title, detail, has_count,
	    count, tmpl, sel, lvl, tmpl_id, metric, 0);
}

static const char *
human_window(unsigned secs, char *buf, size_t sz)
{
	if (secs % 3600 == 0)
		snprintf(buf, sz, "%u h", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, sz, "%u min", secs / 60);
	else
		snprintf(buf, sz, "%u s", secs);
	return buf;
}

/* The busiest templates in the window, for an alert's detail. */
static void
engine_top_templates(struct lw_engine *e, struct buf *out, int64_t now_ms,
    enum lw_level lo)
{
	struct { uint64_t id, n; } top[3] = { { 0, 0 } };
	const struct lw_tally	*t = &e->tmpl_tally;
	size_t			 i;
	int			 j, k;

	for (i = 0; i < t->cap; i++) {
		const struct lw_tally_ent *ent = &t->v[i];
		struct lw_tmpl	*tp;
		uint64_t	 n;

		if (ent->key == 0)
			continue;
		tp = lw_tmpl_store_get(e->tmpls, ent->key);
		if (tp == NULL || tp->level < (int)lo)
			continue;
		n = lw_tally_count(t, ent, now_ms);
		for (j = 0; j < 3; j++) {
			if (n > top[j].n) {
				for (k = 2; k > j; k--)
					top[k] = top[k - 1];
				top[j].id = ent->key;
				top[j].n = n;
				break;
			}
		}
	}
	for (j = 0; j < 3 && top[j].n > 0; j++) {
		struct lw_tmpl *tp = lw_tmpl_store_get(e->tmpls, top[j].id);

		buf_addf(out, "%s %" PRIu64 "x %s", j ? ";" : " Most frequent:",
		    top[j].n, tp ? tp->text : "?");
	}
}

/* ---- rules -------------------------------------------------------- */

/* One counting rule: n records of level lvl or worse reached threshold. */
static void
rule_count(struct lw_engine *e, int64_t t, const char *rule,
    enum lw_sev sev, enum lw_level lvl, const char *what, uint64_t n,
    unsigned threshold)
{
	char		title[256], w[32];
	struct buf	d;

	if (threshold == 0 || n < threshold || !engine_gate(e, rule, t))
		return;
	human_window(e->cfg->rules.window, w, sizeof(w));
	snprintf(title, sizeof(title), "%" PRIu64 " %s in the last %s", n,
	    rule, w);
	buf_init(&d, 4096);
	buf_addf(&d, "%" PRIu64 " %s records within %s (threshold %u).", n,
	    what, w, threshold);
	engine_top_templates(e, &d, t, lvl);
	engine_raise(e, rule, sev, NULL, t, title, buf_str(&d), 1,
	    (long long)n, NULL, EV_LEVEL, lvl, 0, 0);
	buf_free(&d);
	if (lvl >= LW_LVL_ERROR)
		e->active_errors = 1;
	else
		e->active_warnings = 1;
}

/*
 * A "resolved" follow-up (alerts.resolved): the condition of an alert
 * that went out has cleared.  Not subject to the cooldown: it answers an
 * alert the operator saw.  Same severity as the alert it answers, so it
 * reaches the same sinks.
 */
static void
engine_resolved(struct lw_engine *e, const char *rule, enum lw_sev sev,
    int64_t t, const char *title, const char *detail)
{
	if (!e->cfg->alerts.resolved || e->learning)
		return;
	engine_raise(e, rule, sev, NULL, t, title, detail, 0, 0, NULL,
	    EV_NONE, 0, 0, 0);
}

/* The counting rules' conditions, checked on every record. */
static void
rules_resolve(struct lw_engine *e, int64_t t)
{
	const struct lw_config	*c = e->cfg;
	char			 title[256], w[32];
	uint64_t		 n;

	if (e->active_errors && (c->rules.errors == 0 ||
	    (n = lw_window_atleast(&e->win, LW_LVL_ERROR)) < c->rules.errors)) {
		e->active_errors = 0;
		human_window(c->rules.window, w, sizeof(w));
		snprintf(title, sizeof(title), "Resolved: errors are back "
		    "under %u in the last %s", c->rules.errors, w);
		engine_resolved(e, "errors", LW_SEV_CRITICAL, t, title,
		    "The error count in the window fell below the "
		    "threshold.");
	}
	if (e->active_warnings && (c->rules.warnings == 0 ||
	    e->win.n[LW_LVL_WARNING] < c->rules.warnings)) {
		e->active_warnings = 0;
		human_window(c->rules.window, w, sizeof(w));
		snprintf(title, sizeof(title), "Resolved: warnings are back "
		    "under %u in the last %s", c->rules.warnings, w);
		engine_resolved(e, "warnings", LW_SEV_WARNING, t, title,
		    "The warning count in the window fell below the "
		    "threshold.");
	}
}

static void
rule_counts(struct lw_engine *e, const struct lw_record *r, int64_t t)
{
	const struct lw_config	*c = e->cfg;

	if (r->level >= LW_LVL_ERROR)
		rule_count(e, t, "errors", LW_SEV_CRITICAL, LW_LVL_ERROR,
		    "ERROR/CRITICAL", lw_window_atleast(&e->win, LW_LVL_ERROR),
		    c->rules.errors);
	else if (r->level == LW_LVL_WARNING)
		rule_count(e, t, "warnings", LW_SEV_WARNING, LW_LVL_WARNING,
		    "WARNING", e->win.n[LW_LVL_WARNING], c->rules.warnings);
}

/* "prefix" + 16 hex digits, without printf on the per-record path. */
static void
rule_key(char out[64], const char *prefix, const char *idstr)
{
	size_t	n = strlen(prefix);

	memcpy(out, prefix, n);
	memcpy(out + n, idstr, LW_TMPL_IDSTR_LEN);
}

static void
rule_template(struct lw_engine *e, const struct lw_record *r, int64_t t,
    struct lw_tmpl *tp, const struct lw_tally_ent *te, int is_new)
{
	const struct lw_config	*c = e->cfg;
	char			 title[LW_ALERT_TITLE_MAX], key[64], w[32];
	char			 idstr[LW_TMPL_IDSTR_LEN];
	struct buf		 d;

	lw_tmpl_idstr(tp->id, idstr);
	buf_init(&d, 4096);
	rule_key(key, "new_error:", idstr);
	if (is_new && c->rules.new_error && !e->quiet_new &&
	    engine_gate(e, key, t)) {
		snprintf(title, sizeof(title), "New %s: %s",
		    r->level >= LW_LVL_ERROR ? "error" : "warning", tp->text);
		buf_addf(&d, "First sighting ever of this %s template "
		    "(id %s)", r->level >= LW_LVL_ERROR ? "error" : "warning",
		    idstr);
		if (r->component.len > 0)
			buf_addf(&d, " from component %.*s",
			    (int)(r->component.len > 128 ? 128 :
			    r->component.len), r->component.p);
		buf_adds(&d, ".");
		engine_raise(e, "new_error", LW_SEV_WARNING, key, t, title,
		    buf_str(&d), 1, 1, tp->text, EV_RECORD, 0, tp->id, 0);
	}
	buf_reset(&d);
	rule_key(key, "repeat:", idstr);
	if (r->level >= LW_LVL_ERROR && c->rules.repeat > 0 &&
	    lw_tally_reached(&e->tmpl_tally, te, c->rules.repeat) &&
	    engine_gate(e, key, t)) {
		uint64_t n = lw_tally_count(&e->tmpl_tally, te, t);

		human_window(c->rules.window, w, sizeof(w));

		if (n < c->rules.repeat)
			n = c->rules.repeat;
		snprintf(title, sizeof(title), "Repeated error (%" PRIu64
		    "x in %s): %s", n, w, tp->text);
		buf_addf(&d, "The same error occurred %" PRIu64 " times "
		    "within %s (threshold %u); %" PRIu64 " times since "
		    "logwarden started watching.", n, w, c->rules.repeat,
		    te->total);
		engine_raise(e, "repeat", LW_SEV_WARNING, key, t, title,
		    buf_str(&d), 1, (long long)n, tp->text, EV_TMPL, 0,
		    tp->id, 0);
	}
	buf_free(&d);
}

/*
 * Spike: errors in the last minute against the previous hour's minutes.
 * The standard deviation is floored at sqrt(mean) and at 1, as if the
 * counts were Poisson, so that a quiet baseline does not turn the first
 * couple of errors into an infinite z-score.
 */
static void
rule_spike(struct lw_engine *e, int64_t t)
{
	int64_t		 minute = t / 60000, m;
	double		 sum = 0, sq = 0, mean, sd, z, cur;
	unsigned	 i, nhist = 0;
	char		 title[256];
	struct buf	 d;

	if (e->cfg->rules.spike <= 0)
		return;
	i = (unsigned)((uint64_t)minute % (SPIKE_MINUTES + 1));
	if (e->min_id[i] != minute) {
		e->min_id[i] = minute;
		e->min_n[i] = 0;
	}
	e->min_n[i]++;
	cur = e->min_n[i];
	if (cur < SPIKE_MIN_ERRORS)
		return;
	for (m = minute - SPIKE_MINUTES; m < minute; m++) {
		unsigned	j = (unsigned)((uint64_t)m % (SPIKE_MINUTES + 1));
		double		v = e->min_id[j] == m ? e->min_n[j] : 0;

		/* Minutes before logwarden saw any line do not count. */
		if (m < e->first_minute)
			continue;
		sum += v;
		sq += v * v;
		nhist++;
	}
	if (nhist < SPIKE_MIN_HISTORY)
		return;
	mean = sum / nhist;
	sd = sqrt(fmax(0, sq / nhist - mean * mean));
	sd = fmax(sd, fmax(1.0, sqrt(mean)));
	z = (cur - mean) / sd;
	if (z < e->cfg->rules.spike || !engine_gate(e, "spike", t))
		return;
	snprintf(title, sizeof(title), "Error rate spike: %.0f errors in "
	    "the last minute (z = %.1f)", cur, z);
	buf_init(&d, 1024);
	buf_addf(&d, "%.0f errors this minute against %.1f +/- %.1f per "
	    "minute over the previous hour (z-score %.1f, threshold %.1f).",
	    cur, mean, sd, z, e->cfg->rules.spike);
	engine_raise(e, "spike", LW_SEV_WARNING, NULL, t, title, buf_str(&d),
	    1, (long long)cur, NULL, EV_LEVEL, LW_LVL_ERROR, 0, 0);
	buf_free(&d);
}

static void
rule_metrics(struct lw_engine *e, int64_t t)
{
	const struct lw_config	*c = e->cfg;
	size_t			 i;
	char			 title[256], key[128], w[32];
	struct buf		 d;

	buf_init(&d, 1024);
	for (i = 0; i < e->nmetrics; i++) {
		const struct lw_metric_cfg	*mc = &c->metrics[i];
		struct lw_metric		*m = &e->metrics[i];
		const char			*how = NULL;
		double				 v, lim = 0;

		lw_metric_expire(m, t, (int64_t)c->rules.window * 1000);
		if (m->n == 0)
			continue;
		v = lw_metric_stat(m, (enum lw_mstat)mc->stat);
		if (mc->has_above && v > mc->above) {
			how = "above";
			lim = mc->above;
		} else if (mc->has_below && v < mc->below) {
			how = "below";
			lim = mc->below;
		}
		snprintf(key, sizeof(key), "metric:%s", mc->name);
		if (how == NULL && i < 64 && (e->active_metrics >> i & 1)) {
			e->active_metrics &= ~((uint64_t)1 << i);
			snprintf(title, sizeof(title), "Resolved: %s %s %g is "
			    "within its limits again", mc->name,
			    lw_stat_name(mc->stat), v);
			engine_resolved(e, key, LW_SEV_WARNING, t, title,
			    "The metric's statistic over the window is back "
			    "within its limits.");
		}
		if (how == NULL || !engine_gate(e, key, t))
			continue;
		if (i < 64)
			e->active_metrics |= (uint64_t)1 << i;
		human_window(c->rules.window, w, sizeof(w));
		snprintf(title, sizeof(title), "%s %s %g is %s %g",
		    mc->name, lw_stat_name(mc->stat), v, how, lim);
		buf_reset(&d);
		buf_addf(&d, "Over the last %s, %zu samples of %s: %s %g "
		    "(threshold: %s %g).", w, m->n, mc->name,
		    lw_stat_name(mc->stat), v, how, lim);
		engine_raise(e, key, LW_SEV_WARNING, key, t, title,
		    buf_str(&d), 1, (long long)m->n, NULL, EV_METRIC, 0, 0,
		    (unsigned)i);
	}
	buf_free(&d);
}

/* ---- records ------------------------------------------------------ */

/* Pull metric samples out of the record's first line. */
static uint32_t
engine_match_metrics(struct lw_engine *e, const struct lw_record *r,
    int64_t t)
{
	uint32_t	bits = 0;
	size_t		i;
	const char	*s = r->text.p;
	size_t		 len = r->text.len;
	const char	*nl = memchr(s, '\n', len);

	if (nl != NULL)
		len = (size_t)(nl - s);
	for (i = 0; i < e->nmetrics; i++) {
		PCRE2_SIZE	*ov;
		double		 v;
		int		 rc;

		rc = pcre2_match(e->cfg->metrics[i].re, (PCRE2_SPTR)s, len, 0,
		    0, e->md[i], NULL);
		if (rc < 2)
			continue;
		ov = pcre2_get_ovector_pointer(e->md[i]);
		if (ov[2] == PCRE2_UNSET ||
		    lw_metric_parse(s + ov[2], ov[3] - ov[2], &v) == -1)
			continue;
		lw_metric_add(&e->metrics[i], t, v);
		if (i < 32)
			bits |= 1u << i;
	}
	return bits;
}

/* Mark the ring lines of the record just completed. */
static void
engine_mark_ring(struct lw_engine *e, enum lw_level lvl, uint64_t tmpl,
    uint32_t metrics, uint64_t first_seq, uint64_t last_seq, int late)
{
	uint64_t		 s, from = first_seq;
	struct lw_ring_entry	*r;

	if (first_seq == 0)
		return;
	/* A record longer than the ring: only its tail is still there. */
	if (last_seq - first_seq >= e->ring.count)
		from = last_seq - e->ring.count + 1;
	for (s = from; s <= last_seq; s++) {
		if ((r = lw_ring_byseq(&e->ring, s)) == NULL)
			continue;
		r->level = lvl;
		r->tmpl_id = tmpl;
		/* Only the header line carries the metric match. */
		r->metrics = s == first_seq ? metrics : 0;
		/* Late lines continue a record whose first line came
		 * earlier: none of them is a first line. */
		r->head = s == first_seq && !late;
	}
}

static void
engine_record(struct lw_engine *e, const struct lw_record *r,
    uint64_t first_seq, uint64_t last_seq)
{
	struct lw_tmpl		*tp = NULL;
	struct lw_tally_ent	*te;
	int64_t			 t;
	enum lw_level		 lvl = r->level;
	uint32_t		 mbits = 0;
	int			 is_new = 0, known;
	size_t			 tlen;

	if (e->rcb != NULL && !e->learning)
		e->rcb(r, e->rcbarg);
	if (r->late) {
		/* The rest of a record already counted: only a traceback
		 * that arrived late changes anything, once. */
		if (r->escalated) {
			t = e->last_time_ms;
			lw_window_add(&e->win, t / 1000, LW_LVL_ERROR, 0);
			e->stats.per_level[LW_LVL_ERROR]++;
			engine_mark_ring(e, LW_LVL_ERROR, 0, 0, first_seq,
			    last_seq, 1);
			rule_counts(e, r, t);
		}
		return;
	}
	if (r->has_time && !r->inherited_time)
		t = r->time_ms;
	else if (e->last_time_ms != INT64_MIN)
		t = e->last_time_ms;
	else
		t = e->arrival_ms;
	if (e->last_time_ms == INT64_MIN)
		e->first_minute = t / 60000;
	e->last_time_ms = t;
	if (t > e->stats.last_log_ms)
		e->stats.last_log_ms = t;
	e->stats.records++;
	e->stats.per_level[lvl]++;
	lw_window_add(&e->win, t / 1000, lvl, r->nlines);
	if (r->component.len > 0)
		lw_tally_add(&e->comp_tally,
		    lw_tally_hash(r->component.p, r->component.len), t,
		    r->component.p, r->component.len);
	if (e->nmetrics > 0)
		mbits = engine_match_metrics(e, r, t);

	if (e->active_errors || e->active_warnings)
		rules_resolve(e, t);
	if (lvl >= LW_LVL_WARNING) {
		const char	*gt;
		size_t		 gl;
		uint64_t	 mid, id;
		int		 seen_text, isnew_text;

		/*
		 * Mask, then cluster: the group keeps the id of the first
		 * masked template that made it (stable across restarts, and
		 * the same as before clustering for a template that never
		 * generalised) while its text generalises.
		 */
		tlen = lw_mask(r->message.p, r->message.len, e->tmplbuf,
		    sizeof(e->tmplbuf));
		mid = lw_tmpl_id(e->tmplbuf, tlen);
		id = lw_cluster_add_new(e->cl, e->tmplbuf, tlen, &gt, &gl,
		    &isnew_text);
		seen_text = !isnew_text;
		/* A variant joining a group is remembered under its own id
		 * too: after a restart the clusters start empty, and the
		 * variant must not look new then. */
		if (!seen_text && mid != id && e->st != NULL)
			lw_state_template_put(e->st, mid, e->tmplbuf, (int)lvl,
			    t, t, 1);
		tp = lw_tmpl_store_touch(e->tmpls, id, gt, gl, t, (int)lvl,
		    &is_new);
		if (!is_new && (tp->len != gl || memcmp(tp->text, gt, gl))) {
			lw_tmpl_store_retext(e->tmpls, tp, gt, gl);
			if (e->st != NULL)
				lw_state_template_put(e->st, id, tp->text,
				    (int)lvl, t, t, tp->count);
		}
		if (is_new) {
			/* Evicted from memory is not the same as never seen,
			 * and a variant that joined a group before a restart
			 * is known under its own id: the database remembers
			 * both. */
			known = e->st ? lw_state_template_known(e->st, id) : 0;
			if (known != 1 && mid != id && e->st != NULL)
				known = lw_state_template_known(e->st, mid);
			if (known == 1)
				is_new = 0;
			else
				e->stats.templates_new++;
			if (e->st != NULL)
				lw_state_template_put(e->st, id, tp->text,
				    (int)lvl, t, t, 1);
		}
		te = lw_tally_add(&e->tmpl_tally, id, t, NULL, 0);
		engine_mark_ring(e, lvl, id, mbits, first_seq, last_seq, 0);
		rule_counts(e, r, t);
		rule_template(e, r, t, tp, te, is_new);
		if (lvl >= LW_LVL_ERROR)
			rule_spike(e, t);
	} else
		engine_mark_ring(e, lvl, 0, mbits, first_seq, last_seq, 0);

	/*
	 * Metric statistics (max and p95 scan their samples): when a new
	 * second of log time begins, and at the end of each batch read
	 * (lw_engine_flush), so a live spike is seen at once.
	 */
	if (mbits)
		e->metric_dirty = 1;
	if (e->metric_dirty && t / 1000 != e->metric_eval_sec) {
		e->metric_eval_sec = t / 1000;
		e->metric_dirty = 0;
		rule_metrics(e, t);
	}
}

void
lw_engine_feed(struct lw_engine *e, const char *line, size_t len,
    size_t cut, int64_t arrival_ms)
{
	struct lw_record	 rec;
	uint64_t		 prev_first = e->rec_seq;
	int64_t			 t;

	e->arrival_ms = arrival_ms;
	e->stats.lines++;
	e->stats.bytes += len + cut + 1;
	if (cut > 0)
		e->stats.cut_lines++;
	t = e->last_time_ms != INT64_MIN ? e->last_time_ms : arrival_ms;
	lw_ring_push(&e->ring, line, len, cut, t);
	if (lw_asm_feed(e->as, line, len, &rec)) {
		/* This line starts a new record; rec is the previous one. */
		e->rec_seq = e->ring.seq;
		engine_record(e, &rec, prev_first, e->ring.seq - 1);
	} else if (!e->have_pending)
		e->rec_seq = e->ring.seq;
	e->have_pending = 1;
}

void
lw_engine_flush(struct lw_engine *e)
{
	struct lw_record	rec;

	if (lw_asm_flush(e->as, &rec))
		engine_record(e, &rec, e->rec_seq, e->ring.seq);
	if (e->metric_dirty && e->last_time_ms != INT64_MIN) {
		e->metric_dirty = 0;
		rule_metrics(e, e->last_time_ms);
	}
	e->have_pending = 0;
	e->rec_seq = 0;
}

void
lw_engine_touch(struct lw_engine *e, int64_t mono_ms)
{
	char	title[256];

	if (e->silence_alert_ms != 0) {
		snprintf(title, sizeof(title), "Resolved: the bot is logging "
		    "again after %lld s of silence", (long long)((mono_ms -
		    e->last_line_mono) / 1000));
		e->silence_alert_ms = 0;
		engine_resolved(e, "silence", LW_SEV_CRITICAL, lw_wall_ms(),
		    title, "New lines arrived after a silence alert.");
	}
	e->last_line_mono = mono_ms;
	e->silence_fired = 0;
}

void
lw_engine_tick(struct lw_engine *e, int64_t mono_ms)
{
	unsigned	 s = e->cfg->rules.silence;
	char		 title[256], last[LW_ISO8601_LEN];
	struct buf	 d;
	int64_t		 idle;

	if (s == 0 || e->silence_fired || e->learning)
		return;
	if (e->last_line_mono == 0)
		e->last_line_mono = mono_ms;	/* nothing seen yet */
	idle = mono_ms - e->last_line_mono;
	if (idle < (int64_t)s * 1000)
		return;
	e->silence_fired = 1;
	/* Silence has one key and uses the clock, not log time: a cooldown
	 * measured in log time would never expire while nothing is logged. */
	if (!engine_gate(e, "silence", lw_wall_ms()))
		return;
	snprintf(title, sizeof(title), "Bot stalled: no new log line for "
	    "%lld s", (long long)(idle / 1000));
	buf_init(&d, 1024);
	buf_addf(&d, "%s has not grown for %lld seconds (rules.silence = "
	    "%u). The bot may be hung, crashed or disconnected.",
	    e->cfg->source.path, (long long)(idle / 1000), s);
	if (e->stats.last_log_ms > 0) {
		lw_iso8601(e->stats.last_log_ms, last, sizeof(last));
		buf_addf(&d, " Last log time seen: %s.", last);
	}
	engine_raise(e, "silence", LW_SEV_CRITICAL, NULL, lw_wall_ms(), title,
	    buf_str(&d), 0, 0, NULL, EV_LAST, 0, 0, 0);
	buf_free(&d);
	e->silence_alert_ms = lw_wall_ms();
}

void
lw_engine_stats(const struct lw_engine *e, struct lw_engine_stats *s)
{
	size_t	i;

	*s = e->stats;
	s->tmpl_evictions = lw_tmpl_store_evictions(e->tmpls);
	s->tally_evictions = e->tmpl_tally.evictions +
	    e->comp_tally.evictions;
	s->metric_dropped = 0;
	for (i = 0; i < e->nmetrics; i++)
		s->metric_dropped += e->metrics[i].dropped;
	s->window_lines = e->win.lines;
	s->window_errors = lw_window_atleast(&e->win, LW_LVL_ERROR);
	s->window_warnings = e->win.n[LW_LVL_WARNING];
}

void
lw_engine_reset_counts(struct lw_engine *e)
{
	e->stats.lines = e->stats.records = e->stats.bytes = 0;
	e->stats.cut_lines = 0;
	memset(e->stats.per_level, 0, sizeof(e->stats.per_level));
	e->stats.templates_new = 0;
}

/* The components that logged most in the window (names escaped: they
 * come from the log). */
static void
engine_top_components(struct lw_engine *e, struct buf *out, int64_t now)
{
	const struct lw_tally	*t = &e->comp_tally;
	const struct lw_tally_ent *top[5] = { NULL };
	uint64_t		 topn[5] = { 0 };
	size_t			 i;
	int			 j, k;

	for (i = 0; i < t->cap; i++) {
		uint64_t n;

		if (t->v[i].key == 0 ||
		    (n = lw_tally_count(t, &t->v[i], now)) == 0)
			continue;
		for (j = 0; j < 5; j++) {
			if (n > topn[j]) {
				for (k = 4; k > j; k--) {
					top[k] = top[k - 1];
					topn[k] = topn[k - 1];
				}
				top[j] = &t->v[i];
				topn[j] = n;
				break;
			}
		}
	}
	buf_adds(out, "\nbusiest components in the window:");
	for (j = 0; j < 5 && top[j] != NULL; j++) {
		buf_addf(out, "%s %" PRIu64 "x ", j ? ";" : "", topn[j]);
		lw_vis(out, top[j]->label, strlen(top[j]->label));
	}
}

const struct lw_redactor *
lw_engine_redactor(struct lw_engine *e)
{
	return e->red;
}

static int
snap_cmp(const void *a, const void *b)
{
	const struct lw_snap_tmpl *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
lw_engine_snapshot(struct lw_engine *e, struct lw_engine_snap *sn,
    size_t max_tmpls)
{
	const struct lw_tally	*t = &e->tmpl_tally;
	int64_t			 now = e->stats.last_log_ms;
	size_t			 i, n = 0, k;
	struct lw_ring_entry	*r;

	memset(sn, 0, sizeof(*sn));
	sn->now_ms = now;
	sn->window = e->cfg->rules.window;
	sn->lines = e->win.lines;
	memcpy(sn->per_level, e->win.n, sizeof(sn->per_level));
	sn->tmpls = xcalloc(t->n ? t->n : 1, sizeof(*sn->tmpls));
	for (i = 0; i < t->cap; i++) {
		const struct lw_tally_ent *te = &t->v[i];
		struct lw_tmpl		 *tp;
		uint64_t		  c;
		int64_t			  first;

		if (te->key == 0 || (c = lw_tally_count(t, te, now)) == 0 ||
		    (tp = lw_tmpl_store_get(e->tmpls, te->key)) == NULL)
			continue;
		sn->tmpls[n].id = te->key;
		sn->tmpls[n].text = tp->text;
		sn->tmpls[n].level = tp->level;
		sn->tmpls[n].count = c;
		sn->tmpls[n].total = te->total;
		sn->tmpls[n].first_ms = tp->first_ms;
		if (e->st != NULL &&
		    lw_state_template_first(e->st, te->key, &first) == 1)
			sn->tmpls[n].first_ms = first;
		sn->tmpls[n].last_ms = tp->last_ms;
		n++;
	}
	qsort(sn->tmpls, n, sizeof(*sn->tmpls), snap_cmp);
	sn->ntmpls = n < max_tmpls ? n : max_tmpls;
	/* One example each: the newest line of that template. */
	for (k = 0; k < e->ring.count; k++) {
		r = lw_ring_recent(&e->ring, (unsigned)k);
		if (!r->head || r->tmpl_id == 0)
			continue;
		for (i = 0; i < sn->ntmpls; i++)
			if (sn->tmpls[i].id == r->tmpl_id &&
			    sn->tmpls[i].example == NULL)
				sn->tmpls[i].example = r->text;
	}
	sn->nmetrics = e->nmetrics;
	sn->metrics = xcalloc(e->nmetrics ? e->nmetrics : 1,
	    sizeof(*sn->metrics));
	for (i = 0; i < e->nmetrics; i++) {
		struct lw_metric *m = &e->metrics[i];

		sn->metrics[i].name = e->cfg->metrics[i].name;
		sn->metrics[i].n = m->n;
		sn->metrics[i].avg = lw_metric_stat(m, LW_MSTAT_AVG);
		sn->metrics[i].max = lw_metric_stat(m, LW_MSTAT_MAX);
		sn->metrics[i].p95 = lw_metric_stat(m, LW_MSTAT_P95);
	}
	/* Alerts of the window, oldest first. */
	k = e->nfired > LW_SNAP_FIRED ? e->nfired - LW_SNAP_FIRED : 0;
	for (; k < e->nfired; k++) {
		const struct lw_snap_fired *f = &e->fired[k % LW_SNAP_FIRED];

		if (now - f->time_ms <= (int64_t)sn->window * 1000)
			sn->fired[sn->nfired++] = *f;
	}
	sn->recent = xcalloc(e->ring.count ? e->ring.count : 1,
	    sizeof(*sn->recent));
	for (k = e->ring.count; k-- > 0; )
		sn->recent[sn->nrecent++] = lw_ring_recent(&e->ring,
		    (unsigned)k)->text;
}

void
lw_engine_snap_free(struct lw_engine_snap *sn)
{
	if (sn == NULL)
		return;
	free(sn->tmpls);
	free(sn->metrics);
	free(sn->recent);
	memset(sn, 0, sizeof(*sn));
}

int
lw_engine_raise_llm(struct lw_engine *e, enum lw_sev sev, const char *issue,
    const char *impact, const char *action)
{
	char		 key[160], title[LW_ALERT_TITLE_MAX];
	struct buf	 d;
	int64_t		 t = e->stats.last_log_ms > 0 ? e->stats.last_log_ms :
			    lw_wall_ms();
	size_t		 n;

	/* The key: the issue's first words, so a reworded repeat of the
	 * same issue still falls under the cooldown most of the time. */
	n = strlen(issue);
	if (n > 100)
		n = lw_utf8_cut(issue, 100);
	snprintf(key, sizeof(key), "llm:%.*s", (int)n, issue);
	if (!engine_gate(e, key, t))
		return 0;
	snprintf(title, sizeof(title), "%s", issue);
	buf_init(&d, LW_ALERT_TEXT_MAX);
	buf_addf(&d, "Issue: %s\nImpact: %s\nAction: %s", issue,
	    impact ? impact : "-", action ? action : "-");
	engine_raise_src(e, "llm", sev, key, t, title, buf_str(&d), 0, 0,
	    NULL, EV_LEVEL, LW_LVL_WARNING, 0, 0, 1);
	buf_free(&d);
	return 1;
}

void
lw_engine_describe(struct lw_engine *e, struct buf *out)
{
	size_t	i;
	int64_t	now = e->stats.last_log_ms;

	buf_addf(out, "templates in memory: %zu (evicted %" PRIu64 ")",
	    lw_tmpl_store_count(e->tmpls), lw_tmpl_store_evictions(e->tmpls));
	buf_adds(out, "\nbusiest error/warning templates in the window:");
	engine_top_templates(e, out, now, LW_LVL_WARNING);
	engine_top_components(e, out, now);
	for (i = 0; i < e->nmetrics; i++) {
		struct lw_metric *m = &e->metrics[i];

		buf_addf(out, "\nmetric %s: %zu samples, avg %g, max %g, "
		    "p95 %g", e->cfg->metrics[i].name, m->n,
		    lw_metric_stat(m, LW_MSTAT_AVG),
		    lw_metric_stat(m, LW_MSTAT_MAX),
		    lw_metric_stat(m, LW_MSTAT_P95));
	}
}
