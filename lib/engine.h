/*
 * engine: the pipeline from physical lines to alerts, without any I/O of
 * its own: parse and assemble records, keep the ring buffer and the
 * rolling counters, mine templates, evaluate the local rules, apply
 * cooldowns and hand finished alerts to a callback.  The daemon feeds it
 * lines from the file; tests feed it strings.
 *
 * Time: counting rules use the log's own timestamps (a record without one
 * takes the previous record's time, else the arrival time), so a backlog
 * is judged as it was written.  Silence uses the caller's monotonic clock
 * (lw_engine_tick).
 *
 * The state database (may be NULL) is written inside whatever transaction
 * the caller has open: known templates and cooldowns.
 */
#ifndef LW_ENGINE_H
#define LW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "record.h"
#include "config.h"
#include "ring.h"
#include "state.h"

struct lw_engine;

/* Sees each completed record (the daemon's periodic summary). */
typedef void (*lw_record_cb)(const struct lw_record *, void *arg);

/* Receives each alert raised; the callee owns it (lw_alert_free). */
typedef void (*lw_alert_cb)(struct lw_alert *, void *arg);

struct lw_engine_stats {
	uint64_t	lines, records, bytes;
	uint64_t	per_level[LW_LVL_COUNT];
	uint64_t	cut_lines;		/* longer than max_line_bytes */
	uint64_t	alerts, suppressed;	/* raised, held by cooldown */
	uint64_t	templates_new;
	uint64_t	tmpl_evictions, tally_evictions, metric_dropped;
	uint64_t	window_lines, window_errors, window_warnings;
	int64_t		last_log_ms;		/* newest log time seen */
};

/* What the engine knows right now, for the LLM's prompt. */
struct lw_snap_tmpl {
	uint64_t	 id;
	const char	*text;
	int		 level;
	uint64_t	 count;		/* in the window */
	uint64_t	 total;		/* since logwarden started watching */
	int64_t		 first_ms;	/* first sighting ever (state DB) */
	int64_t		 last_ms;
	const char	*example;	/* a recent line, or NULL */
};
struct lw_snap_metric {
	const char	*name;
	size_t		 n;
	double		 avg, max, p95;
};
#define LW_SNAP_FIRED	16
struct lw_snap_fired {
	char		 rule[64];
	char		 title[256];
	int64_t		 time_ms;	/* log time */
};
struct lw_engine_snap {
	int64_t		 now_ms;	/* newest log time */
	unsigned	 window;
	uint64_t	 lines, per_level[LW_LVL_COUNT];
	struct lw_snap_tmpl *tmpls;	/* busiest first */
	size_t		 ntmpls;
	struct lw_snap_metric *metrics;
	size_t		 nmetrics;
	struct lw_snap_fired fired[LW_SNAP_FIRED];	/* oldest first */
	size_t		 nfired;
	const char	**recent;	/* ring lines, oldest first */
	size_t		 nrecent;
};

struct lw_engine *lw_engine_new(const struct lw_config *,
	    struct lw_state *, const char *host);
void	lw_engine_free(struct lw_engine *);
void	lw_engine_set_alert_cb(struct lw_engine *, lw_alert_cb, void *);
void	lw_engine_set_record_cb(struct lw_engine *, lw_record_cb, void *);
/* A new config after a reload: thresholds, window, ring size, metrics;
 * ring, counters, templates and cooldowns are kept.  cfg must outlive
 * the engine or the next call. */
void	lw_engine_reconfig(struct lw_engine *, const struct lw_config *);
void	lw_engine_set_state(struct lw_engine *, struct lw_state *);
/*
 * Learning (the first run's pass over existing content): templates are
 * learned and counted but no alert at all is raised.  quiet_new: only
 * new_error alerts are held back.
 */
void	lw_engine_set_learning(struct lw_engine *, int learning,
	    int quiet_new);
/* One physical line without its '\n'; cut = bytes lost past the cap. */
void	lw_engine_feed(struct lw_engine *, const char *line, size_t len,
	    size_t cut, int64_t arrival_ms);
/* Complete the pending record (end of file, rotation). */
void	lw_engine_flush(struct lw_engine *);
/* Clock-driven rules (silence); mono_ms from the monotonic clock. */
void	lw_engine_tick(struct lw_engine *, int64_t mono_ms);
/* The last line arrived at mono_ms (re-arms silence). */
void	lw_engine_touch(struct lw_engine *, int64_t mono_ms);
void	lw_engine_stats(const struct lw_engine *, struct lw_engine_stats *);
/* Zero the "read by this run" counts (lines, records, per level) after
 * lines were replayed as context; the window and tallies stay. */
void	lw_engine_reset_counts(struct lw_engine *);
/*
 * Fills snap; its pointers stay valid until the next feed, flush or
 * reconfig.  At most max_tmpls templates, the busiest in the window.
 */
void	lw_engine_snapshot(struct lw_engine *, struct lw_engine_snap *,
	    size_t max_tmpls);
void	lw_engine_snap_free(struct lw_engine_snap *);
/*
 * An alert from the model's verdict: source llm, rule llm, cooldown key
 * "llm:" + issue, evidence from the window.  Returns 1 when it went out,
 * 0 when the cooldown held it.
 */
int	lw_engine_raise_llm(struct lw_engine *, enum lw_sev, const char *issue,
	    const char *impact, const char *action);
/* The redactor built from the config (built-in rules + alerts.redact). */
const struct lw_redactor *lw_engine_redactor(struct lw_engine *);
/* Writes a few lines on the busiest templates/components (status). */
void	lw_engine_describe(struct lw_engine *, struct buf *out);

#endif
