/*
 * lwtime: clock reads and an allocation-free, time-zone-free ISO 8601
 * formatter (gmtime_r is fine but days_from_civil is also what the parser
 * needs to turn a log's timestamp into epoch time without mktime's cost).
 */
#include <stdio.h>
#include <time.h>

#include "lwtime.h"

int64_t
lw_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Set once at start (LOGWARDEN_FAKE_NOW, tests only); 0 otherwise. */
static int64_t	wall_offset_ms;

int64_t
lw_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    wall_offset_ms;
}

void
lw_wall_start_at(int64_t ms)
{
	wall_offset_ms = 0;
	wall_offset_ms = ms - lw_wall_ms();
}

/* Howard Hinnant's days_from_civil. */
int64_t
lw_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
lw_iso8601(int64_t ms, char *out, size_t outsz)
{
	time_t		secs;
	struct tm	tm;
	int64_t		frac;

	frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		ms -= 1000;
	}
	secs = (time_t)(ms / 1000);
	gmtime_r(&secs, &tm);
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
}
