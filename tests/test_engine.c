/*
 * test_engine: the local rules end to end, from log lines to alerts.
 * Each test writes a small INI (everything off but the rule under test),
 * loads it with lw_config_load, feeds lines in the seed format with
 * explicit timestamps and looks at the alerts the callback receives.
 * Every record is flushed as soon as it is fed (the daemon's idle timer),
 * so a rule's verdict on the N-th line can be seen before the N+1-th.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "alert.h"
#include "config.h"
#include "engine.h"
#include "lines.h"
#include "log.h"
#include "lwtime.h"
#include "state.h"
#include "utf8.h"

#define MAXALERTS	256
#define SEC		1000LL
#define MIN		(60 * SEC)

/* What a test wants of the config; zero means off (or the default). */
struct rules {
	unsigned	 window, errors, warnings, repeat, silence, cooldown;
	int		 new_error;
	const char	*spike;		/* NULL: 0 */
	size_t		 max_line;	/* 0: 65536 */
	const char	*extra;		/* more sections, e.g. a metric */
};

struct fx {
	char			 dir[64];
	char			 ini[128];
	char			 statedir[128];
	struct lw_config	*cfg;
	struct lw_state		*st;
	struct lw_engine	*e;
	struct lw_alert		*al[MAXALERTS];
	size_t			 nal;
	int64_t			 arrival;
};

/* 2025-03-20 09:00:00 UTC, the seed logs' day. */
static int64_t
t0(void)
{
	return lw_days_from_civil(2025, 3, 20) * 86400 * SEC + 9 * 3600 * SEC;
}

static void
on_alert(struct lw_alert *a, void *arg)
{
	struct fx	*f = arg;

	assert_true(f->nal < MAXALERTS);
	f->al[f->nal++] = a;
}

static int
setup(void **state)
{
	struct fx	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/lw-test-engine.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->ini, sizeof(f->ini), "%s/test.ini", f->dir);
	snprintf(f->statedir, sizeof(f->statedir), "%s/state", f->dir);
	f->arrival = t0() + 3600 * SEC;
	*state = f;
	return 0;
}

static void
fx_stop(struct fx *f)
{
	lw_engine_free(f->e);
	lw_state_close(f->st);
	lw_config_free(f->cfg);
	f->e = NULL;
	f->st = NULL;
	f->cfg = NULL;
}

static int
teardown(void **state)
{
	struct fx	*f = *state;
	char		 cmd[128];
	size_t		 i;

	fx_stop(f);
	for (i = 0; i < f->nal; i++)
		lw_alert_free(f->al[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Write the INI and load it. */
static struct lw_config *
fx_config(struct fx *f, const struct rules *r)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_config	*cfg;
	FILE			*fp;

	fp = fopen(f->ini, "w");
	assert_non_null(fp);
	fprintf(fp, "[source]\npath = %s/bot.log\nmax_line_bytes = %zu\n"
	    "ring_lines = 200\n", f->dir, r->max_line ? r->max_line : 65536);
	fprintf(fp, "[state]\ndir = %s\n", f->statedir);
	fprintf(fp, "[rules]\nwindow = %u\nerrors = %u\nwarnings = %u\n"
	    "repeat = %u\nsilence = %u\nnew_error = %s\nspike = %s\n",
	    r->window ? r->window : 60, r->errors, r->warnings, r->repeat,
	    r->silence, r->new_error ? "yes" : "no",
	    r->spike ? r->spike : "0");
	fprintf(fp, "[llm]\nenabled = no\n[alerts]\ncooldown = %u\n%s",
	    r->cooldown, r->extra ? r->extra : "");
	assert_int_equal(fclose(fp), 0);
	cfg = lw_config_load(f->ini, &errs);
	if (cfg == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		lw_cfgerrs_free(&errs);
		fail_msg("config did not load");
	}
	lw_cfgerrs_free(&errs);
	return cfg;
}

/* Load the config, open the state and build the engine. */
static void
fx_start(struct fx *f, const struct rules *r)
{
	char	err[256];

	f->cfg = fx_config(f, r);
	f->st = lw_state_open(f->cfg->state.dir, err, sizeof(err));
	if (f->st == NULL)
		fail_msg("state: %s", err);
	f->e = lw_engine_new(f->cfg, f->st, "testhost");
	lw_engine_set_alert_cb(f->e, on_alert, f);
}

/* A new engine, config and state connection on the same state dir. */
static void
fx_restart(struct fx *f, const struct rules *r)
{
	fx_stop(f);
	fx_start(f, r);
}

/* One physical line, as-is. */
static void
feed_raw(struct fx *f, const char *line, size_t len)
{
	lw_engine_feed(f->e, line, len, 0, f->arrival);
}

static void
feed_str(struct fx *f, const char *line)
{
	feed_raw(f, line, strlen(line));
}

/* One record in the seed format at log time ms, flushed. */
static void
rec(struct fx *f, int64_t ms, const char *level, const char *msg)
{
	char		line[1024];
	struct tm	tm;
	time_t		secs = (time_t)(ms / 1000);
	int		n;

	assert_non_null(gmtime_r(&secs, &tm));
	n = snprintf(line, sizeof(line), "%04d-%02d-%02d %02d:%02d:%02d.%03d "
	    "[%s] Exchange - %s", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000),
	    level, msg);
	assert_true(n > 0 && (size_t)n < sizeof(line));
	feed_raw(f, line, (size_t)n);
	lw_engine_flush(f->e);
}

static size_t
count_rule(const struct fx *f, const char *rule)
{
	size_t	i, n = 0;

	for (i = 0; i < f->nal; i++)
		if (strcmp(f->al[i]->rule, rule) == 0)
			n++;
	return n;
}

/* The newest alert of a rule. */
static struct lw_alert *
last_of(const struct fx *f, const char *rule)
{
	size_t	i;

	for (i = f->nal; i-- > 0; )
		if (strcmp(f->al[i]->rule, rule) == 0)
			return f->al[i];
	fail_msg("no %s alert", rule);
	return NULL;
}

static void
test_errors(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 5 };
	struct lw_alert	*a;
	int64_t		 t = t0();
	int		 i;

	fx_start(f, &r);
	/* INFO and WARNING records do not count. */
	rec(f, t, "INFO", "Started");
	rec(f, t, "WARNING", "Slow response");
	for (i = 0; i < 4; i++)
		rec(f, t + i * 10 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 0);
	/* The fifth within the window: exactly now. */
	rec(f, t + 40 * SEC, "CRITICAL", "Exchange unreachable");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "errors");
	assert_int_equal(a->severity, LW_SEV_CRITICAL);
	assert_true(a->has_count);
	assert_int_equal(a->count, 5);
	assert_non_null(strstr(a->title, "5 errors"));
	assert_string_equal(a->host, "testhost");
	assert_non_null(strstr(a->log, "/bot.log"));
	/* Evidence: the error records, in log order. */
	assert_int_equal(a->nevidence, 5);
	assert_non_null(strstr(a->evidence[0], "09:00:00.000 [ERROR]"));
	assert_non_null(strstr(a->evidence[4], "[CRITICAL]"));
	/* Still 5 or more: with no cooldown every error alerts. */
	rec(f, t + 41 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 2);
	assert_int_equal(last_of(f, "errors")->count, 6);
}

/* The same five errors spread over more than the window: no alert. */
static void
test_errors_spread(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 5 };
	int64_t		 t = t0();
	int		 i;

	fx_start(f, &r);
	/* 0, 15, 30, 45, 60 s: the window (0, 60] holds four. */
	for (i = 0; i < 5; i++)
		rec(f, t + i * 15 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(f->nal, 0);
	/* At 61 s: 15, 30, 45, 60, 61. */
	rec(f, t + 61 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(last_of(f, "errors")->count, 5);
}

static void
test_warnings(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .warnings = 3 };
	struct lw_alert	*a;
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "WARNING", "Slow response 1200 ms");
	rec(f, t + SEC, "ERROR", "Order placement failed");
	rec(f, t + 2 * SEC, "CRITICAL", "Exchange down");
	rec(f, t + 3 * SEC, "WARNING", "Rate limit close");
	assert_int_equal(f->nal, 0);
	rec(f, t + 4 * SEC, "WARNING", "Balance low");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "warnings");
	assert_int_equal(a->severity, LW_SEV_WARNING);
	assert_int_equal(a->count, 3);
	/* Evidence: warning records and worse, oldest first. */
	assert_int_equal(a->nevidence, 5);
	assert_non_null(strstr(a->evidence[0], "Slow response"));
	assert_non_null(strstr(a->evidence[4], "Balance low"));
}

static void
test_repeat(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .repeat = 3 };
	struct lw_alert	*a;
	int64_t		 t = t0();

	fx_start(f, &r);
	/* Three different templates are not a repeat. */
	rec(f, t, "ERROR", "Order placement failed: Insufficient funds 12.5");
	rec(f, t + SEC, "ERROR", "Websocket closed unexpectedly");
	rec(f, t + 2 * SEC, "ERROR", "Cannot parse ticker reply");
	assert_int_equal(f->nal, 0);
	/* The same template (the number varies), the third time. */
	rec(f, t + 3 * SEC, "ERROR",
	    "Order placement failed: Insufficient funds 99.1");
	assert_int_equal(f->nal, 0);
	rec(f, t + 4 * SEC, "ERROR",
	    "Order placement failed: Insufficient funds 7");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "repeat");
	assert_int_equal(a->severity, LW_SEV_WARNING);
	assert_int_equal(a->count, 3);
	assert_non_null(a->tmpl);
	assert_non_null(strstr(a->tmpl, "Order placement failed"));
	assert_null(strstr(a->tmpl, "99.1"));
	/* Evidence: this template's records only, in order. */
	assert_int_equal(a->nevidence, 3);
	assert_non_null(strstr(a->evidence[0], "12.5"));
	assert_non_null(strstr(a->evidence[2], "funds 7"));
	/* Warnings of a template are not counted as repeats. */
	rec(f, t + 5 * SEC, "WARNING", "Retrying request 1");
	rec(f, t + 6 * SEC, "WARNING", "Retrying request 2");
	rec(f, t + 7 * SEC, "WARNING", "Retrying request 3");
	assert_int_equal(f->nal, 1);
}

/* Three sightings 30 s apart in a 60 s window: the third is 60 s after
 * the first, one too late; a fourth one second later completes three. */
static void
test_repeat_spread(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .repeat = 3 };
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "ERROR", "Timeout after 10 s");
	rec(f, t + 30 * SEC, "ERROR", "Timeout after 10 s");
	rec(f, t + 60 * SEC, "ERROR", "Timeout after 10 s");
	assert_int_equal(f->nal, 0);
	rec(f, t + 61 * SEC, "ERROR", "Timeout after 10 s");
	assert_int_equal(count_rule(f, "repeat"), 1);
}

static void
test_new_error(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .new_error = 1 };
	struct lw_alert	*a;
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "INFO", "Heartbeat 1");
	assert_int_equal(f->nal, 0);
	rec(f, t + SEC, "ERROR", "Order 1234 rejected by exchange");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "new_error");
	assert_int_equal(a->severity, LW_SEV_WARNING);
	assert_non_null(strstr(a->title, "rejected by exchange"));
	assert_non_null(a->tmpl);
	assert_int_equal(a->nevidence, 1);
	assert_non_null(strstr(a->evidence[0], "Order 1234 rejected"));
	/* The second sighting, other numbers: nothing. */
	rec(f, t + 2 * SEC, "ERROR", "Order 5678 rejected by exchange");
	assert_int_equal(f->nal, 1);
	/* A new warning template alerts as well. */
	rec(f, t + 3 * SEC, "WARNING", "Funding rate unusually high");
	assert_int_equal(count_rule(f, "new_error"), 2);

	/* Learning: templates are learned, nothing is raised. */
	lw_engine_set_learning(f->e, 1, 0);
	rec(f, t + 4 * SEC, "ERROR", "Position size exceeds limit 5");
	assert_int_equal(f->nal, 2);
	lw_engine_set_learning(f->e, 0, 0);
	rec(f, t + 5 * SEC, "ERROR", "Position size exceeds limit 6");
	assert_int_equal(f->nal, 2);
	/* quiet_new: new templates learned silently. */
	lw_engine_set_learning(f->e, 0, 1);
	rec(f, t + 6 * SEC, "ERROR", "Signature mismatch");
	assert_int_equal(f->nal, 2);
	lw_engine_set_learning(f->e, 0, 0);
	rec(f, t + 7 * SEC, "ERROR", "Signature mismatch");
	assert_int_equal(f->nal, 2);

	/* A restart: the state database still knows them all. */
	fx_restart(f, &r);
	rec(f, t + 8 * SEC, "ERROR", "Order 9 rejected by exchange");
	rec(f, t + 9 * SEC, "ERROR", "Position size exceeds limit 7");
	rec(f, t + 10 * SEC, "ERROR", "Signature mismatch");
	rec(f, t + 11 * SEC, "WARNING", "Funding rate unusually high");
	assert_int_equal(f->nal, 2);
	rec(f, t + 12 * SEC, "ERROR", "Margin call");
	assert_int_equal(count_rule(f, "new_error"), 3);
	assert_non_null(strstr(last_of(f, "new_error")->title, "Margin call"));
}

/* Learning holds back every rule, not just new_error. */
static void
test_learning_quiet(void **state)
{
	struct fx		*f = *state;
	struct rules		 r = { .window = 60, .errors = 2, .repeat = 2,
				       .new_error = 1 };
	struct lw_engine_stats	 s;
	int64_t			 t = t0();

	fx_start(f, &r);
	lw_engine_set_learning(f->e, 1, 0);
	rec(f, t, "ERROR", "Disk full");
	rec(f, t + SEC, "ERROR", "Disk full");
	rec(f, t + 2 * SEC, "ERROR", "Disk full");
	assert_int_equal(f->nal, 0);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.window_errors, 3);
	/* Counters kept: the next error after learning alerts at once. */
	lw_engine_set_learning(f->e, 0, 0);
	rec(f, t + 3 * SEC, "ERROR", "Disk full");
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(count_rule(f, "repeat"), 1);
	assert_int_equal(count_rule(f, "new_error"), 0);
}

/* A quiet baseline of 12 minutes, then a burst. */
static void
test_spike(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 300, .spike = "3.0" };
	struct lw_alert	*a;
	int64_t		 t = t0();
	int		 i;

	fx_start(f, &r);
	for (i = 0; i < 12; i++)
		rec(f, t + i * MIN, "INFO", "Heartbeat");
	t += 12 * MIN;
	/* Below 5 errors in a minute is never a spike. */
	for (i = 0; i < 4; i++)
		rec(f, t + i * SEC, "ERROR", "Order placement failed");
	assert_int_equal(f->nal, 0);
	rec(f, t + 4 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "spike");
	assert_int_equal(a->severity, LW_SEV_WARNING);
	assert_int_equal(a->count, 5);
	assert_true(a->nevidence >= 5);
}

/* Too little history: no baseline, no spike. */
static void
test_spike_no_baseline(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 300, .spike = "3.0" };
	int64_t		 t = t0();
	int		 i;

	fx_start(f, &r);
	for (i = 0; i < 5; i++)
		rec(f, t + i * MIN, "INFO", "Heartbeat");
	t += 5 * MIN;
	for (i = 0; i < 30; i++)
		rec(f, t + i * SEC, "ERROR", "Order placement failed");
	assert_int_equal(f->nal, 0);
}

/* A busy baseline: the same burst is normal. */
static void
test_spike_busy_baseline(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 300, .spike = "3.0" };
	int64_t		 t = t0();
	int		 i, j;

	fx_start(f, &r);
	for (i = 0; i < 15; i++)
		for (j = 0; j < 8; j++)
			rec(f, t + i * MIN + j * SEC, "ERROR", "Retry later");
	for (j = 0; j < 9; j++)
		rec(f, t + 15 * MIN + j * SEC, "ERROR", "Retry later");
	assert_int_equal(count_rule(f, "spike"), 0);
}

static void
test_silence(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .silence = 5 };
	struct lw_alert	*a;
	int64_t		 t = t0();
	int		 i;

	fx_start(f, &r);
	for (i = 0; i < 7; i++) {
		char	msg[32];

		snprintf(msg, sizeof(msg), "Tick %d", i);
		rec(f, t + i * SEC, "INFO", msg);
	}
	lw_engine_touch(f->e, 100000);
	lw_engine_tick(f->e, 104999);
	assert_int_equal(f->nal, 0);
	lw_engine_tick(f->e, 105000);
	assert_int_equal(f->nal, 1);
	a = last_of(f, "silence");
	assert_int_equal(a->severity, LW_SEV_CRITICAL);
	assert_non_null(strstr(a->title, "5 s"));
	/* The last lines, oldest first. */
	assert_true(a->nevidence >= 1 && a->nevidence <= 10);
	assert_non_null(strstr(a->evidence[a->nevidence - 1], "Tick 6"));
	/* Once per gap. */
	lw_engine_tick(f->e, 110000);
	lw_engine_tick(f->e, 200000);
	assert_int_equal(f->nal, 1);
	/* A line re-arms it. */
	rec(f, t + 10 * SEC, "INFO", "Tick again");
	lw_engine_touch(f->e, 200500);
	lw_engine_tick(f->e, 205499);
	assert_int_equal(f->nal, 1);
	lw_engine_tick(f->e, 205500);
	assert_int_equal(count_rule(f, "silence"), 2);
}

static void
test_silence_off(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .silence = 0 };

	fx_start(f, &r);
	lw_engine_touch(f->e, 1000);
	lw_engine_tick(f->e, 1000 + 86400 * SEC);
	assert_int_equal(f->nal, 0);
}

#define LATENCY "[metric.latency]\npattern = latency_ms=([0-9.]+)\n" \
	"stat = p95\nabove = 500\n"

static void
test_metric_p95(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .extra = LATENCY };
	struct lw_alert	*a;
	int64_t		 t = t0();
	char		 msg[64];
	int		 i;

	fx_start(f, &r);
	/* 19 fast, 1 slow: p95 of 20 is the 19th smallest, fast. */
	for (i = 0; i < 19; i++) {
		snprintf(msg, sizeof(msg), "Order filled latency_ms=%d",
		    100 + i);
		rec(f, t + i * 100, "INFO", msg);
	}
	rec(f, t + 2 * SEC, "INFO", "Order filled latency_ms=900");
	rec(f, t + 2 * SEC, "INFO", "Unrelated line latency=999999");
	assert_int_equal(f->nal, 0);
	/* A second slow one: p95 of 21 is the 20th smallest, 900. */
	rec(f, t + 3 * SEC, "INFO", "Order filled latency_ms=900.5");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "metric:latency");
	assert_int_equal(a->severity, LW_SEV_WARNING);
	assert_int_equal(a->count, 21);
	assert_non_null(strstr(a->title, "900"));
	assert_non_null(strstr(a->title, "500"));
	/* Evidence: the newest matching lines, in order, no others. */
	assert_int_equal(a->nevidence, 10);
	assert_non_null(strstr(a->evidence[9], "latency_ms=900.5"));
	assert_non_null(strstr(a->evidence[8], "latency_ms=900"));
	assert_non_null(strstr(a->evidence[0], "latency_ms=111"));
	for (i = 0; i < 10; i++)
		assert_null(strstr(a->evidence[i], "Unrelated"));
}

/* Samples leave with the window: after a quiet minute, fast again. */
static void
test_metric_expiry(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .extra = "[metric.lag]\n"
				   "pattern = lag=([0-9]+)\nstat = max\n"
				   "above = 50\n" };
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "INFO", "ws lag=10");
	rec(f, t + SEC, "INFO", "ws lag=20");
	assert_int_equal(f->nal, 0);
	rec(f, t + 2 * SEC, "INFO", "ws lag=80");
	assert_int_equal(count_rule(f, "metric:lag"), 1);
	/* 80 ms at 2 s has left the window at 62 s. */
	rec(f, t + 62 * SEC, "INFO", "ws lag=30");
	assert_int_equal(count_rule(f, "metric:lag"), 1);
	assert_int_equal(last_of(f, "metric:lag")->count, 3);
}

static void
test_metric_count_below(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .extra = "[metric.fills]\n"
				   "pattern = filled qty=([0-9]+)\n"
				   "stat = count\nabove = 3\n"
				   "[metric.balance]\n"
				   "pattern = balance=([0-9.]+)\n"
				   "stat = avg\nbelow = 10\n" };
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "INFO", "Order filled qty=1");
	rec(f, t + SEC, "INFO", "Order filled qty=2");
	rec(f, t + 2 * SEC, "INFO", "Order filled qty=3");
	assert_int_equal(f->nal, 0);
	rec(f, t + 3 * SEC, "INFO", "Order filled qty=4");
	assert_int_equal(count_rule(f, "metric:fills"), 1);
	assert_int_equal(last_of(f, "metric:fills")->count, 4);
	rec(f, t + 4 * SEC, "INFO", "Wallet balance=12.0");
	rec(f, t + 5 * SEC, "INFO", "Wallet balance=9.0");
	assert_int_equal(count_rule(f, "metric:balance"), 0);	/* avg 10.5 */
	rec(f, t + 6 * SEC, "INFO", "Wallet balance=8.0");	/* avg 9.67 */
	assert_int_equal(count_rule(f, "metric:balance"), 1);
	assert_non_null(strstr(last_of(f, "metric:balance")->title, "below"));
}

/* Without a state database the rules still work, in memory. */
static void
test_no_state(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .new_error = 1, .cooldown = 900,
				   .errors = 2 };
	int64_t		 t = t0();

	fx_start(f, &r);
	lw_engine_free(f->e);
	f->e = lw_engine_new(f->cfg, NULL, NULL);
	lw_engine_set_alert_cb(f->e, on_alert, f);
	rec(f, t, "ERROR", "Stop loss 5 not placed");
	rec(f, t + SEC, "ERROR", "Stop loss 6 not placed");
	rec(f, t + 2 * SEC, "ERROR", "Stop loss 7 not placed");
	assert_int_equal(count_rule(f, "new_error"), 1);
	assert_int_equal(count_rule(f, "errors"), 1);	/* cooldown held */
	assert_string_equal(last_of(f, "errors")->host, "localhost");
}

/* A reload: new thresholds apply, counters and templates are kept. */
static void
test_reconfig(void **state)
{
	struct fx		*f = *state;
	struct rules		 r = { .window = 60, .errors = 5,
				       .new_error = 1 };
	struct lw_config	*cfg;
	int64_t			 t = t0();
	int			 i;

	fx_start(f, &r);
	for (i = 0; i < 3; i++)
		rec(f, t + i * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "new_error"), 1);
	assert_int_equal(count_rule(f, "errors"), 0);
	r.errors = 4;
	r.max_line = 4096;
	cfg = fx_config(f, &r);
	lw_engine_reconfig(f->e, cfg);
	lw_config_free(f->cfg);
	f->cfg = cfg;
	rec(f, t + 3 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(last_of(f, "errors")->count, 4);
	assert_int_equal(count_rule(f, "new_error"), 1);
}

static void
test_cooldown(void **state)
{
	struct fx		*f = *state;
	struct rules		 r = { .window = 600, .errors = 2,
				       .cooldown = 60 };
	struct lw_engine_stats	 s;
	int64_t			 t = t0();

	fx_start(f, &r);
	rec(f, t, "ERROR", "Order placement failed");
	rec(f, t + SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 1);
	rec(f, t + 10 * SEC, "ERROR", "Order placement failed");
	rec(f, t + 60 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 1);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.suppressed, 2);
	/* 60 s of log time after the first alert: allowed again. */
	rec(f, t + 61 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 2);
	assert_int_equal(last_of(f, "errors")->count, 5);

	/* A restart remembers the cooldown (61 s) through the database. */
	fx_restart(f, &r);
	rec(f, t + 62 * SEC, "ERROR", "Order placement failed");
	rec(f, t + 63 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 2);
	rec(f, t + 121 * SEC, "ERROR", "Order placement failed");
	assert_int_equal(count_rule(f, "errors"), 3);
}

/* Keys are per template for repeat: one template's cooldown does not
 * hold back another's. */
static void
test_cooldown_keys(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 600, .repeat = 2, .cooldown = 900 };
	int64_t		 t = t0();

	fx_start(f, &r);
	rec(f, t, "ERROR", "Timeout on order 1");
	rec(f, t + SEC, "ERROR", "Timeout on order 2");
	rec(f, t + 2 * SEC, "ERROR", "Timeout on order 3");
	assert_int_equal(count_rule(f, "repeat"), 1);
	rec(f, t + 3 * SEC, "ERROR", "Nonce too small");
	rec(f, t + 4 * SEC, "ERROR", "Nonce too small");
	assert_int_equal(count_rule(f, "repeat"), 2);
}

/* Ten evidence lines at most, the newest, in log order, redacted. */
static void
test_evidence_redacted(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 12 };
	struct lw_alert	*a;
	int64_t		 t = t0();
	char		 msg[128], *json;
	cJSON		*j;
	int		 i;

	fx_start(f, &r);
	for (i = 1; i <= 11; i++) {
		snprintf(msg, sizeof(msg), "Order %d failed", i);
		rec(f, t + i * SEC, "ERROR", msg);
	}
	rec(f, t + 12 * SEC, "ERROR", "Auth failed api_key=abcd1234efgh5678"
	    " Authorization: Bearer eyZZtokentokentoken");
	assert_int_equal(f->nal, 1);
	a = last_of(f, "errors");
	assert_int_equal(a->nevidence, 10);
	assert_non_null(strstr(a->evidence[0], "Order 3 failed"));
	assert_non_null(strstr(a->evidence[8], "Order 11 failed"));
	assert_non_null(strstr(a->evidence[9], "api_key=[REDACTED]"));
	json = lw_alert_to_json(a);
	assert_non_null(json);
	assert_null(strstr(json, "abcd1234efgh5678"));
	assert_null(strstr(json, "eyZZtokentokentoken"));
	j = cJSON_Parse(json);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "rule")->valuestring,
	    "errors");
	assert_string_equal(cJSON_GetObjectItem(j, "severity")->valuestring,
	    "critical");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "evidence")), 10);
	assert_string_equal(cJSON_GetObjectItem(j, "source")->valuestring,
	    "rule");
	assert_string_equal(cJSON_GetObjectItem(j, "host")->valuestring,
	    "testhost");
	assert_int_equal(cJSON_GetObjectItem(j, "count")->valueint, 12);
	assert_null(cJSON_GetObjectItem(j, "template"));
	assert_non_null(strstr(cJSON_GetObjectItem(j, "title")->valuestring,
	    "12 errors"));
	cJSON_Delete(j);
	free(json);
}

static void
to_engine(const char *line, size_t len, size_t cut, uint64_t start,
    uint64_t end, void *arg)
{
	struct fx	*f = arg;

	(void)start;
	(void)end;
	lw_engine_feed(f->e, line, len, cut, f->arrival);
}

/* A line cut at max_line_bytes by the splitter shows the marker. */
static void
test_cut_evidence(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 1, .max_line = 256 };
	struct lw_lines	 l;
	struct lw_alert	*a;
	char		 line[2000];
	const char	*ev, *mark;
	size_t		 n;

	fx_start(f, &r);
	n = (size_t)snprintf(line, sizeof(line), "2025-03-20 09:15:23.145 "
	    "[ERROR] Exchange - Order book dump: ");
	memset(line + n, 'x', 1256 - n);
	line[1256] = '\n';
	lw_lines_init(&l, f->cfg->source.max_line_bytes, 0);
	lw_lines_feed(&l, line, 1257, to_engine, f);
	lw_lines_free(&l);
	lw_engine_flush(f->e);
	assert_int_equal(f->nal, 1);
	a = last_of(f, "errors");
	assert_int_equal(a->nevidence, 1);
	ev = a->evidence[0];
	mark = "\xe2\x80\xa6[cut 1000 bytes]";
	assert_true(strlen(ev) > strlen(mark));
	assert_string_equal(ev + strlen(ev) - strlen(mark), mark);
	assert_int_equal(strlen(ev), 256 + strlen(mark));
	assert_memory_equal(ev, line, 256);
}

/*
 * A cut line longer than an evidence line: the marker counts every byte
 * not shown, those cut by the splitter and those cut for the alert.
 */
static void
test_cut_evidence_long(void **state)
{
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 1 };
	struct lw_lines	 l;
	struct lw_alert	*a;
	char		*line, want[64];
	const char	*ev;
	size_t		 n, total = 70000;

	fx_start(f, &r);
	line = calloc(1, total + 1);
	assert_non_null(line);
	n = (size_t)snprintf(line, total, "2025-03-20 09:15:23.145 "
	    "[ERROR] Exchange - Order book dump: ");
	memset(line + n, 'y', total - n);
	line[total] = '\n';
	lw_lines_init(&l, f->cfg->source.max_line_bytes, 0);
	lw_lines_feed(&l, line, total + 1, to_engine, f);
	lw_lines_free(&l);
	lw_engine_flush(f->e);
	assert_int_equal(f->nal, 1);
	a = last_of(f, "errors");
	ev = a->evidence[0];
	assert_true(strlen(ev) <= LW_ALERT_EVIDENCE_MAX);
	n = strlen(ev) - strlen("\xe2\x80\xa6[cut 67984 bytes]");
	/* What is shown plus what the marker counts is the whole line. */
	snprintf(want, sizeof(want), "\xe2\x80\xa6[cut %zu bytes]", total - n);
	assert_string_equal(ev + n, want);
	assert_memory_equal(ev, line, n);
	free(line);
}

static void
check_json_utf8(struct lw_alert *a, const char *want_in_evidence)
{
	char		*json = lw_alert_to_json(a);
	cJSON		*j, *ev;
	const char	*s;
	int		 i, found = 0;

	assert_non_null(json);
	assert_int_equal(lw_utf8_valid_prefix(json, strlen(json)),
	    strlen(json));
	j = cJSON_Parse(json);
	assert_non_null(j);
	ev = cJSON_GetObjectItem(j, "evidence");
	assert_non_null(ev);
	for (i = 0; i < cJSON_GetArraySize(ev); i++) {
		s = cJSON_GetArrayItem(ev, i)->valuestring;
		assert_int_equal(lw_utf8_valid_prefix(s, strlen(s)),
		    strlen(s));
		if (strstr(s, want_in_evidence) != NULL)
			found = 1;
	}
	s = cJSON_GetObjectItem(j, "title")->valuestring;
	assert_int_equal(lw_utf8_valid_prefix(s, strlen(s)), strlen(s));
	assert_true(found);
	cJSON_Delete(j);
	free(json);
}

/* Invalid UTF-8 and NUL bytes in the log: the JSON is still valid. */
static void
test_bad_bytes(void **state)
{
	static const char l1[] = "2025-03-20 09:15:23.145 [ERROR] Exchange - "
	    "Bad reply \xff\xfe from \xc0\x80 node\0tail";
	static const char l2[] = "  detail \xed\xa0\x80 \x01";
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 1, .new_error = 1 };

	fx_start(f, &r);
	feed_raw(f, l1, sizeof(l1) - 1);
	feed_raw(f, l2, sizeof(l2) - 1);
	lw_engine_flush(f->e);
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(count_rule(f, "new_error"), 1);
	/* U+FFFD stands in for what was not UTF-8 (and for the NUL). */
	check_json_utf8(last_of(f, "errors"), "Bad reply \xef\xbf\xbd");
	check_json_utf8(last_of(f, "new_error"), "node\xef\xbf\xbdtail");
}

/* A traceback record is one error, however many lines it has. */
static void
test_traceback_one_error(void **state)
{
	static const char *const tb[] = {
		"2025-03-20 09:15:23.145 [ERROR] Exchange - Order failed",
		"Traceback (most recent call last):",
		"  File \"bot.py\", line 10, in place",
		"    api.create_order()",
		"  File \"api.py\", line 99, in create_order",
		"    raise InsufficientFunds()",
		"ccxt.InsufficientFunds: balance 0.1 < 5",
	};
	static const char	*info = "2025-03-20 09:15:24.000 [INFO] "
				    "Strategy - Tick";
	struct fx		*f = *state;
	struct rules		 r = { .window = 60, .errors = 2 };
	struct lw_engine_stats	 s;
	size_t			 i;

	fx_start(f, &r);
	for (i = 0; i < sizeof(tb) / sizeof(tb[0]); i++)
		feed_raw(f, tb[i], strlen(tb[i]));
	lw_engine_flush(f->e);
	assert_int_equal(f->nal, 0);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.lines, 7);
	assert_int_equal(s.records, 1);
	assert_int_equal(s.window_errors, 1);
	assert_int_equal(s.window_lines, 7);
	/* An INFO header whose record holds a traceback is an error too. */
	feed_raw(f, info, strlen(info));
	feed_raw(f, tb[1], strlen(tb[1]));
	feed_raw(f, tb[6], strlen(tb[6]));
	lw_engine_flush(f->e);
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(last_of(f, "errors")->count, 2);
	/* Evidence: the first line of each error record, not the frames. */
	assert_int_equal(last_of(f, "errors")->nevidence, 2);
	assert_non_null(strstr(last_of(f, "errors")->evidence[1],
	    "Strategy - Tick"));
}

/*
 * A slow writer: the traceback comes after the record was flushed.  It
 * turns the record into one error, once, and is not a record of its own.
 */
static void
test_late_traceback(void **state)
{
	struct fx		*f = *state;
	struct rules		 r = { .window = 60, .errors = 2 };
	struct lw_engine_stats	 s;
	int64_t			 t = t0();

	fx_start(f, &r);
	rec(f, t, "ERROR", "Order placement failed");
	rec(f, t + SEC, "WARNING", "Reconnecting");
	assert_int_equal(f->nal, 0);
	feed_str(f, "Traceback (most recent call last):");
	feed_str(f, "  File \"ws.py\", line 5, in run");
	lw_engine_flush(f->e);
	assert_int_equal(count_rule(f, "errors"), 1);
	assert_int_equal(last_of(f, "errors")->count, 2);
	/* More of the same traceback: not counted again. */
	feed_str(f, "ConnectionResetError: peer closed");
	lw_engine_flush(f->e);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.window_errors, 2);
	assert_int_equal(count_rule(f, "errors"), 1);
}

/* Without flushes a record completes when the next header arrives. */
static void
test_streaming(void **state)
{
	static const char *const lines[] = {
		"2025-03-20 09:15:20.000 [ERROR] Exchange - Order 1 failed",
		"2025-03-20 09:15:21.000 [ERROR] Exchange - Order 2 failed",
		"2025-03-20 09:15:22.000 [ERROR] Exchange - Order 3 failed",
		"  with a continuation line",
		"2025-03-20 09:15:23.000 [INFO] Strategy - Tick",
	};
	struct fx	*f = *state;
	struct rules	 r = { .window = 60, .errors = 3 };
	struct lw_alert	*a;
	size_t		 i;

	fx_start(f, &r);
	for (i = 0; i < 4; i++)
		feed_raw(f, lines[i], strlen(lines[i]));
	assert_int_equal(f->nal, 0);	/* the third is still open */
	feed_raw(f, lines[4], strlen(lines[4]));
	assert_int_equal(f->nal, 1);
	a = last_of(f, "errors");
	assert_int_equal(a->count, 3);
	/* The INFO line that closed the record is not evidence. */
	assert_int_equal(a->nevidence, 3);
	assert_non_null(strstr(a->evidence[2], "Order 3 failed"));
}

/* A record without a timestamp takes the previous record's time. */
static void
test_inherited_time(void **state)
{
	struct fx		*f = *state;
	struct rules		 r = { .window = 60, .errors = 2 };
	struct lw_engine_stats	 s;
	int64_t			 t = t0() + 15 * MIN;

	fx_start(f, &r);
	/* The very first record has no time: its arrival time is used. */
	f->arrival = t0() - 3600 * SEC;
	feed_str(f, "INFO:root:starting");
	lw_engine_flush(f->e);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.last_log_ms, f->arrival);

	/* Arrival is a day later than the log: a backlog being read. */
	f->arrival = t + 86400 * SEC;
	rec(f, t, "ERROR", "Order placement failed");
	feed_str(f, "ERROR:root:Connection lost");
	lw_engine_flush(f->e);
	/* At the log's own time both are within the window. */
	assert_int_equal(count_rule(f, "errors"), 1);
	lw_engine_stats(f->e, &s);
	assert_int_equal(s.last_log_ms, t);
	assert_int_equal(s.window_errors, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_errors),
		T(test_errors_spread),
		T(test_warnings),
		T(test_repeat),
		T(test_repeat_spread),
		T(test_new_error),
		T(test_learning_quiet),
		T(test_spike),
		T(test_spike_no_baseline),
		T(test_spike_busy_baseline),
		T(test_silence),
		T(test_silence_off),
		T(test_metric_p95),
		T(test_metric_expiry),
		T(test_metric_count_below),
		T(test_no_state),
		T(test_reconfig),
		T(test_cooldown),
		T(test_cooldown_keys),
		T(test_evidence_redacted),
		T(test_cut_evidence),
		T(test_cut_evidence_long),
		T(test_bad_bytes),
		T(test_traceback_one_error),
		T(test_late_traceback),
		T(test_streaming),
		T(test_inherited_time),
#undef T
	};

	log_init("test_engine", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
