/*
 * tlmerge: the first max_lines timeline lines in (time, arrival) order,
 * within a byte budget.
 *
 * The lines kept form a max-heap on (t, seq), so the latest of them is
 * at the root: a new line is kept when the heap has room or when it is
 * earlier than the root, which it then replaces.  Arrival numbers only
 * grow, so a line never ties with one already kept and the order is
 * total; sorting at the end keeps lines of equal time in arrival order.
 *
 * The budget: a kept line is charged max(size, small) and a free slot
 * small, and the charges together never pass max_bytes.  A line of at
 * most small bytes takes over the charge of a free slot or of the line
 * it pushes out, both at least small, so it always fits; that is what
 * lets the caller fall back to a shortened line instead of losing it.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tlmerge.h"
#include "xmalloc.h"

struct lw_tlmerge {
	struct lw_tlmerge_line	*v;	/* a heap until sorted */
	size_t			 n, max;
	size_t			 max_bytes, small;
	size_t			 charged;	/* slots, free ones too */
	size_t			 bytes;		/* held */
	uint64_t		 seq;
	int			 sorted;
};

static size_t
line_size(const struct lw_tlmerge_line *l)
{
	return l->outlen + l->rawlen + 2;
}

static size_t
line_charge(const struct lw_tlmerge *tm, size_t size)
{
	return size > tm->small ? size : tm->small;
}

/* 1 when a comes after b. */
static int
later(const struct lw_tlmerge_line *a, const struct lw_tlmerge_line *b)
{
	if (a->t != b->t)
		return a->t > b->t;
	return a->seq > b->seq;
}

struct lw_tlmerge *
lw_tlmerge_new(size_t max_lines, size_t max_bytes, size_t small_bytes)
{
	struct lw_tlmerge	*tm;

	if (max_lines == 0 || small_bytes == 0 ||
	    max_bytes / max_lines < small_bytes)
		fatalx("lw_tlmerge_new: %zu lines of %zu bytes pass %zu",
		    max_lines, small_bytes, max_bytes);
	tm = xcalloc(1, sizeof(*tm));
	tm->v = xcalloc(max_lines, sizeof(*tm->v));
	tm->max = max_lines;
	tm->max_bytes = max_bytes;
	tm->small = small_bytes;
	tm->charged = max_lines * small_bytes;
	return tm;
}

void
lw_tlmerge_free(struct lw_tlmerge *tm)
{
	size_t	i;

	if (tm == NULL)
		return;
	for (i = 0; i < tm->n; i++) {
		free(tm->v[i].out);
		free(tm->v[i].raw);
	}
	free(tm->v);
	free(tm);
}

int
lw_tlmerge_wants(const struct lw_tlmerge *tm, int64_t t)
{
	/* A new line's seq is above all, so a tie with the root loses. */
	return tm->n < tm->max || t < tm->v[0].t;
}

static void
sift_up(struct lw_tlmerge *tm, size_t i)
{
	struct lw_tlmerge_line	tmp;
	size_t			p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!later(&tm->v[i], &tm->v[p]))
			break;
		tmp = tm->v[p];
		tm->v[p] = tm->v[i];
		tm->v[i] = tmp;
		i = p;
	}
}

static void
sift_down(struct lw_tlmerge *tm, size_t i)
{
	struct lw_tlmerge_line	tmp;
	size_t			c, m;

	for (;;) {
		m = i;
		c = 2 * i + 1;
		if (c < tm->n && later(&tm->v[c], &tm->v[m]))
			m = c;
		if (c + 1 < tm->n && later(&tm->v[c + 1], &tm->v[m]))
			m = c + 1;
		if (m == i)
			break;
		tmp = tm->v[m];
		tm->v[m] = tm->v[i];
		tm->v[i] = tmp;
		i = m;
	}
}

int
lw_tlmerge_add(struct lw_tlmerge *tm, const struct lw_tlmerge_line *l)
{
	struct lw_tlmerge_line	*d;
	size_t			 size = line_size(l), freed;
	int			 full = tm->n == tm->max;

	if (tm->sorted)
		fatalx("lw_tlmerge_add: the merge is sorted already");
	if (!lw_tlmerge_wants(tm, l->t)) {
		tm->seq++;
		return 0;
	}
	/* The charge of the slot the line takes: a free one or the root's. */
	freed = full ? line_charge(tm, line_size(&tm->v[0])) : tm->small;
	if (tm->charged - freed + line_charge(tm, size) > tm->max_bytes)
		return -1;
	tm->charged = tm->charged - freed + line_charge(tm, size);
	if (full) {
		/* Out goes the latest line; the new one sinks from the root. */
		tm->bytes -= line_size(&tm->v[0]);
		free(tm->v[0].out);
		free(tm->v[0].raw);
		d = &tm->v[0];
	} else
		d = &tm->v[tm->n++];
	*d = *l;
	d->seq = tm->seq++;
	d->out = xmemdup(l->out != NULL ? l->out : "", l->outlen);
	d->raw = l->raw != NULL ? xmemdup(l->raw, l->rawlen) : NULL;
	tm->bytes += size;
	if (full)
		sift_down(tm, 0);
	else
		sift_up(tm, (size_t)(d - tm->v));
	return 1;
}

static int
cmp_line(const void *a, const void *b)
{
	const struct lw_tlmerge_line	*x = a, *y = b;

	return later(x, y) ? 1 : later(y, x) ? -1 : 0;
}

const struct lw_tlmerge_line *
lw_tlmerge_sorted(struct lw_tlmerge *tm, size_t *n)
{
	if (!tm->sorted)
		qsort(tm->v, tm->n, sizeof(*tm->v), cmp_line);
	tm->sorted = 1;
	*n = tm->n;
	return tm->v;
}

size_t
lw_tlmerge_bytes(const struct lw_tlmerge *tm)
{
	return tm->bytes;
}
