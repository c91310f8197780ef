/*
 * tally: counts per key (template id, component, ...) over a rolling
 * window of log time, with a cap on the number of keys.
 *
 * Each key keeps LW_TALLY_SLOTS coarse buckets spanning the window (so a
 * count is exact to one bucket's width) plus the times of its last
 * LW_TALLY_RECENT occurrences, which make "reached N within the window"
 * exact for N up to LW_TALLY_RECENT.  When the table is full the key seen
 * least recently is evicted and the eviction counted.
 */
#ifndef LW_TALLY_H
#define LW_TALLY_H

#include <stddef.h>
#include <stdint.h>

#define LW_TALLY_SLOTS		60
#define LW_TALLY_RECENT		16
#define LW_TALLY_LABEL		64

struct lw_tally_ent {
	uint64_t	key;		/* 0 marks a free slot */
	int64_t		last_ms;
	uint64_t	total;		/* since the key was first seen */
	int64_t		slot_start[LW_TALLY_SLOTS];	/* bucket id, in slot widths */
	uint32_t	slot_n[LW_TALLY_SLOTS];
	int64_t		recent[LW_TALLY_RECENT];	/* ring of times, ms */
	unsigned	nrecent;
	char		label[LW_TALLY_LABEL];	/* for display, may be cut */
};

struct lw_tally {
	struct lw_tally_ent	*v;
	size_t			 cap;		/* table slots (2 x max) */
	size_t			 max;		/* most keys kept */
	size_t			 n;
	unsigned		 window;	/* seconds */
	int64_t			 width_ms;	/* one coarse bucket */
	uint64_t		 evictions;
};

void	lw_tally_init(struct lw_tally *, size_t max_keys, unsigned window);
void	lw_tally_free(struct lw_tally *);
void	lw_tally_set_window(struct lw_tally *, unsigned window);
/* Count one occurrence of key at t_ms; label may be NULL. */
struct lw_tally_ent *lw_tally_add(struct lw_tally *, uint64_t key,
	    int64_t t_ms, const char *label, size_t labellen);
struct lw_tally_ent *lw_tally_get(const struct lw_tally *, uint64_t key);
/* Occurrences within (now_ms - window, now_ms], to one bucket's width. */
uint64_t lw_tally_count(const struct lw_tally *, const struct lw_tally_ent *,
	    int64_t now_ms);
/* 1 when the last n occurrences all fall within the window ending at the
 * newest one (exact for n <= LW_TALLY_RECENT, else from the buckets). */
int	lw_tally_reached(const struct lw_tally *, const struct lw_tally_ent *,
	    unsigned n);
uint64_t lw_tally_hash(const char *, size_t);

#endif
