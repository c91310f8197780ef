/*
 * test_parse: one concrete line per header shape, with the exact time,
 * level, component, message and key=value fields expected.  Lines for
 * formats without a sample file are written from the descriptions in
 * botlogs/README.md.  Expected times come from timegm(3), not from the
 * parser's own arithmetic.
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

#include "parse.h"
#include "utf8.h"

#define NOTIME	INT64_MIN

static struct lw_parser	*P;
static struct lw_parsed	 O;

static int64_t
utc(int y, int mo, int d, int h, int mi, int s, int ms)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static int
span_eq(struct lw_span sp, const char *s)
{
	return sp.len == strlen(s) && memcmp(sp.p, s, sp.len) == 0;
}

#define assert_span(sp, s) do {						\
	if (!span_eq((sp), (s)))					\
		fail_msg("line %d: got \"%.*s\", want \"%s\"", __LINE__,	\
		    (int)(sp).len, (sp).p, (s));			\
} while (0)

static void
parse(const char *line)
{
	lw_parse_line(P, line, strlen(line), &O);
}

/* A header: time (NOTIME for none), level, component, message. */
static void
hdr(const char *line, int64_t ms, enum lw_level lvl, const char *comp,
    const char *msg)
{
	parse(line);
	if (!O.is_header)
		fail_msg("not a header: %s", line);
	if (ms == NOTIME)
		assert_int_equal(O.has_time, 0);
	else {
		assert_int_equal(O.has_time, 1);
		assert_int_equal(O.time_ms, ms);
	}
	assert_int_equal(O.level, lvl);
	assert_span(O.component, comp);
	assert_span(O.message, msg);
}

static void
kv(int i, const char *k, const char *v)
{
	assert_true(i < O.nkv);
	assert_span(O.kv[i].key, k);
	assert_span(O.kv[i].val, v);
}

static void
not_hdr(const char *line)
{
	parse(line);
	if (O.is_header)
		fail_msg("taken for a header: \"%s\"", line);
	assert_int_equal(O.has_time, 0);
	assert_int_equal(O.level, LW_LVL_UNKNOWN);
	assert_int_equal(O.nkv, 0);
}

static int
setup(void **state)
{
	(void)state;
	P = lw_parser_new();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	lw_parser_free(P);
	P = NULL;
	return 0;
}

static void
t_seed(void **state)
{
	(void)state;
	hdr("2025-03-20 09:15:23.145 [ERROR] Exchange - Order placement "
	    "failed: Insufficient funds", utc(2025, 3, 20, 9, 15, 23, 145),
	    LW_LVL_ERROR, "Exchange",
	    "Order placement failed: Insufficient funds");
	hdr("2025-03-20 09:15:24.001 [WARN] Strategy - latency: 250ms "
	    "order_id=A17 qty=\"0.5 BTC\"", utc(2025, 3, 20, 9, 15, 24, 1),
	    LW_LVL_WARNING, "Strategy",
	    "latency: 250ms order_id=A17 qty=\"0.5 BTC\"");
	assert_int_equal(O.nkv, 2);
	kv(0, "order_id", "A17");
	kv(1, "qty", "0.5 BTC");
	hdr("2025-03-20 09:15:25.000 [INFO] no component here",
	    utc(2025, 3, 20, 9, 15, 25, 0), LW_LVL_INFO, "",
	    "no component here");
}

static void
t_python(void **state)
{
	(void)state;
	/* freqtrade / binance-trade-bot */
	hdr("2022-01-15 20:14:35,317 - freqtrade.loggers - INFO - Verbosity "
	    "set to 0", utc(2022, 1, 15, 20, 14, 35, 317), LW_LVL_INFO,
	    "freqtrade.loggers", "Verbosity set to 0");
	hdr("2021-04-10 18:12:48,324 - freqtrade.configuration.config_"
	    "validation - CRITICAL - Invalid configuration. Reason: 10 is "
	    "greater than the maximum of 1",
	    utc(2021, 4, 10, 18, 12, 48, 324), LW_LVL_CRITICAL,
	    "freqtrade.configuration.config_validation",
	    "Invalid configuration. Reason: 10 is greater than the maximum "
	    "of 1");
	hdr("2021-04-10 17:59:19,160 - freqtrade.worker - INFO - Bot "
	    "heartbeat. PID=1, version='2021.3', state='RUNNING'",
	    utc(2021, 4, 10, 17, 59, 19, 160), LW_LVL_INFO,
	    "freqtrade.worker",
	    "Bot heartbeat. PID=1, version='2021.3', state='RUNNING'");
	assert_int_equal(O.nkv, 3);
	kv(0, "PID", "1");
	kv(1, "version", "2021.3");
	kv(2, "state", "RUNNING");
	/* trailing blank removed; a message that itself starts with a time */
	hdr("2021-08-08 14:11:58,147 - crypto_trading_logger - INFO - "
	    "2021-08-08 14:11:57.973058, krw = 0.00241185 ",
	    utc(2021, 8, 8, 14, 11, 58, 147), LW_LVL_INFO,
	    "crypto_trading_logger",
	    "2021-08-08 14:11:57.973058, krw = 0.00241185");
	assert_int_equal(O.nkv, 0);
	/* hummingbot: pid column, custom levels */
	hdr("2022-11-08 19:30:05,194 - 8631 - hummingbot.connector.exchange."
	    "kucoin.kucoin_exchange.KucoinExchange - NETWORK - Error "
	    "submitting buy LIMIT_MAKER order to Kucoin",
	    utc(2022, 11, 8, 19, 30, 5, 194), LW_LVL_INFO,
	    "hummingbot.connector.exchange.kucoin.kucoin_exchange."
	    "KucoinExchange", "Error submitting buy LIMIT_MAKER order to "
	    "Kucoin");
	hdr("2022-11-01 18:43:49,194 - 5057 - hummingbot.core.event.event_"
	    "reporter - EVENT_LOG - {\"timestamp\": 1667328229.0, \"type\": "
	    "\"OrderType.LIMIT_MAKER\"}", utc(2022, 11, 1, 18, 43, 49, 194),
	    LW_LVL_INFO, "hummingbot.core.event.event_reporter",
	    "{\"timestamp\": 1667328229.0, \"type\": "
	    "\"OrderType.LIMIT_MAKER\"}");
	hdr("2022-11-09 07:13:35,910 - 8631 - GatewayEvmAMM - WARNING - "
	    "Gateway not ready", utc(2022, 11, 9, 7, 13, 35, 910),
	    LW_LVL_WARNING, "GatewayEvmAMM", "Gateway not ready");
	/* basicConfig() default, level first, pipe-delimited */
	hdr("INFO:root:2023-06-22 10:00:00 upbit tick", NOTIME, LW_LVL_INFO,
	    "root", "2023-06-22 10:00:00 upbit tick");
	hdr("CRITICAL:root:Websocket closed with code 1006", NOTIME,
	    LW_LVL_CRITICAL, "root", "Websocket closed with code 1006");
	hdr("WARNING:urllib3.connectionpool:Retrying (Retry(total=4))",
	    NOTIME, LW_LVL_WARNING, "urllib3.connectionpool",
	    "Retrying (Retry(total=4))");
	hdr("ERROR - 2023-09-15 03:17:27,063 - Insufficient balance -2010",
	    utc(2023, 9, 15, 3, 17, 27, 63), LW_LVL_ERROR, "",
	    "Insufficient balance -2010");
	hdr("|INFO|2021-04-30 17:41:09,174|Connection established",
	    utc(2021, 4, 30, 17, 41, 9, 174), LW_LVL_INFO, "",
	    "Connection established");
	/* "%(asctime)s:%(name)s:%(message)s", no level */
	hdr("2021-05-01 10:00:00,250:trader:Buying 0.1 BTC",
	    utc(2021, 5, 1, 10, 0, 0, 250), LW_LVL_UNKNOWN, "trader",
	    "Buying 0.1 BTC");
	/* "time - name - message", no level */
	hdr("2021-05-01 10:00:00,250 - websockets.client - < PONG",
	    utc(2021, 5, 1, 10, 0, 0, 250), LW_LVL_UNKNOWN,
	    "websockets.client", "< PONG");
}

static void
t_octobot(void **state)
{
	(void)state;
	hdr("2021-12-26 16:55:39 INFO   OctoBot Launcher     cli.py:182      "
	    "Version : 0.4.3", utc(2021, 12, 26, 16, 55, 39, 0), LW_LVL_INFO,
	    "OctoBot Launcher", "Version : 0.4.3");
	hdr("2021-12-27 20:50:33 WARNING WebSocketClient - binance connection"
	    "_handler.py:47       BINANCE.ws.8: received no messages within "
	    "timeout, restarting connection",
	    utc(2021, 12, 27, 20, 50, 33, 0), LW_LVL_WARNING,
	    "WebSocketClient - binance", "BINANCE.ws.8: received no messages "
	    "within timeout, restarting connection");
	hdr("2021-12-20 20:48:02 INFO   BuyLimitOrder | 7ff8979f-8762-479a-"
	    "ac97-caff0d0bceaa orders.py:52       BTC/USDT | BUY_LIMIT | "
	    "Price : 45376.09", utc(2021, 12, 20, 20, 48, 2, 0), LW_LVL_INFO,
	    "BuyLimitOrder | 7ff8979f-8762-479a-ac97-caff0d0bceaa",
	    "BTC/USDT | BUY_LIMIT | Price : 45376.09");
	hdr("2021-01-25 11:00:32 ERROR  CCXTExchange[binance] events.py:81"
	    "       initialization impossible: binance GET https://api.binance"
	    ".com/api/v3/exchangeInfo", utc(2021, 1, 25, 11, 0, 32, 0),
	    LW_LVL_ERROR, "CCXTExchange[binance]", "initialization impossible:"
	    " binance GET https://api.binance.com/api/v3/exchangeInfo");
	hdr("2026-01-07 16:57:47 ERROR  tentacles.Services.Interfaces.web_"
	    "interface.web app.py:875      Exception on / [GET]",
	    utc(2026, 1, 7, 16, 57, 47, 0), LW_LVL_ERROR,
	    "tentacles.Services.Interfaces.web_interface.web",
	    "Exception on / [GET]");
	/* console (colorlog): colour, a space, ",mmm", name padded to 20 */
	hdr("\x1b[32m 2021-01-25 10:59:56,123 INFO     OctoBot Launcher     "
	    "Version : 0.4.0\x1b[0m", utc(2021, 1, 25, 10, 59, 56, 123),
	    LW_LVL_INFO, "OctoBot Launcher", "Version : 0.4.0");
	assert_null(memchr(O.line.p, '\x1b', O.line.len));
	hdr("\x1b[1;31m 2021-01-25 10:59:57,001 ERROR    CCXTExchange[binance]"
	    "-feed lost\x1b[0m", utc(2021, 1, 25, 10, 59, 57, 1), LW_LVL_ERROR,
	    "CCXTExchange[binance]-feed", "lost");
	/* already stripped console line */
	hdr(" 2021-01-25 10:59:58,500 WARNING  Exchange             rate "
	    "limited", utc(2021, 1, 25, 10, 59, 58, 500), LW_LVL_WARNING,
	    "Exchange", "rate limited");
}

static void
t_freqtrade_variants(void **state)
{
	(void)state;
	/* FreqUI: no ms, LEVEL padded to 7, "logger - message" */
	hdr("2024-05-01 10:00:00 WARNING freqtrade.exchange.binance - "
	    "Abnormal closure of client", utc(2024, 5, 1, 10, 0, 0, 0),
	    LW_LVL_WARNING, "freqtrade.exchange.binance",
	    "Abnormal closure of client");
	hdr("2024-05-01 10:00:01 INFO    freqtrade.worker - Bot heartbeat.",
	    utc(2024, 5, 1, 10, 0, 1, 0), LW_LVL_INFO, "freqtrade.worker",
	    "Bot heartbeat.");
	/* docker compose prefix, also on the traceback lines after it */
	hdr("freqtrade-sar_v1_with_ma_live  | 2023-10-02 11:12:13,456 - "
	    "freqtrade.exchange.common - WARNING - _async_get_candle_history()"
	    " returned exception", utc(2023, 10, 2, 11, 12, 13, 456),
	    LW_LVL_WARNING, "freqtrade.exchange.common",
	    "_async_get_candle_history() returned exception");
	assert_span(O.line, "2023-10-02 11:12:13,456 - freqtrade.exchange."
	    "common - WARNING - _async_get_candle_history() returned "
	    "exception");
	not_hdr("freqtrade-sar_v1_with_ma_live  |   File \"/freqtrade/x.py\", "
	    "line 3, in f");
	assert_span(O.message, "  File \"/freqtrade/x.py\", line 3, in f");
	not_hdr("freqtrade  | Traceback (most recent call last):");
	assert_span(O.message, "Traceback (most recent call last):");
	hdr("freqtrade| 2023-10-02 11:12:14,000 - freqtrade.worker - ERROR - "
	    "x", utc(2023, 10, 2, 11, 12, 14, 0), LW_LVL_ERROR,
	    "freqtrade.worker", "x");
	/* JSON formatter: local time with a literal Z, exc_info kept as kv */
	hdr("{\"timestamp\": \"2024-05-01T10:00:00.123Z\", \"level\": \"ERROR\","
	    " \"logger\": \"freqtrade.worker\", \"message\": \"Fatal "
	    "\\\"exception\\\"!\", \"exc_info\": \"Traceback (most recent call "
	    "last):\\n  File\"}", utc(2024, 5, 1, 10, 0, 0, 123), LW_LVL_ERROR,
	    "freqtrade.worker", "Fatal \"exception\"!");
	assert_int_equal(O.nkv, 1);
	kv(0, "exc_info", "Traceback (most recent call last):\n  File");
}

static void
t_other_bots(void **state)
{
	(void)state;
	/* jesse */
	hdr("[INFO | 2021-06-22T10:12:30] Traceback (most recent call last):",
	    utc(2021, 6, 22, 10, 12, 30, 0), LW_LVL_INFO, "",
	    "Traceback (most recent call last):");
	hdr("[ERROR | 2021-06-22T10:12:31] ConnectionResetError: [Errno 104]",
	    utc(2021, 6, 22, 10, 12, 31, 0), LW_LVL_ERROR, "",
	    "ConnectionResetError: [Errno 104]");
	hdr("[2021-06-22T10:12:32 - Binance Futures]: order filled",
	    utc(2021, 6, 22, 10, 12, 32, 0), LW_LVL_UNKNOWN,
	    "Binance Futures", "order filled");
	hdr("[2021-06-22T10:12:33]: optimize gen 3", utc(2021, 6, 22, 10, 12,
	    33, 0), LW_LVL_UNKNOWN, "", "optimize gen 3");
	/* passivbot v7, v8 (UTC 'Z'), TRACE, print_() without a level */
	hdr("2024-03-01T12:00:00 INFO     [binance] [fills] new fill",
	    utc(2024, 3, 1, 12, 0, 0, 0), LW_LVL_INFO, "",
	    "[binance] [fills] new fill");
	hdr("2026-01-02T03:04:05Z WARNING  [okx] [risk] balance low",
	    utc(2026, 1, 2, 3, 4, 5, 0), LW_LVL_WARNING, "",
	    "[okx] [risk] balance low");
	hdr("2026-01-02T03:04:06Z TRACE    [okx] [boot] ws up",
	    utc(2026, 1, 2, 3, 4, 6, 0), LW_LVL_TRACE, "",
	    "[okx] [boot] ws up");
	hdr("2021-05-01T10:20:30  bankruptcy price 0.1 ",
	    utc(2021, 5, 1, 10, 20, 30, 0), LW_LVL_UNKNOWN, "",
	    "bankruptcy price 0.1");
	/* nautilus, current and 3-letter levels, ANSI, collector prefix */
	hdr("1970-01-20T02:20:00.000000000Z [INFO] TRADER-001.RiskEngine: "
	    "This is a test.", utc(1970, 1, 20, 2, 20, 0, 0), LW_LVL_INFO,
	    "TRADER-001.RiskEngine", "This is a test.");
	hdr("2024-02-03T04:05:06.789123456Z [WRN] TRADER-001.ExecEngine: "
	    "reconnecting", utc(2024, 2, 3, 4, 5, 6, 789), LW_LVL_WARNING,
	    "TRADER-001.ExecEngine", "reconnecting");
	hdr("\x1b[1;31m2024-02-03T04:05:07.000000001Z [ERR] TRADER-001."
	    "RiskEngine: OrderDenied free balance\x1b[0m",
	    utc(2024, 2, 3, 4, 5, 7, 0), LW_LVL_ERROR,
	    "TRADER-001.RiskEngine", "OrderDenied free balance");
	hdr("INFO 2024-02-03T04:05:08.000000000Z [ERROR] TRADER-001.Portfolio:"
	    " realized_pnl=-2_007.57 USDT", utc(2024, 2, 3, 4, 5, 8, 0),
	    LW_LVL_ERROR, "TRADER-001.Portfolio", "realized_pnl=-2_007.57 USDT");
	kv(0, "realized_pnl", "-2_007.57");
	/* LEAN local and cloud */
	hdr("20240101 12:00:00.123 ERROR:: Insufficient buying power",
	    utc(2024, 1, 1, 12, 0, 0, 123), LW_LVL_ERROR, "",
	    "Insufficient buying power");
	hdr("2024-01-01T12:00:01.1234567Z TRACE:: Brokerage connected",
	    utc(2024, 1, 1, 12, 0, 1, 123), LW_LVL_TRACE, "",
	    "Brokerage connected");
	/* Gekko, TAB and the 4-space paste */
	hdr("2018-03-01 10:00:00 (WARN):\tInsufficient balance",
	    utc(2018, 3, 1, 10, 0, 0, 0), LW_LVL_WARNING, "",
	    "Insufficient balance");
	hdr("> 2018-03-01 10:00:01 (ERROR):    Order rejected",
	    utc(2018, 3, 1, 10, 0, 1, 0), LW_LVL_ERROR, "", "Order rejected");
	/* Rust tracing: level right-aligned after two blanks */
	hdr("2025-04-23T07:22:12.724802Z  INFO hftbacktest::live::bot: "
	    "connected exchange=\"binance futures\" latency=12",
	    utc(2025, 4, 23, 7, 22, 12, 724), LW_LVL_INFO,
	    "hftbacktest::live::bot",
	    "connected exchange=\"binance futures\" latency=12");
	assert_int_equal(O.nkv, 2);
	kv(0, "exchange", "binance futures");
	kv(1, "latency", "12");
	hdr("2025-04-23T07:22:13.000001Z ERROR hftbacktest: Best Bid: NaN",
	    utc(2025, 4, 23, 7, 22, 13, 0), LW_LVL_ERROR, "hftbacktest",
	    "Best Bid: NaN");
	/* process runner prefix, zone offsets, DD-MM-YYYY */
	hdr("[1] 2022-11-02T06:01:48.302+0200 INFO order book ok",
	    utc(2022, 11, 2, 4, 1, 48, 302), LW_LVL_INFO, "",
	    "order book ok");
	hdr("2022-11-02T06:01:48-05:30 WARN lag", utc(2022, 11, 2, 11, 31, 48,
	    0), LW_LVL_WARNING, "", "lag");
	hdr("15-03-2024 10:11:12 ERROR fetch failed",
	    utc(2024, 3, 15, 10, 11, 12, 0), LW_LVL_ERROR, "", "fetch failed");
	hdr("2018/06/01 09:00:00 banner", utc(2018, 6, 1, 9, 0, 0, 0),
	    LW_LVL_UNKNOWN, "", "banner");
	hdr("[2018/06/01 09:00:01] stop loss hit", utc(2018, 6, 1, 9, 0, 1, 0),
	    LW_LVL_UNKNOWN, "", "stop loss hit");
}

static void
t_json(void **state)
{
	(void)state;
	hdr("{\"ts\":1714557600.5,\"lvl\":\"warn\",\"msg\":\"slow\"}",
	    1714557600500LL, LW_LVL_WARNING, "", "slow");
	hdr("{\"level\":50,\"time\":1714557600123,\"msg\":\"boom\","
	    "\"name\":\"bot\",\"pair\":\"BTC/USDT\"}", 1714557600123LL,
	    LW_LVL_ERROR, "bot", "boom");
	kv(0, "pair", "BTC/USDT");
	hdr("{\"@timestamp\":\"2024-05-01 10:00:00,999\",\"severity\":"
	    "\"Critical\",\"message\":\"caf\\u00e9\"}  ",
	    utc(2024, 5, 1, 10, 0, 0, 999), LW_LVL_CRITICAL, "", "caf\xc3\xa9");
	hdr("{\"levelname\":\"INFO\",\"message\":\"no time\"}", NOTIME,
	    LW_LVL_INFO, "", "no time");
	/* payload objects, pprint output and broken JSON are not headers */
	not_hdr("{\"code\":-2010,\"data\":[1,2]}");
	not_hdr("{'type': sell, 'pair': 'ATOM/BTC',");
	not_hdr("{\"message\": \"unterminated");
	not_hdr("{\"message\": 5}");
}

static void
t_levels(void **state)
{
	static const struct {
		const char	*w;
		enum lw_level	 l;
	} t[] = {
		{ "WARN", LW_LVL_WARNING }, { "warning", LW_LVL_WARNING },
		{ "Warning", LW_LVL_WARNING }, { "WRN", LW_LVL_WARNING },
		{ "ERR", LW_LVL_ERROR }, { "error", LW_LVL_ERROR },
		{ "Error", LW_LVL_ERROR }, { "CRITICAL", LW_LVL_CRITICAL },
		{ "critical", LW_LVL_CRITICAL }, { "FATAL", LW_LVL_CRITICAL },
		{ "fatal", LW_LVL_CRITICAL }, { "INF", LW_LVL_INFO },
		{ "info", LW_LVL_INFO }, { "NOTICE", LW_LVL_INFO },
		{ "NETWORK", LW_LVL_INFO }, { "EVENT_LOG", LW_LVL_INFO },
		{ "DBG", LW_LVL_DEBUG }, { "debug", LW_LVL_DEBUG },
		{ "trace", LW_LVL_TRACE }, { "TRACE", LW_LVL_TRACE },
		{ "INFOS", LW_LVL_UNKNOWN }, { "ERRORS", LW_LVL_UNKNOWN },
		{ "Traceback", LW_LVL_UNKNOWN }, { "IN", LW_LVL_UNKNOWN },
		{ "", LW_LVL_UNKNOWN }, { "WARNINGXX", LW_LVL_UNKNOWN },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (lw_parse_level(t[i].w, strlen(t[i].w)) != t[i].l)
			fail_msg("level of \"%s\"", t[i].w);
	/* in place, in any case */
	hdr("2024-01-01 00:00:00,001 - bot - warning - lower case",
	    utc(2024, 1, 1, 0, 0, 0, 1), LW_LVL_WARNING, "bot", "lower case");
	hdr("2024-01-01T00:00:02Z fatal  exchange gone",
	    utc(2024, 1, 1, 0, 0, 2, 0), LW_LVL_CRITICAL, "", "exchange gone");
	hdr("2024-01-01 00:00:03 info: lower with colon",
	    utc(2024, 1, 1, 0, 0, 3, 0), LW_LVL_INFO, "", "lower with colon");
}

static void
t_time_edges(void **state)
{
	int64_t	ms;

	(void)state;
	assert_int_equal(lw_parse_time("2024-02-29 23:59:59.9", 21, &ms), 21);
	assert_int_equal(ms, utc(2024, 2, 29, 23, 59, 59, 900));
	assert_int_equal(lw_parse_time("2024-02-29T23:59:59,12", 22, &ms), 22);
	assert_int_equal(ms, utc(2024, 2, 29, 23, 59, 59, 120));
	/* more than 3 fraction digits are truncated, not rounded */
	assert_int_equal(lw_parse_time("1999-12-31 23:59:59.9999", 24, &ms),
	    24);
	assert_int_equal(ms, utc(1999, 12, 31, 23, 59, 59, 999));
	/* bad fields are rejected rather than wrapped */
	assert_int_equal(lw_parse_time("2024-13-01 00:00:00", 19, &ms), 0);
	assert_int_equal(lw_parse_time("2024-01-01 24:00:00", 19, &ms), 0);
	assert_int_equal(lw_parse_time("2024-01-01 00:60:00", 19, &ms), 0);
	assert_int_equal(lw_parse_time("2024-01-01 00:00", 16, &ms), 0);
	assert_int_equal(lw_parse_time("2024-01-01", 10, &ms), 0);
	assert_int_equal(lw_parse_time("2024-01-01 0:00:00", 18, &ms), 0);
	/* a date alone at the start of a line is not a header */
	not_hdr("2021-03-31 up to 2022-03-27");
	not_hdr("2024-01-01");
}

static void
t_continuations(void **state)
{
	static const char *lines[] = {
		"",
		" ",
		"Traceback (most recent call last):",
		"  File \"/freqtrade/freqtrade/worker.py\", line 35, in __init__",
		"    self._init(False)",
		"\t at Foo.Bar()",
		"    ^^^^^^^^^^^^",
		"NoneType: None",
		"KeyError: 'data'",
		"socket.gaierror: [Errno -3] Temporary failure",
		"During handling of the above exception, another exception "
		    "occurred:",
		"The above exception was the direct cause of the following "
		    "exception:",
		"Error: something happened",
		"ERROR: something happened",
		"{'default': 0.99, 'maximum': 1, 'minimum': 0.1}",
		"['a', 'b']",
		"[1, 2, 3]",
		"- BUY LIMIT: 0.00628 BTC at 45376.09 USDT on Binance",
		"Evaluation : 0.1708020290663388, level: NotificationLevel.INFO",
		"client_session: <aiohttp.client.ClientSession object>",
		"    10",
		"\"",
		"# octobot.cli",
		"13:6:58.43087 GW Connected",
		"|not|a|header",
		"> plain quote",
		"[1] plain runner output",
		"INFO",
		"INFO:",
		"INFO:root",
		"<html><body>429</body></html>",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		not_hdr(lines[i]);
		/* a continuation line comes back whole */
		assert_int_equal(O.message.len, strlen(lines[i]));
		assert_int_equal(O.line.len, strlen(lines[i]));
	}
}

static void
t_kv(void **state)
{
	(void)state;
	hdr("2024-01-01 00:00:00,000 - bot - INFO - | pair=BTC/USDT | "
	    "profit=1.5% | reason=roi |", utc(2024, 1, 1, 0, 0, 0, 0),
	    LW_LVL_INFO, "bot",
	    "| pair=BTC/USDT | profit=1.5% | reason=roi |");
	assert_int_equal(O.nkv, 3);
	kv(0, "pair", "BTC/USDT");
	kv(1, "profit", "1.5%");
	kv(2, "reason", "roi");
	/* URLs, comparisons and escaped quotes */
	hdr("2024-01-01 00:00:01,000 - bot - INFO - GET /x?symbol=BTC&limit=5 "
	    "a==b msg=\"say \\\"hi\\\" now\" empty= n=3",
	    utc(2024, 1, 1, 0, 0, 1, 0), LW_LVL_INFO, "bot",
	    "GET /x?symbol=BTC&limit=5 a==b msg=\"say \\\"hi\\\" now\" empty= "
	    "n=3");
	assert_int_equal(O.nkv, 3);
	kv(0, "msg", "say \\\"hi\\\" now");
	kv(1, "empty", "");
	kv(2, "n", "3");
}

static void
t_kv_max(void **state)
{
	char	line[1024];
	size_t	o;
	int	i;

	(void)state;
	o = (size_t)snprintf(line, sizeof(line), "2024-01-01 00:00:00,000 - "
	    "b - INFO -");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, " k%d=%d", i,
		    i);
	parse(line);
	assert_true(O.is_header);
	assert_int_equal(O.nkv, LW_MAX_KV);
	kv(LW_MAX_KV - 1, "k15", "15");
}

static void
t_bytes(void **state)
{
	static const char nul[] = "2024-01-01 00:00:00,000 - bot - ERROR - "
	    "a\0b\r";
	static const char bad[] = "2021-12-26 16:55:41 ERROR  root"
	    "                 logger.py:46         main \xbf\xa1\xbc\xad end";
	char	*big;
	size_t	 n = 1u << 20, pfx;

	(void)state;
	/* NUL inside the message, CR at the end */
	lw_parse_line(P, nul, sizeof(nul) - 1, &O);
	assert_true(O.is_header);
	assert_int_equal(O.level, LW_LVL_ERROR);
	assert_int_equal(O.message.len, 3);
	assert_memory_equal(O.message.p, "a\0b", 3);
	assert_int_equal(O.line.len, sizeof(nul) - 2);
	/* CRLF on every kind of line */
	hdr("2024-01-01 00:00:01,000 - bot - INFO - crlf\r",
	    utc(2024, 1, 1, 0, 0, 1, 0), LW_LVL_INFO, "bot", "crlf");
	not_hdr("  File \"x\", line 1\r");
	assert_span(O.message, "  File \"x\", line 1");
	/* legacy code page bytes pass through untouched */
	hdr(bad, utc(2021, 12, 26, 16, 55, 41, 0), LW_LVL_ERROR, "root",
	    "main \xbf\xa1\xbc\xad end");
	/* a 1 MiB header line: no cap in the parser, spans cover it all */
	big = malloc(n);
	assert_non_null(big);
	pfx = (size_t)snprintf(big, n, "2024-01-01 00:00:02,000 - bot - "
	    "WARNING - ");
	memset(big + pfx, 'x', n - pfx);
	lw_parse_line(P, big, n, &O);
	assert_true(O.is_header);
	assert_int_equal(O.level, LW_LVL_WARNING);
	assert_int_equal(O.message.len, n - pfx);
	assert_ptr_equal(O.message.p, big + pfx);
	/* the same with colour codes goes through the scratch */
	memcpy(big, "\x1b[31m", 5);
	memcpy(big + 5, "2024-01-01 00:00:03,000 - bot - ERROR - ", 40);
	big[n - 4] = '\x1b';
	big[n - 3] = '[';
	big[n - 2] = '0';
	big[n - 1] = 'm';
	lw_parse_line(P, big, n, &O);
	assert_true(O.is_header);
	assert_int_equal(O.level, LW_LVL_ERROR);
	assert_int_equal(O.message.len, n - 5 - 40 - 4);
	assert_null(memchr(O.line.p, '\x1b', O.line.len));
	free(big);
	/* truncated headers never read past the end */
	hdr("2024-01-01 00:00:04,000 - ", utc(2024, 1, 1, 0, 0, 4, 0),
	    LW_LVL_UNKNOWN, "", "");
	hdr("2024-01-01 00:00:05,000 - bot - ERROR",
	    utc(2024, 1, 1, 0, 0, 5, 0), LW_LVL_ERROR, "bot", "");
	hdr("2024-01-01 00:00:06", utc(2024, 1, 1, 0, 0, 6, 0),
	    LW_LVL_UNKNOWN, "", "");
	not_hdr("[INFO | 2024-01-01T00:00:07");
	not_hdr("|INFO|2024-01-01 00:00:08");
	not_hdr("\x1b[0m");
}

/* Every line of the real files parses without tripping the sanitizers,
 * and each line that matches a README header regex is a header. */
static void
t_real_files(void **state)
{
	static const char *files[] = { "freqtrade.log", "hummingbot.log",
	    "octobot.log", "octobot_nonutf8.log", "binance_trade_bot.log" };
	char	 path[512], *line = NULL;
	size_t	 cap = 0, i, nhdr, ndata;
	ssize_t	 n;
	FILE	*f;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/botlogs/%s", LW_SHARED_DIR,
		    files[i]);
		assert_non_null(f = fopen(path, "r"));
		nhdr = ndata = 0;
		while ((n = getline(&line, &cap, f)) > 0) {
			if (line[n - 1] == '\n')
				n--;
			if (strncmp(line, "# source:", 9) == 0 ||
			    strncmp(line, "# note:", 7) == 0)
				continue;
			ndata++;
			lw_parse_line(P, line, (size_t)n, &O);
			if (!O.is_header)
				continue;
			nhdr++;
			assert_true(O.has_time);
			assert_int_not_equal(O.level, LW_LVL_UNKNOWN);
			assert_true(O.component.len > 0);
			assert_true(O.message.p >= line &&
			    O.message.p + O.message.len <= line + n);
		}
		assert_true(nhdr > 0 && nhdr < ndata);
		fclose(f);
	}
	free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_seed),
		cmocka_unit_test(t_python),
		cmocka_unit_test(t_octobot),
		cmocka_unit_test(t_freqtrade_variants),
		cmocka_unit_test(t_other_bots),
		cmocka_unit_test(t_json),
		cmocka_unit_test(t_levels),
		cmocka_unit_test(t_time_edges),
		cmocka_unit_test(t_continuations),
		cmocka_unit_test(t_kv),
		cmocka_unit_test(t_kv_max),
		cmocka_unit_test(t_bytes),
		cmocka_unit_test(t_real_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
