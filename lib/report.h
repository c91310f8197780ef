/*
 * report: the daily report of `logwarden analyze` and the daemon's
 * periodic summary.  Records (record.h) are streamed in with
 * lw_report_add; only aggregates are kept, each under a hard cap, so
 * memory stays bounded whatever the input size:
 *
 *  - per error/warning template (at most max_templates; the records of
 *    later new templates are only counted, in templates_dropped):
 *    count, first/last seen, worst level, hour-of-day histogram (peak
 *    hour), up to LW_REPORT_MAX_COMPONENTS components and LW_REPORT_MAX_SYMBOLS
 *    symbols, the first example line (redacted, cut at
 *    LW_REPORT_EXAMPLE_MAX bytes) and its critical-issue category
 *    (categories.h);
 *  - per hour of log time (at most LW_REPORT_MAX_HOURS from the first
 *    timed record): lines, errors, warnings, trades (fills), closed-
 *    position PnL, disconnects, data gaps, latency sum/count and a
 *    reservoir of LW_REPORT_RESERVOIR latency samples for the p95 (exact
 *    while an hour has no more samples than that);
 *  - trading figures, [metric.NAME] figures, the LW_REPORT_SPIKES largest
 *    latency samples.
 *
 * Only warning-or-worse records are masked into templates, so the cost
 * per INFO line is a few compares for the trading and latency extractors
 * (and one PCRE2 match per configured metric).  Nothing is allocated per
 * line once an hour or a template has been seen.
 *
 * Built-in extractors (trading figures and latency):
 *   seed/gen format   "Order filled | ... qty=Q |" and "Market order
 *                     executed: ... qty=Q" are fills of size Q;
 *                     "Trade closed ... pnl=P" / "Position closed ...
 *                     pnl=P" (or realized_pnl=) close a position;
 *   freqtrade         "... has been fulfilled for Trade(... amount=Q" is
 *                     a fill; "Sending rpc message: {'type': sell ..." or
 *                     "'type': exit_fill" with 'profit_amount': P closes;
 *   hummingbot        "The BUY|SELL order ID amounting to Q/T ... has been
 *                     filled." is a fill of size Q;
 *   latency           key latency_ms= or latency= (a number), "latency:
 *                     Nms"; a [metric.latency] in the config replaces them.
 * Disconnects are warning+ records mentioning a disconnect or a lost,
 * reset or closed connection; a data gap is a silence of more than
 * LW_REPORT_GAP_MS between two timed records, or a warning+ record
 * mentioning stale data.
 *
 * Anomalies: new templates (only when a state DB is given): unknown to
 * it, or first seen at or after the period's first timed record; hours whose errors, trades or average latency lie more
 * than LW_REPORT_ANOMALY_K robust deviations (rstats.h) from the median
 * hour (at least LW_REPORT_MIN_HOURS hours; a first or last hour the log
 * covers only in part is left out); latency spikes: samples at
 * or above LW_REPORT_SPIKE_FACTOR times the median latency.
 * Correlations: Pearson's r of latency_avg~errors, trades~pnl,
 * disconnects~data_gaps, errors~warnings, lines~errors over the hours,
 * listed when |r| >= LW_REPORT_CORR_MIN, with a caution when n < 8.
 * Trend: the last day's lines/errors/warnings against the previous day,
 * from this report's own hours or else the state DB's meta keys
 * "report.YYYY-MM-DD.lines|errors|warnings" (lw_report_save_days).
 *
 * All times are UTC (the log's naive times are taken as UTC, parse.h).
 *
 * JSON shape (lw_report_json; numbers are numbers, a missing value is
 * null, times are ISO 8601 UTC strings):
 *   { "version": 1,
 *     "files": [ { "name", "bytes", "lines" } ],
 *     "period": { "first", "last", "hours" },
 *     "stats": { "lines", "records", "errors", "warnings", "criticals",
 *       "tracebacks", "unique_errors", "unique_warnings",
 *       "errors_per_hour", "untimed_records", "templates_dropped",
 *       "hours_dropped",
 *       "trend": null | { "day", "previous_day", "lines", "errors",
 *         "warnings", "previous_lines", "previous_errors",
 *         "previous_warnings", "source": "report"|"state" } },
 *     "critical": [ { "category", "impact", "count", "first", "last",
 *       "top_template" } ],
 *     "patterns": [ { "id", "template", "level", "count", "share",
 *       "first", "last", "peak_hour", "components": [], "symbols": [],
 *       "example", "category", "new" } ],
 *     "anomalies": { "new_templates": null | [ { "id", "template",
 *       "count" } ], "hours": [ { "hour", "series", "value", "median",
 *       "deviations" } ], "latency_spikes": [ { "time", "latency_ms" } ] },
 *     "hourly": { "start", "hours", "series": { NAME: [ ... ] },
 *       "sparklines": { NAME: "..." } },
 *       NAME: lines errors warnings trades latency_avg latency_p95 pnl
 *       disconnects data_gaps
 *     "correlations": [ { "x", "y", "r", "n", "caution" } ],
 *     "trading": null | { "fills", "closed", "wins", "losses",
 *       "win_rate", "pnl": { "sum", "mean", "min", "max" },
 *       "size": { "count", "mean", "min", "max" } },
 *     "metrics": [ { "name", "count", "avg", "min", "max", "p95" } ] }
 *   "share" is the template's fraction of all error+warning records;
 *   "peak_hour" is "HH:00" (hour of day with the most occurrences);
 *   "new" is true/false, or null without a state DB;
 *   "templates_dropped" counts records whose template did not fit in
 *   the table, "hours_dropped" records too far in time from the others;
 *   "errors_per_hour" is errors / "hours" of the period.
 *
 * Ownership: the report copies what it keeps; records, config, state and
 * redactor passed in stay the caller's and must outlive the report.
 */
#ifndef LW_REPORT_H
#define LW_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "categories.h"
#include "config.h"
#include "record.h"
#include "redact.h"
#include "state.h"

#define LW_REPORT_DEFAULT_TEMPLATES	5000
#define LW_REPORT_MAX_TEMPLATES		100000
#define LW_REPORT_MAX_HOURS		(24 * 92)	/* a quarter */
#define LW_REPORT_RESERVOIR		512	/* latency samples per hour */
#define LW_REPORT_DAY_RESERVOIR		8192	/* for the overall median */
#define LW_REPORT_MAX_COMPONENTS	4	/* per template */
#define LW_REPORT_MAX_SYMBOLS		6	/* per template */
#define LW_REPORT_SYMBOL_MAX		24	/* bytes of one symbol */
#define LW_REPORT_EXAMPLE_MAX		300	/* bytes of an example line */
#define LW_REPORT_MAX_FILES		256
#define LW_REPORT_SPIKES		10
#define LW_REPORT_GAP_MS		60000
#define LW_REPORT_ANOMALY_K		2.0
#define LW_REPORT_MIN_HOURS		4
/* An end hour the log covers less than this short of is left out of the
 * anomaly search. */
#define LW_REPORT_PARTIAL_MS		(6 * 60000)
#define LW_REPORT_SPIKE_FACTOR		5.0
#define LW_REPORT_CORR_MIN		0.5
#define LW_REPORT_CORR_CAUTION_N	8
#define LW_REPORT_TEXT_MAX		(32u << 20)	/* markdown output */

struct lw_report_opts {
	size_t				 max_templates;	/* 0: default */
	const struct lw_metric_cfg	*metrics;	/* [metric.NAME] */
	size_t				 nmetrics;
	/* Checked before the built-in categories; at most
	 * LW_CATEGORY_MAX - built-in ones are used. */
	const struct lw_category	*extra_categories;
	size_t				 nextra_categories;
	struct lw_state			*st;		/* NULL: no new/trend */
	const struct lw_redactor	*redactor;	/* NULL: built-in rules */
};

struct lw_report;

/* opts may be NULL.  Never fails (out of memory is fatal). */
struct lw_report *lw_report_new(const struct lw_report_opts *);
void		 lw_report_free(struct lw_report *);	/* accepts NULL */

/* Account one record (late records: see record.h). */
void		 lw_report_add(struct lw_report *, const struct lw_record *);
/* Note an input file for the report's header; name is copied. */
void		 lw_report_add_file(struct lw_report *, const char *name,
		    uint64_t bytes, uint64_t lines);

/*
 * The outputs.  Each computes the derived figures afresh, so records may
 * still be added afterwards (the daemon's periodic summary).  They query
 * the state DB (known templates, previous day) when one was given.
 * lw_report_markdown and lw_report_summary return 0, or -1 when out's
 * maximum was reached (out then holds a prefix).  lw_report_json returns
 * a tree the caller frees with cJSON_Delete.
 */
int		 lw_report_markdown(struct lw_report *, struct buf *out);
cJSON		*lw_report_json(struct lw_report *);
/*
 * A few lines of plain text for the daemon's periodic summary (no LLM),
 * from the same figures as the report:
 *   Summary 2025-03-20T09:00:00.000Z .. 2025-03-20T13:59:30.000Z: 59
 *     lines, 14 errors (2.8/h), 2 warnings, 4 critical issue kinds
 *   Critical: insufficient_funds 12 (money), exception 1 (halt)
 *   Top patterns: 12x Order placement failed: Insufficient funds; ...
 *   Anomalies: 0 new templates, 2 unusual hours, 1 latency spikes
 *   Trading: 10 fills, 3 closed, win rate 67%, PnL +12.00
 * (the first line is one line).  Lines without content are left out.
 * The daemon makes a report per period (new, add each record, summary,
 * free); template text comes from the log, so escape it (lw_vis) before
 * it goes to a terminal.
 */
int		 lw_report_summary(struct lw_report *, struct buf *out);
/* Stores each day's totals under the state DB's meta keys
 * (a day is only overwritten by one with more lines); 0 or -1. */
int		 lw_report_save_days(struct lw_report *);

#endif
