/*
 * outq: the delivery queue of one network sink (webhook, Telegram, email).
 *
 * Every alert is written to the state database's outbox before the first
 * attempt and marked done once the sink confirmed it, so pending
 * deliveries survive a crash and nothing confirmed is sent again; the
 * queue in memory drives the attempts, so delivery goes on when the
 * database is broken.
 *
 * Policy, per sink:
 *  - grouping: the first alert goes out at once; alerts pushed within
 *    group_interval seconds after it wait until that interval ends and
 *    then go out together, as one message (a batch of up to max_batch
 *    items; the sink may take fewer, the rest follow in order);
 *  - pacing: at least min_gap seconds between two sends, at most
 *    per_minute sends in any 60 s (Telegram's limits);
 *  - retries: exponential backoff from 1 s doubling to 5 min; a server's
 *    Retry-After (or Telegram's retry_after) pauses the whole queue;
 *  - give-up: an alert older than max_age is dropped with a log line;
 *  - a daily cap on messages (UTC day): past it alerts are held back and
 *    counted, and as the UTC day turns a summary callback reports how
 *    many (the queue wakes up for it even when nothing else is due);
 *    what the exempt callback names (scheduled reports) goes anyway.
 */
#ifndef LW_OUTQ_H
#define LW_OUTQ_H

#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

#include "state.h"

#define OUTQ_MAX_ITEMS		10000	/* then the oldest is dropped */
#define OUTQ_MAX_INFLIGHT	4	/* concurrent sends (batch = 1) */
#define OUTQ_BACKOFF_MAX	300	/* seconds */
#define OUTQ_MAX_BATCH		64

struct outq_item {
	TAILQ_ENTRY(outq_item)	 entry;
	char			*id;
	char			*json;
	int64_t			 created_ms;	/* wall clock */
	double			 due;		/* ev_now() of next attempt */
	unsigned		 attempts;
	int			 inflight;
};

enum outq_result {
	OUTQ_OK,		/* delivered: never again */
	OUTQ_RETRY,		/* transient: try again later */
	OUTQ_FAIL		/* permanent: give up now */
};

struct outq_policy {
	unsigned	group_interval;	/* seconds; 0: every alert at once */
	unsigned	max_batch;	/* items per send, 1..OUTQ_MAX_BATCH */
	double		min_gap;	/* seconds between sends */
	unsigned	per_minute;	/* sends in any 60 s; 0: no limit */
	unsigned	daily_cap;	/* sends per UTC day; 0: no cap */
	unsigned	max_age;	/* seconds */
};

struct outq;
/*
 * Start sending items[0..n) as one message.  Returns how many of them
 * the send took (1..n; the others stay queued for the next send), or -1
 * when nothing could be started (retried later).  The sink calls
 * outq_done exactly once for each item it took.
 */
typedef int (*outq_send_fn)(struct outq *, struct outq_item **items,
		    size_t n, void *arg);
/* A new UTC day began and held alerts were counted on day (YYYYMMDD). */
typedef void (*outq_summary_fn)(struct outq *, int day, uint64_t held,
		    unsigned cap, void *arg);

/* 1 when the item (its JSON) is sent past the daily cap: scheduled
 * reports.  Asked only once the cap is reached. */
typedef int (*outq_exempt_fn)(const char *json);

struct outq	*outq_new(struct ev_loop *, const char *sink,
		    struct lw_state *, outq_send_fn, void *arg);
void		 outq_free(struct outq *);
void		 outq_set_policy(struct outq *, const struct outq_policy *);
void		 outq_set_summary(struct outq *, outq_summary_fn);
void		 outq_set_exempt(struct outq *, outq_exempt_fn);
void		 outq_set_state(struct outq *, struct lw_state *);
/* Load what a previous run left pending. */
void		 outq_load(struct outq *);
/* Queue one alert (JSON), persisted first. */
void		 outq_push(struct outq *, const char *id, const char *json);
/* retry_after < 0: none given. reason: for the log. */
void		 outq_done(struct outq *, struct outq_item *,
		    enum outq_result, int retry_after, const char *reason);
size_t		 outq_pending(const struct outq *);
size_t		 outq_inflight(const struct outq *);
/* 1 while something is in flight or due now (not held by pacing). */
int		 outq_due_now(const struct outq *);
void		 outq_counts(const struct outq *, uint64_t *delivered,
		    uint64_t *failed, uint64_t *dropped, uint64_t *held);
void		 outq_kick(struct outq *);

#endif
