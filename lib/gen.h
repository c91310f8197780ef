/*
 * gen: a deterministic generator of a realistic trading-bot log, for the
 * throughput benchmark (lw-gen) and for the `demo` command.
 *
 * Records look like
 *   2025-03-20 09:15:23.145 [ERROR] Exchange - Order placement failed: Insufficient funds
 * drawn from about 70 templates (orders, fills, tickers, `| key=value |`
 * and logfmt fields, `latency_ms=12.4` and `Order latency: 35ms` metrics,
 * heartbeats, balances, reconnects, rate limits, timeouts), about 95 %
 * INFO, 3-4 % WARNING, 1 % ERROR and a few CRITICAL.  Some errors are
 * followed by a Python traceback: continuation lines without a timestamp.
 *
 * The same seed gives the same bytes on every run and machine: the PRNG is
 * our own (splitmix64), numbers are formatted by hand, and timestamps are
 * UTC computed without the C library's time zone.
 */
#ifndef LW_GEN_H
#define LW_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct lw_gen;

struct lw_gen_opts {
	uint64_t	seed;
	int64_t		start_ms;	/* log clock start, ms since the epoch, UTC,
					   within [0, LW_GEN_MAX_MS] (clamped) */
	double		lines_per_sec;	/* mean records per second of log time;
					   <= 0: LW_GEN_DEFAULT_RATE */
};

#define LW_GEN_DEFAULT_RATE	500.0
#define LW_GEN_MAX_RATE		1000000.0
/* 9999-12-31 23:59:59.999 UTC: four-digit years; the clock stops there. */
#define LW_GEN_MAX_MS		253402300799999LL
/* The longest record lw_gen_next appends (a line plus its traceback). */
#define LW_GEN_RECORD_MAX	4096

enum lw_gen_incident {
	LW_GEN_ERROR_BURST,	/* ERROR records of varied error templates */
	LW_GEN_REPEAT,		/* one error template, over and over */
	LW_GEN_NEW_ERROR,	/* an error template normal output never has;
				   each incident takes the next of 8, then
				   they come round again */
	LW_GEN_LATENCY_SPIKE	/* latency_ms= values of 800-3000 */
};

/* opts may be NULL (seed 0, start 0, default rate).  Never fails.
 * The caller owns the result and releases it with lw_gen_free. */
struct lw_gen	*lw_gen_new(const struct lw_gen_opts *);
void		 lw_gen_free(struct lw_gen *);	/* accepts NULL */

/*
 * Appends the next record (one line, or several for a traceback), each
 * line ending in '\n', to out and returns the number of physical lines
 * appended.  now_ms >= 0 stamps the record with that time (live demo;
 * clamped to LW_GEN_MAX_MS) and moves the log clock there; otherwise the
 * generator's own clock advances.
 * Returns 0 and leaves out unchanged when the record would pass out's
 * maximum; that record is lost, the generator moves on.
 */
size_t		 lw_gen_next(struct lw_gen *, struct buf *out, int64_t now_ms);

/* The next nrecords records form an incident of the given kind; replaces
 * an incident still under way.  nrecords 0 cancels it. */
void		 lw_gen_incident(struct lw_gen *, enum lw_gen_incident,
		    unsigned nrecords);
/* Records of the current incident still to come. */
unsigned	 lw_gen_incident_left(const struct lw_gen *);

#endif
