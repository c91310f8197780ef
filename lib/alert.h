/*
 * alert: the alert object every sink is rendered from, its JSON form
 * (SPEC "The alert": the webhook body and one line of alerts.jsonl, also
 * how the outbox stores pending alerts across restarts) and its terminal
 * form for `demo` and foreground runs.
 *
 * Strings are stored as given (title with line breaks turned into spaces,
 * long texts cut); making them safe is the renderers' job: the JSON is
 * valid UTF-8 whatever the bytes, the terminal form escapes every control
 * character.  Evidence lines are redacted and repaired when added.
 */
#ifndef LW_ALERT_H
#define LW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "redact.h"
#include "severity.h"

#define LW_ALERT_MAX_EVIDENCE	10
#define LW_ALERT_EVIDENCE_MAX	2048		/* bytes per evidence line */
#define LW_ALERT_TITLE_MAX	512
#define LW_ALERT_TEXT_MAX	(64 * 1024)	/* detail, template, ... */
#define LW_ALERT_JSON_MAX	(2 * 1024 * 1024) /* from_json refuses more */
#define LW_ALERT_REPORT_TEXT_MAX (256 * 1024)	/* a report's markdown */
#define LW_ALERT_REPORT_JSON_MAX (512 * 1024)	/* a report's JSON object */

struct lw_alert {
	char		 id[40];	/* unique, set by lw_alert_init */
	int64_t		 time_ms;	/* wall clock when raised */
	enum lw_sev	 severity;
	int		 source_llm;	/* 0: "rule", 1: "llm" */
	char		*rule;		/* "errors", "repeat", "metric:latency" */
	char		*title, *detail, *host, *log;
	int		 has_count;
	long long	 count;
	char		*tmpl;		/* may be NULL */
	char		*evidence[LW_ALERT_MAX_EVIDENCE];
	size_t		 nevidence;
	char		*key;		/* cooldown key, not serialised */
	/*
	 * A scheduled report (rule "report.hourly", "report.daily") travels
	 * as an alert of severity info: detail holds the compact summary,
	 * report_text the full report (markdown, for email) and
	 * report_json its JSON object (for the webhook), serialised as
	 * "report_text" and "report".  NULL for alerts.
	 */
	char		*report_text;
	char		*report_json;
};

/*
 * Ownership: every char * member is owned by the alert and released by
 * lw_alert_clear / lw_alert_free; setters copy their argument and free
 * the previous value.  Unset strings are NULL and serialise as "".
 */

/* Zeroes a, gives it a fresh id and the current wall-clock time. */
void	 lw_alert_init(struct lw_alert *);
/* Releases the members of an lw_alert_init'ed alert; accepts NULL. */
void	 lw_alert_clear(struct lw_alert *);
/* Heap versions: lw_alert_new = xcalloc + init; free = clear + free. */
struct lw_alert *lw_alert_new(void);
void	 lw_alert_free(struct lw_alert *);	/* accepts NULL */

void	 lw_alert_set_rule(struct lw_alert *, const char *);
void	 lw_alert_set_title(struct lw_alert *, const char *); /* one line */
void	 lw_alert_set_detail(struct lw_alert *, const char *);
void	 lw_alert_set_host(struct lw_alert *, const char *);
void	 lw_alert_set_log(struct lw_alert *, const char *);
void	 lw_alert_set_template(struct lw_alert *, const char *); /* NULL ok */
void	 lw_alert_set_key(struct lw_alert *, const char *);
void	 lw_alert_set_count(struct lw_alert *, long long);
/* Cut to LW_ALERT_REPORT_TEXT_MAX bytes. */
void	 lw_alert_set_report_text(struct lw_alert *, const char *);
/* A JSON object's text, its invalid UTF-8 repaired; -1 (alert
 * unchanged) when it is not one or is longer than
 * LW_ALERT_REPORT_JSON_MAX. */
int	 lw_alert_set_report_json(struct lw_alert *, const char *);
/* 1 when the alert is a scheduled report (rule "report.*"). */
int	 lw_alert_is_report(const struct lw_alert *);

/*
 * Adds one evidence line: redacted with r (NULL: built-in rules only),
 * repaired to valid UTF-8 (NUL and invalid bytes become U+FFFD), and cut
 * to LW_ALERT_EVIDENCE_MAX bytes ending in "…[cut N bytes]".  Returns 0,
 * or -1 with the alert unchanged when it already holds
 * LW_ALERT_MAX_EVIDENCE lines.
 */
int	 lw_alert_add_evidence(struct lw_alert *, const struct lw_redactor *,
	    const char *line, size_t len);

/*
 * Redacts title, detail, template and report_text in place (they may quote log text
 * or LLM output).  Returns the number of redactions.
 */
int	 lw_alert_redact(struct lw_alert *, const struct lw_redactor *);

/*
 * The SPEC JSON on one line, valid UTF-8.  count, template and evidence
 * are omitted when absent.  The caller frees the result with free().
 */
char	*lw_alert_to_json(const struct lw_alert *);

/*
 * Parses what lw_alert_to_json wrote (the outbox after a restart); every
 * serialised field comes back equal (a NULL string as "", a count exactly
 * up to 2^53), key is NULL.  Returns NULL on malformed input: not one
 * object, a field of the wrong type, an unknown severity or source, an id
 * too long, a bad time, more than 10 evidence lines.  lw_alert_free it.
 */
struct lw_alert *lw_alert_from_json(const char *, size_t);

/*
 * Appends a multi-line human-readable block for a terminal: time,
 * severity (with ANSI colour when color), title, rule/template/count,
 * detail and the evidence indented.  Every byte that came from outside is
 * escaped: C0 controls and DEL appear as \xNN, C1 controls, line
 * separators and bidirectional overrides as \u{NNNN}, a backslash as \\,
 * invalid UTF-8 as U+FFFD.
 * Returns 0, or -1 when out's maximum was hit.
 */
int	 lw_alert_render_terminal(const struct lw_alert *, int color,
	    struct buf *out);

#endif
