/*
 * outq: in-memory queue mirrored in the SQLite outbox, one ev_timer that
 * fires when the next send may happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "lwtime.h"
#include "outq.h"
#include "xmalloc.h"

TAILQ_HEAD(outq_list, outq_item);

#define PACE_SLOTS	64	/* remembered send times (per_minute) */

struct outq {
	struct ev_loop		*loop;
	char			*sink;
	struct lw_state		*st;
	outq_send_fn		 send;
	outq_summary_fn		 summary;
	outq_exempt_fn		 exempt;
	void			*arg;
	struct outq_policy	 pol;
	struct outq_list	 items;
	size_t			 n, inflight;
	ev_timer		 timer;
	double			 lead;		/* when the last group began */
	double			 blocked_until;	/* Retry-After */
	double			 sends[PACE_SLOTS];	/* ring of send times */
	unsigned		 nsends;
	int			 day;		/* UTC YYYYMMDD of the counters */
	uint64_t		 day_sent, day_held;
	uint64_t		 delivered, failed, dropped, held;
};

static void	outq_schedule(struct outq *);

static int
utc_day(int64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

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

/* The daily counters live in the state DB so that a restart at 10:00
 * does not reset the cap. */
static void
outq_day_save(struct outq *q)
{
	char	key[128];

	if (q->st == NULL)
		return;
	snprintf(key, sizeof(key), "cap:%s:%d:sent", q->sink, q->day);
	lw_state_meta_put(q->st, key, (int64_t)q->day_sent);
	snprintf(key, sizeof(key), "cap:%s:%d:held", q->sink, q->day);
	lw_state_meta_put(q->st, key, (int64_t)q->day_held);
}

static void
outq_day_load(struct outq *q, int day)
{
	char	key[128];
	int64_t	v;

	q->day = day;
	q->day_sent = q->day_held = 0;
	if (q->st == NULL)
		return;
	snprintf(key, sizeof(key), "cap:%s:%d:sent", q->sink, day);
	if (lw_state_meta_get(q->st, key, &v) == 1 && v > 0)
		q->day_sent = (uint64_t)v;
	snprintf(key, sizeof(key), "cap:%s:%d:held", q->sink, day);
	if (lw_state_meta_get(q->st, key, &v) == 1 && v > 0)
		q->day_held = (uint64_t)v;
}

/* A new day: report what yesterday held back, then start counting. */
static void
outq_day_roll(struct outq *q)
{
	int		today = utc_day(lw_wall_ms()), old = q->day;
	uint64_t	held = q->day_held;

	if (today == q->day)
		return;
	outq_day_load(q, today);
	if (old != 0 && held > 0) {
		char	key[128];

		/* Mark the summary as sent before sending it: twice would
		 * be worse than a lost summary after a crash. */
		snprintf(key, sizeof(key), "cap:%s:%d:held", q->sink, old);
		if (q->st != NULL)
			lw_state_meta_put(q->st, key, 0);
		if (q->summary != NULL)
			q->summary(q, old, held, q->pol.daily_cap, q->arg);
	}
}

/* Earliest time the next send may start (pacing and Retry-After). */
static double
outq_pace(const struct outq *q)
{
	double		t = q->blocked_until;
	unsigned	k;

	if (q->nsends > 0 && q->pol.min_gap > 0) {
		double last = q->sends[(q->nsends - 1) % PACE_SLOTS];

		if (last + q->pol.min_gap > t)
			t = last + q->pol.min_gap;
	}
	k = q->pol.per_minute;
	if (k > 0 && k <= PACE_SLOTS && q->nsends >= k) {
		double kth = q->sends[(q->nsends - k) % PACE_SLOTS];

		if (kth + 60 > t)
			t = kth + 60;
	}
	return t;
}

/* Past the daily cap: the item is held back, counted and done. */
static void
outq_hold(struct outq *q, struct outq_item *it)
{
	if (q->day_held == 0)
		log_warnx("%s: daily cap of %u messages reached; further "
		    "alerts today are held back (they stay in alerts.jsonl)",
		    q->sink, q->pol.daily_cap);
	q->day_held++;
	q->held++;
	if (q->st != NULL)
		lw_state_outbox_done(q->st, it->id, q->sink, LW_OB_HELD,
		    it->attempts);
	outq_remove(q, it);
	outq_day_save(q);
}

static void
outq_run(struct outq *q)
{
	struct outq_item	*it, *next, *batch[OUTQ_MAX_BATCH];
	double			 now = ev_now(q->loop);
	size_t			 n, i;
	int			 took;

	outq_day_roll(q);
	for (;;) {
		if (q->inflight >= (q->pol.max_batch > 1 ? 1 :
		    OUTQ_MAX_INFLIGHT) || outq_pace(q) > now)
			break;
		n = 0;
		for (it = TAILQ_FIRST(&q->items); it != NULL; it = next) {
			next = TAILQ_NEXT(it, entry);
			if (it->inflight || it->due > now)
				continue;
			if (lw_wall_ms() - it->created_ms >
			    (int64_t)q->pol.max_age * 1000) {
				log_warnx("%s: giving up alert %s after %u "
				    "attempts: older than %u s", q->sink,
				    it->id, it->attempts, q->pol.max_age);
				if (q->st)
					lw_state_outbox_done(q->st, it->id,
					    q->sink, LW_OB_EXPIRED,
					    it->attempts);
				q->failed++;
				outq_remove(q, it);
				continue;
			}
			if (q->pol.daily_cap > 0 &&
			    q->day_sent >= q->pol.daily_cap &&
			    (q->exempt == NULL || !q->exempt(it->json))) {
				outq_hold(q, it);
				continue;
			}
			batch[n++] = it;
			if (n >= q->pol.max_batch)
				break;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			batch[i]->inflight = 1;
			batch[i]->attempts++;
		}
		q->inflight += n;
		took = q->send(q, batch, n, q->arg);
		if (took < 0) {
			/* Could not start: a transient failure for all. */
			for (i = 0; i < n; i++) {
				batch[i]->inflight = 0;
				batch[i]->due = now + 5;
			}
			q->inflight -= n;
			break;
		}
		/* Items the send did not take wait for the next one. */
		for (i = (size_t)took; i < n; i++) {
			batch[i]->inflight = 0;
			batch[i]->attempts--;
			q->inflight--;
		}
		q->sends[q->nsends % PACE_SLOTS] = now;
		q->nsends++;
		if (q->pol.daily_cap > 0) {
			q->day_sent++;
			outq_day_save(q);
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

/* Arm the timer for the earliest moment something can be sent. */
static void
outq_schedule(struct outq *q)
{
	struct outq_item	*it;
	double			 earliest = -1, now = ev_now(q->loop), pace;

	ev_timer_stop(q->loop, &q->timer);
	TAILQ_FOREACH(it, &q->items, entry) {
		if (it->inflight)
			continue;
		if (earliest < 0 || it->due < earliest)
			earliest = it->due;
	}
	if (earliest < 0 && q->day_held > 0) {
		/* Held alerts: their summary goes out as the UTC day turns,
		 * not only with the next alert. */
		int64_t ms = lw_wall_ms();

		earliest = now + (double)(86400000 - ms % 86400000) / 1000 +
		    1;
	}
	if (earliest < 0)
		return;
	if ((pace = outq_pace(q)) > earliest)
		earliest = pace;
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
	q->pol.max_batch = 1;
	q->pol.max_age = 86400;
	q->lead = -1e9;
	TAILQ_INIT(&q->items);
	ev_timer_init(&q->timer, outq_timer_cb, 0, 0);
	q->timer.data = q;
	outq_day_load(q, utc_day(lw_wall_ms()));
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
outq_set_policy(struct outq *q, const struct outq_policy *p)
{
	q->pol = *p;
	if (q->pol.max_batch < 1)
		q->pol.max_batch = 1;
	if (q->pol.max_batch > OUTQ_MAX_BATCH)
		q->pol.max_batch = OUTQ_MAX_BATCH;
	if (q->pol.per_minute > PACE_SLOTS)
		q->pol.per_minute = PACE_SLOTS;
	if (q->pol.max_age == 0)
		q->pol.max_age = 86400;
}

void
outq_set_exempt(struct outq *q, outq_exempt_fn fn)
{
	q->exempt = fn;
}

void
outq_set_summary(struct outq *q, outq_summary_fn fn)
{
	q->summary = fn;
}

void
outq_set_state(struct outq *q, struct lw_state *st)
{
	q->st = st;
}

static struct outq_item *
outq_append(struct outq *q, const char *id, const char *json,
    int64_t created_ms, unsigned attempts, double due)
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
	it->due = due;
	TAILQ_INSERT_TAIL(&q->items, it, entry);
	q->n++;
	return it;
}

void
outq_load(struct outq *q)
{
	struct lw_outbox_item	*v;
	size_t			 n, i;
	double			 now = ev_now(q->loop);

	if (q->st == NULL ||
	    lw_state_outbox_load(q->st, q->sink, OUTQ_MAX_ITEMS, &v, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		outq_append(q, v[i].id, v[i].json, v[i].created_ms,
		    v[i].attempts, now);
	if (n > 0)
		log_info("%s: %zu alerts pending from before the restart",
		    q->sink, n);
	lw_outbox_items_free(v, n);
	outq_schedule(q);
}

void
outq_push(struct outq *q, const char *id, const char *json)
{
	int64_t	now_ms = lw_wall_ms();
	double	now = ev_now(q->loop), due = now;

	if (q->st != NULL)
		lw_state_outbox_add(q->st, id, q->sink, json, now_ms);
	/* The first alert of a group goes at once, the others when the
	 * group's interval ends, together. */
	if (q->pol.group_interval > 0) {
		if (now - q->lead >= q->pol.group_interval)
			q->lead = now;
		else
			due = q->lead + q->pol.group_interval;
	}
	outq_append(q, id, json, now_ms, 0, due);
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
			lw_state_outbox_done(q->st, it->id, q->sink,
			    LW_OB_DELIVERED, it->attempts);
		q->delivered++;
		log_debug("%s: delivered %s", q->sink, it->id);
		outq_remove(q, it);
		break;
	case OUTQ_FAIL:
		log_warnx("%s: giving up alert %s: %s", q->sink, it->id,
		    reason);
		if (q->st != NULL)
			lw_state_outbox_done(q->st, it->id, q->sink,
			    LW_OB_FAILED, it->attempts);
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
		if (retry_after >= 0) {
			/* The server asked the whole queue to wait. */
			delay = retry_after;
			if (ev_now(q->loop) + delay > q->blocked_until)
				q->blocked_until = ev_now(q->loop) + delay;
		}
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

	if (q->inflight > 0)
		return 1;
	/* A server's long Retry-After: leave it to the next run. */
	if (q->blocked_until > now + 5)
		return 0;
	TAILQ_FOREACH(it, &q->items, entry)
		if (it->due <= now + 0.001)
			return 1;
	return 0;
}

void
outq_counts(const struct outq *q, uint64_t *delivered, uint64_t *failed,
    uint64_t *dropped, uint64_t *held)
{
	*delivered = q->delivered;
	*failed = q->failed;
	*dropped = q->dropped;
	*held = q->held;
}

void
outq_kick(struct outq *q)
{
	outq_run(q);
}
