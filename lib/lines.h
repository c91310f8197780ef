/*
 * lines: turns a byte stream into complete lines.  A line is complete only
 * at '\n'; a half-written line waits for the rest.  A line longer than the
 * cap is cut there: its first max bytes are kept, the rest is skipped and
 * counted, and the line is delivered when its '\n' finally arrives, so it
 * is never dropped.  Offsets are tracked so the caller can save a restart
 * point that always falls on a line boundary.
 */
#ifndef LW_LINES_H
#define LW_LINES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Called once per complete line.  line excludes the '\n' (a trailing '\r'
 * is stripped); cut is the number of bytes dropped past the cap (0 for a
 * normal line); start/end are the stream offsets of the line's first byte
 * and of the byte after its '\n'.  line is valid only during the call.
 */
typedef void (*lw_line_cb)(const char *line, size_t len, size_t cut,
    uint64_t start, uint64_t end, void *arg);

struct lw_lines {
	char		*buf;		/* the pending partial line */
	size_t		 len;
	size_t		 max;		/* line cap (source.max_line_bytes) */
	size_t		 skipped;	/* bytes dropped from the pending line */
	uint64_t	 start;		/* offset of the pending line */
	uint64_t	 offset;	/* offset of the next byte to feed */
};

void	lw_lines_init(struct lw_lines *, size_t max, uint64_t offset);
void	lw_lines_free(struct lw_lines *);
/* Forget the pending partial line and restart at offset. */
void	lw_lines_reset(struct lw_lines *, uint64_t offset);
void	lw_lines_setmax(struct lw_lines *, size_t max);
void	lw_lines_feed(struct lw_lines *, const char *data, size_t len,
	    lw_line_cb, void *arg);
/* Deliver a pending partial line as if it ended (end of a rotated file). */
void	lw_lines_finish(struct lw_lines *, lw_line_cb, void *arg);
/* Offset of the first byte not yet delivered as part of a line. */
uint64_t lw_lines_pending_offset(const struct lw_lines *);

#endif
