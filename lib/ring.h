/*
 * ring: the last N physical lines, for evidence in alerts and context for
 * the LLM.  A fixed array of slots indexed modulo N; each slot keeps its
 * own text buffer and reuses it, so pushing a line allocates only while
 * slots grow to the longest line they have held (bounded by the line cap).
 */
#ifndef LW_RING_H
#define LW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "level.h"

struct lw_ring_entry {
	uint64_t	 seq;		/* 1, 2, ... in arrival order */
	int64_t		 time_ms;	/* log time of the line's record */
	enum lw_level	 level;		/* of the record; set when it ends */
	uint64_t	 tmpl_id;	/* of the record; 0 when none */
	uint32_t	 metrics;	/* bit i: metric i matched the record */
	int		 head;		/* first line of its record */
	size_t		 cut;		/* bytes cut at max_line_bytes */
	char		*text;
	size_t		 len;
	size_t		 cap;
};

struct lw_ring {
	struct lw_ring_entry	*v;
	unsigned		 n;	/* slots */
	unsigned		 count;	/* used slots */
	unsigned		 head;	/* next slot to write */
	uint64_t		 seq;	/* seq of the newest entry */
};

void	lw_ring_init(struct lw_ring *, unsigned n);
void	lw_ring_free(struct lw_ring *);
/* Change the capacity, keeping the newest lines. */
void	lw_ring_resize(struct lw_ring *, unsigned n);
struct lw_ring_entry *lw_ring_push(struct lw_ring *, const char *, size_t,
	    size_t cut, int64_t time_ms);
/* i = 0 is the newest entry, count-1 the oldest; NULL past the end. */
struct lw_ring_entry *lw_ring_recent(struct lw_ring *, unsigned i);
/* The entry with this seq, or NULL once it was overwritten. */
struct lw_ring_entry *lw_ring_byseq(struct lw_ring *, uint64_t seq);

#endif
