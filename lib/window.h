/*
 * window: rolling per-second counters of lines and of records per level
 * over the last W seconds of log time.  A fixed array of W buckets indexed
 * by second modulo W; totals are kept incrementally, so reading a count
 * is O(1) and moving the window costs one bucket per second passed.
 */
#ifndef LW_WINDOW_H
#define LW_WINDOW_H

#include <stdint.h>

#include "level.h"

struct lw_wbucket {
	int64_t		sec;
	uint32_t	lines;
	uint32_t	n[LW_LVL_COUNT];
};

struct lw_window {
	struct lw_wbucket	*b;
	unsigned		 w;		/* seconds */
	int64_t			 now;		/* newest second seen */
	uint64_t		 lines;		/* totals over the window */
	uint64_t		 n[LW_LVL_COUNT];
};

void	lw_window_init(struct lw_window *, unsigned seconds);
void	lw_window_free(struct lw_window *);
/* Counts are rebuilt from nothing: the window restarts empty. */
void	lw_window_resize(struct lw_window *, unsigned seconds);
/* Move the window's end to sec (never backwards). */
void	lw_window_advance(struct lw_window *, int64_t sec);
/*
 * Add nlines lines and one record of level at sec.  A record older than
 * the window is not counted (returns -1); a newer one advances it.
 */
int	lw_window_add(struct lw_window *, int64_t sec, enum lw_level,
	    unsigned nlines);
/* Records of level lo or worse within the window. */
uint64_t lw_window_atleast(const struct lw_window *, enum lw_level lo);

#endif
