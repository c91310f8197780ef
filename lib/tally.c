/*
 * tally: open-addressing table (linear probing, backward-shift deletion)
 * of per-key window counters.
 */
#include <stdlib.h>
#include <string.h>

#include "tally.h"
#include "xmalloc.h"

uint64_t
lw_tally_hash(const char *s, size_t len)
{
	/* FNV-1a, then a final mix so that keys never collide with 0. */
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	return h ? h : 1;
}

static void
tally_width(struct lw_tally *t)
{
	t->width_ms = ((int64_t)t->window * 1000 + LW_TALLY_SLOTS - 1) /
	    LW_TALLY_SLOTS;
	if (t->width_ms < 1)
		t->width_ms = 1;
}

void
lw_tally_init(struct lw_tally *t, size_t max_keys, unsigned window)
{
	memset(t, 0, sizeof(*t));
	t->max = max_keys ? max_keys : 1;
	t->cap = 16;
	while (t->cap < t->max * 2)
		t->cap *= 2;
	t->v = xcalloc(t->cap, sizeof(*t->v));
	t->window = window ? window : 1;
	tally_width(t);
}

void
lw_tally_free(struct lw_tally *t)
{
	if (t == NULL)
		return;
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void
lw_tally_set_window(struct lw_tally *t, unsigned window)
{
	size_t	i;

	if (window == 0 || window == t->window)
		return;
	t->window = window;
	tally_width(t);
	/* Bucket ids change meaning with the width: start the buckets over,
	 * keep totals and recent times. */
	for (i = 0; i < t->cap; i++) {
		memset(t->v[i].slot_start, 0, sizeof(t->v[i].slot_start));
		memset(t->v[i].slot_n, 0, sizeof(t->v[i].slot_n));
	}
}

static size_t
tally_find(const struct lw_tally *t, uint64_t key)
{
	size_t	i = key & (t->cap - 1);

	while (t->v[i].key != 0 && t->v[i].key != key)
		i = (i + 1) & (t->cap - 1);
	return i;
}

struct lw_tally_ent *
lw_tally_get(const struct lw_tally *t, uint64_t key)
{
	size_t	i;

	if (key == 0)
		key = 1;
	i = tally_find(t, key);
	return t->v[i].key == key ? &t->v[i] : NULL;
}

/* Remove slot i, shifting later members of its probe run back. */
static void
tally_remove(struct lw_tally *t, size_t i)
{
	size_t	j = i, home;

	for (;;) {
		j = (j + 1) & (t->cap - 1);
		if (t->v[j].key == 0)
			break;
		home = t->v[j].key & (t->cap - 1);
		/* Can j's entry move to i without leaving its probe run? */
		if ((j > i && (home <= i || home > j)) ||
		    (j < i && (home <= i && home > j))) {
			t->v[i] = t->v[j];
			i = j;
		}
	}
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->n--;
}

static void
tally_evict(struct lw_tally *t)
{
	size_t	i, oldest = SIZE_MAX;

	for (i = 0; i < t->cap; i++) {
		if (t->v[i].key == 0)
			continue;
		if (oldest == SIZE_MAX || t->v[i].last_ms < t->v[oldest].last_ms)
			oldest = i;
	}
	if (oldest != SIZE_MAX) {
		tally_remove(t, oldest);
		t->evictions++;
	}
}

struct lw_tally_ent *
lw_tally_add(struct lw_tally *t, uint64_t key, int64_t t_ms,
    const char *label, size_t labellen)
{
	struct lw_tally_ent	*e;
	size_t			 i;
	int64_t			 bid;
	unsigned		 s;

	if (key == 0)
		key = 1;
	i = tally_find(t, key);
	if (t->v[i].key != key) {
		if (t->n >= t->max) {
			tally_evict(t);
			i = tally_find(t, key);
		}
		e = &t->v[i];
		memset(e, 0, sizeof(*e));
		e->key = key;
		t->n++;
		if (label != NULL) {
			if (labellen >= sizeof(e->label))
				labellen = sizeof(e->label) - 1;
			memcpy(e->label, label, labellen);
		}
	}
	e = &t->v[i];
	e->total++;
	if (t_ms > e->last_ms)
		e->last_ms = t_ms;
	bid = t_ms / t->width_ms;
	s = (unsigned)((uint64_t)bid % LW_TALLY_SLOTS);
	if (e->slot_start[s] != bid) {
		e->slot_start[s] = bid;
		e->slot_n[s] = 0;
	}
	e->slot_n[s]++;
	e->recent[e->nrecent % LW_TALLY_RECENT] = t_ms;
	e->nrecent++;
	return e;
}

uint64_t
lw_tally_count(const struct lw_tally *t, const struct lw_tally_ent *e,
    int64_t now_ms)
{
	int64_t		lo = (now_ms - (int64_t)t->window * 1000) / t->width_ms;
	int64_t		hi = now_ms / t->width_ms;
	uint64_t	sum = 0;
	unsigned	s;

	for (s = 0; s < LW_TALLY_SLOTS; s++)
		if (e->slot_n[s] && e->slot_start[s] > lo &&
		    e->slot_start[s] <= hi)
			sum += e->slot_n[s];
	return sum;
}

int
lw_tally_reached(const struct lw_tally *t, const struct lw_tally_ent *e,
    unsigned n)
{
	int64_t	newest, nth;

	if (n == 0 || e->nrecent < n)
		return 0;
	if (n > LW_TALLY_RECENT)
		return lw_tally_count(t, e, e->last_ms) >= n;
	newest = e->recent[(e->nrecent - 1) % LW_TALLY_RECENT];
	nth = e->recent[(e->nrecent - n) % LW_TALLY_RECENT];
	return newest - nth < (int64_t)t->window * 1000;
}
