/*
 * tlmerge: the timeline of `search` over several files, merged in log
 * time.  Files that overlap in time (a bot's log and its exchange
 * connector's, covering the same hours) are read one after the other,
 * so their timeline lines arrive out of order; this keeps the first
 * max_lines of them in (time, arrival) order, whatever order they come
 * in, and hands them back sorted.
 *
 * Memory is bounded twice: at most max_lines lines (a max-heap on
 * (time, arrival): a line earlier than the latest one kept pushes that
 * one out) and at most max_bytes of text in all.  Every slot is charged
 * at least small_bytes, free or not, so a line of at most small_bytes
 * always fits; a bigger one that does not fit is refused, and the
 * caller offers it again shortened.  Pure: no I/O.
 */
#ifndef LW_TLMERGE_H
#define LW_TLMERGE_H

#include <stddef.h>
#include <stdint.h>

/* One timeline line.  The merge orders by t, then seq, and carries the
 * rest for the caller. */
struct lw_tlmerge_line {
	int64_t		 t;		/* sort key: log time, ms */
	uint64_t	 seq;		/* arrival; set by lw_tlmerge_add */
	int		 file;		/* the caller's, carried along */
	uint64_t	 line;
	uint64_t	 dist;
	char		 mark;
	int		 flags;
	char		*out;		/* text[0..outlen), NUL-terminated */
	size_t		 outlen;
	char		*raw;		/* NULL, or text[0..rawlen) */
	size_t		 rawlen;
};

struct lw_tlmerge;

/*
 * A merge of at most max_lines lines and max_bytes of text.  small_bytes
 * times max_lines must not exceed max_bytes (fatal otherwise).  Caller
 * frees with lw_tlmerge_free.
 */
struct lw_tlmerge *lw_tlmerge_new(size_t max_lines, size_t max_bytes,
	    size_t small_bytes);
void	 lw_tlmerge_free(struct lw_tlmerge *);		/* accepts NULL */

/* 1 when a line at time t, offered now, would be kept: worth rendering. */
int	 lw_tlmerge_wants(const struct lw_tlmerge *, int64_t t);

/*
 * Offers l (t, file, line, dist, mark, flags, out, raw; seq is set
 * here).  Returns 1 when kept, with copies of out and raw (the caller
 * keeps its own; the latest line kept may have been pushed out for it);
 * 0 when left out, max_lines earlier lines being kept; -1 when it does
 * not fit max_bytes, with nothing changed: offer it again shorter (a
 * line's size is outlen + rawlen + 2, its NULs; one of at most
 * small_bytes always fits).
 */
int	 lw_tlmerge_add(struct lw_tlmerge *, const struct lw_tlmerge_line *l);

/*
 * The lines kept, sorted by (t, seq); *n of them.  The array stays
 * owned by the merge; after this call nothing more may be added.
 */
const struct lw_tlmerge_line *lw_tlmerge_sorted(struct lw_tlmerge *,
	    size_t *n);

/* Bytes of text held: the sizes of the lines kept, not their charge. */
size_t	 lw_tlmerge_bytes(const struct lw_tlmerge *);

#endif
