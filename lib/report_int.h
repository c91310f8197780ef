/*
 * report_int: the report's internals, shared by report.c (aggregation and
 * the derived figures) and report_fmt.c (markdown, JSON, summary).  Not
 * for other modules: they use report.h.
 */
#ifndef LW_REPORT_INT_H
#define LW_REPORT_INT_H

#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "report.h"

#define RPT_NOTIME	INT64_MIN
#define RPT_HOUR_MS	3600000LL

enum rpt_series {
	RS_LINES, RS_ERRORS, RS_WARNINGS, RS_TRADES, RS_LAT_AVG, RS_LAT_P95,
	RS_PNL, RS_DISCONNECTS, RS_GAPS, RS_COUNT
};

struct rpt_hour {
	uint32_t	 lines, errors, warnings, trades, disconnects, gaps;
	double		 pnl;
	double		 lat_sum;
	uint32_t	 lat_n;		/* samples seen */
	uint32_t	 nres;		/* samples in res */
	double		*res;		/* LW_REPORT_RESERVOIR, lazily */
};

struct rpt_tmpl {
	uint64_t	 id;
	char		*text;
	char		*example;
	uint64_t	 count;		/* records */
	uint64_t	 tb_count;	/* of them with a traceback */
	int64_t		 first_ms, last_ms;	/* RPT_NOTIME: none */
	int		 level;		/* worst */
	int		 cat;		/* category index, -1 */
	int		 isnew;		/* 1, 0, -1 not known (yet) */
	int		 checked;	/* isnew looked up */
	uint32_t	 hod[24];	/* occurrences per hour of day */
	unsigned	 ncomp, nsym;
	char		*comp[LW_REPORT_MAX_COMPONENTS];
	char		 sym[LW_REPORT_MAX_SYMBOLS][LW_REPORT_SYMBOL_MAX];
};

struct rpt_cat {
	uint64_t	 count;
	int64_t		 first_ms, last_ms;
};

/* Bounded sample set: exact until full, then a uniform reservoir. */
struct rpt_res {
	double		*v;
	size_t		 cap, n;
	uint64_t	 seen;
};

struct rpt_metric {
	const struct lw_metric_cfg *cfg;
	pcre2_match_data *md;
	uint64_t	 count;
	double		 sum, min, max;
	struct rpt_res	 res;
};

struct rpt_spike {
	double		 v;
	int64_t		 t_ms;
};

struct rpt_file {
	char		*name;
	uint64_t	 bytes, lines;
};

/* Hour flagged as unusual. */
struct rpt_anom {
	int64_t		 hour_ms;
	enum rpt_series	 series;
	double		 value, median, dev;
};

struct rpt_corr {
	enum rpt_series	 x, y;
	double		 r;
	size_t		 n;
};

/* Derived figures, rebuilt by rpt_compute before every output. */
struct rpt_derived {
	size_t		 nhours;
	double		*series[RS_COUNT];	/* nhours each; NaN missing */
	struct rpt_tmpl	**sorted;		/* by count, then first */
	size_t		 nsorted;
	uint64_t	 warn_records;		/* in templates */
	uint64_t	 unique_errors, unique_warnings;
	int		 have_state;
	size_t		 nnew;
	struct rpt_anom	*anoms;
	size_t		 nanoms;
	struct rpt_corr	 corrs[8];
	size_t		 ncorrs;
	double		 lat_median;
	struct rpt_spike spikes[LW_REPORT_SPIKES];
	size_t		 nspikes;
	int		 have_trend;
	int		 trend_from_state;
	int64_t		 trend_day;		/* days since the epoch */
	uint64_t	 today[3], prev[3];	/* lines, errors, warnings */
	double		 errors_per_hour;
};

struct lw_report {
	struct lw_report_opts	 o;
	struct lw_category	 cats[LW_CATEGORY_MAX];
	size_t			 ncats;
	int			 exc_cat;	/* traceback category, -1 */
	struct rpt_cat		 catc[LW_CATEGORY_MAX];

	/* Totals. */
	uint64_t		 lines, records, errors, warnings, criticals;
	uint64_t		 tracebacks, untimed, templates_dropped;
	uint64_t		 hours_dropped;
	int64_t			 first_ms, last_ms, prev_ms;

	/* Hours from base_hour on; nh allocated, hi one past the last
	 * hour with data. */
	int64_t			 base_hour;
	struct rpt_hour		*hours;
	size_t			 nh, hi;

	/* Templates: array plus an open-addressing index of slots. */
	struct rpt_tmpl		*tm;
	size_t			 ntm, maxtm;
	uint32_t		*idx;		/* i + 1, 0 empty */
	size_t			 idxmask;

	/* Trading. */
	uint64_t		 fills, closed, wins, losses;
	double			 pnl_sum, pnl_min, pnl_max;
	uint64_t		 size_n;
	double			 size_sum, size_min, size_max;

	struct rpt_metric	*metrics;
	size_t			 nmetrics;
	int			 lat_metric;	/* index of [metric.latency], -1 */

	struct rpt_res		 lat_day;
	struct rpt_spike	 top[LW_REPORT_SPIKES];
	size_t			 ntop;
	uint64_t		 rng;

	struct rpt_file		 files[LW_REPORT_MAX_FILES];
	size_t			 nfiles;

	struct rpt_derived	 d;
	struct buf		 scratch;	/* examples */
};

/* Division rounding toward minus infinity: log times before 1970 still
 * fall into the right hour and day. */
static inline int64_t
rpt_floor_div(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* report.c */
const char	*rpt_series_name(enum rpt_series);

/* report_derive.c */
void		 rpt_compute(struct lw_report *);
void		 rpt_derived_free(struct rpt_derived *);	/* leaves it zeroed */

#endif
