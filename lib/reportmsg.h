/*
 * reportmsg: the words of a scheduled report (hourly, daily), from the
 * analyzer's JSON (report.h) of the period: a one-line title, the compact
 * summary that Telegram shows, and the head of the full report that email
 * carries above the analyzer's markdown.  Pure: the caller gives the
 * period, the previous report's counts and the errors per hour.
 *
 * The compact summary, one item per line, lines without content left out:
 *
 *   12 errors (+50% vs 8) · 3 warnings (-25% vs 4) · 1234 lines
 *   Errors per hour: ▁▁▂▁█▃ (max 9)
 *   Critical: insufficient_funds 12 (money), exception 1 (halt)
 *   Top patterns:
 *   • 9× Order placement failed: Insufficient funds [new]
 *   Anomalies: 1 new template, 2 unusual hours, 0 latency spikes
 *   Trading: 10 fills, 3 closed, win rate 67%, PnL +12.5
 *   Model: <the narrative, cut>
 *   Covers 13:42-14:00 only: <why>
 *
 * Template text and the narrative come from the log and the model: the
 * output is plain UTF-8 text that every sink escapes for its medium.
 */
#ifndef LW_REPORTMSG_H
#define LW_REPORTMSG_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "redact.h"

#define LW_REPORTMSG_TOP		5	/* patterns in the summary */
#define LW_REPORTMSG_TMPL_MAX		160	/* bytes of one template */
#define LW_REPORTMSG_NARRATIVE_MAX	1500	/* bytes in the summary */
#define LW_REPORTMSG_HOURS		48	/* sparkline values at most */

struct lw_reportmsg_in {
	const char	*kind;		/* "hourly", "daily" or "test" */
	const char	*period;	/* "2026-12-04 13:00-14:00 UTC" */
	const cJSON	*report;	/* lw_report_json of the period */
	/* The previous report of the same kind (trend); has_prev 0: none. */
	int		 has_prev;
	uint64_t	 prev_lines, prev_errors, prev_warnings;
	/* Errors per hour, oldest first; NULL or 0: no sparkline. */
	const double	*errors_hourly;
	size_t		 nhours;
	const char	*narrative;	/* the model's, or NULL */
	const char	*partial;	/* why the period is short, or NULL */
};

/* Counts of the report's "stats" (0 when absent). */
void	lw_reportmsg_counts(const cJSON *report, uint64_t *lines,
	    uint64_t *errors, uint64_t *warnings);

/*
 * "Hourly report 2026-12-04 13:00-14:00 UTC: 12 errors (+50%), 3
 * warnings" into title (cut at a character boundary).
 */
void	lw_reportmsg_title(const struct lw_reportmsg_in *, char *title,
	    size_t titlesz);

/* The compact summary above.  0, or -1 when out's maximum was hit. */
int	lw_reportmsg_compact(const struct lw_reportmsg_in *, struct buf *out);

/*
 * The full text for email: the period, the trend against the previous
 * report, the model's narrative in full, then the analyzer's markdown
 * (md, as lw_report_markdown wrote it).  0, or -1 when out's maximum was
 * hit (out then holds a prefix).
 */
int	lw_reportmsg_full(const struct lw_reportmsg_in *, const char *md,
	    struct buf *out);

/*
 * The question for the model's narrative of a report (`analyze --llm`
 * and the scheduled reports): the system text, and the user message made
 * of the report's markdown (never raw lines), redacted with r (NULL:
 * built-in rules), cut to at most max_bytes of it and fenced between
 * LOGDATA-BEGIN and LOGDATA-END.  0, or -1 when out's maximum was hit.
 */
extern const char lw_reportmsg_llm_system[];
int	lw_reportmsg_llm_user(const char *md, const struct lw_redactor *r,
	    size_t max_bytes, struct buf *out);

#endif
