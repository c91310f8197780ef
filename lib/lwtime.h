/*
 * lwtime: the two clocks.  Intervals and timers use the monotonic clock;
 * wall-clock time is only for display and for alert timestamps.  Log time
 * (what the bot wrote) is kept as milliseconds since the epoch, int64_t.
 */
#ifndef LW_LWTIME_H
#define LW_LWTIME_H

#include <stddef.h>
#include <stdint.h>

int64_t	lw_mono_ms(void);		/* CLOCK_MONOTONIC in ms */
int64_t	lw_wall_ms(void);		/* CLOCK_REALTIME in ms since epoch */
/* Makes the wall clock read ms now and run on from there: the test hook
 * LOGWARDEN_FAKE_NOW (scheduled reports, daily caps).  Call it before
 * anything reads the clock. */
void	lw_wall_start_at(int64_t ms);
/* "2025-03-20T14:35:12.345Z" into out (at least 25 bytes). */
void	lw_iso8601(int64_t ms, char *out, size_t outsz);
/* Days from civil date, proleptic Gregorian (no libc, no time zone). */
int64_t	lw_days_from_civil(int y, unsigned m, unsigned d);

#define LW_ISO8601_LEN 25

#endif
