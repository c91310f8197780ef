/*
 * test_redact: every built-in secret kind in realistic bot log lines, no
 * false positives on trading data and on the real bot logs in
 * LW_SHARED_DIR/botlogs, configured patterns, UTF-8 and size limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "utf8.h"

struct pair {
	const char	*in;
	const char	*want;
};

/* Redacts s with the built-in rules; returns a static copy. */
static const char *
red(const struct lw_redactor *r, const char *s, int *n)
{
	static char	 res[8192];
	struct buf	 b;
	int		 rc;

	buf_init(&b, 1 << 20);
	rc = lw_redact(r, s, strlen(s), &b);
	assert_true(rc >= 0);
	if (n != NULL)
		*n = rc;
	assert_true(b.len < sizeof(res));
	memcpy(res, buf_str(&b), b.len + 1);
	buf_free(&b);
	return res;
}

static void
check_pairs(const struct pair *p, size_t n)
{
	size_t	i;
	int	cnt;

	for (i = 0; i < n; i++) {
		const char	*got = red(NULL, p[i].in, &cnt);

		if (strcmp(got, p[i].want) != 0)
			fail_msg("redacting\n  %s\ngave\n  %s\nwant\n  %s",
			    p[i].in, got, p[i].want);
		/* The count agrees with the markers in the output. */
		{
			int		 marks = 0;
			const char	*q = got;

			while ((q = strstr(q, LW_REDACTED)) != NULL) {
				marks++;
				q++;
			}
			if (strstr(p[i].in, LW_REDACTED) == NULL)
				assert_int_equal(cnt, marks);
		}
	}
}

static void
test_key_values(void **state)
{
	static const struct pair p[] = {
		{ "2024-01-08 20:45:58,271 - crypto_trading_logger - INFO - "
		  "login with password=hunter2 failed",
		  "2024-01-08 20:45:58,271 - crypto_trading_logger - INFO - "
		  "login with password=[REDACTED] failed" },
		{ "db: passwd: s3cr3t!, user: bot",
		  "db: passwd: [REDACTED], user: bot" },
		{ "config {\"exchange\": {\"name\": \"binance\", \"key\": "
		  "\"x\", \"secret\": \"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZ\", "
		  "\"password\": \"\"}}",
		  "config {\"exchange\": {\"name\": \"binance\", \"key\": "
		  "\"x\", \"secret\": \"[REDACTED]\", \"password\": \"\"}}" },
		{ "{'apiKey': 'vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6u', "
		  "'secret': 'abc def', 'password': None, 'uid': 7}",
		  "{'apiKey': '[REDACTED]', 'secret': '[REDACTED]', "
		  "'password': None, 'uid': 7}" },
		{ "GET /api/v3/order?symbol=BTCUSDT&orderId=28457&timestamp="
		  "1700000000000&signature=c8db56825ae71d6d79447849e617115f4a920"
		  "fa2acdcab2b053c4b2838bd6b71 HTTP/1.1",
		  "GET /api/v3/order?symbol=BTCUSDT&orderId=28457&timestamp="
		  "1700000000000&signature=[REDACTED] HTTP/1.1" },
		{ "PUT /api/v3/userDataStream?listenKey=pqia91ma19a5s61cv6a81va"
		  "65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1&recvWindow=5000",
		  "PUT /api/v3/userDataStream?listenKey=[REDACTED]"
		  "&recvWindow=5000" },
		{ "2023-03-18 01:26:04,713 - uvicorn.error - INFO - "
		  "('172.22.0.1', 53490) - \"WebSocket /api/v1/message/ws?"
		  "token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmcmVxIn0.c2lnbmF0dXJl\""
		  " [accepted]",
		  "2023-03-18 01:26:04,713 - uvicorn.error - INFO - "
		  "('172.22.0.1', 53490) - \"WebSocket /api/v1/message/ws?"
		  "token=[REDACTED]\" [accepted]" },
		{ "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6"
		  "utIco14y7Ju91duEh8A",
		  "X-MBX-APIKEY: [REDACTED]" },
		{ "api-key : 12345abcde, api_key=k1, access_key=AKIAIOSFODNN7",
		  "api-key : [REDACTED], api_key=[REDACTED], "
		  "access_key=[REDACTED]" },
		{ "private_key=\"0x4c0883a69102937d6231471b5dbb6204fe5129617082"
		  "792ae468d01a3f362318\"",
		  "private_key=\"[REDACTED]\"" },
		{ "EVENT {\\\"passphrase\\\": \\\"correct horse\\\", \\\"n\\\": 1}",
		  "EVENT {\\\"passphrase\\\": \\\"[REDACTED]\\\", "
		  "\\\"n\\\": 1}" },
		{ "telegram.bot_token: 123:abc", "telegram.bot_token: [REDACTED]" },
	};

	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
}

static void
test_tokens(void **state)
{
	static const struct pair p[] = {
		{ "POST https://api.openai.com/v1/chat/completions "
		  "Authorization: Bearer sk-proj-4fQ9xLmN2pRt7vWz8yBc3dEe6gHh1jKk",
		  "POST https://api.openai.com/v1/chat/completions "
		  "Authorization: Bearer [REDACTED]" },
		{ "headers={'Authorization': 'Bearer abc.def-ghi', 'Accept': "
		  "'application/json'}",
		  "headers={'Authorization': 'Bearer [REDACTED]', 'Accept': "
		  "'application/json'}" },
		{ "\"authorization\": \"Basic dXNlcjpwYXNz\"",
		  "\"authorization\": \"Basic [REDACTED]\"" },
		{ "retrying with Bearer xyz", "retrying with Bearer [REDACTED]" },
		{ "openai.AuthenticationError: Incorrect API key provided: "
		  "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD.",
		  "openai.AuthenticationError: Incorrect API key provided: "
		  "sk-[REDACTED]." },
		{ "key sk-proj-abcdEFGH1234ijklMNOP5678qrstUVWX in use",
		  "key sk-[REDACTED] in use" },
		{ "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc",
		  "stripe sk_[REDACTED]" },
		{ "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3"
		  "ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U seen",
		  "jwt [REDACTED] seen" },
		{ "urllib3 - DEBUG - https://api.telegram.org:443 \"POST /bot"
		  "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe HTTP/1.1\""
		  " 200 1037",
		  "urllib3 - DEBUG - https://api.telegram.org:443 \"POST /bot"
		  "[REDACTED]/getMe HTTP/1.1\" 200 1037" },
		{ "Incremented Retry for (url='/botXXXX/getMe'): Retry(total=1)",
		  "Incremented Retry for (url='/bot[REDACTED]/getMe'): "
		  "Retry(total=1)" },
		{ "https://api.telegram.org/bot7007007007:AAF-bcdefGhijkLmnopQrs"
		  "tuvWxyz012345/sendMessage?chat_id=42",
		  "https://api.telegram.org/bot[REDACTED]/sendMessage?"
		  "chat_id=42" },
		{ "bad token 7007007007:AAF-bcdefGhijkLmnopQrstuvWxyz012345 given",
		  "bad token [REDACTED] given" },
		{ "wss://stream.binance.com:9443/ws/pqia91ma19a5s61cv6a81va65sdf"
		  "19v8a65a1a5s61cv6a81va65sdf19v8a65a1 closed",
		  "wss://stream.binance.com:9443/ws/[REDACTED] closed" },
		{ "hmac 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15"
		  "b0f00a08 done",
		  "hmac [REDACTED] done" },
		{ "tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1"
		  "b22060", "tx 0x[REDACTED]" },
		{ "kraken secret kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q"
		  "18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg== loaded",
		  "kraken secret [REDACTED] loaded" },
		{ "session vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7"
		  "Ju91duEh8A ok",
		  "session [REDACTED] ok" },
	};

	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
}

/* Lines that must come out exactly as they went in. */
static void
test_no_false_positives(void **state)
{
	static const char *const keep[] = {
		"2024-03-20 14:35:12,345 - freqtrade.freqtradebot - INFO - "
		"Order #12345 for BTC/USDT filled at 67234.50 (amount 0.0015)",
		"2022-11-08 19:30:05,484 - 8631 - hummingbot.core.event."
		"event_reporter - EVENT_LOG - {\"timestamp\": 1667935805.0, "
		"\"order_id\": \"SEGBC5ecfa912a4fb33702cf33c8a169b70e1bda\", "
		"\"trading_pair\": \"EDG-BTC\", \"price\": \"3.74E-7\"}",
		"Cancelled order 7c9e6679-7425-40de-944b-e07fc1f0f3a3 "
		"(clientOrderId=x-7C9E6679-7425-40DE-944B-E07FC1F0F3A3)",
		"Placed limit buy orderId=123456789 qty=0.5 price=2.81E-05",
		"2021-12-26 19:00:07 WARNING CCXTExchange[binance] events.py:81"
		"       Exchange configuration tokens are not set yet, please "
		"enter your api tokens",
		"    self.token = self._validate_token(token)",
		"    self._updater = Updater(token=self._config['telegram']"
		"['token'], workers=0,",
		"Non encrypted secret info found in config (api-password): "
		"replaced value with encrypted equivalent.",
		"llm usage max_tokens=8000 token_count=312 tokens_used: 41",
		"{\"password\": null, \"secret\": true, \"token\": None}",
		"object at 0x7fe2c7ac3a60>: Failed to establish a new connection",
		"  File \"/root/hummingbot/hummingbot/core/data_type/"
		"user_stream_tracker_data_source.py\", line 48",
		"hummingbot.connector.exchange.kucoin.kucoin_api_user_stream_"
		"data_source.KucoinAPIUserStreamDataSource - ERROR",
		"package: Microsoft-Windows-PlatformUpdate-Win7-SRV08R2-Package-"
		"TopLevel~31bf3856ad364e35~amd64",
		"GET https://api.binance.com/api/v3/exchangeInfo 200 at 10:59:56",
		"wss://stream.binance.com:9443/ws/btcusdt@trade/ethusdt@depth",
		"Current IP address: 203.0.113.7",
		"password reset needed; token expired at 2024-05-01T00:00:00Z",
		"ratio 0.123456789012345678901234567890123",
		"/home/trader/ft_userdata/user_data/strategies/"
		"NostalgiaForInfinityX4.py",
		"Bearer",
		"",
	};
	size_t	i;
	int	n;

	(void)state;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char	*got = red(NULL, keep[i], &n);

		if (strcmp(got, keep[i]) != 0 || n != 0)
			fail_msg("changed\n  %s\ninto\n  %s", keep[i], got);
	}
}

/*
 * Every line of the real bot logs: the only lines changed are the five
 * that held secrets (XXXX placeholders): two FreqUI websocket URLs with a
 * JWT and three Telegram getMe URLs.  The XXXX that replaced an IP address
 * is not a secret by any rule and stays.
 */
static void
test_botlogs(void **state)
{
	static const struct {
		const char	*file;
		int		 changed;
	} want[] = {
		{ "binance_trade_bot.log", 0 },
		{ "freqtrade.log", 2 },
		{ "hummingbot.log", 0 },
		{ "octobot.log", 3 },
		{ "octobot_nonutf8.log", 0 },
	};
	char		 path[4096], *line = NULL;
	size_t		 cap = 0, i;
	ssize_t		 n;
	FILE		*f;
	struct buf	 b;
	int		 changed, total = 0, lines;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(path, sizeof(path), "%s/botlogs/%s", LW_SHARED_DIR,
		    want[i].file);
		f = fopen(path, "r");
		assert_non_null(f);
		changed = lines = 0;
		while ((n = getline(&line, &cap, f)) > 0) {
			lines++;
			buf_reset(&b);
			assert_true(lw_redact(NULL, line, (size_t)n, &b) >= 0);
			if (b.len == (size_t)n && memcmp(b.data, line, b.len) == 0)
				continue;
			changed++;
			/* Only where a secret was. */
			assert_non_null(strstr(line, "XXXX"));
			assert_non_null(strstr(b.data, "[REDACTED]"));
			assert_null(strstr(b.data, "XXXX"));
		}
		fclose(f);
		assert_true(lines > 10);
		if (changed != want[i].changed)
			fail_msg("%s: %d lines changed, want %d", want[i].file,
			    changed, want[i].changed);
		total += changed;
	}
	assert_int_equal(total, 5);
	free(line);
	buf_free(&b);
}

/* Deterministic xorshift, so the counts below are reproducible. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random API keys are caught by the base64 rule alone (no key name in
 * front), random UUIDs never are.
 */
static void
test_random_keys(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789-_";
	static const char hex[] = "0123456789abcdef";
	uint64_t	 seed = 0x9e3779b97f4a7c15ULL;
	char		 key[80], line[128];
	int		 i, k, caught40 = 0, caught64 = 0, uuids = 0, n;

	(void)state;
	for (i = 0; i < 1000; i++) {
		for (k = 0; k < 64; k++)
			key[k] = b64[rnd(&seed) % 64];
		key[40] = '\0';
		snprintf(line, sizeof(line), "key %s end", key);
		red(NULL, line, &n);
		caught40 += n == 1;
		key[40] = b64[rnd(&seed) % 64];
		key[64] = '\0';
		snprintf(line, sizeof(line), "key %s end", key);
		red(NULL, line, &n);
		caught64 += n == 1;

		for (k = 0; k < 36; k++)
			key[k] = hex[rnd(&seed) % 16];
		key[8] = key[13] = key[18] = key[23] = '-';
		key[36] = '\0';
		snprintf(line, sizeof(line), "order %s filled", key);
		red(NULL, line, &n);
		uuids += n;
	}
	/* Verified with this seed: every one of them. */
	assert_int_equal(caught40, 1000);
	assert_int_equal(caught64, 1000);
	assert_int_equal(uuids, 0);
}

static void
test_extra_patterns(void **state)
{
	const char		*pats[] = {
		"(?i)passcode ([0-9]+)",	/* group 1 only */
		"ACCT-[0-9]{6}",		/* whole match */
		"z*",				/* matches empty everywhere */
	};
	const char		*bad[] = { "ok", "(unclosed" };
	struct lw_redactor	*r;
	char			 err[256];
	int			 n;

	(void)state;
	r = lw_redactor_new(bad, 2, err, sizeof(err));
	assert_null(r);
	assert_non_null(strstr(err, "pattern 2"));

	r = lw_redactor_new(pats, 3, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(red(r, "Passcode 123456 for ACCT-987654, "
	    "password=x", &n),
	    "Passcode [REDACTED] for [REDACTED], password=[REDACTED]");
	assert_int_equal(n, 3);
	/* z* redacts runs of z and ignores its empty matches. */
	assert_string_equal(red(r, "ab\xc3\xa9zz", &n),
	    "ab\xc3\xa9[REDACTED]");
	assert_int_equal(n, 1);
	/* Invalid UTF-8 does not stop the patterns. */
	assert_string_equal(red(r, "\xff passcode 42 \xfe", &n),
	    "\xff passcode [REDACTED] \xfe");
	lw_redactor_free(r);
	lw_redactor_free(NULL);

	r = lw_redactor_new(NULL, 0, err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(red(r, "password=1", NULL),
	    "password=[REDACTED]");
	lw_redactor_free(r);
}

/* Valid UTF-8 in, valid UTF-8 out, whatever is combined around secrets. */
static void
test_utf8_kept_valid(void **state)
{
	static const char *const frag[] = {
		"password=", "p\xc3\xa4ss", "\xe2\x82\xac", "\xf0\x9f\x9a\x80",
		"sk-", "Bearer ", "eyJ", "abcDEF1234", "\"", "'", ": ", "=",
		"/bot", "123456:", "/ws/", "0x", "deadbeef", "\\", " ",
		"token\xc3\xa9", "\xd0\x9f\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c",
	};
	const size_t	 nf = sizeof(frag) / sizeof(frag[0]);
	uint64_t	 seed = 12345;
	char		 line[2048];
	struct buf	 b;
	size_t		 len;
	int		 i, k, total = 0, n;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 3000; i++) {
		len = 0;
		for (k = 0; k < 40; k++) {
			const char	*f = frag[rnd(&seed) % nf];

			memcpy(line + len, f, strlen(f));
			len += strlen(f);
		}
		buf_reset(&b);
		n = lw_redact(NULL, line, len, &b);
		assert_true(n >= 0);
		total += n;
		assert_int_equal(lw_utf8_valid_prefix(b.data, b.len), b.len);
		/* Never more than the marker per redaction. */
		assert_true(b.len <= len + (size_t)n * strlen(LW_REDACTED));
	}
	assert_true(total > 1000);	/* the mix does hit secrets */
	buf_free(&b);
}

/* A full buffer fails cleanly and leaves what was there. */
static void
test_cap(void **state)
{
	struct buf	b;
	const char	*s = "user=bob password=hunter2 and some more text";

	(void)state;
	buf_init(&b, 30);
	assert_int_equal(buf_adds(&b, "prefix:"), 0);
	assert_int_equal(lw_redact(NULL, s, strlen(s), &b), -1);
	assert_string_equal(buf_str(&b), "prefix:");
	buf_reset(&b);
	assert_int_equal(lw_redact(NULL, "password=x", 10, &b), 1);
	assert_string_equal(buf_str(&b), "password=[REDACTED]");
	buf_free(&b);
}

/* NUL and control bytes are data, not terminators. */
static void
test_binary(void **state)
{
	static const char	s[] = "a\0password=\x01x\0y b";
	struct buf		b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(lw_redact(NULL, s, sizeof(s) - 1, &b), 1);
	assert_int_equal(b.len, 25);
	assert_memory_equal(b.data, "a\0password=[REDACTED]\0y b", 25);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_values),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_no_false_positives),
		cmocka_unit_test(test_botlogs),
		cmocka_unit_test(test_random_keys),
		cmocka_unit_test(test_extra_patterns),
		cmocka_unit_test(test_utf8_kept_valid),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
