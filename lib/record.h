/*
 * record: assembles physical lines into log records.
 *
 * A header line (parse.h) starts a record; every other line belongs to
 * the record before it: traceback frames, blank lines inside chained
 * tracebacks, pprint output, a message with an embedded newline.  A
 * record is complete when the next header arrives or when the caller
 * flushes (end of file, or the daemon's idle timer).
 *
 * Rules:
 *  - A "Traceback (most recent call last):" line, or a chained-traceback
 *    line ("During handling of the above exception...", "The above
 *    exception was the direct cause..."), anywhere in a record sets
 *    has_traceback and raises the level to LW_LVL_ERROR (CRITICAL stays).
 *    A header whose message ends in "Traceback (most recent call last):"
 *    (jesse, binance-trade-bot) counts too.
 *  - Lines before any header form a record of their own: level ERROR when
 *    they hold a traceback, else unknown; no time.
 *  - A record without a time of its own takes the previous record's
 *    (inherited_time = 1).
 *  - Bounds: the text keeps at most max_record_lines lines and
 *    max_record_bytes bytes.  The first line that does not fit is cut at
 *    a UTF-8 boundary, and from then on lines are only counted (nlines)
 *    and still scanned for tracebacks; text stays a true prefix of the
 *    record, cut = 1.  'last' keeps the last non-blank line even when it
 *    was cut away, because that is the exception line of a traceback.
 *    Trailing blank lines are counted but not kept in text.
 *
 * Late lines (a slow writer): after lw_asm_flush, continuation lines may
 * still arrive for the flushed record.  They are not glued to it (it was
 * already handed out) and do not look like a new event: they form a
 * record with late = 1, completed by the next header or flush like any
 * other.  A late record inherits the time of the flushed record and its
 * level is the level of the whole record (flushed part plus late lines).
 * escalated = 1 exactly once per logical record: when late lines bring
 * the first traceback and so raise the level to ERROR.  A caller that
 * counts records should skip late ones, and count one error when
 * escalated is set.
 *
 * No allocation per line once buffers have grown: two record slots are
 * reused in turn, so the record handed out stays valid while the next one
 * is being built.
 */
#ifndef LW_RECORD_H
#define LW_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "level.h"
#include "parse.h"

/* Longest 'last' line kept; longer ones are cut at a UTF-8 boundary. */
#define LW_RECORD_LAST_MAX	512
/* Smallest limits accepted by lw_asm_new; smaller values are raised. */
#define LW_RECORD_MIN_BYTES	256
#define LW_RECORD_MIN_LINES	1

struct lw_record {
	int		 has_time;	/* from the header, or inherited from the previous record (see inherited_time) */
	int		 inherited_time;
	int64_t		 time_ms;
	enum lw_level	 level;		/* raised to LW_LVL_ERROR when a Python traceback follows the header */
	enum lw_level	 header_level;	/* as written in the header, before any raise */
	int		 has_traceback;
	struct lw_span	 component, message;	/* from the first line (message capped at max_record_bytes) */
	struct lw_span	 text;		/* all lines of the record joined with '\n' (capped) */
	struct lw_span	 last;		/* last non-blank line that is not the header line; empty for a lone header */
	unsigned	 nlines;	/* physical lines, including those beyond the cap */
	int		 cut;		/* text was capped */
	int		 late;		/* continuation of a record already returned by a flush */
	int		 escalated;	/* late only: these lines raised the record to ERROR */
	int		 nkv;
	struct lw_kv	 kv[LW_MAX_KV];
};

/* The limits the daemon and the commands assemble records with. */
#define LW_ASM_RECORD_BYTES	(256u * 1024)
#define LW_ASM_RECORD_LINES	500

/* Every span of a record points into the assembler's own memory. */
struct lw_asm	*lw_asm_new(size_t max_record_bytes, unsigned max_record_lines);
void		 lw_asm_free(struct lw_asm *);	/* accepts NULL */

/* Feed one physical line (no '\n'; '\r', NUL bytes, invalid UTF-8 are
 * fine).  Returns 1 and fills *out with the completed previous record
 * when this line starts a new record, else 0.  *out stays valid until the
 * next feed/flush. */
int	lw_asm_feed(struct lw_asm *, const char *line, size_t len,
	    struct lw_record *out);
/* Completes the pending record (end of file, or the daemon's idle
 * timer).  Returns 1 if one was pending. */
int	lw_asm_flush(struct lw_asm *, struct lw_record *out);
/* 1 while a record is being assembled (the idle timer's business). */
int	lw_asm_pending(const struct lw_asm *);

#endif
