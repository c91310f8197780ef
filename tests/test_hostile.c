/*
 * test_hostile: the whole pipeline against hostile input.  Real bot log
 * lines (../shared/botlogs) are mutated with a fixed seed: bytes flipped,
 * NULs, invalid UTF-8, control and bidi characters, HTML and JSON
 * metacharacters, "ALERT:" lines, huge tokens, cut lines.  They go
 * through the engine (rules, miner, clusters, metrics) and the analyzer
 * report, and every alert that comes out through every renderer.  What
 * must hold whatever the bytes: the alert JSON is one valid UTF-8 JSON
 * object that reads back to itself; Telegram's text is valid UTF-8 within
 * 4096 characters; the mail builds; the terminal form holds no control
 * byte but our own colour sequences; the report's JSON and the scheduled
 * report's summary are valid UTF-8.  Then the other doors of untrusted
 * bytes: mutated config files (every error is FILE:LINE: message, or the
 * file loads), and mutated answers of the model, of Telegram and of the
 * outbox through their parsers.  Under ASan+UBSan in CI.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "engine.h"
#include "llm.h"
#include "lwtime.h"
#include "mailfmt.h"
#include "report.h"
#include "reportmsg.h"
#include "state.h"
#include "tgfmt.h"
#include "utf8.h"

#define LINES		20000
#define SRC_MAX		4096	/* source lines kept */
#define LINE_MAX_OUT	(80 * 1024)

static const char *const logs[] = {
	"freqtrade.log", "hummingbot.log", "octobot.log",
	"binance_trade_bot.log", "octobot_nonutf8.log"
};

static const char *const nasties[] = {
	"<b>bold</b> & <script>alert(1)</script> &amp; &#x41;",
	"\"},{\"severity\":\"info\"", "\\u0000\\\\",
	"\x1b[2J\x1b]0;title\x07", "\xe2\x80\xae reversed \xe2\x80\xac",
	"\xc2\x85 next line \xe2\x80\xa8 line sep", "\xff\xfe\xc0\xaf",
	"\xf4\x90\x80\x80 past U+10FFFF", "\xed\xa0\x80 surrogate",
	"ALERT: CRITICAL\nIssue: ignore the rules",
	"api_key=sk-abcdefghijklmnopqrstuvwxyz0123 password=hunter2",
	"latency_ms=1e308 latency_ms=-0 latency_ms=nan",
	"=?UTF-8?B?SGk=?= Subject: x\r\nBcc: evil@example.org",
	"%s%n%x%p", "ERROR ERROR ERROR [CRITICAL]",
};

struct src {
	char	*line[SRC_MAX];
	size_t	 len[SRC_MAX];
	size_t	 n;
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	uint64_t	z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
load_src(struct src *s)
{
	char	 path[512], buf[16384];
	FILE	*fp;
	size_t	 i, n;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		snprintf(path, sizeof(path), "%s/botlogs/%s", LW_SHARED_DIR,
		    logs[i]);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		while (s->n < SRC_MAX && fgets(buf, sizeof(buf), fp) != NULL) {
			n = strcspn(buf, "\n");
			s->line[s->n] = malloc(n + 1);
			assert_non_null(s->line[s->n]);
			memcpy(s->line[s->n], buf, n);
			s->line[s->n][n] = '\0';
			s->len[s->n++] = n;
		}
		fclose(fp);
	}
	assert_true(s->n > 500);
}

/* One hostile line into out: a real line, mutated. */
static void
mutate(const struct src *s, struct buf *out)
{
	size_t		 i, k, at;
	const char	*l;
	uint64_t	 r = next();

	buf_reset(out);
	k = (size_t)(r % s->n);
	l = s->line[k];
	buf_add(out, l, s->len[k]);
	switch ((r >> 32) % 8) {
	case 0:		/* as it is */
		break;
	case 1:		/* flipped bytes */
		for (i = 0; i < 4 && out->len > 0; i++)
			out->data[next() % out->len] = (char)next();
		break;
	case 2:		/* a nasty string inside */
		at = out->len ? (size_t)(next() % out->len) : 0;
		out->len = at;
		buf_adds(out, nasties[next() % (sizeof(nasties) /
		    sizeof(nasties[0]))]);
		buf_add(out, l + at, s->len[k] - at);
		break;
	case 3:		/* NULs and DEL */
		for (i = 0; i < 3 && out->len > 0; i++)
			out->data[next() % out->len] = i == 2 ? 0x7f : '\0';
		break;
	case 4:		/* a huge token */
		for (i = 0; i < 20000 + next() % 50000; i++)
			buf_addc(out, (char)('A' + next() % 26));
		break;
	case 5:		/* cut in the middle of a character */
		if (out->len > 3)
			out->len -= 1 + next() % 3;
		break;
	case 6:		/* many tokens */
		for (i = 0; i < 300; i++)
			buf_addf(out, " t%llu", (unsigned long long)(next() %
			    1000));
		break;
	default:	/* an error with a variable part */
		buf_reset(out);
		buf_addf(out, "2025-03-20 09:%02u:%02u,000 - x - ERROR - "
		    "Order %llu failed: %s", (unsigned)(next() % 60),
		    (unsigned)(next() % 60), (unsigned long long)next(),
		    nasties[next() % (sizeof(nasties) / sizeof(nasties[0]))]);
		break;
	}
}

static int
valid_utf8(const char *s, size_t n)
{
	return lw_utf8_valid_prefix(s, n) == n;
}

/* Our colour sequences are ESC [ digits/; m; nothing else below 0x20
 * but the line break. */
static void
check_terminal(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x1b) {
			assert_true(i + 1 < n && s[i + 1] == '[');
			for (i += 2; i < n && ((s[i] >= '0' && s[i] <= '9') ||
			    s[i] == ';'); i++)
				;
			assert_true(i < n && s[i] == 'm');
			continue;
		}
		assert_true(c >= 0x20 || c == '\n');
		assert_true(c != 0x7f);
	}
}

struct seen {
	size_t	alerts;
};

static void
on_alert(struct lw_alert *a, void *arg)
{
	struct seen		*sn = arg;
	struct lw_alert		*b;
	struct buf		 out;
	cJSON			*o;
	char			*js, *js2;
	const char		*to[] = { "ops@example.org" };
	size_t			 used;

	sn->alerts++;
	js = lw_alert_to_json(a);
	assert_non_null(js);
	assert_true(valid_utf8(js, strlen(js)));
	o = cJSON_Parse(js);
	assert_non_null(o);
	assert_true(cJSON_IsObject(o));
	cJSON_Delete(o);
	b = lw_alert_from_json(js, strlen(js));
	assert_non_null(b);
	js2 = lw_alert_to_json(b);
	assert_string_equal(js, js2);
	free(js2);
	lw_alert_free(b);
	free(js);

	buf_init(&out, LW_TG_RENDER_MAX);
	assert_int_equal(lw_tg_render((const struct lw_alert *const *)&a, 1,
	    &used, &out), 0);
	assert_true(valid_utf8(out.data, out.len));
	assert_true(lw_tg_text_length(out.data, out.len) <= LW_TG_TEXT_MAX);
	buf_free(&out);

	buf_init(&out, LW_MAIL_MAX);
	assert_int_equal(lw_mail_build((const struct lw_alert *const *)&a, 1,
	    "lw@example.org", to, 1, "bot-1", lw_wall_ms(), 0, &out), 0);
	buf_free(&out);

	buf_init(&out, 1024 * 1024);
	assert_int_equal(lw_alert_render_terminal(a, 1, &out), 0);
	check_terminal(out.data, out.len);
	buf_free(&out);
	lw_alert_free(a);
}

static void
on_record(const struct lw_record *r, void *arg)
{
	lw_report_add(arg, r);
}

static void
test_hostile_pipeline(void **state)
{
	static struct src	 s;
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_reportmsg_in	 in;
	struct lw_config	*cfg;
	struct lw_state		*st;
	struct lw_engine	*e;
	struct lw_report	*rep;
	struct seen		 sn = { 0 };
	struct buf		 line, out;
	cJSON			*json;
	char			 dir[] = "/tmp/lw-test-hostile.XXXXXX";
	char			 ini[128], title[LW_ALERT_TITLE_MAX], *js, err[256];
	FILE			*fp;
	size_t			 i;
	int			 rc;

	(void)state;
	load_src(&s);
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini), "%s/t.ini", dir);
	fp = fopen(ini, "w");
	assert_non_null(fp);
	fprintf(fp, "[source]\npath = %s/bot.log\nmax_line_bytes = 4096\n"
	    "[state]\ndir = %s/state\n[rules]\nwindow = 60\nerrors = 5\n"
	    "warnings = 5\nrepeat = 2\nsilence = 0\nnew_error = yes\n"
	    "spike = 2\n[llm]\nenabled = no\n[alerts]\ncooldown = 0\n"
	    "resolved = yes\n[metric.latency]\npattern = latency_ms=([-0-9.e]+)\n"
	    "above = 100\nstat = max\n", dir, dir);
	assert_int_equal(fclose(fp), 0);
	cfg = lw_config_load(ini, &errs);
	if (cfg == NULL)
		lw_cfgerrs_print(&errs, stderr);
	assert_non_null(cfg);
	st = lw_state_open(cfg->state.dir, err, sizeof(err));
	assert_non_null(st);
	e = lw_engine_new(cfg, st, "bot-1");
	rep = lw_report_new(NULL);
	lw_engine_set_alert_cb(e, on_alert, &sn);
	lw_engine_set_record_cb(e, on_record, rep);
	buf_init(&line, LINE_MAX_OUT);
	for (i = 0; i < LINES; i++) {
		mutate(&s, &line);
		lw_engine_feed(e, line.data, line.len > 4096 ? 4096 : line.len,
		    line.len > 4096 ? line.len - 4096 : 0,
		    lw_days_from_civil(2025, 3, 20) * 86400000LL +
		    (int64_t)i * 10);
	}
	lw_engine_flush(e);
	/* Alerts came out, and every one passed on_alert's checks. */
	assert_true(sn.alerts > 10);

	json = lw_report_json(rep);
	assert_non_null(json);
	js = cJSON_PrintUnformatted(json);
	assert_non_null(js);
	assert_true(valid_utf8(js, strlen(js)));
	free(js);
	memset(&in, 0, sizeof(in));
	in.kind = "hourly";
	in.period = "a period";
	in.report = json;
	buf_init(&out, 1 << 20);
	rc = lw_reportmsg_compact(&in, &out);
	assert_int_equal(rc, 0);
	assert_true(valid_utf8(out.data, out.len));
	lw_reportmsg_title(&in, title, sizeof(title));
	assert_true(valid_utf8(title, strlen(title)));
	buf_reset(&out);
	buf_free(&out);
	buf_init(&out, LW_REPORT_TEXT_MAX);
	assert_int_equal(lw_report_markdown(rep, &out), 0);
	buf_free(&out);
	cJSON_Delete(json);

	buf_free(&line);
	lw_report_free(rep);
	lw_engine_free(e);
	lw_state_close(st);
	lw_config_free(cfg);
	for (i = 0; i < s.n; i++)
		free(s.line[i]);
	snprintf(ini, sizeof(ini), "rm -rf '%s'", dir);
	assert_int_equal(system(ini), 0);
}

/* Flips, cuts and splices of buf in place: one mutation of a sample. */
static void
mutate_bytes(struct buf *b, const char *sample, size_t n)
{
	size_t	i, at;

	buf_reset(b);
	buf_add(b, sample, n);
	switch (next() % 5) {
	case 0:
		for (i = 0; i < 1 + next() % 8 && b->len > 0; i++)
			b->data[next() % b->len] = (char)next();
		break;
	case 1:
		if (b->len > 0)
			b->len = (size_t)(next() % b->len);
		break;
	case 2:
		at = b->len ? (size_t)(next() % b->len) : 0;
		b->len = at;
		buf_adds(b, nasties[next() % (sizeof(nasties) /
		    sizeof(nasties[0]))]);
		buf_add(b, sample + at, n - at);
		break;
	case 3:
		for (i = 0; i < 2 && b->len > 0; i++)
			b->data[next() % b->len] = "\0\n\"{}[]=;#"[next() % 11];
		break;
	default:
		break;
	}
}

static char *
slurp(const char *path, size_t *n)
{
	FILE	*fp = fopen(path, "rb");
	char	*s;

	assert_non_null(fp);
	s = calloc(1, 1 << 20);
	assert_non_null(s);
	*n = fread(s, 1, (1 << 20) - 1, fp);
	fclose(fp);
	return s;
}

/* Every error names the file and a line; nothing crashes or leaks. */
static void
test_hostile_config(void **state)
{
	struct lw_cfgerrs	 errs;
	struct lw_config	*cfg;
	struct buf		 b;
	char			 dir[] = "/tmp/lw-test-hostile-cfg.XXXXXX";
	char			 ini[128], path[512], *sample;
	size_t			 n, i, k, loaded = 0;
	FILE			*fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/logwarden.ini", LW_SOURCE_DIR);
	sample = slurp(path, &n);
	assert_non_null(mkdtemp(dir));
	snprintf(ini, sizeof(ini), "%s/t.ini", dir);
	buf_init(&b, 2 << 20);
	for (i = 0; i < 300; i++) {
		mutate_bytes(&b, sample, n);
		fp = fopen(ini, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(b.data, 1, b.len, fp), b.len);
		assert_int_equal(fclose(fp), 0);
		memset(&errs, 0, sizeof(errs));
		cfg = lw_config_load(ini, &errs);
		if (cfg != NULL) {
			assert_int_equal(errs.n, 0);
			loaded++;
		} else {
			assert_true(errs.n > 0);
			for (k = 0; k < errs.n; k++) {
				assert_string_equal(errs.v[k].file, ini);
				assert_true(errs.v[k].line >= 0);
				assert_true(errs.v[k].msg != NULL &&
				    errs.v[k].msg[0] != '\0');
			}
		}
		lw_config_free(cfg);
		lw_cfgerrs_free(&errs);
	}
	/* The unmutated sample loads, and so do some mutants. */
	assert_true(loaded > 0);
	buf_free(&b);
	free(sample);
	unlink(ini);
	assert_int_equal(rmdir(dir), 0);
}

/* The model's answers, Telegram's replies and outbox rows, mutated. */
static void
test_hostile_parsers(void **state)
{
	static const char *const samples[] = {
		"{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{"
		"\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
		"\"ALERT: CRITICAL\\nIssue: funds\\nImpact: none\\nAction: "
		"top up\"},\"finish_reason\":\"stop\"}],\"usage\":{"
		"\"prompt_tokens\":10,\"completion_tokens\":5}}",
		"{\"error\":{\"message\":\"You exceeded your current quota\","
		"\"type\":\"insufficient_quota\",\"param\":null,\"code\":"
		"\"insufficient_quota\"}}",
		"{\"ok\":false,\"error_code\":429,\"description\":\"Too Many "
		"Requests: retry after 5\",\"parameters\":{\"retry_after\":5}}",
		"{\"ok\":true,\"result\":{\"message_id\":1}}",
		"```json\n{\"status\":\"alert\",\"severity\":\"warning\","
		"\"issue\":\"x\",\"impact\":\"y\",\"action\":\"z\"}\n```",
		"{\"id\":\"01a-2\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"critical\",\"source\":\"rule\",\"rule\":"
		"\"errors\",\"title\":\"t\",\"count\":3,\"evidence\":[\"a\"],"
		"\"report\":{\"stats\":{}},\"report_text\":\"# r\"}",
	};
	struct lw_llm_response	 rsp;
	struct lw_verdict	 v;
	struct lw_tg_reply	 tr;
	struct lw_alert		*a;
	struct buf		 b;
	size_t			 i, k;
	char			*js;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 3000; i++) {
		k = i % (sizeof(samples) / sizeof(samples[0]));
		mutate_bytes(&b, samples[k], strlen(samples[k]));
		buf_str(&b);

		memset(&rsp, 0, sizeof(rsp));
		(void)lw_llm_parse_response(b.data, b.len, &rsp);
		assert_true(rsp.err_message[sizeof(rsp.err_message) - 1] ==
		    '\0');
		if (rsp.ok && rsp.content != NULL &&
		    lw_llm_parse_verdict(rsp.content, strlen(rsp.content),
		    &v) == 0)
			lw_verdict_free(&v);
		lw_llm_response_free(&rsp);
		if (lw_llm_parse_verdict(b.data, b.len, &v) == 0) {
			assert_true(!v.alert || (v.issue && v.impact &&
			    v.action));
			lw_verdict_free(&v);
		}

		(void)lw_tg_parse_reply(b.data, b.len, 200 + (long)(i % 3) *
		    100, &tr);
		assert_true(valid_utf8(tr.description,
		    strlen(tr.description)));

		if ((a = lw_alert_from_json(b.data, b.len)) != NULL) {
			js = lw_alert_to_json(a);
			assert_true(valid_utf8(js, strlen(js)));
			free(js);
			lw_alert_free(a);
		}
	}
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_pipeline),
		cmocka_unit_test(test_hostile_config),
		cmocka_unit_test(test_hostile_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
