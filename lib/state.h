/*
 * state: the SQLite database under state.dir that makes logwarden survive
 * restarts: file offsets, known templates ("first sighting ever"),
 * cooldowns and the delivery outbox.
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

/* The outbox: one row per alert and sink until the sink confirmed it. */
int	lw_state_outbox_add(struct lw_state *, const char *id,
	    const char *sink, const char *json, int64_t created_ms);
int	lw_state_outbox_done(struct lw_state *, const char *id,
	    const char *sink);
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
