/*
 * report_derive: the figures computed from the aggregates before each
 * output: the hourly series, sorted templates, unusual hours, Pearson
 * correlations, latency spikes and the trend against the previous day.
 * They are rebuilt from scratch every time (a few thousand templates
 * and hours at most), so records may keep arriving between two outputs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "level.h"
#include "report_int.h"
#include "rstats.h"
#include "xmalloc.h"

void
rpt_derived_free(struct rpt_derived *d)
{
	size_t	i;

	for (i = 0; i < RS_COUNT; i++)
		free(d->series[i]);
	free(d->sorted);
	free(d->anoms);
	memset(d, 0, sizeof(*d));
}


static int
tmpl_cmp(const void *a, const void *b)
{
	const struct rpt_tmpl	*x = *(struct rpt_tmpl *const *)a;
	const struct rpt_tmpl	*y = *(struct rpt_tmpl *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void
compute_series(struct lw_report *r, struct rpt_derived *d)
{
	struct rpt_hour	*h;
	double		 tmp[LW_REPORT_RESERVOIR];
	size_t		 i, k;

	d->nhours = r->hi;
	for (k = 0; k < RS_COUNT; k++)
		d->series[k] = xreallocarray(NULL, d->nhours ? d->nhours : 1,
		    sizeof(double));
	for (i = 0; i < d->nhours; i++) {
		h = &r->hours[i];
		d->series[RS_LINES][i] = h->lines;
		d->series[RS_ERRORS][i] = h->errors;
		d->series[RS_WARNINGS][i] = h->warnings;
		d->series[RS_TRADES][i] = h->trades;
		d->series[RS_PNL][i] = h->pnl;
		d->series[RS_DISCONNECTS][i] = h->disconnects;
		d->series[RS_GAPS][i] = h->gaps;
		if (h->lat_n == 0) {
			d->series[RS_LAT_AVG][i] = NAN;
			d->series[RS_LAT_P95][i] = NAN;
			continue;
		}
		d->series[RS_LAT_AVG][i] = h->lat_sum / h->lat_n;
		memcpy(tmp, h->res, h->nres * sizeof(*tmp));
		d->series[RS_LAT_P95][i] = lw_rstats_pctl(tmp, h->nres, 95);
	}
}

/*
 * An hour at either end that the log covers only in part (the file
 * starts at 09:40, or the report is made at 16:20) would stand out for
 * no reason: such hours are left out of the anomaly search.
 */
static void
edge_hours(struct lw_report *r, size_t nhours, int *skip_first,
    int *skip_last)
{
	int64_t	start = r->base_hour * RPT_HOUR_MS;
	int64_t	end = (r->base_hour + (int64_t)nhours) * RPT_HOUR_MS;

	*skip_first = r->first_ms != RPT_NOTIME &&
	    r->first_ms - start > LW_REPORT_PARTIAL_MS;
	*skip_last = r->last_ms != RPT_NOTIME &&
	    end - r->last_ms > LW_REPORT_PARTIAL_MS;
}

static void
compute_anomalies(struct lw_report *r, struct rpt_derived *d)
{
	static const enum rpt_series which[] = { RS_ERRORS, RS_TRADES,
	    RS_LAT_AVG };
	double		*scratch, *v, med, scale, dev;
	size_t		 i, k, nfinite, cap = 0;
	int		 skip_first, skip_last;

	if (d->nhours < LW_REPORT_MIN_HOURS)
		return;
	edge_hours(r, d->nhours, &skip_first, &skip_last);
	scratch = xreallocarray(NULL, 2 * d->nhours, sizeof(*scratch));
	v = scratch + d->nhours;
	for (k = 0; k < sizeof(which) / sizeof(which[0]); k++) {
		memcpy(v, d->series[which[k]], d->nhours * sizeof(*v));
		if (skip_first)
			v[0] = NAN;
		if (skip_last)
			v[d->nhours - 1] = NAN;
		for (nfinite = 0, i = 0; i < d->nhours; i++)
			nfinite += isfinite(v[i]) != 0;
		if (nfinite < LW_REPORT_MIN_HOURS)
			continue;
		scale = lw_rstats_scale(v, d->nhours, scratch, &med);
		if (!(scale > 0))
			continue;
		for (i = 0; i < d->nhours; i++) {
			if (!isfinite(v[i]))
				continue;
			dev = (v[i] - med) / scale;
			if (fabs(dev) <= LW_REPORT_ANOMALY_K)
				continue;
			if (d->nanoms == cap) {
				cap = cap ? cap * 2 : 8;
				d->anoms = xreallocarray(d->anoms, cap,
				    sizeof(*d->anoms));
			}
			d->anoms[d->nanoms].hour_ms = (r->base_hour +
			    (int64_t)i) * RPT_HOUR_MS;
			d->anoms[d->nanoms].series = which[k];
			d->anoms[d->nanoms].value = v[i];
			d->anoms[d->nanoms].median = med;
			d->anoms[d->nanoms++].dev = dev;
		}
	}
	free(scratch);
}

static void
compute_corrs(struct rpt_derived *d)
{
	static const enum rpt_series pairs[][2] = {
		{ RS_LAT_AVG, RS_ERRORS }, { RS_TRADES, RS_PNL },
		{ RS_DISCONNECTS, RS_GAPS }, { RS_ERRORS, RS_WARNINGS },
		{ RS_LINES, RS_ERRORS }
	};
	size_t	i, n;
	double	rr;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		rr = lw_rstats_pearson(d->series[pairs[i][0]],
		    d->series[pairs[i][1]], d->nhours, &n);
		if (!isfinite(rr) || fabs(rr) < LW_REPORT_CORR_MIN)
			continue;
		d->corrs[d->ncorrs].x = pairs[i][0];
		d->corrs[d->ncorrs].y = pairs[i][1];
		d->corrs[d->ncorrs].r = rr;
		d->corrs[d->ncorrs++].n = n;
	}
}

static void
compute_spikes(struct lw_report *r, struct rpt_derived *d)
{
	double	*tmp;
	size_t	 i, j;

	if (r->lat_day.n == 0)
		return;
	tmp = xreallocarray(NULL, r->lat_day.n, sizeof(*tmp));
	memcpy(tmp, r->lat_day.v, r->lat_day.n * sizeof(*tmp));
	d->lat_median = lw_rstats_median(tmp, r->lat_day.n);
	free(tmp);
	if (!(d->lat_median > 0))
		return;
	for (i = 0; i < r->ntop; i++)
		if (r->top[i].v >= LW_REPORT_SPIKE_FACTOR * d->lat_median)
			d->spikes[d->nspikes++] = r->top[i];
	/* Largest first; ties by time. */
	for (i = 1; i < d->nspikes; i++)
		for (j = i; j > 0 && (d->spikes[j].v > d->spikes[j - 1].v ||
		    (d->spikes[j].v == d->spikes[j - 1].v &&
		    d->spikes[j].t_ms < d->spikes[j - 1].t_ms)); j--) {
			struct rpt_spike s = d->spikes[j];

			d->spikes[j] = d->spikes[j - 1];
			d->spikes[j - 1] = s;
		}
}

/* Lines, errors, warnings of the day (days since the epoch) from the
 * hours; 0 when the report has no hour of it. */
static int
day_totals(struct lw_report *r, int64_t day, uint64_t out[3])
{
	int64_t	h0 = day * 24 - r->base_hour, i;
	int	any = 0;

	out[0] = out[1] = out[2] = 0;
	for (i = h0 < 0 ? 0 : h0; i < h0 + 24 && i < (int64_t)r->hi; i++) {
		if (r->hours[i].lines > 0)
			any = 1;
		out[0] += r->hours[i].lines;
		out[1] += r->hours[i].errors;
		out[2] += r->hours[i].warnings;
	}
	return any;
}

static void
day_key(int64_t day, const char *what, char *out, size_t outsz)
{
	time_t		tt = (time_t)(day * 86400);
	struct tm	tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, outsz, "report.%04d-%02d-%02d.%s", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, what);
}

static void
compute_trend(struct lw_report *r, struct rpt_derived *d)
{
	static const char *const what[3] = { "lines", "errors", "warnings" };
	char	key[64];
	int64_t	v;
	int	i;

	if (r->last_ms == RPT_NOTIME || r->hi == 0)
		return;
	d->trend_day = rpt_floor_div(r->last_ms, 86400000LL);
	if (!day_totals(r, d->trend_day, d->today))
		return;
	if (day_totals(r, d->trend_day - 1, d->prev)) {
		d->have_trend = 1;
		return;
	}
	if (r->o.st == NULL)
		return;
	for (i = 0; i < 3; i++) {
		day_key(d->trend_day - 1, what[i], key, sizeof(key));
		if (lw_state_meta_get(r->o.st, key, &v) != 1 || v < 0)
			return;
		d->prev[i] = (uint64_t)v;
	}
	d->have_trend = 1;
	d->trend_from_state = 1;
}

int
lw_report_save_days(struct lw_report *r)
{
	static const char *const what[3] = { "lines", "errors", "warnings" };
	char		key[64];
	uint64_t	tot[3];
	int64_t		day, first, last, old;
	int		i, rc = 0;

	if (r->o.st == NULL || r->hi == 0)
		return 0;
	first = rpt_floor_div(r->base_hour, 24);
	last = rpt_floor_div(r->base_hour + (int64_t)r->hi - 1, 24);
	for (day = first; day <= last; day++) {
		if (!day_totals(r, day, tot))
			continue;
		day_key(day, "lines", key, sizeof(key));
		/* A partial day (a rerun on a short file) does not replace
		 * a fuller one. */
		if (lw_state_meta_get(r->o.st, key, &old) == 1 &&
		    old >= (int64_t)tot[0])
			continue;
		for (i = 0; i < 3; i++) {
			day_key(day, what[i], key, sizeof(key));
			if (lw_state_meta_put(r->o.st, key,
			    (int64_t)tot[i]) == -1)
				rc = -1;
		}
	}
	return rc;
}

/*
 * New in the period: unknown to the state DB, or first seen (log time)
 * at or after the period's first record.  The daemon stores every
 * template it meets, so "known" alone would hide whatever first appeared
 * during the period it was watching.  1, 0, or -1 when the DB failed.
 */
static int
tmpl_isnew(struct lw_report *r, const struct rpt_tmpl *t)
{
	int64_t	first;
	int	k;

	k = lw_state_template_first(r->o.st, t->id, &first);
	if (k == -1)
		return -1;
	if (k == 0)
		return 1;
	return r->first_ms != RPT_NOTIME && first >= r->first_ms;
}

void
rpt_compute(struct lw_report *r)
{
	struct rpt_derived	*d = &r->d;
	struct rpt_tmpl		*t;
	size_t			 i;

	rpt_derived_free(d);
	compute_series(r, d);
	d->sorted = xreallocarray(NULL, r->ntm ? r->ntm : 1,
	    sizeof(*d->sorted));
	d->have_state = r->o.st != NULL;
	for (i = 0; i < r->ntm; i++) {
		t = &r->tm[i];
		d->sorted[d->nsorted++] = t;
		d->warn_records += t->count;
		if (t->level >= LW_LVL_ERROR)
			d->unique_errors++;
		else
			d->unique_warnings++;
		if (d->have_state && !t->checked) {
			t->isnew = tmpl_isnew(r, t);
			t->checked = 1;
		}
		if (t->isnew == 1)
			d->nnew++;
	}
	qsort(d->sorted, d->nsorted, sizeof(*d->sorted), tmpl_cmp);
	compute_anomalies(r, d);
	compute_corrs(d);
	compute_spikes(r, d);
	compute_trend(r, d);
	d->errors_per_hour = d->nhours > 0 ? (double)r->errors /
	    (double)d->nhours : 0;
}
