/*
 * report_fmt: the report's three renderings from the same figures:
 * markdown (the default of `analyze`), JSON (--format json; the shape is
 * documented in report.h) and the short plain-text summary the daemon can
 * print periodically.  Template text and examples come from the log, so
 * they are put in code spans with the bytes that would break a table
 * replaced.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "level.h"
#include "log.h"
#include "lwtime.h"
#include "miner.h"
#include "report_int.h"
#include "rstats.h"
#include "utf8.h"

#define SUMMARY_TOP	3	/* templates named in the summary */

static void
iso(int64_t ms, char *out, size_t outsz)
{
	if (ms == RPT_NOTIME)
		snprintf(out, outsz, "-");
	else
		lw_iso8601(ms, out, outsz);
}

/* "2025-03-20 09:00" for an hour's start. */
static void
hour_label(int64_t ms, char *out, size_t outsz)
{
	char	t[LW_ISO8601_LEN];

	lw_iso8601(ms, t, sizeof(t));
	snprintf(out, outsz, "%.10s %.5s", t, t + 11);
}

static int
peak_hour(const struct rpt_tmpl *t)
{
	int	i, best = -1;

	for (i = 0; i < 24; i++)
		if (t->hod[i] > 0 && (best == -1 || t->hod[i] > t->hod[best]))
			best = i;
	return best;
}

/*
 * A table cell in a code span: '|' and '`' would end it early, and the
 * text (templates, components, symbols) comes from the log: control
 * bytes and invalid UTF-8 are escaped as \xNN (lw_vis), never written.
 */
static int
md_code(struct buf *out, const char *s)
{
	struct buf	 v;
	const char	*p;
	int		 rc;

	buf_init(&v, 4 * strlen(s) + 1);
	rc = lw_vis(&v, s, strlen(s));
	if (rc == 0)
		rc = buf_addc(out, '`');
	for (p = buf_str(&v); rc == 0 && *p != '\0'; p++) {
		if (*p == '|')
			rc = buf_adds(out, "\\|");
		else if (*p == '`')
			rc = buf_addc(out, '\'');
		else
			rc = buf_addc(out, *p);
	}
	buf_free(&v);
	return rc == 0 ? buf_addc(out, '`') : -1;
}

static int
md_num(struct buf *out, double v)
{
	if (!isfinite(v))
		return buf_adds(out, "-");
	return buf_addf(out, "%.2f", v);
}

static int
catsum(const struct lw_report *r)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < r->ncats; i++)
		n += r->catc[i].count > 0;
	return n;
}

/* The most frequent template of category c, or NULL. */
/*
 * A category's top template is the one with the most records in it.  A
 * template without a category of its own reaches the exception category
 * only through its records that carried a traceback, so those count.
 */
static const struct rpt_tmpl *
cat_top(const struct lw_report *r, size_t c)
{
	const struct rpt_tmpl	*best = NULL, *t;
	uint64_t		 bn = 0, n;
	size_t			 i;

	for (i = 0; i < r->d.nsorted; i++) {
		t = r->d.sorted[i];
		n = t->cat == (int)c ? t->count : (t->cat == -1 &&
		    (int)c == r->exc_cat) ? t->tb_count : 0;
		if (n > bn) {
			best = t;
			bn = n;
		}
	}
	return best;
}

/* ---- markdown ---------------------------------------------------------- */

static int
md_header(struct lw_report *r, struct buf *out)
{
	char	a[LW_ISO8601_LEN], b[LW_ISO8601_LEN];
	size_t	i;
	int	rc;

	iso(r->first_ms, a, sizeof(a));
	iso(r->last_ms, b, sizeof(b));
	rc = buf_addf(out, "# logwarden report\n\nPeriod: %s .. %s (%zu "
	    "hours, UTC)\n\n", a, b, r->d.nhours);
	for (i = 0; rc == 0 && i < r->nfiles; i++)
		rc = buf_addf(out, "%s`%s` (%llu lines)%s",
		    i == 0 ? "Files: " : "", r->files[i].name,
		    (unsigned long long)r->files[i].lines,
		    i + 1 == r->nfiles ? "\n\n" : ", ");
	return rc;
}

static int
md_critical(struct lw_report *r, struct buf *out)
{
	const struct rpt_tmpl	*t;
	char			 a[LW_ISO8601_LEN], b[LW_ISO8601_LEN];
	size_t			 i;
	int			 rc;

	rc = buf_adds(out, "## Critical issues\n\n");
	if (rc == 0 && catsum(r) == 0)
		return buf_adds(out, "No critical issues.\n\n");
	if (rc == 0)
		rc = buf_adds(out, "| Category | Impact | Count | First seen | "
		    "Last seen | Top pattern |\n|---|---|---:|---|---|---|\n");
	for (i = 0; rc == 0 && i < r->ncats; i++) {
		if (r->catc[i].count == 0)
			continue;
		iso(r->catc[i].first_ms, a, sizeof(a));
		iso(r->catc[i].last_ms, b, sizeof(b));
		rc = buf_addf(out, "| %s | %s | %llu | %s | %s | ",
		    r->cats[i].name, lw_impact_name(r->cats[i].impact),
		    (unsigned long long)r->catc[i].count, a, b);
		t = cat_top(r, i);
		if (rc == 0)
			rc = t != NULL ? md_code(out, t->text) : buf_adds(out,
			    "-");
		if (rc == 0)
			rc = buf_adds(out, " |\n");
	}
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

static int
md_list(struct buf *out, char *const *v, size_t n)
{
	size_t	i;
	int	rc = 0;

	if (n == 0)
		return buf_adds(out, "-");
	for (i = 0; rc == 0 && i < n; i++) {
		if (i > 0)
			rc = buf_adds(out, ", ");
		if (rc == 0)
			rc = md_code(out, v[i]);
	}
	return rc;
}

/*
 * One row per template, most frequent first; the examples follow the
 * table because a full log line would make rows unreadably wide.
 * "Share" is of all warning-or-worse records, so the rows add up to 100 %
 * when no template was dropped.
 */
static int
md_patterns(struct lw_report *r, struct buf *out)
{
	const struct rpt_derived	*d = &r->d;
	const struct rpt_tmpl		*t;
	char				 a[LW_ISO8601_LEN], b[LW_ISO8601_LEN];
	char				*syms[LW_REPORT_MAX_SYMBOLS];
	uint64_t			 total = d->warn_records +
					    r->templates_dropped;
	size_t				 i, k;
	int				 rc, ph;

	rc = buf_adds(out, "## Error patterns\n\n");
	if (rc == 0 && d->nsorted == 0)
		return buf_adds(out, "No errors or warnings.\n\n");
	if (rc == 0)
		rc = buf_adds(out, "| # | Level | Count | Share | First seen | "
		    "Last seen | Peak hour | Components | Symbols | Pattern |\n"
		    "|---:|---|---:|---:|---|---|---|---|---|---|\n");
	for (i = 0; rc == 0 && i < d->nsorted; i++) {
		t = d->sorted[i];
		iso(t->first_ms, a, sizeof(a));
		iso(t->last_ms, b, sizeof(b));
		rc = buf_addf(out, "| %zu | %s | %llu | %.1f%% | %s | %s | ",
		    i + 1, lw_level_name((enum lw_level)t->level),
		    (unsigned long long)t->count,
		    total ? 100.0 * (double)t->count / (double)total : 0.0,
		    a, b);
		ph = peak_hour(t);
		if (rc == 0)
			rc = ph >= 0 ? buf_addf(out, "%02d:00 | ", ph) :
			    buf_adds(out, "- | ");
		if (rc == 0)
			rc = md_list(out, t->comp, t->ncomp);
		for (k = 0; k < t->nsym; k++)
			syms[k] = (char *)t->sym[k];
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_list(out, syms, t->nsym);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_code(out, t->text);
		if (rc == 0)
			rc = buf_adds(out, " |\n");
	}
	if (rc == 0 && r->templates_dropped > 0)
		rc = buf_addf(out, "\n%llu more records belong to patterns "
		    "beyond the table's limit of %zu.\n",
		    (unsigned long long)r->templates_dropped, r->maxtm);
	if (rc == 0)
		rc = buf_adds(out, "\nExamples:\n\n");
	for (i = 0; rc == 0 && i < d->nsorted; i++) {
		rc = buf_addf(out, "%zu. ", i + 1);
		if (rc == 0)
			rc = md_code(out, d->sorted[i]->example);
		if (rc == 0)
			rc = buf_adds(out, "\n");
	}
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

static int
md_anomalies(struct lw_report *r, struct buf *out)
{
	const struct rpt_derived	*d = &r->d;
	char				 a[LW_ISO8601_LEN], h[32];
	size_t				 i;
	int				 rc;

	rc = buf_adds(out, "## Anomalies\n\n### New templates\n\n");
	if (rc == 0 && !d->have_state)
		rc = buf_adds(out, "Not checked: no state database.\n");
	else if (rc == 0 && d->nnew == 0)
		rc = buf_adds(out, "None: every pattern was seen before.\n");
	for (i = 0; rc == 0 && d->have_state && i < d->nsorted; i++) {
		if (d->sorted[i]->isnew != 1)
			continue;
		rc = buf_addf(out, "- %llu x ",
		    (unsigned long long)d->sorted[i]->count);
		if (rc == 0)
			rc = md_code(out, d->sorted[i]->text);
		if (rc == 0)
			rc = buf_adds(out, "\n");
	}
	if (rc == 0)
		rc = buf_adds(out, "\n### Unusual hours\n\n");
	if (rc == 0 && d->nanoms == 0)
		rc = buf_addf(out, "None (more than %.0f robust deviations from "
		    "the median hour, at least %d hours).\n",
		    LW_REPORT_ANOMALY_K, LW_REPORT_MIN_HOURS);
	else if (rc == 0)
		rc = buf_adds(out, "| Hour | Series | Value | Median | "
		    "Deviations |\n|---|---|---:|---:|---:|\n");
	for (i = 0; rc == 0 && i < d->nanoms; i++) {
		hour_label(d->anoms[i].hour_ms, h, sizeof(h));
		rc = buf_addf(out, "| %s | %s | %.2f | %.2f | %+.1f |\n", h,
		    rpt_series_name(d->anoms[i].series), d->anoms[i].value,
		    d->anoms[i].median, d->anoms[i].dev);
	}
	if (rc == 0)
		rc = buf_adds(out, "\n### Latency spikes\n\n");
	if (rc == 0 && d->nspikes == 0)
		rc = buf_addf(out, "None (%.0fx the median latency).\n",
		    LW_REPORT_SPIKE_FACTOR);
	for (i = 0; rc == 0 && i < d->nspikes; i++) {
		iso(d->spikes[i].t_ms, a, sizeof(a));
		rc = buf_addf(out, "- %s: %.2f ms (median %.2f ms)\n", a,
		    d->spikes[i].v, d->lat_median);
	}
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

/* Sparklines first for the shape of the day at a glance, then the
 * numbers they were drawn from. */
static int
md_hourly(struct lw_report *r, struct buf *out)
{
	static const enum rpt_series cols[] = { RS_LINES, RS_ERRORS,
	    RS_WARNINGS, RS_TRADES, RS_LAT_AVG, RS_LAT_P95, RS_PNL };
	const struct rpt_derived	*d = &r->d;
	char				 h[32];
	size_t				 i, k;
	int				 rc;

	rc = buf_adds(out, "## Hourly series\n\n");
	if (rc == 0 && d->nhours == 0)
		return buf_adds(out, "No timed records.\n\n");
	for (k = 0; rc == 0 && k < sizeof(cols) / sizeof(cols[0]); k++) {
		rc = buf_addf(out, "- %-12s ", rpt_series_name(cols[k]));
		if (rc == 0)
			rc = lw_rstats_sparkline(d->series[cols[k]], d->nhours,
			    out);
		if (rc == 0)
			rc = buf_adds(out, "\n");
	}
	if (rc == 0)
		rc = buf_adds(out, "\n| Hour | Lines | Errors | Warnings | "
		    "Trades | Latency avg | Latency p95 | PnL |\n"
		    "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; rc == 0 && i < d->nhours; i++) {
		hour_label((r->base_hour + (int64_t)i) * RPT_HOUR_MS, h,
		    sizeof(h));
		rc = buf_addf(out, "| %s | %.0f | %.0f | %.0f | %.0f | ", h,
		    d->series[RS_LINES][i], d->series[RS_ERRORS][i],
		    d->series[RS_WARNINGS][i], d->series[RS_TRADES][i]);
		if (rc == 0)
			rc = md_num(out, d->series[RS_LAT_AVG][i]);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_num(out, d->series[RS_LAT_P95][i]);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_num(out, d->series[RS_PNL][i]);
		if (rc == 0)
			rc = buf_adds(out, " |\n");
	}
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

static int
md_corrs(struct lw_report *r, struct buf *out)
{
	const struct rpt_derived	*d = &r->d;
	size_t				 i;
	int				 rc;

	rc = buf_adds(out, "## Correlations\n\n");
	if (rc == 0 && d->ncorrs == 0)
		return buf_addf(out, "None with |r| >= %.1f.\n\n",
		    LW_REPORT_CORR_MIN);
	if (rc == 0)
		rc = buf_adds(out, "| Series | r | n | Note |\n"
		    "|---|---:|---:|---|\n");
	for (i = 0; rc == 0 && i < d->ncorrs; i++)
		rc = buf_addf(out, "| %s ~ %s | %+.2f | %zu | %s |\n",
		    rpt_series_name(d->corrs[i].x),
		    rpt_series_name(d->corrs[i].y), d->corrs[i].r,
		    d->corrs[i].n, d->corrs[i].n < LW_REPORT_CORR_CAUTION_N ?
		    "few hours: take with caution" : "");
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

static int
md_trading(struct lw_report *r, struct buf *out)
{
	size_t	i;
	int	rc;

	rc = buf_adds(out, "## Trading figures\n\n");
	if (rc == 0 && r->fills == 0 && r->closed == 0)
		rc = buf_adds(out, "No fills or closed positions found.\n");
	if (rc == 0 && (r->fills > 0 || r->closed > 0))
		rc = buf_addf(out, "- Fills: %llu\n- Closed positions: %llu\n",
		    (unsigned long long)r->fills,
		    (unsigned long long)r->closed);
	if (rc == 0 && r->closed > 0)
		rc = buf_addf(out, "- Win rate: %.1f%% (%llu wins, %llu "
		    "losses)\n- PnL: sum %.6g, mean %.6g, min %.6g, max %.6g\n",
		    100.0 * (double)r->wins / (double)r->closed,
		    (unsigned long long)r->wins,
		    (unsigned long long)r->losses, r->pnl_sum,
		    r->pnl_sum / (double)r->closed, r->pnl_min, r->pnl_max);
	if (rc == 0 && r->size_n > 0)
		rc = buf_addf(out, "- Position sizes: %llu fills, mean %.4g, "
		    "min %.4g, max %.4g\n", (unsigned long long)r->size_n,
		    r->size_sum / (double)r->size_n, r->size_min, r->size_max);
	if (rc == 0 && r->nmetrics > 0)
		rc = buf_adds(out, "\n| Metric | Count | Avg | Min | Max | p95 "
		    "|\n|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; rc == 0 && i < r->nmetrics; i++) {
		struct rpt_metric	*m = &r->metrics[i];
		double			 p95;

		p95 = lw_rstats_pctl(m->res.v, m->res.n, 95);
		rc = buf_addf(out, "| %s | %llu | ", m->cfg->name,
		    (unsigned long long)m->count);
		if (rc == 0)
			rc = md_num(out, m->count ? m->sum / (double)m->count :
			    NAN);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_num(out, m->count ? m->min : NAN);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_num(out, m->count ? m->max : NAN);
		if (rc == 0)
			rc = buf_adds(out, " | ");
		if (rc == 0)
			rc = md_num(out, p95);
		if (rc == 0)
			rc = buf_adds(out, " |\n");
	}
	return rc == 0 ? buf_adds(out, "\n") : -1;
}

static void
day_str(int64_t day, char *out, size_t outsz)
{
	char	t[LW_ISO8601_LEN];

	lw_iso8601(day * 86400000LL, t, sizeof(t));
	snprintf(out, outsz, "%.10s", t);
}

/* A previous day of 0 has no meaningful percentage. */
static int
md_trend_one(struct buf *out, const char *what, uint64_t now, uint64_t prev)
{
	if (prev == 0)
		return buf_addf(out, "  - %s: %llu (previous day 0)\n", what,
		    (unsigned long long)now);
	return buf_addf(out, "  - %s: %llu (previous day %llu, %+.0f%%)\n",
	    what, (unsigned long long)now, (unsigned long long)prev,
	    100.0 * ((double)now - (double)prev) / (double)prev);
}

static int
md_stats(struct lw_report *r, struct buf *out)
{
	const struct rpt_derived	*d = &r->d;
	char				 day[16], pday[16];
	int				 rc;

	rc = buf_addf(out, "## Statistics\n\n"
	    "- Lines: %llu (%llu records, %llu without a time)\n"
	    "- Errors: %llu (%llu critical), warnings: %llu, tracebacks: %llu\n"
	    "- Unique error types: %llu, warning types: %llu\n"
	    "- Errors per hour: %.2f\n",
	    (unsigned long long)r->lines, (unsigned long long)r->records,
	    (unsigned long long)r->untimed, (unsigned long long)r->errors,
	    (unsigned long long)r->criticals, (unsigned long long)r->warnings,
	    (unsigned long long)r->tracebacks,
	    (unsigned long long)d->unique_errors,
	    (unsigned long long)d->unique_warnings, d->errors_per_hour);
	if (rc == 0 && r->hours_dropped > 0)
		rc = buf_addf(out, "- Records outside the hourly series: %llu "
		    "(more than %d days from the others)\n",
		    (unsigned long long)r->hours_dropped,
		    LW_REPORT_MAX_HOURS / 24);
	if (rc == 0 && r->templates_dropped > 0)
		rc = buf_addf(out, "- Records of patterns beyond the table's "
		    "limit: %llu\n", (unsigned long long)r->templates_dropped);
	if (rc == 0 && !d->have_trend)
		rc = buf_adds(out, "- Trend: no figures for the previous day\n");
	if (rc == 0 && d->have_trend) {
		day_str(d->trend_day, day, sizeof(day));
		day_str(d->trend_day - 1, pday, sizeof(pday));
		rc = buf_addf(out, "- Trend %s against %s (%s):\n", day, pday,
		    d->trend_from_state ? "state database" : "this log");
		if (rc == 0)
			rc = md_trend_one(out, "lines", d->today[0], d->prev[0]);
		if (rc == 0)
			rc = md_trend_one(out, "errors", d->today[1],
			    d->prev[1]);
		if (rc == 0)
			rc = md_trend_one(out, "warnings", d->today[2],
			    d->prev[2]);
	}
	return rc;
}

int
lw_report_markdown(struct lw_report *r, struct buf *out)
{
	rpt_compute(r);
	if (md_header(r, out) == -1 || md_critical(r, out) == -1 ||
	    md_patterns(r, out) == -1 || md_anomalies(r, out) == -1 ||
	    md_hourly(r, out) == -1 || md_corrs(r, out) == -1 ||
	    md_trading(r, out) == -1 || md_stats(r, out) == -1)
		return -1;
	return 0;
}

/* ---- JSON ---------------------------------------------------------------- */

static cJSON *
jnum(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/*
 * Every string of the JSON report: templates, examples, components and
 * file names come from the log and may hold any bytes, and cJSON takes
 * them as they are; the report must be valid UTF-8 whatever the log.
 */
static cJSON *
jstr(const char *s)
{
	struct buf	 b;
	cJSON		*o;
	size_t		 n = strlen(s);

	if (lw_utf8_valid_prefix(s, n) == n)
		o = cJSON_CreateString(s);
	else {
		buf_init(&b, 3 * n + 1);
		if (lw_utf8_clean(&b, s, n) == -1)
			fatalx("%s: repair buffer", __func__);
		o = cJSON_CreateString(buf_str(&b));
		buf_free(&b);
	}
	if (o == NULL)
		fatalx("%s: out of memory", __func__);
	return o;
}

static cJSON *
jtime(int64_t ms)
{
	char	t[LW_ISO8601_LEN];

	if (ms == RPT_NOTIME)
		return cJSON_CreateNull();
	lw_iso8601(ms, t, sizeof(t));
	return jstr(t);
}

/* cJSON returns NULL only when malloc failed: fatal, like xmalloc. */
static cJSON *
jck(cJSON *v)
{
	if (v == NULL)
		fatalx("cJSON: out of memory");
	return v;
}

static void
add(cJSON *o, const char *k, cJSON *v)
{
	cJSON_AddItemToObject(o, k, jck(v));
}

static void
push(cJSON *a, cJSON *v)
{
	cJSON_AddItemToArray(a, jck(v));
}

static cJSON *
jobj(void)
{
	return jck(cJSON_CreateObject());
}

static cJSON *
jarr(void)
{
	return jck(cJSON_CreateArray());
}

static cJSON *
jstats(struct lw_report *r)
{
	const struct rpt_derived	*d = &r->d;
	cJSON				*o = jobj(), *t;
	char				 day[16];

	add(o, "lines", cJSON_CreateNumber((double)r->lines));
	add(o, "records", cJSON_CreateNumber((double)r->records));
	add(o, "errors", cJSON_CreateNumber((double)r->errors));
	add(o, "warnings", cJSON_CreateNumber((double)r->warnings));
	add(o, "criticals", cJSON_CreateNumber((double)r->criticals));
	add(o, "tracebacks", cJSON_CreateNumber((double)r->tracebacks));
	add(o, "unique_errors", cJSON_CreateNumber((double)d->unique_errors));
	add(o, "unique_warnings",
	    cJSON_CreateNumber((double)d->unique_warnings));
	add(o, "errors_per_hour", jnum(d->errors_per_hour));
	add(o, "untimed_records", cJSON_CreateNumber((double)r->untimed));
	add(o, "templates_dropped",
	    cJSON_CreateNumber((double)r->templates_dropped));
	add(o, "hours_dropped", cJSON_CreateNumber((double)r->hours_dropped));
	if (!d->have_trend) {
		add(o, "trend", cJSON_CreateNull());
		return o;
	}
	t = jobj();
	day_str(d->trend_day, day, sizeof(day));
	add(t, "day", jstr(day));
	day_str(d->trend_day - 1, day, sizeof(day));
	add(t, "previous_day", jstr(day));
	add(t, "lines", cJSON_CreateNumber((double)d->today[0]));
	add(t, "errors", cJSON_CreateNumber((double)d->today[1]));
	add(t, "warnings", cJSON_CreateNumber((double)d->today[2]));
	add(t, "previous_lines", cJSON_CreateNumber((double)d->prev[0]));
	add(t, "previous_errors", cJSON_CreateNumber((double)d->prev[1]));
	add(t, "previous_warnings", cJSON_CreateNumber((double)d->prev[2]));
	add(t, "source", jstr(d->trend_from_state ? "state" :
	    "report"));
	add(o, "trend", t);
	return o;
}

static cJSON *
jcritical(struct lw_report *r)
{
	const struct rpt_tmpl	*t;
	cJSON			*a = jarr(), *o;
	size_t			 i;

	for (i = 0; i < r->ncats; i++) {
		if (r->catc[i].count == 0)
			continue;
		o = jobj();
		add(o, "category", jstr(r->cats[i].name));
		add(o, "impact", jstr(
		    lw_impact_name(r->cats[i].impact)));
		add(o, "count", cJSON_CreateNumber((double)r->catc[i].count));
		add(o, "first", jtime(r->catc[i].first_ms));
		add(o, "last", jtime(r->catc[i].last_ms));
		t = cat_top(r, i);
		add(o, "top_template", t != NULL ? jstr(t->text) :
		    cJSON_CreateNull());
		push(a, o);
	}
	return a;
}

static cJSON *
jpatterns(struct lw_report *r)
{
	const struct rpt_derived	*d = &r->d;
	const struct rpt_tmpl		*t;
	cJSON				*a = jarr(), *o, *l;
	char				 id[LW_TMPL_IDSTR_LEN], ph[16];
	uint64_t			 total = d->warn_records +
					    r->templates_dropped;
	size_t				 i, k;
	int				 h;

	for (i = 0; i < d->nsorted; i++) {
		t = d->sorted[i];
		o = jobj();
		lw_tmpl_idstr(t->id, id);
		add(o, "id", jstr(id));
		add(o, "template", jstr(t->text));
		add(o, "level", jstr(
		    lw_level_name((enum lw_level)t->level)));
		add(o, "count", cJSON_CreateNumber((double)t->count));
		add(o, "share", cJSON_CreateNumber(total ?
		    (double)t->count / (double)total : 0));
		add(o, "first", jtime(t->first_ms));
		add(o, "last", jtime(t->last_ms));
		h = peak_hour(t);
		snprintf(ph, sizeof(ph), "%02d:00", h);
		add(o, "peak_hour", h >= 0 ? jstr(ph) :
		    cJSON_CreateNull());
		l = jarr();
		for (k = 0; k < t->ncomp; k++)
			push(l, jstr(t->comp[k]));
		add(o, "components", l);
		l = jarr();
		for (k = 0; k < t->nsym; k++)
			push(l, jstr(t->sym[k]));
		add(o, "symbols", l);
		add(o, "example", jstr(t->example));
		add(o, "category", t->cat >= 0 ?
		    jstr(r->cats[t->cat].name) :
		    cJSON_CreateNull());
		add(o, "new", t->isnew == -1 ? cJSON_CreateNull() :
		    cJSON_CreateBool(t->isnew));
		push(a, o);
	}
	return a;
}

static cJSON *
janomalies(struct lw_report *r)
{
	const struct rpt_derived	*d = &r->d;
	cJSON				*o = jobj(), *a, *e;
	char				 id[LW_TMPL_IDSTR_LEN];
	size_t				 i;

	if (!d->have_state)
		add(o, "new_templates", cJSON_CreateNull());
	else {
		a = jarr();
		for (i = 0; i < d->nsorted; i++) {
			if (d->sorted[i]->isnew != 1)
				continue;
			e = jobj();
			lw_tmpl_idstr(d->sorted[i]->id, id);
			add(e, "id", jstr(id));
			add(e, "template",
			    jstr(d->sorted[i]->text));
			add(e, "count",
			    cJSON_CreateNumber((double)d->sorted[i]->count));
			push(a, e);
		}
		add(o, "new_templates", a);
	}
	a = jarr();
	for (i = 0; i < d->nanoms; i++) {
		e = jobj();
		add(e, "hour", jtime(d->anoms[i].hour_ms));
		add(e, "series", jstr(
		    rpt_series_name(d->anoms[i].series)));
		add(e, "value", jnum(d->anoms[i].value));
		add(e, "median", jnum(d->anoms[i].median));
		add(e, "deviations", jnum(d->anoms[i].dev));
		push(a, e);
	}
	add(o, "hours", a);
	a = jarr();
	for (i = 0; i < d->nspikes; i++) {
		e = jobj();
		add(e, "time", jtime(d->spikes[i].t_ms));
		add(e, "latency_ms", jnum(d->spikes[i].v));
		push(a, e);
	}
	add(o, "latency_spikes", a);
	return o;
}

static cJSON *
jhourly(struct lw_report *r)
{
	const struct rpt_derived	*d = &r->d;
	cJSON				*o = jobj(), *ser = jobj(), *sp = jobj();
	cJSON				*a;
	struct buf			 b;
	size_t				 i, k;

	add(o, "start", d->nhours ? jtime(r->base_hour * RPT_HOUR_MS) :
	    cJSON_CreateNull());
	add(o, "hours", cJSON_CreateNumber((double)d->nhours));
	buf_init(&b, 8 * LW_RSTATS_SPARK_MAX);
	for (k = 0; k < RS_COUNT; k++) {
		a = jarr();
		for (i = 0; i < d->nhours; i++)
			push(a, jnum(d->series[k][i]));
		add(ser, rpt_series_name((enum rpt_series)k), a);
		buf_reset(&b);
		if (lw_rstats_sparkline(d->series[k], d->nhours, &b) == -1)
			fatalx("sparkline too long");
		add(sp, rpt_series_name((enum rpt_series)k),
		    jstr(buf_str(&b)));
	}
	buf_free(&b);
	add(o, "series", ser);
	add(o, "sparklines", sp);
	return o;
}

static cJSON *
jtrading(struct lw_report *r)
{
	cJSON	*o, *p;

	if (r->fills == 0 && r->closed == 0)
		return cJSON_CreateNull();
	o = jobj();
	add(o, "fills", cJSON_CreateNumber((double)r->fills));
	add(o, "closed", cJSON_CreateNumber((double)r->closed));
	add(o, "wins", cJSON_CreateNumber((double)r->wins));
	add(o, "losses", cJSON_CreateNumber((double)r->losses));
	add(o, "win_rate", r->closed ? cJSON_CreateNumber((double)r->wins /
	    (double)r->closed) : cJSON_CreateNull());
	p = jobj();
	add(p, "sum", cJSON_CreateNumber(r->pnl_sum));
	add(p, "mean", jnum(r->closed ? r->pnl_sum / (double)r->closed : NAN));
	add(p, "min", jnum(r->closed ? r->pnl_min : NAN));
	add(p, "max", jnum(r->closed ? r->pnl_max : NAN));
	add(o, "pnl", p);
	p = jobj();
	add(p, "count", cJSON_CreateNumber((double)r->size_n));
	add(p, "mean", jnum(r->size_n ? r->size_sum / (double)r->size_n :
	    NAN));
	add(p, "min", jnum(r->size_n ? r->size_min : NAN));
	add(p, "max", jnum(r->size_n ? r->size_max : NAN));
	add(o, "size", p);
	return o;
}

/* The shape is documented in report.h; keys are only ever added. */
cJSON *
lw_report_json(struct lw_report *r)
{
	const struct rpt_derived	*d;
	cJSON				*root, *a, *o;
	size_t				 i;

	rpt_compute(r);
	d = &r->d;
	root = jobj();
	add(root, "version", cJSON_CreateNumber(1));
	a = jarr();
	for (i = 0; i < r->nfiles; i++) {
		o = jobj();
		add(o, "name", jstr(r->files[i].name));
		add(o, "bytes", cJSON_CreateNumber((double)r->files[i].bytes));
		add(o, "lines", cJSON_CreateNumber((double)r->files[i].lines));
		push(a, o);
	}
	add(root, "files", a);
	o = jobj();
	add(o, "first", jtime(r->first_ms));
	add(o, "last", jtime(r->last_ms));
	add(o, "hours", cJSON_CreateNumber((double)d->nhours));
	add(root, "period", o);
	add(root, "stats", jstats(r));
	add(root, "critical", jcritical(r));
	add(root, "patterns", jpatterns(r));
	add(root, "anomalies", janomalies(r));
	add(root, "hourly", jhourly(r));
	a = jarr();
	for (i = 0; i < d->ncorrs; i++) {
		o = jobj();
		add(o, "x", jstr(rpt_series_name(d->corrs[i].x)));
		add(o, "y", jstr(rpt_series_name(d->corrs[i].y)));
		add(o, "r", jnum(d->corrs[i].r));
		add(o, "n", cJSON_CreateNumber((double)d->corrs[i].n));
		add(o, "caution", cJSON_CreateBool(d->corrs[i].n <
		    LW_REPORT_CORR_CAUTION_N));
		push(a, o);
	}
	add(root, "correlations", a);
	add(root, "trading", jtrading(r));
	a = jarr();
	for (i = 0; i < r->nmetrics; i++) {
		struct rpt_metric *m = &r->metrics[i];

		o = jobj();
		add(o, "name", jstr(m->cfg->name));
		add(o, "count", cJSON_CreateNumber((double)m->count));
		add(o, "avg", jnum(m->count ? m->sum / (double)m->count : NAN));
		add(o, "min", jnum(m->count ? m->min : NAN));
		add(o, "max", jnum(m->count ? m->max : NAN));
		add(o, "p95", jnum(lw_rstats_pctl(m->res.v, m->res.n, 95)));
		push(a, o);
	}
	add(root, "metrics", a);
	return root;
}

/* ---- summary ------------------------------------------------------------- */

/* Plain text, no markdown: it goes to the journal and the terminal. */
int
lw_report_summary(struct lw_report *r, struct buf *out)
{
	const struct rpt_derived	*d;
	char				 a[LW_ISO8601_LEN], b[LW_ISO8601_LEN];
	size_t				 i, n;
	int				 rc;

	rpt_compute(r);
	d = &r->d;
	iso(r->first_ms, a, sizeof(a));
	iso(r->last_ms, b, sizeof(b));
	rc = buf_addf(out, "Summary %s .. %s: %llu lines, %llu errors "
	    "(%.1f/h), %llu warnings, %d critical issue kinds\n", a, b,
	    (unsigned long long)r->lines, (unsigned long long)r->errors,
	    d->errors_per_hour, (unsigned long long)r->warnings, catsum(r));
	for (i = 0, n = 0; rc == 0 && i < r->ncats; i++) {
		if (r->catc[i].count == 0)
			continue;
		rc = buf_addf(out, "%s%s %llu (%s)", n++ ? ", " : "Critical: ",
		    r->cats[i].name, (unsigned long long)r->catc[i].count,
		    lw_impact_name(r->cats[i].impact));
	}
	if (rc == 0 && n > 0)
		rc = buf_adds(out, "\n");
	for (i = 0; rc == 0 && i < d->nsorted && i < SUMMARY_TOP; i++)
		rc = buf_addf(out, "%s%llux %s", i ? "; " : "Top patterns: ",
		    (unsigned long long)d->sorted[i]->count,
		    d->sorted[i]->text);
	if (rc == 0 && d->nsorted > 0)
		rc = buf_adds(out, "\n");
	if (rc == 0 && (d->nnew > 0 || d->nanoms > 0 || d->nspikes > 0))
		rc = buf_addf(out, "Anomalies: %zu new templates, %zu unusual "
		    "hours, %zu latency spikes\n", d->nnew, d->nanoms,
		    d->nspikes);
	if (rc == 0 && r->closed > 0)
		rc = buf_addf(out, "Trading: %llu fills, %llu closed, win rate "
		    "%.0f%%, PnL %+.2f\n", (unsigned long long)r->fills,
		    (unsigned long long)r->closed,
		    100.0 * (double)r->wins / (double)r->closed, r->pnl_sum);
	else if (rc == 0 && r->fills > 0)
		rc = buf_addf(out, "Trading: %llu fills\n",
		    (unsigned long long)r->fills);
	return rc;
}

