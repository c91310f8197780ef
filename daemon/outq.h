/*
 * outq: the delivery queue of one network sink (webhook now; Telegram
 * and email use the same).  Every alert is written to the state
 * database's outbox before the first attempt and marked done once the
 * sink confirmed it, so pending deliveries survive a crash; the queue in
 * memory is what drives the attempts, so delivery goes on when the
 * database is broken.  Retries back off exponentially (1 s doubling to
 * 5 min) and honour a server's Retry-After; an alert older than the
 * maximum age is given up with a log line.
 */
#ifndef LW_OUTQ_H
#define LW_OUTQ_H

#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

#include "state.h"

#define OUTQ_MAX_ITEMS		10000	/* then the oldest is dropped */
#define OUTQ_MAX_INFLIGHT	4
#define OUTQ_MAX_AGE		86400	/* seconds */
#define OUTQ_BACKOFF_MAX	300	/* seconds */

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

struct outq;
/* Start sending item; call outq_done exactly once when it finished.
 * Returns -1 when the attempt could not even start (then retried). */
typedef int (*outq_send_fn)(struct outq *, struct outq_item *, void *arg);

struct outq	*outq_new(struct ev_loop *, const char *sink,
		    struct lw_state *, outq_send_fn, void *arg);
void		 outq_free(struct outq *);
void		 outq_set_state(struct outq *, struct lw_state *);
/* Load what a previous run left pending. */
void		 outq_load(struct outq *);
/* Queue one alert (JSON), persisted first. */
void		 outq_push(struct outq *, const char *id, const char *json);
/* retry_after < 0: none given. reason: for the log. */
void		 outq_done(struct outq *, struct outq_item *,
		    enum outq_result, int retry_after, const char *reason);
/* Items not yet delivered; in flight now; due within `within` s. */
size_t		 outq_pending(const struct outq *);
size_t		 outq_inflight(const struct outq *);
int		 outq_due_now(const struct outq *);
/* Delivered, given up, dropped for the cap since start. */
void		 outq_counts(const struct outq *, uint64_t *delivered,
		    uint64_t *failed, uint64_t *dropped);
const char	*outq_sink(const struct outq *);
/* Forget in-flight state on shutdown: they stay pending in the outbox. */
void		 outq_kick(struct outq *);

#endif
