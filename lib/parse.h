/*
 * parse: one physical log line in, its header fields out.
 *
 * The parser recognises the header shapes trading bots write (Python
 * logging defaults, freqtrade, hummingbot, OctoBot file and console,
 * jesse, passivbot, nautilus, LEAN, Gekko, Rust tracing, JSON lines, a
 * docker-compose "name | " prefix, ANSI colours) with hand-written scans,
 * one decision tree keyed on the first bytes of the line.  A line that
 * is not recognised as the start of a record (traceback frame, indented
 * or blank line, pprint output) is rejected after a few byte compares;
 * the record assembler (record.h) attaches it to the record before it.
 *
 * Pure: nothing is allocated per line.  The parser owns a scratch buffer
 * (bounded by LW_PARSE_SCRATCH_MAX) that only lines needing a rewritten
 * copy use: ANSI colour codes and JSON unescaping.
 */
#ifndef LW_PARSE_H
#define LW_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "level.h"

struct lw_span {
	const char	*p;
	size_t		 len;
};

struct lw_kv {
	struct lw_span	 key, val;	/* val without its quotes */
};

#define LW_MAX_KV		16
/* Lines longer than half of this are parsed as they are: no ANSI
 * stripping and no JSON decoding (a JSON line that big is not a header). */
#define LW_PARSE_SCRATCH_MAX	(8u << 20)

struct lw_parsed {
	int		 is_header;	/* this line starts a new record */
	int		 has_time;
	int64_t		 time_ms;	/* ms since epoch; naive local times are taken as UTC */
	enum lw_level	 level;		/* LW_LVL_UNKNOWN when none */
	struct lw_span	 component;	/* logger / component name, may be empty */
	/*
	 * Header: the message text after the header, trailing white space
	 * removed.  Not a header: the whole line after removing '\r', colour
	 * codes and (once a header had one) the docker-compose prefix.
	 */
	struct lw_span	 message;
	/* The line as parsed: without '\r', colour codes and a docker-compose
	 * prefix.  The record assembler keeps this as the record's text. */
	struct lw_span	 line;
	int		 nkv;		/* headers only; continuation lines have 0 */
	struct lw_kv	 kv[LW_MAX_KV];	/* key=value fields found in the message */
};

struct lw_parser *lw_parser_new(void);
void	lw_parser_free(struct lw_parser *);	/* accepts NULL */

/*
 * line has no '\n' (a trailing '\r' is ignored); it may hold NUL bytes
 * and invalid UTF-8, which are passed through untouched.  Spans point
 * into line or into the parser's scratch and stay valid until the next
 * call with the same parser.  The parser remembers whether headers came
 * with a docker-compose prefix, so that traceback lines with the same
 * prefix lose it too; otherwise calls are independent.
 */
void	lw_parse_line(struct lw_parser *, const char *line, size_t len,
	    struct lw_parsed *out);

/* Level from a level word in any case: "WARN", "warning", "ERR", "Fatal",
 * "INF", "NETWORK", ...; LW_LVL_UNKNOWN when it is not one. */
enum lw_level	lw_parse_level(const char *word, size_t len);

/*
 * Timestamp at the start of s: "YYYY-MM-DD[ T]HH:MM:SS", "YYYY/MM/DD ...",
 * "YYYYMMDD HH:MM:SS", "DD-MM-YYYY HH:MM:SS", each with an optional
 * ".fff"/",fff" fraction (any number of digits) and an optional "Z" or
 * "+HH:MM"/"+HHMM" offset.  Returns the bytes used, 0 when there is none.
 */
size_t	lw_parse_time(const char *s, size_t len, int64_t *ms);

#endif
