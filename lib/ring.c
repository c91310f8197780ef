/*
 * ring: fixed-capacity ring of recent lines (the redis latency-monitor
 * idea: an array indexed modulo N, no allocation once warm).
 */
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "xmalloc.h"

void
lw_ring_init(struct lw_ring *r, unsigned n)
{
	memset(r, 0, sizeof(*r));
	r->n = n ? n : 1;
	r->v = xcalloc(r->n, sizeof(*r->v));
}

void
lw_ring_free(struct lw_ring *r)
{
	unsigned	i;

	if (r == NULL || r->v == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
	r->v = NULL;
	r->n = r->count = r->head = 0;
}

struct lw_ring_entry *
lw_ring_recent(struct lw_ring *r, unsigned i)
{
	if (i >= r->count)
		return NULL;
	return &r->v[(r->head + r->n - 1 - i) % r->n];
}

struct lw_ring_entry *
lw_ring_byseq(struct lw_ring *r, uint64_t seq)
{
	uint64_t	age;

	if (seq == 0 || seq > r->seq)
		return NULL;
	age = r->seq - seq;
	if (age >= r->count)
		return NULL;
	return lw_ring_recent(r, (unsigned)age);
}

void
lw_ring_resize(struct lw_ring *r, unsigned n)
{
	struct lw_ring	nr;
	unsigned	i, keep;

	if (n == 0)
		n = 1;
	if (n == r->n)
		return;
	lw_ring_init(&nr, n);
	keep = r->count < n ? r->count : n;
	/* Move the newest `keep` entries, oldest first. */
	for (i = keep; i-- > 0; ) {
		struct lw_ring_entry *e = lw_ring_recent(r, i);

		nr.v[nr.head] = *e;
		e->text = NULL;
		nr.head = (nr.head + 1) % nr.n;
		nr.count++;
	}
	nr.seq = r->seq;
	lw_ring_free(r);
	*r = nr;
}

struct lw_ring_entry *
lw_ring_push(struct lw_ring *r, const char *s, size_t len, size_t cut,
    int64_t time_ms)
{
	struct lw_ring_entry	*e = &r->v[r->head];

	if (e->cap < len + 1) {
		size_t	ncap = e->cap ? e->cap : 128;

		while (ncap < len + 1)
			ncap *= 2;
		e->text = xreallocarray(e->text, ncap, 1);
		e->cap = ncap;
	}
	memcpy(e->text, s, len);
	e->text[len] = '\0';
	e->len = len;
	e->cut = cut;
	e->time_ms = time_ms;
	e->level = LW_LVL_UNKNOWN;
	e->tmpl_id = 0;
	e->metrics = 0;
	e->head = 0;
	e->seq = ++r->seq;
	r->head = (r->head + 1) % r->n;
	if (r->count < r->n)
		r->count++;
	return e;
}
