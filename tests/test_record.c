/*
 * test_record: record assembly over the real bot logs and the edge cases
 * (orphans, late lines after a flush, caps, bytes).
 *
 * How the expected counts were verified, independently of this code:
 * header lines were counted per level with grep -cP and the README's
 * header regex for the file, e.g. for freqtrade.log
 *   grep -cP '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\d+ - )?\S+ - INFO - '
 * (OctoBot: '^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO '), skipping the
 * "# source:"/"# note:" lines, which never match.  Records = header lines,
 * since every file starts with a header.  Then the records holding a
 * traceback line were read one by one (and cross-checked with a small
 * Perl script applying the README regexes and the traceback rule) to
 * move the raised ones to ERROR:
 *  - binance_trade_bot.log: INFO 27, ERROR 18; the one traceback is in
 *    an ERROR record ("Traceback: Traceback ...", 17 lines with the empty
 *    line after it).  45 records.
 *  - freqtrade.log: headers INFO 111, WARNING 65, ERROR 16, CRITICAL 1.
 *    The second excerpt restarts and its "Parameter --db-url detected
 *    ..." INFO record is followed by the rest of a chained traceback
 *    ("During handling ...", 59 lines), so it becomes ERROR: INFO 110,
 *    ERROR 17.  The CRITICAL config-validation record has blank lines
 *    but no traceback and stays CRITICAL.  193 records.
 *  - hummingbot.log: INFO 56 + EVENT_LOG 25 = 81 info, WARNING 7,
 *    ERROR 13, NETWORK 5; each NETWORK record carries a traceback, so
 *    ERROR 18.  106 records.
 *  - octobot.log: DEBUG 68, INFO 28, WARNING 17, ERROR 15; the WARNING
 *    "encountered connection issue ... reconnecting" record carries a
 *    chained traceback (34 lines): WARNING 16, ERROR 16.  128 records.
 *  - octobot_nonutf8.log: DEBUG 2, INFO 6, ERROR 2, no traceback marker
 *    (frames are logged as ERROR records).  10 records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "utf8.h"

#define MAXREC	512

/* What the tests keep of each record (the record itself is reused). */
struct sum {
	enum lw_level	 level, header_level;
	unsigned	 nlines;
	int		 has_time, tb, cut, late;
	int64_t		 time_ms;
	char		 msg[96];
	char		 last[96];
	size_t		 textlen;
};

static struct sum	S[MAXREC];
static size_t		NS;

static void
keep(const struct lw_record *r)
{
	struct sum	*s;
	size_t		 n;

	assert_true(NS < MAXREC);
	s = &S[NS++];
	s->level = r->level;
	s->header_level = r->header_level;
	s->nlines = r->nlines;
	s->has_time = r->has_time;
	s->time_ms = r->time_ms;
	s->tb = r->has_traceback;
	s->cut = r->cut;
	s->late = r->late;
	s->textlen = r->text.len;
	n = r->message.len < sizeof(s->msg) - 1 ? r->message.len :
	    sizeof(s->msg) - 1;
	memcpy(s->msg, r->message.p, n);
	s->msg[n] = '\0';
	n = r->last.len < sizeof(s->last) - 1 ? r->last.len :
	    sizeof(s->last) - 1;
	memcpy(s->last, r->last.p, n);
	s->last[n] = '\0';
	/* text always starts with the first line and holds nlines lines */
	if (!r->cut) {
		size_t	i, nl = 0;

		for (i = 0; i < r->text.len; i++)
			nl += r->text.p[i] == '\n';
		assert_true(nl + 1 <= r->nlines);
	}
}

static void
run_file(const char *name)
{
	struct lw_asm		*a;
	struct lw_record	 r;
	char			 path[512], *line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	FILE			*f;

	NS = 0;
	snprintf(path, sizeof(path), "%s/botlogs/%s", LW_SHARED_DIR, name);
	assert_non_null(f = fopen(path, "r"));
	a = lw_asm_new(64 * 1024, 1000);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (strncmp(line, "# source:", 9) == 0 ||
		    strncmp(line, "# note:", 7) == 0)
			continue;
		if (lw_asm_feed(a, line, (size_t)n, &r))
			keep(&r);
	}
	if (lw_asm_flush(a, &r))
		keep(&r);
	assert_int_equal(lw_asm_flush(a, &r), 0);
	lw_asm_free(a);
	free(line);
	fclose(f);
}

static void
check_counts(size_t total, unsigned dbg, unsigned inf, unsigned wrn,
    unsigned err, unsigned crit)
{
	unsigned	c[LW_LVL_COUNT] = { 0 };
	size_t		i;

	assert_int_equal(NS, total);
	for (i = 0; i < NS; i++) {
		assert_true(S[i].has_time);
		assert_int_not_equal(S[i].level, LW_LVL_UNKNOWN);
		assert_int_equal(S[i].late, 0);
		assert_int_equal(S[i].cut, 0);
		c[S[i].level]++;
	}
	assert_int_equal(c[LW_LVL_DEBUG], dbg);
	assert_int_equal(c[LW_LVL_INFO], inf);
	assert_int_equal(c[LW_LVL_WARNING], wrn);
	assert_int_equal(c[LW_LVL_ERROR], err);
	assert_int_equal(c[LW_LVL_CRITICAL], crit);
}

/* The i-th record (in file order) whose message starts with pfx. */
static const struct sum *
find(const char *pfx, int nth)
{
	size_t	i;

	for (i = 0; i < NS; i++)
		if (strncmp(S[i].msg, pfx, strlen(pfx)) == 0 && nth-- == 0)
			return &S[i];
	fail_msg("no record \"%s\"", pfx);
	return NULL;
}

static void
t_binance(void **state)
{
	const struct sum	*s;

	(void)state;
	run_file("binance_trade_bot.log");
	check_counts(45, 0, 27, 0, 18, 0);
	s = find("Traceback: Traceback (most recent call last):", 0);
	assert_int_equal(s->nlines, 17);
	assert_true(s->tb);
	assert_string_equal(s->last, "binance.exceptions.BinanceAPIException:"
	    " APIError(code=-2014): API-key format invalid.");
}

static void
t_freqtrade(void **state)
{
	const struct sum	*s;

	(void)state;
	run_file("freqtrade.log");
	check_counts(193, 0, 110, 65, 17, 1);
	/* four chained tracebacks in one record */
	s = find("Unable to initialize markets.", 0);
	assert_int_equal(s->nlines, 67);
	assert_true(s->tb);
	assert_string_equal(s->last, "ccxt.base.errors.NetworkError: ftx GET "
	    "https://ftx.com/api/coins");
	/* an INFO record raised by the traceback that follows it */
	s = find("Parameter --db-url detected ...", 1);
	assert_int_equal(s->nlines, 59);
	assert_int_equal(s->header_level, LW_LVL_INFO);
	assert_int_equal(s->level, LW_LVL_ERROR);
	/* multi-line, blank lines, not a traceback */
	s = find("Invalid configuration.", 0);
	assert_int_equal(s->nlines, 7);
	assert_int_equal(s->level, LW_LVL_CRITICAL);
	assert_false(s->tb);
	assert_string_equal(s->last, "    10");
	s = find("Unclosed client session", 0);
	assert_int_equal(s->nlines, 2);
	assert_int_equal(s->level, LW_LVL_ERROR);
	assert_false(s->tb);
	s = find("API Error calling: Bot is not in the correct state", 0);
	assert_int_equal(s->nlines, 2);
	assert_string_equal(s->last, "NoneType: None");
}

static void
t_hummingbot(void **state)
{
	const struct sum	*s;

	(void)state;
	run_file("hummingbot.log");
	check_counts(106, 0, 81, 7, 18, 0);
	s = find("Error submitting buy LIMIT_MAKER order to Kucoin for "
	    "600655", 0);
	assert_int_equal(s->nlines, 13);
	assert_int_equal(s->header_level, LW_LVL_INFO);	/* NETWORK */
	assert_int_equal(s->level, LW_LVL_ERROR);
	assert_true(strncmp(s->last, "OSError: Error executing request POST",
	    37) == 0);
	s = find("Error submitting buy LIMIT_MAKER order to Kucoin for 23.5", 0);
	assert_int_equal(s->nlines, 7);
	assert_string_equal(s->last, "KeyError: 'data'");
}

static void
t_octobot(void **state)
{
	const struct sum	*s;

	(void)state;
	run_file("octobot.log");
	check_counts(128, 68, 28, 16, 16, 0);
	s = find("BINANCE.ws.6: encountered connection issue", 0);
	assert_int_equal(s->nlines, 34);
	assert_int_equal(s->header_level, LW_LVL_WARNING);
	assert_int_equal(s->level, LW_LVL_ERROR);
	assert_string_equal(s->last, "websockets.exceptions."
	    "ConnectionClosedError: sent 1000 (OK); no close frame received");
	/* a notification with an embedded newline */
	s = find("Publishing notification: [Notification] title: OCTOBOT", 0);
	assert_int_equal(s->nlines, 2);
	assert_int_equal(s->level, LW_LVL_DEBUG);
	s = find("'config'", 0);
	assert_int_equal(s->nlines, 9);
	assert_string_equal(s->last, "KeyError: 'config'");
}

static void
t_octobot_nonutf8(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;
	const struct sum	*s;
	char			 path[512], *line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	FILE			*f;
	int			 seen = 0;

	(void)state;
	run_file("octobot_nonutf8.log");
	check_counts(10, 2, 6, 0, 2, 0);
	s = find("File \"start.py\", line 21", 0);
	assert_int_equal(s->nlines, 9);
	assert_int_equal(s->level, LW_LVL_ERROR);
	assert_string_equal(s->last, "NoneType: None");
	/* the CP949 bytes are kept as they are in the record text */
	snprintf(path, sizeof(path), "%s/botlogs/octobot_nonutf8.log",
	    LW_SHARED_DIR);
	assert_non_null(f = fopen(path, "r"));
	a = lw_asm_new(4096, 100);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			n--;
		if (line[0] == '#')
			continue;
		if (lw_asm_feed(a, line, (size_t)n, &r) &&
		    r.nlines == 9) {
			assert_true(lw_utf8_valid_prefix(r.text.p, r.text.len) <
			    r.text.len);
			assert_non_null(memmem(r.text.p, r.text.len,
			    "# octobot.cli \xbf\xa1\xbc\xad main", 19));
			seen++;
		}
	}
	assert_int_equal(seen, 1);
	lw_asm_free(a);
	free(line);
	fclose(f);
}

static int
feed(struct lw_asm *a, const char *s, struct lw_record *r)
{
	return lw_asm_feed(a, s, strlen(s), r);
}

static void
t_orphans(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;

	(void)state;
	/* continuation lines with nothing before them */
	a = lw_asm_new(4096, 100);
	assert_int_equal(feed(a, "    at something", &r), 0);
	assert_int_equal(feed(a, "more", &r), 0);
	assert_int_equal(feed(a, "2024-01-01 00:00:00,000 - b - INFO - x", &r),
	    1);
	assert_int_equal(r.level, LW_LVL_UNKNOWN);
	assert_int_equal(r.has_time, 0);
	assert_int_equal(r.late, 0);
	assert_int_equal(r.nlines, 2);
	assert_int_equal(r.text.len, strlen("    at something\nmore"));
	assert_memory_equal(r.text.p, "    at something\nmore", r.text.len);
	lw_asm_free(a);
	/* a traceback with no header before it */
	a = lw_asm_new(4096, 100);
	assert_int_equal(feed(a, "Traceback (most recent call last):", &r), 0);
	assert_int_equal(feed(a, "  File \"a.py\", line 1, in <module>", &r),
	    0);
	assert_int_equal(feed(a, "ZeroDivisionError: division by zero", &r),
	    0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(r.level, LW_LVL_ERROR);
	assert_true(r.has_traceback);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(r.last.len, strlen("ZeroDivisionError: division by "
	    "zero"));
	assert_int_equal(lw_asm_flush(a, &r), 0);
	lw_asm_free(a);
}

static void
t_inherit_and_buffers(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r, r2;

	(void)state;
	a = lw_asm_new(4096, 100);
	assert_int_equal(feed(a, "2024-01-01 00:00:07,250 - b - INFO - "
	    "first k=v", &r), 0);
	assert_int_equal(feed(a, "CRITICAL:root:glued record", &r), 1);
	assert_true(r.has_time);
	assert_int_equal(r.inherited_time, 0);
	assert_int_equal(r.time_ms, 1704067207250LL);
	assert_int_equal(r.nkv, 1);
	assert_int_equal(r.kv[0].key.len, 1);
	assert_memory_equal(r.kv[0].key.p, "k", 1);
	assert_memory_equal(r.kv[0].val.p, "v", 1);
	assert_int_equal(lw_asm_flush(a, &r2), 1);
	/* no time of its own: the previous record's */
	assert_true(r2.has_time);
	assert_true(r2.inherited_time);
	assert_int_equal(r2.time_ms, 1704067207250LL);
	assert_int_equal(r2.level, LW_LVL_CRITICAL);
	assert_memory_equal(r2.component.p, "root", 4);
	/* the record returned before is still intact (double buffer) */
	assert_int_equal(r.message.len, strlen("first k=v"));
	assert_memory_equal(r.message.p, "first k=v", r.message.len);
	assert_memory_equal(r.component.p, "b", 1);
	lw_asm_free(a);
}

static void
t_late(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;

	(void)state;
	a = lw_asm_new(4096, 100);
	assert_int_equal(feed(a, "2024-01-01 00:00:00,000 - b - WARNING - "
	    "retrying", &r), 0);
	assert_true(lw_asm_pending(a));
	assert_int_equal(lw_asm_flush(a, &r), 1);	/* idle timer */
	assert_false(lw_asm_pending(a));
	assert_int_equal(r.level, LW_LVL_WARNING);
	assert_int_equal(r.late, 0);
	/* the slow writer finishes the record */
	assert_int_equal(feed(a, "Traceback (most recent call last):", &r), 0);
	assert_int_equal(feed(a, "  File \"x.py\", line 2, in f", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_true(r.late);
	assert_true(r.escalated);
	assert_true(r.has_traceback);
	assert_int_equal(r.level, LW_LVL_ERROR);
	assert_int_equal(r.header_level, LW_LVL_WARNING);
	assert_true(r.inherited_time);
	assert_int_equal(r.time_ms, 1704067200000LL);
	assert_int_equal(r.nlines, 2);
	/* more of the same traceback: still late, not counted again */
	assert_int_equal(feed(a, "ValueError: x", &r), 0);
	assert_int_equal(feed(a, "2024-01-01 00:00:05,000 - b - INFO - next",
	    &r), 1);
	assert_true(r.late);
	assert_false(r.escalated);
	assert_false(r.has_traceback);
	assert_int_equal(r.level, LW_LVL_ERROR);
	assert_int_equal(r.last.len, strlen("ValueError: x"));
	/* the new record is an ordinary one */
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_false(r.late);
	assert_int_equal(r.level, LW_LVL_INFO);
	assert_int_equal(r.time_ms, 1704067205000LL);
	/* a late traceback after an ERROR record raises nothing */
	assert_int_equal(feed(a, "2024-01-01 00:00:06,000 - b - ERROR - "
	    "Fatal exception!", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(feed(a, "Traceback (most recent call last):", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_true(r.late);
	assert_true(r.has_traceback);
	assert_false(r.escalated);
	lw_asm_free(a);
}

static void
t_caps(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;
	char			 line[64];
	size_t			 i, nl;
	int			 k;

	(void)state;
	/* line cap: text keeps 3 lines; a traceback past it still counts */
	a = lw_asm_new(4096, 3);
	assert_int_equal(feed(a, "2024-01-01 00:00:00,000 - b - INFO - head",
	    &r), 0);
	for (k = 0; k < 10; k++) {
		snprintf(line, sizeof(line), "  filler %d", k);
		assert_int_equal(feed(a, line, &r), 0);
	}
	assert_int_equal(feed(a, "Traceback (most recent call last):", &r), 0);
	assert_int_equal(feed(a, "RuntimeError: boom", &r), 0);
	assert_int_equal(feed(a, "", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(r.nlines, 14);
	assert_true(r.cut);
	assert_true(r.has_traceback);
	assert_int_equal(r.level, LW_LVL_ERROR);
	for (i = 0, nl = 0; i < r.text.len; i++)
		nl += r.text.p[i] == '\n';
	assert_int_equal(nl, 2);
	assert_int_equal(r.text.len, strlen("2024-01-01 00:00:00,000 - b - "
	    "INFO - head\n  filler 0\n  filler 1"));
	assert_int_equal(r.last.len, strlen("RuntimeError: boom"));
	assert_memory_equal(r.last.p, "RuntimeError: boom", r.last.len);
	lw_asm_free(a);

	/* byte cap: cut inside a line at a UTF-8 boundary, then only count */
	a = lw_asm_new(300, 100);
	assert_int_equal(feed(a, "2024-01-01 00:00:00,000 - b - INFO - head",
	    &r), 0);
	for (k = 0; k < 40; k++)
		assert_int_equal(feed(a, "  \xc3\xa9\xc3\xa9\xc3\xa9 caf\xc3\xa9",
		    &r), 0);
	assert_int_equal(feed(a, "short", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_true(r.cut);
	assert_int_equal(r.nlines, 42);
	assert_true(r.text.len <= 300 && r.text.len > 280);
	assert_int_equal(lw_utf8_valid_prefix(r.text.p, r.text.len),
	    r.text.len);
	assert_null(memmem(r.text.p, r.text.len, "short", 5));
	lw_asm_free(a);
}

static void
t_bytes(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;
	static const char	 nul[] = "  frame\0with nul\r";
	char			*big;
	size_t			 n = 1u << 20, pfx;

	(void)state;
	a = lw_asm_new(65536, 100);
	/* CRLF and NUL bytes */
	assert_int_equal(feed(a, "2024-01-01 00:00:00,000 - b - ERROR - "
	    "crlf\r", &r), 0);
	assert_int_equal(lw_asm_feed(a, nul, sizeof(nul) - 1, &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(r.nlines, 2);
	assert_null(memchr(r.text.p, '\r', r.text.len));
	assert_int_equal(r.text.len, strlen("2024-01-01 00:00:00,000 - b - "
	    "ERROR - crlf\n") + sizeof(nul) - 2);
	assert_memory_equal(r.text.p + r.text.len - 14, "frame\0with nul",
	    14);
	assert_memory_equal(r.message.p, "crlf", 4);
	assert_int_equal(r.message.len, 4);
	/* ANSI colours are not kept */
	assert_int_equal(feed(a, "\x1b[33m2024-01-01 00:00:01,000 - b - "
	    "WARNING - \x1b[1mcoloured\x1b[0m", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(r.level, LW_LVL_WARNING);
	assert_int_equal(r.message.len, 8);
	assert_memory_equal(r.message.p, "coloured", 8);
	assert_null(memchr(r.text.p, '\x1b', r.text.len));
	/* a 1 MiB line: capped, counted once, message capped too */
	big = malloc(n);
	assert_non_null(big);
	pfx = (size_t)snprintf(big, n, "2024-01-01 00:00:02,000 - b - ERROR "
	    "- ");
	memset(big + pfx, 'y', n - pfx);
	assert_int_equal(lw_asm_feed(a, big, n, &r), 0);
	free(big);	/* the record must not point into the line */
	assert_int_equal(feed(a, "tail", &r), 0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_int_equal(r.nlines, 2);
	assert_true(r.cut);
	assert_int_equal(r.text.len, 65536);
	assert_int_equal(r.message.len, 65536);
	assert_int_equal(r.message.p[65535], 'y');
	assert_int_equal(r.level, LW_LVL_ERROR);
	lw_asm_free(a);
	lw_asm_free(NULL);
}

static void
t_jesse_and_docker(void **state)
{
	struct lw_asm		*a;
	struct lw_record	 r;

	(void)state;
	a = lw_asm_new(4096, 100);
	/* jesse logs the traceback as the message of an INFO record */
	assert_int_equal(feed(a, "[INFO | 2021-06-22T10:12:30] Traceback "
	    "(most recent call last):", &r), 0);
	assert_int_equal(feed(a, "  File \"jesse/x.py\", line 9, in run", &r),
	    0);
	assert_int_equal(feed(a, "ConnectionResetError: [Errno 104]", &r), 0);
	assert_int_equal(feed(a, "[ERROR | 2021-06-22T10:12:30] "
	    "ConnectionResetError: [Errno 104]", &r), 1);
	assert_int_equal(r.level, LW_LVL_ERROR);
	assert_int_equal(r.header_level, LW_LVL_INFO);
	assert_true(r.has_traceback);
	assert_int_equal(r.nlines, 3);
	/* docker compose: the prefix is dropped from every line's text */
	assert_int_equal(feed(a, "freqtrade  | 2024-01-01 00:00:00,000 - "
	    "freqtrade.worker - ERROR - Fatal exception!", &r), 1);
	assert_int_equal(feed(a, "freqtrade  | Traceback (most recent call "
	    "last):", &r), 0);
	assert_int_equal(feed(a, "freqtrade  |   File \"w.py\", line 1", &r),
	    0);
	assert_int_equal(lw_asm_flush(a, &r), 1);
	assert_true(r.has_traceback);
	assert_int_equal(r.nlines, 3);
	assert_int_equal(r.text.len, strlen("2024-01-01 00:00:00,000 - "
	    "freqtrade.worker - ERROR - Fatal exception!\nTraceback (most "
	    "recent call last):\n  File \"w.py\", line 1"));
	assert_null(memmem(r.text.p, r.text.len, "freqtrade  |", 12));
	lw_asm_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_binance),
		cmocka_unit_test(t_freqtrade),
		cmocka_unit_test(t_hummingbot),
		cmocka_unit_test(t_octobot),
		cmocka_unit_test(t_octobot_nonutf8),
		cmocka_unit_test(t_orphans),
		cmocka_unit_test(t_inherit_and_buffers),
		cmocka_unit_test(t_late),
		cmocka_unit_test(t_caps),
		cmocka_unit_test(t_bytes),
		cmocka_unit_test(t_jesse_and_docker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
