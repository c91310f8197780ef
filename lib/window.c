/*
 * window: per-second buckets, W of them, for the counting rules.
 */
#include <stdlib.h>
#include <string.h>

#include "window.h"
#include "xmalloc.h"

void
lw_window_init(struct lw_window *w, unsigned seconds)
{
	memset(w, 0, sizeof(*w));
	w->w = seconds ? seconds : 1;
	w->b = xcalloc(w->w, sizeof(*w->b));
	w->now = INT64_MIN;
}

void
lw_window_free(struct lw_window *w)
{
	if (w == NULL)
		return;
	free(w->b);
	w->b = NULL;
}

void
lw_window_resize(struct lw_window *w, unsigned seconds)
{
	int64_t	now = w->now;

	if (seconds == w->w)
		return;
	lw_window_free(w);
	lw_window_init(w, seconds);
	w->now = now;
}

static void
bucket_clear(struct lw_window *w, struct lw_wbucket *b)
{
	int	i;

	w->lines -= b->lines;
	for (i = 0; i < LW_LVL_COUNT; i++)
		w->n[i] -= b->n[i];
	memset(b, 0, sizeof(*b));
}

void
lw_window_advance(struct lw_window *w, int64_t sec)
{
	int64_t	s;

	if (w->now != INT64_MIN && sec <= w->now)
		return;
	if (w->now == INT64_MIN || sec - w->now >= (int64_t)w->w) {
		memset(w->b, 0, w->w * sizeof(*w->b));
		w->lines = 0;
		memset(w->n, 0, sizeof(w->n));
	} else {
		for (s = w->now + 1; s <= sec; s++)
			bucket_clear(w, &w->b[(uint64_t)s % w->w]);
	}
	w->now = sec;
}

int
lw_window_add(struct lw_window *w, int64_t sec, enum lw_level lvl,
    unsigned nlines)
{
	struct lw_wbucket	*b;

	if (w->now == INT64_MIN || sec > w->now)
		lw_window_advance(w, sec);
	else if (sec <= w->now - (int64_t)w->w)
		return -1;
	b = &w->b[(uint64_t)sec % w->w];
	b->sec = sec;
	b->lines += nlines;
	b->n[lvl]++;
	w->lines += nlines;
	w->n[lvl]++;
	return 0;
}

uint64_t
lw_window_atleast(const struct lw_window *w, enum lw_level lo)
{
	uint64_t	sum = 0;
	int		i;

	for (i = lo; i < LW_LVL_COUNT; i++)
		sum += w->n[i];
	return sum;
}
