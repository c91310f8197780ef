/*
 * test_report: the daily report.  The statistics (median/MAD, nearest-rank
 * p95, Pearson's r, sparkline glyphs), the category table, and the report
 * itself on a fixture log written here, line by line, whose every figure
 * was worked out by hand (see fixture() for the arithmetic).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "categories.h"
#include "lwtime.h"
#include "miner.h"
#include "record.h"
#include "report.h"
#include "rstats.h"
#include "state.h"

#define EPS	1e-6

/* ---- statistics -------------------------------------------------------- */

static void
test_median_mad(void **state)
{
	double	odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	double	nan1[] = { NAN, 7, NAN, 1 }, none[] = { NAN };
	double	v[] = { 1, 1, 2, 8, 2 }, flat[] = { 25, 25, 25, 115, 25 };
	double	same[] = { 3, 3, 3, 3 }, scratch[8], med;

	(void)state;
	assert_float_equal(lw_rstats_median(odd, 3), 3, EPS);
	assert_float_equal(lw_rstats_median(even, 4), 2.5, EPS);
	assert_float_equal(lw_rstats_median(nan1, 4), 4, EPS);
	assert_true(isnan(lw_rstats_median(none, 1)));
	assert_true(isnan(lw_rstats_median(none, 0)));

	/* |v - 2| = 1 1 0 6 0: MAD 1, scaled by 1.4826. */
	assert_float_equal(lw_rstats_scale(v, 5, scratch, &med), 1.4826, EPS);
	assert_float_equal(med, 2, EPS);
	assert_float_equal(v[3], 8, EPS);	/* input left alone */
	/* MAD 0: the mean absolute deviation (90/5) takes over. */
	assert_float_equal(lw_rstats_scale(flat, 5, scratch, &med),
	    1.2533 * 18, EPS);
	assert_float_equal(med, 25, EPS);
	assert_float_equal(lw_rstats_scale(same, 4, scratch, NULL), 0, EPS);
	assert_true(isnan(lw_rstats_scale(none, 1, scratch, NULL)));
}

static void
test_pctl(void **state)
{
	double	v[20], four[] = { 40, 10, 30, 20 }, one[] = { 7 };
	double	withnan[] = { NAN, 2, 1 };
	int	i;

	(void)state;
	for (i = 0; i < 20; i++)
		v[i] = 20 - i;			/* 1..20 shuffled by reversal */
	/* Nearest rank: ceil(0.95 * 20) = 19th value. */
	assert_float_equal(lw_rstats_pctl(v, 20, 95), 19, EPS);
	assert_float_equal(lw_rstats_pctl(v, 20, 50), 10, EPS);
	assert_float_equal(lw_rstats_pctl(v, 20, 100), 20, EPS);
	assert_float_equal(lw_rstats_pctl(v, 20, 1), 1, EPS);
	/* ceil(3.8) = 4: the largest of four. */
	assert_float_equal(lw_rstats_pctl(four, 4, 95), 40, EPS);
	assert_float_equal(lw_rstats_pctl(one, 1, 95), 7, EPS);
	assert_float_equal(lw_rstats_pctl(withnan, 3, 95), 2, EPS);
	assert_true(isnan(lw_rstats_pctl(v, 0, 95)));
	assert_true(isnan(lw_rstats_pctl(v, 20, 0)));
}

static void
test_pearson(void **state)
{
	double	x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 6, 8, 10 };
	double	z[] = { 5, 4, 3, 2, 1 }, c[] = { 3, 3, 3, 3, 3 };
	double	lat[] = { 25, 25, 25, 115, 25 }, err[] = { 1, 1, 2, 8, 2 };
	double	gx[] = { 1, NAN, 2, 3, 4 }, gy[] = { 1, 100, 2, 3, 5 };
	size_t	n;

	(void)state;
	assert_float_equal(lw_rstats_pearson(x, y, 5, &n), 1, EPS);
	assert_int_equal(n, 5);
	assert_float_equal(lw_rstats_pearson(x, z, 5, NULL), -1, EPS);
	assert_true(isnan(lw_rstats_pearson(x, c, 5, &n)));
	/* 468 / sqrt(6480 * 34.8), worked out by hand. */
	assert_float_equal(lw_rstats_pearson(lat, err, 5, &n),
	    468.0 / sqrt(6480.0 * 34.8), EPS);
	/* The pair with a NaN is skipped, not the whole series. */
	assert_float_equal(lw_rstats_pearson(gx, gy, 5, &n),
	    lw_rstats_pearson(x, (double[]){ 1, 2, 3, 5 }, 4, NULL), EPS);
	assert_int_equal(n, 4);
	assert_true(isnan(lw_rstats_pearson(x, y, 2, &n)));
}

static void
test_sparkline(void **state)
{
	struct buf	b;
	double		ramp[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	double		gap[] = { 0, NAN, 7 }, flat[] = { 5, 5, 5 };
	double		neg[] = { -7, 0, 7 }, big[400];
	size_t		i;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(lw_rstats_sparkline(ramp, 8, &b), 0);
	assert_string_equal(buf_str(&b), "▁▂▃▄▅▆▇█");
	buf_reset(&b);
	assert_int_equal(lw_rstats_sparkline(gap, 3, &b), 0);
	assert_string_equal(buf_str(&b), "▁ █");
	buf_reset(&b);
	assert_int_equal(lw_rstats_sparkline(flat, 3, &b), 0);
	/* The floor is 0 for counts: a flat non-zero series is full. */
	assert_string_equal(buf_str(&b), "███");
	buf_reset(&b);
	assert_int_equal(lw_rstats_sparkline(neg, 3, &b), 0);
	assert_string_equal(buf_str(&b), "▁▅█");
	buf_reset(&b);
	assert_int_equal(lw_rstats_sparkline(NULL, 0, &b), 0);
	assert_string_equal(buf_str(&b), "");
	/* Long series are averaged down to LW_RSTATS_SPARK_MAX glyphs. */
	for (i = 0; i < 400; i++)
		big[i] = (double)i;
	buf_reset(&b);
	assert_int_equal(lw_rstats_sparkline(big, 400, &b), 0);
	assert_int_equal(b.len, 3 * LW_RSTATS_SPARK_MAX);
	assert_memory_equal(b.data, "▁", 3);
	assert_memory_equal(b.data + b.len - 3, "█", 3);
	buf_free(&b);
	/* A maximum too small fails. */
	buf_init(&b, 5);
	assert_int_equal(lw_rstats_sparkline(ramp, 8, &b), -1);
	buf_free(&b);
}

/* ---- categories ---------------------------------------------------------- */

static const char *
cat_of(const char *msg, int tb)
{
	const struct lw_category	*t;
	size_t				 n;
	int				 i;

	t = lw_categories_builtin(&n);
	i = lw_categories_match(t, n, msg, strlen(msg), tb);
	return i < 0 ? "none" : t[i].name;
}

static void
test_categories(void **state)
{
	const struct lw_category	*t;
	size_t				 n;

	(void)state;
	assert_string_equal(cat_of("Order placement failed: Insufficient "
	    "funds", 0), "insufficient_funds");
	assert_string_equal(cat_of("Order placement failed: BTC/USDT rejected "
	    "(code=-2010) Account has insufficient balance", 0),
	    "insufficient_funds");
	assert_string_equal(cat_of("Cancel failed for order 12: Unknown order",
	    0), "order_failed");
	assert_string_equal(cat_of("Failed to submit buy order to Kucoin", 0),
	    "order_failed");
	assert_string_equal(cat_of("Max drawdown exceeded: 16% > 15%, halting "
	    "trading", 0), "risk_limit");
	assert_string_equal(cat_of("API key rejected (code=-2015)", 0), "auth");
	assert_string_equal(cat_of("Unhandled exception in main loop", 0),
	    "exception");
	assert_string_equal(cat_of("Rate limit exceeded (HTTP 429)", 0),
	    "exchange_error");
	assert_string_equal(cat_of("REST request failed status=503", 0),
	    "exchange_error");
	assert_string_equal(cat_of("WebSocket DISCONNECTED (code=1006)", 0),
	    "connectivity");
	assert_string_equal(cat_of("Failed to persist trade: database is "
	    "locked", 0), "none");
	/* A traceback makes an otherwise plain error an exception. */
	assert_string_equal(cat_of("Failed to persist trade: database is "
	    "locked", 1), "exception");
	assert_string_equal(cat_of("", 0), "none");

	assert_true(lw_categories_has("abc Insufficient FUNDS", 22,
	    "insufficient funds"));
	assert_false(lw_categories_has("insufficient fund", 17,
	    "insufficient funds"));
	t = lw_categories_builtin(&n);
	assert_int_equal(n, 7);
	assert_string_equal(lw_impact_name(t[0].impact), "money");
	assert_string_equal(lw_impact_name(LW_IMPACT_HALT), "halt");
	assert_string_equal(lw_impact_name(LW_IMPACT_DEGRADED), "degraded");
}

/* ---- the report on a fixture ------------------------------------------ */

static void
feed(struct lw_asm *as, struct lw_report *r, const char *line)
{
	struct lw_record	rec;

	if (lw_asm_feed(as, line, strlen(line), &rec))
		lw_report_add(r, &rec);
}

/*
 * Five hours, 2025-03-20 09:00 to 13:59, plus one line without a time
 * first.  Hour k (HH = 09 + k) has at HH:00:00-06 a heartbeat, four REST
 * calls with latency_ms 10 20 30 40 (hour 3: 10 20 30 400) and two fills
 * (qty 1 and 3); E = 1 1 1 8 1 "Insufficient funds" errors at :10 on; and
 *   hour 0: a closed trade, pnl=10
 *   hour 1: a WebSocket disconnect warning
 *   hour 2: an unhandled exception with a 3-line traceback, a closed
 *           trade pnl=-4
 *   hour 4: a CRITICAL drawdown, a closed trade pnl=6, a stale-book
 *           warning, and a heartbeat at 13:59:30 (so the hour is whole).
 * Physical lines per hour 9 9 13 15 12, records 9 9 10 15 12; with the
 * untimed line 59 lines and 56 records.  Errors per hour 1 1 2 8 2 (14),
 * warnings 0 1 0 0 1, trades 2 each, PnL 10 0 -4 0 6, latency average
 * 25 25 25 115 25 and p95 40 40 40 400 40, disconnects 0 1 0 0 0, data
 * gaps 0 1 1 1 3 (each hour change is a silence of more than 60 s; hour
 * 4 adds the stale book and the wait until 13:59:30).
 */
static void
fixture(struct lw_report *r)
{
	static const int	 nerr[5] = { 1, 1, 1, 8, 1 };
	struct lw_asm		*as = lw_asm_new(65536, 100);
	struct lw_record	 rec;
	char			 l[256];
	int			 k, i;
	static const int	 lat[4] = { 10, 20, 30, 40 };

	feed(as, r, "bot starting, no timestamp yet");
	for (k = 0; k < 5; k++) {
		int hh = 9 + k;

		snprintf(l, sizeof(l), "2025-03-20 %02d:00:00.000 [INFO] "
		    "Heartbeat - Heartbeat OK | uptime_s=%d |", hh, k);
		feed(as, r, l);
		for (i = 0; i < 4; i++) {
			snprintf(l, sizeof(l), "2025-03-20 %02d:00:%02d.000 "
			    "[INFO] Exchange - REST request completed "
			    "method=GET path=/api/v3/ticker status=200 "
			    "latency_ms=%d", hh, 1 + i,
			    k == 3 && i == 3 ? 400 : lat[i]);
			feed(as, r, l);
		}
		snprintf(l, sizeof(l), "2025-03-20 %02d:00:05.000 [INFO] "
		    "OrderManager - Order filled | id=1%d | symbol=BTC/USDT | "
		    "side=buy | price=100.5 | qty=1 | fee=0.1 USDT |", hh, k);
		feed(as, r, l);
		snprintf(l, sizeof(l), "2025-03-20 %02d:00:06.000 [INFO] "
		    "OrderManager - Order filled | id=2%d | symbol=ETH/USDT | "
		    "side=sell | price=10.5 | qty=3 | fee=0.1 USDT |", hh, k);
		feed(as, r, l);
		for (i = 0; i < nerr[k]; i++) {
			snprintf(l, sizeof(l), "2025-03-20 %02d:00:%02d.000 "
			    "[ERROR] Exchange - Order placement failed: "
			    "Insufficient funds", hh, 10 + i);
			feed(as, r, l);
		}
		switch (k) {
		case 0:
			feed(as, r, "2025-03-20 09:00:20.000 [INFO] Strategy - "
			    "Trade closed BTC/USDT side=buy entry=100 exit=110 "
			    "pnl=10 roi=1.0%");
			break;
		case 1:
			feed(as, r, "2025-03-20 10:00:20.000 [WARNING] "
			    "WebSocket - WebSocket disconnected (code=1006), "
			    "reconnecting in 5s");
			break;
		case 2:
			feed(as, r, "2025-03-20 11:00:20.000 [ERROR] Main - "
			    "Unhandled exception in main loop");
			feed(as, r, "Traceback (most recent call last):");
			feed(as, r, "  File \"/bot/main.py\", line 10, in run");
			feed(as, r, "ZeroDivisionError: division by zero");
			feed(as, r, "2025-03-20 11:00:21.000 [INFO] Strategy - "
			    "Trade closed ETH/USDT side=sell entry=10 exit=11 "
			    "pnl=-4 roi=-1.0%");
			break;
		case 4:
			feed(as, r, "2025-03-20 13:00:20.000 [CRITICAL] "
			    "RiskManager - Max drawdown exceeded: 16.2% > "
			    "15.0%, halting trading");
			feed(as, r, "2025-03-20 13:00:21.000 [INFO] Strategy - "
			    "Trade closed SOL/USDT side=buy entry=1 exit=2 "
			    "pnl=6 roi=2.0%");
			feed(as, r, "2025-03-20 13:00:22.000 [WARNING] "
			    "MarketData - Stale order book for ETH/USDT: last "
			    "update 1500ms ago");
			feed(as, r, "2025-03-20 13:59:30.000 [INFO] Heartbeat - "
			    "Heartbeat OK | uptime_s=99 |");
			break;
		}
	}
	if (lw_asm_flush(as, &rec))
		lw_report_add(r, &rec);
	lw_asm_free(as);
}

/* The node at a dotted path such as "patterns.0.count", or a failure. */
static const cJSON *
node(const cJSON *o, const char *path)
{
	char		 key[64];
	const char	*p = path;
	size_t		 n;

	while (*p != '\0') {
		n = strcspn(p, ".");
		if (n >= sizeof(key))
			fail_msg("path %s", path);
		memcpy(key, p, n);
		key[n] = '\0';
		if (key[0] >= '0' && key[0] <= '9')
			o = cJSON_GetArrayItem(o, (int)strtol(key, NULL, 10));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, key);
		if (o == NULL)
			fail_msg("no %s", path);
		p += n;
		if (*p == '.')
			p++;
	}
	return o;
}

static double
num(const cJSON *o, const char *path)
{
	const cJSON	*it = node(o, path);

	if (!cJSON_IsNumber(it))
		fail_msg("%s is not a number", path);
	return it->valuedouble;
}

static const char *
str(const cJSON *o, const char *path)
{
	const cJSON	*it = node(o, path);

	if (!cJSON_IsString(it))
		fail_msg("%s is not a string", path);
	return it->valuestring;
}

static const cJSON *
get(const cJSON *o, const char *k)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, k);

	if (it == NULL)
		fail_msg("no %s", k);
	return it;
}

static void
assert_series(const cJSON *root, const char *name, const double *want)
{
	const cJSON	*a = get(get(get(root, "hourly"), "series"), name);
	int		 i;

	assert_int_equal(cJSON_GetArraySize(a), 5);
	for (i = 0; i < 5; i++) {
		const cJSON *it = cJSON_GetArrayItem(a, i);

		assert_true(cJSON_IsNumber(it));
		if (fabs(it->valuedouble - want[i]) > EPS)
			fail_msg("%s[%d] = %g, want %g", name, i,
			    it->valuedouble, want[i]);
	}
}

static void
test_report_fixture_json(void **state)
{
	static const double	lines[] = { 9, 9, 13, 15, 12 };
	static const double	errs[] = { 1, 1, 2, 8, 2 };
	static const double	warns[] = { 0, 1, 0, 0, 1 };
	static const double	trades[] = { 2, 2, 2, 2, 2 };
	static const double	lavg[] = { 25, 25, 25, 115, 25 };
	static const double	lp95[] = { 40, 40, 40, 400, 40 };
	static const double	pnl[] = { 10, 0, -4, 0, 6 };
	static const double	disc[] = { 0, 1, 0, 0, 0 };
	static const double	gaps[] = { 0, 1, 1, 1, 3 };
	struct lw_report	*r = lw_report_new(NULL);
	cJSON			*root;
	const cJSON		*p, *a;
	char			 id[LW_TMPL_IDSTR_LEN];
	const char		*t1 = "Order placement failed: Insufficient funds";

	(void)state;
	fixture(r);
	lw_report_add_file(r, "bot.log", 1234, 58);
	root = lw_report_json(r);

	assert_int_equal(num(root, "version"), 1);
	assert_string_equal(str(root, "files.0.name"), "bot.log");
	assert_int_equal(num(root, "files.0.bytes"), 1234);
	assert_string_equal(str(root, "period.first"),
	    "2025-03-20T09:00:00.000Z");
	assert_string_equal(str(root, "period.last"),
	    "2025-03-20T13:59:30.000Z");
	assert_int_equal(num(root, "period.hours"), 5);

	/* Statistics. */
	assert_int_equal(num(root, "stats.lines"), 59);
	assert_int_equal(num(root, "stats.records"), 56);
	assert_int_equal(num(root, "stats.errors"), 14);
	assert_int_equal(num(root, "stats.warnings"), 2);
	assert_int_equal(num(root, "stats.criticals"), 1);
	assert_int_equal(num(root, "stats.tracebacks"), 1);
	assert_int_equal(num(root, "stats.unique_errors"), 3);
	assert_int_equal(num(root, "stats.unique_warnings"), 2);
	assert_float_equal(num(root, "stats.errors_per_hour"), 2.8, EPS);
	assert_int_equal(num(root, "stats.untimed_records"), 1);
	assert_int_equal(num(root, "stats.templates_dropped"), 0);
	assert_true(cJSON_IsNull(get(get(root, "stats"), "trend")));

	/* Critical issues, in table order. */
	a = get(root, "critical");
	assert_int_equal(cJSON_GetArraySize(a), 4);
	assert_string_equal(str(root, "critical.0.category"),
	    "insufficient_funds");
	assert_string_equal(str(root, "critical.0.impact"), "money");
	assert_int_equal(num(root, "critical.0.count"), 12);
	assert_string_equal(str(root, "critical.0.first"),
	    "2025-03-20T09:00:10.000Z");
	assert_string_equal(str(root, "critical.0.last"),
	    "2025-03-20T13:00:10.000Z");
	assert_string_equal(str(root, "critical.0.top_template"), t1);
	assert_string_equal(str(root, "critical.1.category"), "risk_limit");
	assert_string_equal(str(root, "critical.1.impact"), "halt");
	assert_int_equal(num(root, "critical.1.count"), 1);
	assert_string_equal(str(root, "critical.2.category"), "exception");
	assert_string_equal(str(root, "critical.2.first"),
	    "2025-03-20T11:00:20.000Z");
	assert_string_equal(str(root, "critical.3.category"), "connectivity");
	assert_string_equal(str(root, "critical.3.impact"), "degraded");

	/* Error patterns: by count, then first seen. */
	a = get(root, "patterns");
	assert_int_equal(cJSON_GetArraySize(a), 5);
	p = cJSON_GetArrayItem(a, 0);
	lw_tmpl_idstr(lw_tmpl_id(t1, strlen(t1)), id);
	assert_string_equal(str(p, "id"), id);
	assert_string_equal(str(p, "template"), t1);
	assert_string_equal(str(p, "level"), "error");
	assert_int_equal(num(p, "count"), 12);
	assert_float_equal(num(p, "share"), 12.0 / 16.0, EPS);
	assert_string_equal(str(p, "first"), "2025-03-20T09:00:10.000Z");
	assert_string_equal(str(p, "last"), "2025-03-20T13:00:10.000Z");
	assert_string_equal(str(p, "peak_hour"), "12:00");
	assert_int_equal(cJSON_GetArraySize(get(p, "components")), 1);
	assert_string_equal(str(p, "components.0"), "Exchange");
	assert_int_equal(cJSON_GetArraySize(get(p, "symbols")), 0);
	assert_string_equal(str(p, "example"), "2025-03-20 09:00:10.000 "
	    "[ERROR] Exchange - Order placement failed: Insufficient funds");
	assert_string_equal(str(p, "category"), "insufficient_funds");
	assert_true(cJSON_IsNull(get(p, "new")));
	assert_string_equal(str(root, "patterns.1.template"), "WebSocket "
	    "disconnected (code=<*>), reconnecting in <*>");
	assert_string_equal(str(root, "patterns.1.level"), "warning");
	assert_string_equal(str(root, "patterns.1.category"), "connectivity");
	assert_string_equal(str(root, "patterns.1.peak_hour"), "10:00");
	assert_string_equal(str(root, "patterns.2.template"),
	    "Unhandled exception in main loop");
	assert_string_equal(str(root, "patterns.2.components.0"), "Main");
	assert_string_equal(str(root, "patterns.3.template"),
	    "Max drawdown exceeded: <*> > <*>, halting trading");
	assert_string_equal(str(root, "patterns.3.level"), "critical");
	assert_string_equal(str(root, "patterns.4.template"),
	    "Stale order book for <*>: last update <*> ago");
	assert_string_equal(str(root, "patterns.4.symbols.0"), "ETH/USDT");
	assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(a, 4), "category")));
	assert_float_equal(num(root, "patterns.4.share"), 1.0 / 16.0, EPS);

	/* Anomalies: hour 12:00 in errors (8 against 2, scale 1.4826) and
	 * in average latency (115 against 25, scale 1.2533 * 18). */
	assert_true(cJSON_IsNull(get(get(root, "anomalies"),
	    "new_templates")));
	assert_int_equal(cJSON_GetArraySize(get(get(root, "anomalies"),
	    "hours")), 2);
	assert_string_equal(str(root, "anomalies.hours.0.hour"),
	    "2025-03-20T12:00:00.000Z");
	assert_string_equal(str(root, "anomalies.hours.0.series"), "errors");
	assert_float_equal(num(root, "anomalies.hours.0.value"), 8, EPS);
	assert_float_equal(num(root, "anomalies.hours.0.median"), 2, EPS);
	assert_float_equal(num(root, "anomalies.hours.0.deviations"),
	    6 / 1.4826, EPS);
	assert_string_equal(str(root, "anomalies.hours.1.series"),
	    "latency_avg");
	assert_float_equal(num(root, "anomalies.hours.1.deviations"),
	    90 / (1.2533 * 18), EPS);
	/* The 20 samples' median is 25: 400 >= 5 x 25 is the one spike. */
	assert_int_equal(cJSON_GetArraySize(get(get(root, "anomalies"),
	    "latency_spikes")), 1);
	assert_string_equal(str(root, "anomalies.latency_spikes.0.time"),
	    "2025-03-20T12:00:04.000Z");
	assert_float_equal(num(root, "anomalies.latency_spikes.0.latency_ms"),
	    400, EPS);

	/* Hourly series. */
	assert_string_equal(str(root, "hourly.start"),
	    "2025-03-20T09:00:00.000Z");
	assert_int_equal(num(root, "hourly.hours"), 5);
	assert_series(root, "lines", lines);
	assert_series(root, "errors", errs);
	assert_series(root, "warnings", warns);
	assert_series(root, "trades", trades);
	assert_series(root, "latency_avg", lavg);
	assert_series(root, "latency_p95", lp95);
	assert_series(root, "pnl", pnl);
	assert_series(root, "disconnects", disc);
	assert_series(root, "data_gaps", gaps);
	assert_string_equal(str(root, "hourly.sparklines.errors"), "▂▂▃█▃");
	assert_string_equal(str(root, "hourly.sparklines.trades"), "█████");
	assert_string_equal(str(root, "hourly.sparklines.pnl"), "█▃▁▃▆");

	/* Correlations: latency~errors 468/sqrt(6480*34.8) and lines~errors
	 * 25.6/sqrt(27.2*34.8); trades are constant, disconnects~gaps
	 * (-0.10) and errors~warnings (-0.40) are below 0.5. */
	a = get(root, "correlations");
	assert_int_equal(cJSON_GetArraySize(a), 2);
	assert_string_equal(str(root, "correlations.0.x"), "latency_avg");
	assert_string_equal(str(root, "correlations.0.y"), "errors");
	assert_float_equal(num(root, "correlations.0.r"),
	    468.0 / sqrt(6480.0 * 34.8), EPS);
	assert_int_equal(num(root, "correlations.0.n"), 5);
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(a, 0), "caution")));
	assert_string_equal(str(root, "correlations.1.x"), "lines");
	assert_float_equal(num(root, "correlations.1.r"),
	    25.6 / sqrt(27.2 * 34.8), EPS);

	/* Trading figures. */
	assert_int_equal(num(root, "trading.fills"), 10);
	assert_int_equal(num(root, "trading.closed"), 3);
	assert_int_equal(num(root, "trading.wins"), 2);
	assert_int_equal(num(root, "trading.losses"), 1);
	assert_float_equal(num(root, "trading.win_rate"), 2.0 / 3.0, EPS);
	assert_float_equal(num(root, "trading.pnl.sum"), 12, EPS);
	assert_float_equal(num(root, "trading.pnl.mean"), 4, EPS);
	assert_float_equal(num(root, "trading.pnl.min"), -4, EPS);
	assert_float_equal(num(root, "trading.pnl.max"), 10, EPS);
	assert_int_equal(num(root, "trading.size.count"), 10);
	assert_float_equal(num(root, "trading.size.mean"), 2, EPS);
	assert_float_equal(num(root, "trading.size.min"), 1, EPS);
	assert_float_equal(num(root, "trading.size.max"), 3, EPS);
	assert_int_equal(cJSON_GetArraySize(get(root, "metrics")), 0);

	cJSON_Delete(root);
	lw_report_free(r);
}

static void
test_report_fixture_markdown(void **state)
{
	static const char *const want[] = {
		"# logwarden report\n",
		"Period: 2025-03-20T09:00:00.000Z .. 2025-03-20T13:59:30.000Z "
		    "(5 hours, UTC)",
		"## Critical issues\n",
		"| insufficient_funds | money | 12 | 2025-03-20T09:00:10.000Z | "
		    "2025-03-20T13:00:10.000Z | `Order placement failed: "
		    "Insufficient funds` |",
		"## Error patterns\n",
		"| 1 | error | 12 | 75.0% | 2025-03-20T09:00:10.000Z | "
		    "2025-03-20T13:00:10.000Z | 12:00 | `Exchange` | - | "
		    "`Order placement failed: Insufficient funds` |",
		"| 5 | warning | 1 | 6.2% |",
		"`ETH/USDT`",
		"## Anomalies\n",
		"Not checked: no state database.",
		"| 2025-03-20 12:00 | errors | 8.00 | 2.00 | +4.0 |",
		"| 2025-03-20 12:00 | latency_avg | 115.00 | 25.00 | +4.0 |",
		"- 2025-03-20T12:00:04.000Z: 400.00 ms (median 25.00 ms)",
		"## Hourly series\n",
		"- errors       ▂▂▃█▃\n",
		"| 2025-03-20 12:00 | 15 | 8 | 0 | 2 | 115.00 | 400.00 | 0.00 |",
		"| 2025-03-20 11:00 | 13 | 2 | 0 | 2 | 25.00 | 40.00 | -4.00 |",
		"## Correlations\n",
		"| latency_avg ~ errors | +0.99 | 5 | few hours: take with "
		    "caution |",
		"| lines ~ errors | +0.83 | 5 |",
		"## Trading figures\n",
		"- Fills: 10\n- Closed positions: 3\n",
		"- Win rate: 66.7% (2 wins, 1 losses)\n",
		"- PnL: sum 12, mean 4, min -4, max 10\n",
		"- Position sizes: 10 fills, mean 2, min 1, max 3\n",
		"## Statistics\n",
		"- Lines: 59 (56 records, 1 without a time)\n",
		"- Errors: 14 (1 critical), warnings: 2, tracebacks: 1\n",
		"- Unique error types: 3, warning types: 2\n",
		"- Errors per hour: 2.80\n",
		"- Trend: no figures for the previous day\n",
	};
	struct lw_report	*r = lw_report_new(NULL);
	struct buf		 b;
	const char		*s, *prev;
	size_t			 i;

	(void)state;
	fixture(r);
	buf_init(&b, LW_REPORT_TEXT_MAX);
	assert_int_equal(lw_report_markdown(r, &b), 0);
	s = buf_str(&b);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(s, want[i]) == NULL)
			fail_msg("missing \"%s\" in:\n%s", want[i], s);
	/* Sections in the documented order. */
	prev = s;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strncmp(want[i], "## ", 3) != 0)
			continue;
		assert_non_null(strstr(prev, want[i]));
		prev = strstr(prev, want[i]);
	}
	/* A second rendering gives the same bytes. */
	{
		struct buf b2;

		buf_init(&b2, LW_REPORT_TEXT_MAX);
		assert_int_equal(lw_report_markdown(r, &b2), 0);
		assert_string_equal(buf_str(&b2), s);
		buf_free(&b2);
	}
	/* A too-small maximum is reported. */
	buf_free(&b);
	buf_init(&b, 100);
	assert_int_equal(lw_report_markdown(r, &b), -1);
	buf_free(&b);
	lw_report_free(r);
}

static void
test_report_summary(void **state)
{
	struct lw_report	*r = lw_report_new(NULL);
	struct buf		 b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(lw_report_summary(r, &b), 0);
	assert_string_equal(buf_str(&b), "Summary - .. -: 0 lines, 0 errors "
	    "(0.0/h), 0 warnings, 0 critical issue kinds\n");
	fixture(r);
	buf_reset(&b);
	assert_int_equal(lw_report_summary(r, &b), 0);
	assert_string_equal(buf_str(&b),
	    "Summary 2025-03-20T09:00:00.000Z .. 2025-03-20T13:59:30.000Z: "
	    "59 lines, 14 errors (2.8/h), 2 warnings, 4 critical issue kinds\n"
	    "Critical: insufficient_funds 12 (money), risk_limit 1 (halt), "
	    "exception 1 (halt), connectivity 1 (degraded)\n"
	    "Top patterns: 12x Order placement failed: Insufficient funds; "
	    "1x WebSocket disconnected (code=<*>), reconnecting in <*>; "
	    "1x Unhandled exception in main loop\n"
	    "Anomalies: 0 new templates, 2 unusual hours, 1 latency spikes\n"
	    "Trading: 10 fills, 3 closed, win rate 67%, PnL +12.00\n");
	buf_free(&b);
	lw_report_free(r);
}

/* With a state DB: new templates against the known ones, the trend
 * against the stored previous day, and the day totals stored back. */
static void
test_report_state(void **state)
{
	struct lw_report_opts	 o;
	struct lw_report	*r;
	struct lw_state		*st;
	cJSON			*root;
	char			 dir[] = "/tmp/test_report.XXXXXX", err[256];
	char			 cmd[300];
	const char		*t1 = "Order placement failed: Insufficient funds";
	int64_t			 v;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = lw_state_open(dir, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(lw_state_template_put(st, lw_tmpl_id(t1, strlen(t1)),
	    t1, 5, 0, 0, 1), 0);
	assert_int_equal(lw_state_meta_put(st, "report.2025-03-19.lines", 40),
	    0);
	assert_int_equal(lw_state_meta_put(st, "report.2025-03-19.errors", 7),
	    0);
	assert_int_equal(lw_state_meta_put(st, "report.2025-03-19.warnings",
	    1), 0);
	memset(&o, 0, sizeof(o));
	o.st = st;
	r = lw_report_new(&o);
	fixture(r);
	root = lw_report_json(r);
	assert_int_equal(cJSON_GetArraySize(get(get(root, "anomalies"),
	    "new_templates")), 4);
	assert_string_equal(str(root, "anomalies.new_templates.0.template"),
	    "WebSocket disconnected (code=<*>), reconnecting in <*>");
	assert_true(cJSON_IsFalse(get(cJSON_GetArrayItem(get(root,
	    "patterns"), 0), "new")));
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(get(root,
	    "patterns"), 1), "new")));
	assert_string_equal(str(root, "stats.trend.day"), "2025-03-20");
	assert_string_equal(str(root, "stats.trend.previous_day"),
	    "2025-03-19");
	assert_int_equal(num(root, "stats.trend.lines"), 58);
	assert_int_equal(num(root, "stats.trend.errors"), 14);
	assert_int_equal(num(root, "stats.trend.warnings"), 2);
	assert_int_equal(num(root, "stats.trend.previous_lines"), 40);
	assert_int_equal(num(root, "stats.trend.previous_errors"), 7);
	assert_int_equal(num(root, "stats.trend.previous_warnings"), 1);
	assert_string_equal(str(root, "stats.trend.source"), "state");
	cJSON_Delete(root);

	assert_int_equal(lw_report_save_days(r), 0);
	assert_int_equal(lw_state_meta_get(st, "report.2025-03-20.lines", &v),
	    1);
	assert_int_equal(v, 58);
	assert_int_equal(lw_state_meta_get(st, "report.2025-03-20.errors",
	    &v), 1);
	assert_int_equal(v, 14);
	/* A smaller day does not replace it. */
	assert_int_equal(lw_state_meta_put(st, "report.2025-03-20.lines", 99),
	    0);
	assert_int_equal(lw_report_save_days(r), 0);
	assert_int_equal(lw_state_meta_get(st, "report.2025-03-20.lines", &v),
	    1);
	assert_int_equal(v, 99);
	lw_report_free(r);
	lw_state_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A template the state DB knows but first saw at or after the period's
 * first record (the daemon stored it while watching that period) is new;
 * one first seen a millisecond before the period is not. */
static const cJSON *
pattern(const cJSON *root, const char *tmpl)
{
	const cJSON	*p;

	cJSON_ArrayForEach(p, get(root, "patterns"))
		if (strcmp(str(p, "template"), tmpl) == 0)
			return p;
	fail_msg("no pattern %s", tmpl);
	return NULL;
}

static void
test_report_new_in_period(void **state)
{
	struct lw_report_opts	 o;
	struct lw_report	*r;
	struct lw_state		*st;
	struct buf		 b;
	cJSON			*root;
	char			 dir[] = "/tmp/test_report.XXXXXX", err[256];
	char			 cmd[300];
	const char		*funds = "Order placement failed: Insufficient "
				    "funds";
	const char		*ws = "WebSocket disconnected (code=<*>), "
				    "reconnecting in <*>";
	const char		*exc = "Unhandled exception in main loop";
	const char		*md, *sec, *end;
	/* The fixture's first timed record: 2025-03-20 09:00:00.000. */
	int64_t			 start = (lw_days_from_civil(2025, 3, 20) *
				    86400 + 9 * 3600) * 1000;

	(void)state;
	assert_non_null(mkdtemp(dir));
	st = lw_state_open(dir, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(lw_state_template_put(st, lw_tmpl_id(funds,
	    strlen(funds)), funds, 5, start - 86400000, start, 3), 0);
	assert_int_equal(lw_state_template_put(st, lw_tmpl_id(ws,
	    strlen(ws)), ws, 4, start, start + 3600000, 1), 0);
	assert_int_equal(lw_state_template_put(st, lw_tmpl_id(exc,
	    strlen(exc)), exc, 5, start - 1, start, 1), 0);
	memset(&o, 0, sizeof(o));
	o.st = st;
	r = lw_report_new(&o);
	fixture(r);
	root = lw_report_json(r);
	/* Five templates: two seen before the period, three new. */
	assert_int_equal(cJSON_GetArraySize(get(root, "patterns")), 5);
	assert_int_equal(cJSON_GetArraySize(get(get(root, "anomalies"),
	    "new_templates")), 3);
	assert_true(cJSON_IsFalse(get(pattern(root, funds), "new")));
	assert_true(cJSON_IsTrue(get(pattern(root, ws), "new")));
	assert_true(cJSON_IsFalse(get(pattern(root, exc), "new")));
	cJSON_Delete(root);

	buf_init(&b, 1 << 20);
	assert_int_equal(lw_report_markdown(r, &b), 0);
	md = buf_str(&b);
	sec = strstr(md, "### New templates\n");
	assert_non_null(sec);
	end = strstr(sec, "### Unusual hours");
	assert_non_null(end);
	assert_non_null(memmem(sec, (size_t)(end - sec), ws, strlen(ws)));
	assert_null(memmem(sec, (size_t)(end - sec), funds, strlen(funds)));
	assert_null(memmem(sec, (size_t)(end - sec), exc, strlen(exc)));
	buf_free(&b);
	lw_report_free(r);
	lw_state_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The template table's cap, the metric table, late records. */
static void
test_report_bounds(void **state)
{
	struct lw_report_opts	 o;
	struct lw_report	*r;
	struct lw_metric_cfg	 m;
	struct lw_record	 rec;
	cJSON			*root;
	int			 ec;
	PCRE2_SIZE		 eo;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.name = "lat";
	m.re = pcre2_compile((PCRE2_SPTR)"latency_ms=([0-9.]+)",
	    PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	assert_non_null(m.re);
	memset(&o, 0, sizeof(o));
	o.max_templates = 2;
	o.metrics = &m;
	o.nmetrics = 1;
	r = lw_report_new(&o);
	fixture(r);
	/* A late record with the first traceback counts one more error. */
	memset(&rec, 0, sizeof(rec));
	rec.late = 1;
	rec.escalated = 1;
	rec.has_time = 1;
	rec.time_ms = lw_days_from_civil(2025, 3, 20) * 86400000LL +
	    13 * 3600000LL + 59 * 60000LL;
	rec.nlines = 2;
	rec.level = LW_LVL_ERROR;
	lw_report_add(r, &rec);
	root = lw_report_json(r);
	/* Two templates kept; the other three patterns' records dropped. */
	assert_int_equal(cJSON_GetArraySize(get(root, "patterns")), 2);
	assert_int_equal(num(root, "stats.templates_dropped"), 3);
	assert_float_equal(num(root, "patterns.0.share"), 12.0 / 16.0, EPS);
	/* Categories still count every record. */
	assert_int_equal(cJSON_GetArraySize(get(root, "critical")), 4);
	assert_int_equal(num(root, "stats.errors"), 15);
	assert_int_equal(num(root, "stats.records"), 56);
	assert_int_equal(num(root, "stats.lines"), 61);
	/* [metric.lat]: 20 samples, sum 860, p95 the 19th of 20 = 40. */
	assert_string_equal(str(root, "metrics.0.name"), "lat");
	assert_int_equal(num(root, "metrics.0.count"), 20);
	assert_float_equal(num(root, "metrics.0.avg"), 43, EPS);
	assert_float_equal(num(root, "metrics.0.min"), 10, EPS);
	assert_float_equal(num(root, "metrics.0.max"), 400, EPS);
	assert_float_equal(num(root, "metrics.0.p95"), 40, EPS);
	cJSON_Delete(root);
	lw_report_free(r);
	lw_report_free(NULL);
	pcre2_code_free(m.re);
}

/* Extractors of freqtrade and hummingbot lines, taken as written. */
static void
test_report_extractors(void **state)
{
	static const char *const lines[] = {
		"2022-11-08 19:10:14,837 - freqtrade.persistence.models - INFO "
		    "- LIMIT_BUY has been fulfilled for Trade(id=1, "
		    "pair=ATOM/BTC, amount=28.53000000, open_rate=0.00035050, "
		    "open_since=2021-04-10 18:00:11).",
		"2022-11-08 19:20:12,140 - freqtrade.rpc.rpc_manager - INFO - "
		    "Sending rpc message: {'type': sell, 'trade_id': 1, "
		    "'exchange': 'Binance', 'pair': 'ATOM/BTC', 'gain': "
		    "'profit', 'limit': 0.0003536, 'order_type': 'limit', "
		    "'amount': 28.53, 'open_rate': 0.0003505, 'current_rate': "
		    "0.0003536, 'profit_amount': 6.836e-05, 'profit_ratio': "
		    "0.00682883, 'sell_reason': 'sell_signal', 'open_date': "
		    "datetime.datetime(2021, 4, 10, 18, 0, 11, 657342), "
		    "'stake_currency': 'USDT', 'fiat_currency': 'USD'}",
		"2022-11-08 19:30:05,442 - 8631 - "
		    "hummingbot.connector.client_order_tracker - INFO - The "
		    "SELL order SEGBC5ecfa912a4fb33702cf33c8a169b70e1bda "
		    "amounting to 99344.7348/99344.7348 EDG has been filled.",
		"2022-11-08 19:30:06,000 - 8631 - hummingbot.core - INFO - "
		    "Order latency: 35ms",
	};
	struct lw_report	*r = lw_report_new(NULL);
	struct lw_asm		*as = lw_asm_new(65536, 100);
	struct lw_record	 rec;
	cJSON			*root;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		feed(as, r, lines[i]);
	if (lw_asm_flush(as, &rec))
		lw_report_add(r, &rec);
	root = lw_report_json(r);
	assert_int_equal(num(root, "trading.fills"), 2);
	assert_int_equal(num(root, "trading.closed"), 1);
	assert_int_equal(num(root, "trading.wins"), 1);
	assert_float_equal(num(root, "trading.pnl.sum"), 6.836e-05, 1e-12);
	assert_float_equal(num(root, "trading.size.min"), 28.53, EPS);
	assert_float_equal(num(root, "trading.size.max"), 99344.7348, EPS);
	/* "Order latency: 35ms" is a latency sample. */
	assert_float_equal(num(root, "hourly.series.latency_avg.0"), 35, EPS);
	cJSON_Delete(root);
	lw_asm_free(as);
	lw_report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_mad),
		cmocka_unit_test(test_pctl),
		cmocka_unit_test(test_pearson),
		cmocka_unit_test(test_sparkline),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_report_fixture_json),
		cmocka_unit_test(test_report_fixture_markdown),
		cmocka_unit_test(test_report_summary),
		cmocka_unit_test(test_report_state),
		cmocka_unit_test(test_report_new_in_period),
		cmocka_unit_test(test_report_bounds),
		cmocka_unit_test(test_report_extractors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
