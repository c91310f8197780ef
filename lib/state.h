/*
 * state: the SQLite database under state.dir that makes logwarden survive
 * restarts: file offsets, known templates ("first sighting ever"),
 * cooldowns and the delivery outbox; and the incident history that
 * `logwarden history` lists: every alert, LLM verdict and report.
 *
 * A failure to write (read-only or full disk) is logged once per kind and
 * reported to the caller, who carries on in memory: alerting must go on
 * when the state directory is broken.  Writes are grouped into one
 * transaction per batch of lines (lw_state_begin/lw_state_commit).
 */
#ifndef LW_STATE_H
#define LW_STATE_H

#include <stddef.h>
#include <stdint.h>

struct lw_state;
struct lw_alert;

/*
 * Retention of the history tables (alerts, reports, llm_calls) and of
 * the outbox's finished rows (pending ones stay until delivered or given
 * up; their age is created_ms): rows
 * older than LW_STATE_KEEP_MS (wall clock) go, and of the rest only the
 * newest LW_STATE_KEEP_ROWS per table stay.  Pruning runs with a table's
 * first insert after open and then every LW_STATE_PRUNE_EVERY inserts
 * into it, so a table holds at most KEEP_ROWS + PRUNE_EVERY - 1 rows and
 * an insert costs two indexed DELETEs once in a thousand.
 */
#define LW_STATE_KEEP_MS	(90LL * 86400 * 1000)	/* 90 days */
#define LW_STATE_KEEP_ROWS	100000
#define LW_STATE_PRUNE_EVERY	1000

struct lw_offset {
	uint64_t	dev;
	uint64_t	ino;
	uint64_t	offset;
	int		baseline_done;	/* the first-run learning pass ran */
};

struct lw_outbox_item {
	char		*id;
	char		*sink;
	char		*json;
	int64_t		 created_ms;	/* wall clock */
	int64_t		 next_ms;	/* wall clock of the next attempt */
	unsigned	 attempts;
};

/* Opens (creating dir and schema as needed) dir/logwarden.db.
 * NULL on failure with the reason in err. */
struct lw_state	*lw_state_open(const char *dir, char *err, size_t errsz);
void		 lw_state_close(struct lw_state *);
const char	*lw_state_path(const struct lw_state *);
/* Number of failed writes since open; the daemon reports it in status. */
uint64_t	 lw_state_errors(const struct lw_state *);

/* Replaces the retention limits above (tests); every 0 is taken as 1. */
void	lw_state_set_retention(struct lw_state *, int64_t keep_ms,
	    int64_t keep_rows, unsigned every);

int	lw_state_begin(struct lw_state *);
int	lw_state_commit(struct lw_state *);

/* 1 found, 0 none, -1 error. */
int	lw_state_get_offset(struct lw_state *, const char *path,
	    struct lw_offset *);
int	lw_state_set_offset(struct lw_state *, const char *path,
	    const struct lw_offset *);

/* 1 known, 0 not, -1 error. */
int	lw_state_template_known(struct lw_state *, uint64_t id);
int	lw_state_template_put(struct lw_state *, uint64_t id,
	    const char *text, int level, int64_t first_ms, int64_t last_ms,
	    uint64_t count);
/* 1 and the first sighting's log time when id is known, 0, or -1. */
int	lw_state_template_first(struct lw_state *, uint64_t id,
	    int64_t *first_ms);
/* Calls fn for every known template, newest last_ms first. */
int	lw_state_templates(struct lw_state *,
	    void (*fn)(uint64_t id, const char *text, int level,
	    int64_t first_ms, int64_t last_ms, uint64_t count, void *),
	    void *arg);

/* Cooldowns: last time (log time, ms) an alert key fired. */
int	lw_state_cooldown_get(struct lw_state *, const char *key,
	    int64_t *last_ms);
int	lw_state_cooldown_put(struct lw_state *, const char *key,
	    int64_t last_ms);

/* Small named values (daily counters of the sinks, ...): 1 found, 0
 * none, -1 error. */
int	lw_state_meta_get(struct lw_state *, const char *key, int64_t *val);
int	lw_state_meta_put(struct lw_state *, const char *key, int64_t val);

/* The LLM's knowledge base: one row per call. */
struct lw_llm_call {
	int64_t		 time_ms;	/* wall clock */
	const char	*model;
	long		 prompt_tokens, completion_tokens;	/* -1: unknown */
	long		 latency_ms;
	const char	*verdict;	/* normal, alert, unparseable, error */
	const char	*severity;	/* alert: warning|critical; else NULL */
	const char	*issue;		/* alert: the issue; error: why */
	const char	*trigger;	/* periodic, or the rule that fired */
	const char	*tmpls;		/* ids of the window's top templates */
};
int	lw_state_llm_put(struct lw_state *, const struct lw_llm_call *);
/* Calls and tokens since since_ms. */
int	lw_state_llm_usage(struct lw_state *, int64_t since_ms, long *calls,
	    long *prompt_tokens, long *completion_tokens);
/* The newest alert verdict whose window held template idstr: its issue
 * copied into out (1), none (0), error (-1). */
int	lw_state_llm_verdict_for(struct lw_state *, const char *idstr,
	    char *out, size_t outsz);
/* The newest calls first, at most limit. */
int	lw_state_llm_list(struct lw_state *, size_t limit,
	    void (*fn)(const struct lw_llm_call *, void *), void *arg);

/*
 * The alert history: every alert the daemon routes, once (INSERT OR
 * IGNORE on its id, so the replay after a crash adds nothing): its time,
 * severity, source, rule, title and json, the full alert as the sinks got
 * it.  st NULL (no database) and scheduled reports (a rule starting with
 * "report", kept with lw_state_report_put) store nothing and return 0.
 * The strings are copied by SQLite.
 */
int	lw_state_alert_put(struct lw_state *, const struct lw_alert *,
	    const char *json);

/* A scheduled report (hourly/daily), kept for `history` and for the next
 * report's trend. */
struct lw_report_row {
	int64_t		 time_ms;	/* wall clock when made */
	const char	*kind;		/* "hourly", "daily" */
	int64_t		 start_ms, end_ms;	/* the period, wall clock */
	uint64_t	 lines, errors, warnings;
	const char	*title;		/* one line */
	const char	*text;		/* the full report (markdown) */
};
int	lw_state_report_put(struct lw_state *, const struct lw_report_row *);
/* The newest report of kind before before_ms: 1 found (the counts and
 * the period copied out; strings in *out are NULL), 0 none, -1 error.
 * "Newest" and "before" go by time_ms, when the report was made. */
int	lw_state_report_prev(struct lw_state *, const char *kind,
	    int64_t before_ms, struct lw_report_row *out);

/* One row of the history, as lw_state_history hands it over. */
struct lw_hist_alert {
	const char	*id;
	const char	*severity;	/* info, warning, critical */
	const char	*source;	/* rule, llm */
	const char	*rule;
	const char	*title;		/* as raised: may hold any bytes */
	const char	*json;		/* the alert (SPEC "The alert") */
};

enum lw_hist_kind {
	LW_HIST_ALERT = 1,
	LW_HIST_VERDICT = 2,		/* an llm_calls row */
	LW_HIST_REPORT = 4
};

struct lw_hist_entry {
	enum lw_hist_kind		 kind;
	int64_t				 time_ms;	/* wall clock */
	const struct lw_hist_alert	*alert;		/* LW_HIST_ALERT */
	const struct lw_llm_call	*call;		/* LW_HIST_VERDICT */
	const struct lw_report_row	*report;	/* LW_HIST_REPORT */
};

struct lw_hist_query {
	int64_t		 since_ms;	/* entries at or after, wall clock */
	int		 kinds;		/* LW_HIST_* bits; 0: all */
	const char	*rule;		/* alerts: rule R or R:...; NULL all */
	size_t		 limit;		/* the newest limit entries; 0 all */
};

/*
 * Calls fn for every entry q selects, oldest first (ties: verdicts,
 * then alerts, then reports, each in insertion order).  The entry and its
 * strings live until fn returns.  0, or -1 on a database error.
 */
int	lw_state_history(struct lw_state *, const struct lw_hist_query *q,
	    void (*fn)(const struct lw_hist_entry *, void *), void *arg);

/* The outbox: one row per alert and sink; a finished row keeps how it
 * finished (for `history`) until pruned (retention above). */
int	lw_state_outbox_add(struct lw_state *, const char *id,
	    const char *sink, const char *json, int64_t created_ms);
/*
 * How a sink finished with an alert (the outbox's done column; a
 * database from before the states were told apart says 1 for every
 * finished row).
 */
enum lw_outbox_status {
	LW_OB_PENDING = 0,
	LW_OB_DELIVERED = 1,	/* the sink confirmed it */
	LW_OB_HELD = 2,		/* past the daily cap */
	LW_OB_FAILED = 3,	/* refused for good */
	LW_OB_EXPIRED = 4	/* older than alerts.max_age */
};
const char *lw_outbox_status_name(enum lw_outbox_status);
/* attempts: sends made (0 when held or expired before any). */
int	lw_state_outbox_done(struct lw_state *, const char *id,
	    const char *sink, enum lw_outbox_status, unsigned attempts);
/* Calls fn for each sink of alert id, sinks in name order; 0 or -1. */
int	lw_state_outbox_status(struct lw_state *, const char *id,
	    void (*fn)(const char *sink, enum lw_outbox_status,
	    unsigned attempts, void *), void *arg);
int	lw_state_outbox_retry(struct lw_state *, const char *id,
	    const char *sink, unsigned attempts, int64_t next_ms);
/* Every pending item of sink, oldest first, at most max (the daemon keeps
 * the queue in memory and mirrors it here); *out is freed with
 * lw_outbox_items_free. */
int	lw_state_outbox_load(struct lw_state *, const char *sink, size_t max,
	    struct lw_outbox_item **out, size_t *n);
int64_t	lw_state_outbox_pending(struct lw_state *, const char *sink);
void	lw_outbox_items_free(struct lw_outbox_item *, size_t);

#endif
