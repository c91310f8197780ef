/*
 * match: where a search query occurs in log text, for `logwarden search`.
 *
 * A query is either a literal byte string (found with memmem) or a PCRE2
 * pattern, compiled once in UTF mode tolerant of invalid input, with the
 * JIT when the library has one and the interpreter otherwise.  A pattern
 * is matched against one line at a time: '^' and '$' anchor at the ends
 * of a line, and a CR counts as a line break, as in the line model of
 * the rest of logwarden (a CR before the '\n' is not part of the line).
 * A byte that is not valid UTF-8 matches nothing, not even '.', so a
 * pattern can match on either side of one but not across it.
 *
 * Speed comes from searching a buffer of many lines with one call and
 * only then finding the line around the hit (lw_match_next), so that a
 * big file costs one call per match rather than one per line.  A hit is
 * confirmed on its line alone, so a pattern that reaches across a line
 * break cannot report a line that does not match by itself.  Patterns
 * whose meaning depends on what surrounds the line (lookaround, \A, \z,
 * \G, \K, verbs, options turned off inline) are matched line by line
 * instead: slower, never wrong.
 *
 * Spans (lw_match_spans, lw_match_tokens) say which bytes of a line
 * matched, for highlighting; lw_match_render carries them through an
 * escaping function so that colour codes and escapes never cut into each
 * other.
 */
#ifndef LW_MATCH_H
#define LW_MATCH_H

#include <stddef.h>

#include "buf.h"

#define LW_MATCH_MAX_SPANS	64	/* spans reported for one line */
#define LW_MATCH_MAX_QUERY	4096	/* bytes in a query or pattern */

/* Bytes [start, end) of a line. */
struct lw_match_span {
	size_t	start, end;
};

struct lw_match;

/*
 * Compiles query (NUL-terminated, non-empty) as a literal or, with regex,
 * as a PCRE2 pattern.  Returns NULL with the reason in err: for a bad
 * pattern, the offset and PCRE2's message.  The matcher keeps its own
 * match data, so it must not be used by two threads at once.
 */
struct lw_match	*lw_match_new(const char *query, int regex, char *err,
		    size_t errsz);
void		 lw_match_free(struct lw_match *);	/* accepts NULL */
/* 1 when the pattern runs on the JIT (a literal: 0). */
int		 lw_match_jit(const struct lw_match *);

/*
 * The first line of buf[from..len) that matches.  buf holds whole lines,
 * each ended by '\n' except perhaps the last; from must be the start of
 * a line.  On a match returns 1 with the line in [*ls, *le) (without its
 * '\n' and a CR before it); returns 0 when no line matches.
 */
int		 lw_match_next(struct lw_match *, const char *buf, size_t len,
		    size_t from, size_t *ls, size_t *le);
/* 1 when line[0..len) (no '\n') matches, else 0. */
int		 lw_match_line(struct lw_match *, const char *line,
		    size_t len);
/*
 * Pattern errors met while matching (PCRE2's match or JIT stack limits):
 * such a line counts as not matching.  Returns how many there were and
 * PCRE2's message for the last one in msg (may be NULL).
 */
size_t		 lw_match_errors(const struct lw_match *, char *msg,
		    size_t msgsz);

/*
 * The non-empty, non-overlapping matches in line[0..len), in order, at
 * most max of them, into sp.  Returns the count.
 */
size_t		 lw_match_spans(struct lw_match *, const char *line,
		    size_t len, struct lw_match_span *sp, size_t max);
/*
 * The places where tok occurs in line as a whole token, with the token
 * rule of lw_ids_contains (letters, digits, '_', '-' and '.' join a
 * token).  Returns the count, at most max.
 */
size_t		 lw_match_tokens(const char *line, size_t len,
		    const char *tok, struct lw_match_span *sp, size_t max);

/* An escaping function: appends src[0..len) transformed; 0 or -1 (full). */
typedef int	(*lw_match_escape_fn)(struct buf *, const char *, size_t);

/*
 * Appends line[0..len) to out through escape (lw_vis, lw_utf8_clean),
 * with on and off (either may be NULL) around each span.  sp must be
 * sorted and not overlap.  Span ends are first widened to whole UTF-8
 * characters, because both escapers treat a character as a unit.  When
 * mapped is not NULL it receives, for each span, where its escaped text
 * lies in what was appended (offsets from the first appended byte; on
 * and off lie outside).  Returns 0, or -1 when out's maximum was
 * reached (out then holds a prefix).
 */
int		 lw_match_render(struct buf *out, const char *line, size_t len,
		    const struct lw_match_span *sp, size_t n,
		    lw_match_escape_fn escape, const char *on, const char *off,
		    struct lw_match_span *mapped);

#endif
