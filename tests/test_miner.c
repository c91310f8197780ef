/*
 * test_miner: masking of real trading-bot messages, template id
 * stability, the bounded store (LRU eviction at its cap), and the edges:
 * invalid UTF-8, empty, huge and cut-short messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "level.h"
#include "miner.h"
#include "utf8.h"
#include "xmalloc.h"

struct case_ {
	const char	*in;
	const char	*out;
};

/*
 * Messages as the bots wrote them (botlogs/ and the seed format), with the
 * template each must give.
 */
static const struct case_ cases[] = {
	/* Constant messages stay as they are. */
	{ "Order placement failed: Insufficient funds",
	  "Order placement failed: Insufficient funds" },
	{ "Unclosed client session", "Unclosed client session" },
	{ "Fatal exception!", "Fatal exception!" },
	{ "Couldn't access Binance API - API keys may be wrong or lack "
	  "sufficient permissions",
	  "Couldn't access Binance API - API keys may be wrong or lack "
	  "sufficient permissions" },
	{ "Error while getting Updates: Conflict: terminated by other "
	  "getUpdates request; make sure that only one bot instance is running",
	  "Error while getting Updates: Conflict: terminated by other "
	  "getUpdates request; make sure that only one bot instance is running" },
	/* Ids, symbols, prices. */
	{ "Order #12345 failed for BTC/USDT at 43250.5",
	  "Order <*> failed for <*> at <*>" },
	{ "Outdated history for pair BTC/USDT. Last tick is 35 minutes old",
	  "Outdated history for pair <*>. Last tick is <*> minutes old" },
	{ "binance is not supporting the BTC/USDT trading pair.",
	  "binance is not supporting the <*> trading pair." },
	{ "Failed to cancel order BEGUT5edf8b253ee40691931eb59b8689ef8aa19",
	  "Failed to cancel order <*>" },
	{ "Buy order amount 0 is lower than the minimum order size 1. The "
	  "order will not be created.",
	  "Buy order amount <*> is lower than the minimum order size <*>. The "
	  "order will not be created." },
	{ "Opening position on BTC-USDT, ETHUSDT and BTC/USDT:USDT",
	  "Opening position on <*>, <*> and <*>" },
	{ "Stoploss for SOL-PERP hit at -2.5%",
	  "Stoploss for <*> hit at <*>" },
	/* Codes and key=value. */
	{ "APIError(code=-2014): API-key format invalid.",
	  "APIError(code=<*>): API-key format invalid." },
	{ "Retrying (Retry(total=2, connect=None, read=None, redirect=None))",
	  "Retrying (Retry(total=<*>, connect=<*>, read=<*>, redirect=<*>))" },
	{ "order rejected: side=buy qty=0.01 reason=\"min notional\"",
	  "order rejected: side=<*> qty=<*> reason=\"<*>\"" },
	/* URLs, hosts, paths, durations, timestamps. */
	{ "Could not load async markets. Reason: okx GET "
	  "https://www.okx.com/api/v5/public/instruments?instType=SWAP",
	  "Could not load async markets. Reason: okx GET <*>" },
	{ "Failed to get_symbol_prices binance GET https://api.binance.com/"
	  "api/v3/klines?symbol=BTCUSDT&interval=1d&limit=200",
	  "Failed to get_symbol_prices binance GET <*>" },
	{ "connect to 10.0.0.12:8443 timed out after 35ms",
	  "connect to <*> timed out after <*>" },
	{ "connect to api.kucoin.com:443 failed",
	  "connect to <*> failed" },
	{ "cannot read /var/lib/bot/state.json: permission denied",
	  "cannot read <*>: permission denied" },
	{ "tick took 1.3s at 2024-01-08 19:33:50,609 (limit 500ms)",
	  "tick took <*> at <*> (limit <*>)" },
	{ "connection from 203.0.113.9 at Sun Jul  3 10:05:25 2005",
	  "connection from <*> at <*>" },
	{ "BINANCE.ws.6: received no messages within timeout, restarting "
	  "connection",
	  "<*>: received no messages within timeout, restarting connection" },
	{ "encountered connection issue sent 1000 (OK); no close frame "
	  "received - reconnecting in 1.0 seconds...",
	  "encountered connection issue sent <*> (OK); no close frame "
	  "received - reconnecting in <*> seconds..." },
	/* Quoted strings, Python dicts, JSON. */
	{ "Error when loading web_interface: ModuleNotFoundError (No module "
	  "named 'octobot.community'). If this error persists, try "
	  "reinstalling your tentacles via \"python start.py tentacles "
	  "--install --all\".",
	  "Error when loading web_interface: ModuleNotFoundError (No module "
	  "named '<*>'). If this error persists, try reinstalling your "
	  "tentacles via \"python start.py tentacles --install --all\"." },
	{ "There was an error requesting exchange info ({'timestamp': "
	  "'2022-11-02T06:01:48.302+0000', 'path': '/v2/all/markets', "
	  "'status': 503, 'error': 'Service Unavailable', 'ok': False})",
	  "There was an error requesting exchange info ({'timestamp': '<*>', "
	  "'path': '<*>', 'status': <*>, 'error': '<*>', 'ok': <*>})" },
	{ "error handling message {\"stream\":\"btcusdt@kline_4h\",\"data\":"
	  "{\"e\":\"kline\",\"E\":1640605527244,\"x\":false}}",
	  "error handling message {\"stream\":\"<*>\",\"data\":{\"e\":\"<*>\","
	  "\"E\":<*>,\"x\":<*>}}" },
	/* Names with a digit or two are words, not values. */
	{ "Failed password for invalid user from 10.1.1.1 port 22 ssh2",
	  "Failed password for invalid user from <*> port <*> ssh2" },
	{ "Found block rdd_2_0 locally", "Found block <*> locally" },
	{ "generating core.2275", "generating core.<*>" },
	{ "[ib_sm_sweep.c:1831]: No topology change",
	  "[ib_sm_sweep.c:<*>]: No topology change" },
	{ "Changing view acls to: yarn,curi", "Changing view acls to: yarn,curi" },
	{ "peers 10.0.0.1,10.0.0.2,10.0.0.3 down", "peers <*> down" },
	/* White space and control bytes collapse. */
	{ "  too   many\tspaces\r\n", "too many spaces" },
	{ "nul\0inside", "nul inside" },
	{ "", "" },
	{ " \t ", "" },
};

/* strlen that knows about the one case with an embedded NUL. */
static size_t
case_len(const struct case_ *c)
{
	if (strcmp(c->in, "nul") == 0)
		return sizeof("nul\0inside") - 1;
	return strlen(c->in);
}

static void
test_mask_cases(void **state)
{
	char	out[LW_TMPL_BUFSZ];
	size_t	i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = lw_mask(cases[i].in, case_len(&cases[i]), out, sizeof(out));
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: \"%s\"\n  want \"%s\"\n  got  \"%s\"",
			    i, cases[i].in, cases[i].out, out);
		assert_int_equal(n, strlen(out));
	}
}

/* Messages that differ only in their variables share one template. */
static void
test_mask_groups(void **state)
{
	static const char *const a[] = {
		"Could not fetch historical candle (OHLCV) data for pair "
		"BLUR/USDT due to RequestTimeout. Message: okx GET https://"
		"www.okx.com/api/v5/market/candles?instId=BLUR-USDT&bar=15m",
		"Could not fetch historical candle (OHLCV) data for pair "
		"MATIC/USDT due to RequestTimeout. Message: okx GET https://"
		"www.okx.com/api/v5/market/candles?instId=MATIC-USDT&bar=1h",
	};
	char	x[LW_TMPL_BUFSZ], y[LW_TMPL_BUFSZ];
	size_t	nx, ny;

	(void)state;
	nx = lw_mask(a[0], strlen(a[0]), x, sizeof(x));
	ny = lw_mask(a[1], strlen(a[1]), y, sizeof(y));
	assert_string_equal(x, y);
	assert_true(lw_tmpl_id(x, nx) == lw_tmpl_id(y, ny));
	/* ...and different words give different templates. */
	nx = lw_mask("Order 1 filled", 14, x, sizeof(x));
	ny = lw_mask("Order 1 cancelled", 17, y, sizeof(y));
	assert_string_not_equal(x, y);
	assert_true(lw_tmpl_id(x, nx) != lw_tmpl_id(y, ny));
}

/*
 * Every ERROR/WARNING line of the real bot logs: the template is valid
 * UTF-8, has no digit left outside words like ssh2, and the freqtrade
 * "Outdated history" burst (20 pairs) is one template.
 */
static void
test_mask_botlogs(void **state)
{
	static const char *const files[] = { "freqtrade.log",
	    "hummingbot.log", "octobot.log", "binance_trade_bot.log",
	    "octobot_nonutf8.log", NULL };
	char	 path[512], line[8192], out[LW_TMPL_BUFSZ];
	char	 first[LW_TMPL_BUFSZ] = "";
	FILE	*f;
	size_t	 i, n, msgs = 0, outdated = 0;
	char	*m;

	(void)state;
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/botlogs/%s", LW_SHARED_DIR,
		    files[i]);
		if ((f = fopen(path, "rb")) == NULL)
			fail_msg("cannot open %s", path);
		while (fgets(line, sizeof(line), f) != NULL) {
			if ((m = strstr(line, " ERROR ")) == NULL &&
			    (m = strstr(line, " WARNING ")) == NULL)
				continue;
			n = lw_mask(m, strlen(m), out, sizeof(out));
			assert_int_equal(lw_utf8_valid_prefix(out, n), n);
			assert_true(n < sizeof(out));
			assert_null(strstr(out, "  "));
			msgs++;
			if ((m = strstr(line, "Outdated history")) == NULL)
				continue;
			lw_mask(m, strlen(m), out, sizeof(out));
			if (outdated++ == 0)
				memcpy(first, out, sizeof(first));
			else
				assert_string_equal(out, first);
		}
		fclose(f);
	}
	assert_true(msgs > 100);
	assert_int_equal(outdated, 20);
	assert_string_equal(first,
	    "Outdated history for pair <*>. Last tick is <*> minutes old");
}

static void
test_mask_utf8(void **state)
{
	/* A stray byte, a cut sequence, an overlong and valid non-ASCII. */
	static const char in[] = "Fehler \xff beim \xe2\x82 Kauf \xc0\xaf "
	    "von \xe2\x82\xac 5 \xec\xbd\x94\xeb\x93\x9c";
	char	out[LW_TMPL_BUFSZ];
	size_t	n;

	(void)state;
	n = lw_mask(in, sizeof(in) - 1, out, sizeof(out));
	assert_int_equal(lw_utf8_valid_prefix(out, n), n);
	assert_string_equal(out, "Fehler \xef\xbf\xbd beim "
	    "\xef\xbf\xbd\xef\xbf\xbd Kauf \xef\xbf\xbd\xef\xbf\xbd "
	    "von \xe2\x82\xac <*> \xec\xbd\x94\xeb\x93\x9c");
}

/* Counts "<*" not followed by '>': a placeholder cut in half. */
static int
split_vars(const char *s)
{
	const char	*p;
	int		 bad = 0;

	for (p = s; (p = strstr(p, "<*")) != NULL; p += 2)
		if (p[2] != '>')
			bad++;
	return bad;
}

static void
test_mask_small_out(void **state)
{
	static const char in[] = "Ordre \xc3\xa9\xc3\xa9 #77 pour "
	    "BTC/USDT \xe2\x82\xac\xe2\x82\xac 12 fois";
	char	full[LW_TMPL_BUFSZ], out[64];
	size_t	n, fn, sz;

	(void)state;
	fn = lw_mask(in, sizeof(in) - 1, full, sizeof(full));
	assert_int_equal(lw_mask(in, sizeof(in) - 1, out, 0), 0);
	for (sz = 1; sz <= sizeof(out); sz++) {
		memset(out, 'X', sizeof(out));
		n = lw_mask(in, sizeof(in) - 1, out, sz);
		assert_true(n < sz);
		assert_int_equal(out[n], '\0');
		assert_int_equal(lw_utf8_valid_prefix(out, n), n);
		assert_int_equal(split_vars(out), 0);
		/* A cut template is a prefix of the whole one. */
		assert_true(n <= fn);
		assert_memory_equal(out, full, n);
		if (n > 0)
			assert_true(out[n - 1] != ' ');
	}
}

static void
test_mask_huge(void **state)
{
	size_t	 len = 4u << 20, i, n;
	char	*in, out[LW_TMPL_BUFSZ];

	(void)state;
	in = xmalloc(len);
	/* "order 123 € " repeated: words, numbers, multibyte characters. */
	for (i = 0; i + 14 <= len; i += 14)
		memcpy(in + i, "order 123 \xe2\x82\xac   ", 14);
	memset(in + i, 'x', len - i);
	n = lw_mask(in, len, out, sizeof(out));
	assert_true(n <= LW_TMPL_MAX);
	assert_true(n > LW_TMPL_MAX - 8);
	assert_int_equal(lw_utf8_valid_prefix(out, n), n);
	assert_int_equal(split_vars(out), 0);
	assert_memory_equal(out, "order <*> \xe2\x82\xac order <*> "
	    "\xe2\x82\xac", 26);

	/* Thousands of lone quotes: no quadratic search, still valid. */
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(in + i, "'a ", 3);
	n = lw_mask(in, len, out, sizeof(out));
	assert_int_equal(lw_utf8_valid_prefix(out, n), n);
	assert_memory_equal(out, "'a 'a 'a", 8);

	/* A glued list of any length is one value: the whole line is read. */
	for (i = 0; i + 2 <= len; i += 2)
		memcpy(in + i, "7,", 2);
	n = lw_mask(in, len, out, sizeof(out));
	assert_string_equal(out, "<*>,");

	/* Deep nesting is counted, not stored. */
	memset(in, '{', len / 2);
	memset(in + len / 2, '}', len - len / 2);
	n = lw_mask(in, len, out, sizeof(out));
	assert_int_equal(n, LW_TMPL_MAX);
	free(in);
}

/*
 * Random messages over an alphabet rich in the bytes the scanner cares
 * about: whatever comes in, the template keeps its invariants.
 */
static void
test_mask_random(void **state)
{
	static const char	 alpha[] = "aZ09 .:/-_=,;'\"(){}[]<>#@\t\n"
	    "\xc3\xa9\xe2\x82\xac\xff\x80\x00";
	char			 in[600], out[128];
	uint32_t		 seed = 12345;
	size_t			 round, i, len, n;

	(void)state;
	for (round = 0; round < 20000; round++) {
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof(in);
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		n = lw_mask(in, len, out, 1 + round % sizeof(out));
		assert_true(n < sizeof(out));
		assert_int_equal(strlen(out), n);
		assert_int_equal(lw_utf8_valid_prefix(out, n), n);
		assert_int_equal(split_vars(out), 0);
		assert_null(strstr(out, "  "));
		if (n > 0)
			assert_true(out[0] != ' ' && out[n - 1] != ' ');
	}
}

/*
 * Ids are persisted: these values are part of the state file format.
 * They were computed with an independent implementation of the hash
 * (a few lines of Python following the comment in miner.c).
 */
static void
test_id_stable(void **state)
{
	static const struct {
		const char	*text;
		uint64_t	 id;
	} ids[] = {
		{ "", 0xb39362cb946013e3ULL },
		{ "a", 0x00628d546a75f6eeULL },
		{ "12345678", 0x8e04b37dc3c50e72ULL },
		{ "Order <*> failed for <*> at <*>", 0xe6a7bb04b733e576ULL },
		{ "Order placement failed: Insufficient funds",
		  0x0c098485c6c00e15ULL },
	};
	char	s[LW_TMPL_IDSTR_LEN];
	size_t	i;
	uint64_t id;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_true(lw_tmpl_id(ids[i].text, strlen(ids[i].text)) ==
		    ids[i].id);
	lw_tmpl_idstr(0xe6a7bb04b733e576ULL, s);
	assert_string_equal(s, "e6a7bb04b733e576");
	lw_tmpl_idstr(0x00628d546a75f6eeULL, s);
	assert_string_equal(s, "00628d546a75f6ee");
	assert_int_equal(lw_tmpl_idparse("00628d546a75f6ee", &id), 0);
	assert_true(id == 0x00628d546a75f6eeULL);
	assert_int_equal(lw_tmpl_idparse("00628D546A75F6EE", &id), 0);
	assert_true(id == 0x00628d546a75f6eeULL);
	assert_int_equal(lw_tmpl_idparse("00628d546a75f6e", &id), -1);
	assert_int_equal(lw_tmpl_idparse("00628d546a75f6eee", &id), -1);
	assert_int_equal(lw_tmpl_idparse("00628d546a75f6eg", &id), -1);
	assert_int_equal(lw_tmpl_idparse(NULL, &id), -1);
	/* Length matters, not only content. */
	assert_true(lw_tmpl_id("a\0", 2) != lw_tmpl_id("a", 1));
}

static void
test_store_basic(void **state)
{
	struct lw_tmpl_store	*ts;
	struct lw_tmpl		*t;
	int			 is_new = -1;

	(void)state;
	ts = lw_tmpl_store_new(8);
	t = lw_tmpl_store_touch(ts, 42, "a <*>", 5, 1000, LW_LVL_WARNING,
	    &is_new);
	assert_int_equal(is_new, 1);
	assert_string_equal(t->text, "a <*>");
	assert_int_equal(t->len, 5);
	assert_int_equal(t->count, 1);
	t = lw_tmpl_store_touch(ts, 42, "ignored", 7, 3000, LW_LVL_ERROR,
	    &is_new);
	assert_int_equal(is_new, 0);
	assert_string_equal(t->text, "a <*>");
	assert_int_equal(t->count, 2);
	assert_int_equal(t->level, LW_LVL_ERROR);
	/* An older line and a milder level do not move first or level. */
	t = lw_tmpl_store_touch(ts, 42, "a <*>", 5, 500, LW_LVL_INFO, NULL);
	assert_int_equal(t->first_ms, 500);
	assert_int_equal(t->last_ms, 3000);
	assert_int_equal(t->level, LW_LVL_ERROR);
	assert_int_equal(t->count, 3);
	assert_ptr_equal(lw_tmpl_store_get(ts, 42), t);
	assert_null(lw_tmpl_store_get(ts, 43));
	assert_int_equal(lw_tmpl_store_count(ts), 1);
	assert_int_equal(lw_tmpl_store_max(ts), 8);
	assert_int_equal(lw_tmpl_store_evictions(ts), 0);
	lw_tmpl_store_free(ts);
	lw_tmpl_store_free(NULL);
	assert_int_equal(lw_tmpl_store_count(NULL), 0);
}

struct walk {
	uint64_t	ids[16];
	size_t		n;
};

static void
walk_fn(struct lw_tmpl *t, void *arg)
{
	struct walk	*w = arg;

	if (w->n < 16)
		w->ids[w->n] = t->id;
	w->n++;
}

static void
test_store_evict(void **state)
{
	struct lw_tmpl_store	*ts;
	struct walk		 w;
	char			 text[16];
	uint64_t		 id;
	int			 is_new;

	(void)state;
	ts = lw_tmpl_store_new(3);
	for (id = 1; id <= 3; id++) {
		snprintf(text, sizeof(text), "t%llu", (unsigned long long)id);
		lw_tmpl_store_touch(ts, id, text, strlen(text), 0, 0, NULL);
	}
	/* Touch 1 so that 2 is now the least recently used; get() of 2
	 * must not save it. */
	lw_tmpl_store_touch(ts, 1, "t1", 2, 0, 0, &is_new);
	assert_int_equal(is_new, 0);
	assert_non_null(lw_tmpl_store_get(ts, 2));
	lw_tmpl_store_touch(ts, 4, "t4", 2, 0, 0, &is_new);
	assert_int_equal(is_new, 1);
	assert_int_equal(lw_tmpl_store_count(ts), 3);
	assert_int_equal(lw_tmpl_store_evictions(ts), 1);
	assert_null(lw_tmpl_store_get(ts, 2));
	assert_non_null(lw_tmpl_store_get(ts, 1));
	assert_non_null(lw_tmpl_store_get(ts, 3));

	memset(&w, 0, sizeof(w));
	lw_tmpl_store_foreach(ts, walk_fn, &w);
	assert_int_equal(w.n, 3);
	assert_true(w.ids[0] == 4 && w.ids[1] == 1 && w.ids[2] == 3);

	/* An evicted template comes back as new, and counts from one. */
	assert_int_equal(lw_tmpl_store_touch(ts, 2, "t2", 2, 0, 0,
	    &is_new)->count, 1);
	assert_int_equal(is_new, 1);
	assert_null(lw_tmpl_store_get(ts, 3));
	assert_int_equal(lw_tmpl_store_evictions(ts), 2);

	/* Many templates through a small store: bounded, all counted. */
	for (id = 100; id < 10100; id++)
		lw_tmpl_store_touch(ts, id, "x", 1, 0, 0, NULL);
	assert_int_equal(lw_tmpl_store_count(ts), 3);
	assert_int_equal(lw_tmpl_store_evictions(ts), 10002);
	lw_tmpl_store_free(ts);

	/* Sizes are clamped. */
	ts = lw_tmpl_store_new(0);
	assert_int_equal(lw_tmpl_store_max(ts), 1);
	lw_tmpl_store_free(ts);
}

static void
test_store_long_text(void **state)
{
	struct lw_tmpl_store	*ts;
	struct lw_tmpl		*t;
	char			*text;
	size_t			 len = LW_TMPL_MAX + 100;

	(void)state;
	text = xmalloc(len);
	memset(text, 'a', len);
	/* A two-byte character straddling the cap must not be split. */
	memcpy(text + LW_TMPL_MAX - 1, "\xc3\xa9", 2);
	ts = lw_tmpl_store_new(2);
	t = lw_tmpl_store_touch(ts, 7, text, len, 0, 0, NULL);
	assert_int_equal(t->len, LW_TMPL_MAX - 1);
	assert_int_equal(strlen(t->text), LW_TMPL_MAX - 1);
	t = lw_tmpl_store_touch(ts, 8, NULL, 0, 0, 0, NULL);
	assert_string_equal(t->text, "");
	lw_tmpl_store_free(ts);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_cases),
		cmocka_unit_test(test_mask_groups),
		cmocka_unit_test(test_mask_botlogs),
		cmocka_unit_test(test_mask_utf8),
		cmocka_unit_test(test_mask_small_out),
		cmocka_unit_test(test_mask_huge),
		cmocka_unit_test(test_mask_random),
		cmocka_unit_test(test_id_stable),
		cmocka_unit_test(test_store_basic),
		cmocka_unit_test(test_store_evict),
		cmocka_unit_test(test_store_long_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
