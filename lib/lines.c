/*
 * lines: stream to lines with a hard cap.  Complete lines inside one
 * chunk are passed to the callback straight from the caller's buffer;
 * only a line that straddles two reads is copied, into a buffer that never
 * grows past the cap.
 */
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "xmalloc.h"

void
lw_lines_init(struct lw_lines *l, size_t max, uint64_t offset)
{
	memset(l, 0, sizeof(*l));
	l->max = max ? max : 1;
	l->start = l->offset = offset;
}

void
lw_lines_free(struct lw_lines *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	l->buf = NULL;
	l->len = 0;
}

void
lw_lines_reset(struct lw_lines *l, uint64_t offset)
{
	l->len = 0;
	l->skipped = 0;
	l->start = l->offset = offset;
}

void
lw_lines_setmax(struct lw_lines *l, size_t max)
{
	max = max ? max : 1;
	if (l->len > max) {
		l->skipped += l->len - max;
		l->len = max;
	}
	/* The pending buffer was sized for the old cap. */
	if (l->buf != NULL && max != l->max)
		l->buf = xreallocarray(l->buf, max, 1);
	l->max = max;
}

uint64_t
lw_lines_pending_offset(const struct lw_lines *l)
{
	return l->start;
}

/* Keep up to the cap of a partial line; count the rest as skipped. */
static void
lines_keep(struct lw_lines *l, const char *p, size_t n)
{
	size_t	room = l->max - l->len;

	if (n > room) {
		l->skipped += n - room;
		n = room;
	}
	if (n == 0)
		return;
	if (l->buf == NULL)
		l->buf = xmalloc(l->max);
	memcpy(l->buf + l->len, p, n);
	l->len += n;
}

/* strip_cr: p ends with the '\r' of a CRLF line ending. */
static void
lines_emit(struct lw_lines *l, const char *p, size_t n, size_t cut,
    int strip_cr, uint64_t end, lw_line_cb cb, void *arg)
{
	if (strip_cr && n > 0)
		n--;
	cb(p, n, cut, l->start, end, arg);
	l->start = end;
}

void
lw_lines_feed(struct lw_lines *l, const char *data, size_t len,
    lw_line_cb cb, void *arg)
{
	const char	*p = data, *end = data + len, *nl;
	size_t		 n;
	int		 cr;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			lines_keep(l, p, (size_t)(end - p));
			l->offset += (uint64_t)(end - p);
			return;
		}
		n = (size_t)(nl - p);
		l->offset += n + 1;
		if (l->len == 0 && l->skipped == 0 && n <= l->max) {
			/* The common case: a whole line inside this chunk. */
			lines_emit(l, p, n, 0, n > 0 && p[n - 1] == '\r',
			    l->offset, cb, arg);
		} else {
			/*
			 * The '\r' of a CRLF ending is not content, so it must
			 * not count as a cut byte: a line of exactly the cap
			 * is not cut.  Skipped bytes are the line's tail, so
			 * a skipped '\r' is the last of them.  (When it was
			 * skipped in an earlier chunk and '\n' opens this one
			 * it is no longer known, and counts.)
			 */
			cr = n > 0 ? p[n - 1] == '\r' : l->skipped == 0 &&
			    l->len > 0 && l->buf[l->len - 1] == '\r';
			lines_keep(l, p, n);
			if (cr && l->skipped > 0) {
				l->skipped--;
				cr = 0;
			}
			lines_emit(l, l->buf ? l->buf : "", l->len,
			    l->skipped, cr, l->offset, cb, arg);
			l->len = 0;
			l->skipped = 0;
		}
		p = nl + 1;
	}
}

void
lw_lines_finish(struct lw_lines *l, lw_line_cb cb, void *arg)
{
	if (l->len == 0 && l->skipped == 0)
		return;
	lines_emit(l, l->buf ? l->buf : "", l->len, l->skipped,
	    l->skipped == 0 && l->len > 0 && l->buf[l->len - 1] == '\r',
	    l->offset, cb, arg);
	l->len = 0;
	l->skipped = 0;
}
