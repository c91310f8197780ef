/*
 * outq: in-memory queue mirrored in the SQLite outbox, one ev_timer that
 * fires when the earliest item is due.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lwtime.h"
#include "outq.h"
#include "xmalloc.h"

TAILQ_HEAD(outq_list, outq_item);

struct outq {
	struct ev_loop		*loop;
	char			*sink;
	struct lw_state		*st;
	outq_send_fn		 send;
	void			*arg;
	struct outq_list	 items;
	size_t			 n, inflight;
	ev_timer		 timer;
	uint64_t		 delivered, failed, dropped;
};

static void	outq_schedule(struct outq *);

static void
item_free(struct outq_item *it)
{
	free(it->id);
	free(it->json);
	free(it);
}

static void
outq_remove(struct outq *q, struct outq_item *it)
{
	TAILQ_REMOVE(&q->items, it, entry);
	q->n--;
	item_free(it);
}

static void
outq_run(struct outq *q)
{
	struct outq_item	*it, *next;
	double			 now = ev_now(q->loop);

	for (it = TAILQ_FIRST(&q->items); it != NULL; it = next) {
		next = TAILQ_NEXT(it, entry);
		if (q->inflight >= OUTQ_MAX_INFLIGHT)
			break;
		if (it->inflight || it->due > now)
			continue;
		if (lw_wall_ms() - it->created_ms > (int64_t)OUTQ_MAX_AGE *
		    1000) {
			log_warnx("%s: giving up alert %s after %u attempts: "
			    "older than %d s", q->sink, it->id, it->attempts,
			    OUTQ_MAX_AGE);
			if (q->st)
				lw_state_outbox_done(q->st, it->id, q->sink);
			q->failed++;
			outq_remove(q, it);
			continue;
		}
		it->inflight = 1;
		it->attempts++;
		q->inflight++;
		if (q->send(q, it, q->arg) == -1) {
			/* Could not start: treat as a transient failure. */
			it->inflight = 0;
			q->inflight--;
			it->due = now + 5;
		}
	}
	outq_schedule(q);
}

static void
outq_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	outq_run(w->data);
}

/* Arm the timer for the earliest item that is not in flight. */
static void
outq_schedule(struct outq *q)
{
	struct outq_item	*it;
	double			 earliest = -1, now = ev_now(q->loop);

	ev_timer_stop(q->loop, &q->timer);
	if (q->inflight >= OUTQ_MAX_INFLIGHT)
		return;		/* outq_done will reschedule */
	TAILQ_FOREACH(it, &q->items, entry) {
		if (it->inflight)
			continue;
		if (earliest < 0 || it->due < earliest)
			earliest = it->due;
	}
	if (earliest < 0)
		return;
	ev_timer_set(&q->timer, earliest > now ? earliest - now : 0, 0);
	ev_timer_start(q->loop, &q->timer);
}

struct outq *
outq_new(struct ev_loop *loop, const char *sink, struct lw_state *st,
    outq_send_fn send, void *arg)
{
	struct outq	*q = xcalloc(1, sizeof(*q));

	q->loop = loop;
	q->sink = xstrdup(sink);
	q->st = st;
	q->send = send;
	q->arg = arg;
	TAILQ_INIT(&q->items);
	ev_timer_init(&q->timer, outq_timer_cb, 0, 0);
	q->timer.data = q;
	return q;
}

void
outq_free(struct outq *q)
{
	struct outq_item	*it;

	if (q == NULL)
		return;
	ev_timer_stop(q->loop, &q->timer);
	while ((it = TAILQ_FIRST(&q->items)) != NULL) {
		TAILQ_REMOVE(&q->items, it, entry);
		item_free(it);
	}
	free(q->sink);
	free(q);
}

void
outq_set_state(struct outq *q, struct lw_state *st)
{
	q->st = st;
}

static struct outq_item *
outq_append(struct outq *q, const char *id, const char *json,
    int64_t created_ms, unsigned attempts)
{
	struct outq_item	*it;

	if (q->n >= OUTQ_MAX_ITEMS) {
		it = TAILQ_FIRST(&q->items);
		if (it != NULL && !it->inflight) {
			log_warnx("%s: queue full (%d alerts): dropping the "
			    "oldest, %s (it stays in the outbox for the next "
			    "start)", q->sink, OUTQ_MAX_ITEMS, it->id);
			q->dropped++;
			outq_remove(q, it);
		}
	}
	it = xcalloc(1, sizeof(*it));
	it->id = xstrdup(id);
	it->json = xstrdup(json);
	it->created_ms = created_ms;
	it->attempts = attempts;
	it->due = ev_now(q->loop);
	TAILQ_INSERT_TAIL(&q->items, it, entry);
	q->n++;
	return it;
}

void
outq_load(struct outq *q)
{
	struct lw_outbox_item	*v;
	size_t			 n, i;

	if (q->st == NULL ||
	    lw_state_outbox_load(q->st, q->sink, OUTQ_MAX_ITEMS, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		outq_append(q, v[i].id, v[i].json, v[i].created_ms,
		    v[i].attempts);
	if (n > 0)
		log_info("%s: %zu alerts pending from before the restart",
		    q->sink, n);
	lw_outbox_items_free(v, n);
	outq_schedule(q);
}

void
outq_push(struct outq *q, const char *id, const char *json)
{
	int64_t	now = lw_wall_ms();

	if (q->st != NULL)
		lw_state_outbox_add(q->st, id, q->sink, json, now);
	outq_append(q, id, json, now, 0);
	/* Not sent from here: the caller commits the batch first. */
	outq_schedule(q);
}

void
outq_done(struct outq *q, struct outq_item *it, enum outq_result res,
    int retry_after, const char *reason)
{
	double	delay;

	it->inflight = 0;
	q->inflight--;
	switch (res) {
	case OUTQ_OK:
		if (q->st != NULL)
			lw_state_outbox_done(q->st, it->id, q->sink);
		q->delivered++;
		log_debug("%s: delivered %s", q->sink, it->id);
		outq_remove(q, it);
		break;
	case OUTQ_FAIL:
		log_warnx("%s: giving up alert %s: %s", q->sink, it->id,
		    reason);
		if (q->st != NULL)
			lw_state_outbox_done(q->st, it->id, q->sink);
		q->failed++;
		outq_remove(q, it);
		break;
	case OUTQ_RETRY:
		delay = 1;
		for (unsigned i = 1; i < it->attempts && delay <
		    OUTQ_BACKOFF_MAX; i++)
			delay *= 2;
		if (delay > OUTQ_BACKOFF_MAX)
			delay = OUTQ_BACKOFF_MAX;
		if (retry_after >= 0)
			delay = retry_after;
		it->due = ev_now(q->loop) + delay;
		log_warnx("%s: alert %s not delivered (attempt %u): %s; "
		    "retrying in %.0f s", q->sink, it->id, it->attempts,
		    reason, delay);
		if (q->st != NULL)
			lw_state_outbox_retry(q->st, it->id, q->sink,
			    it->attempts, lw_wall_ms() +
			    (int64_t)(delay * 1000));
		break;
	}
	outq_schedule(q);
}

size_t
outq_pending(const struct outq *q)
{
	return q->n;
}

size_t
outq_inflight(const struct outq *q)
{
	return q->inflight;
}

int
outq_due_now(const struct outq *q)
{
	struct outq_item	*it;
	double			 now = ev_now(q->loop);

	TAILQ_FOREACH(it, &q->items, entry)
		if (it->inflight || it->due <= now)
			return 1;
	return 0;
}

void
outq_counts(const struct outq *q, uint64_t *delivered, uint64_t *failed,
    uint64_t *dropped)
{
	*delivered = q->delivered;
	*failed = q->failed;
	*dropped = q->dropped;
}

const char *
outq_sink(const struct outq *q)
{
	return q->sink;
}

void
outq_kick(struct outq *q)
{
	outq_run(q);
}
