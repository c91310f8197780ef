/*
 * test_alert: the alert object, its SPEC JSON (shape, valid UTF-8 from
 * any bytes, round trip through the outbox form), evidence redaction and
 * cap, and the terminal rendering's escaping of hostile bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "lwtime.h"
#include "utf8.h"

#define KEY64 "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"

static int
valid_utf8(const char *s)
{
	return lw_utf8_valid_prefix(s, strlen(s)) == strlen(s);
}

static void
fill(struct lw_alert *a)
{
	lw_alert_init(a);
	a->time_ms = 1742481312345LL;	/* 2025-03-20T14:35:12.345Z */
	a->severity = LW_SEV_WARNING;
	lw_alert_set_rule(a, "repeat");
	lw_alert_set_title(a, "Order placement failed 15 times");
	lw_alert_set_detail(a, "What: \"insufficient balance\"\n\tImpact: "
	    "no new trades \xe2\x9a\xa0\nAction: top up \\ check");
	lw_alert_set_host(a, "bot-1");
	lw_alert_set_log(a, "/var/log/freqtrade.log");
	lw_alert_set_template(a, "Order placement failed: <*>");
	lw_alert_set_count(a, 15);
	lw_alert_set_key(a, "repeat\x1fOrder placement failed: <*>");
}

static void
test_init_and_setters(void **state)
{
	struct lw_alert	 a, b;
	char		 buf[32] = "errors";
	int64_t		 now = lw_wall_ms();

	(void)state;
	lw_alert_init(&a);
	lw_alert_init(&b);
	assert_true(strlen(a.id) > 16 && strlen(a.id) < sizeof(a.id));
	assert_string_not_equal(a.id, b.id);
	assert_true(a.time_ms >= now - 1000 && a.time_ms <= now + 1000);
	assert_null(a.rule);
	assert_int_equal(a.has_count, 0);

	lw_alert_set_rule(&a, buf);
	buf[0] = 'X';			/* setters copy */
	assert_string_equal(a.rule, "errors");
	lw_alert_set_title(&a, "two\r\nlines\nhere");
	assert_string_equal(a.title, "two  lines here");
	lw_alert_set_template(&a, "t <*>");
	lw_alert_set_template(&a, NULL);
	assert_null(a.tmpl);
	lw_alert_clear(&a);
	lw_alert_clear(&b);
	lw_alert_clear(NULL);
	lw_alert_free(NULL);
}

static void
test_ids_unique(void **state)
{
	char		ids[500][40];
	struct lw_alert	a;
	int		i, j;

	(void)state;
	for (i = 0; i < 500; i++) {
		lw_alert_init(&a);
		memcpy(ids[i], a.id, sizeof(a.id));
		for (j = 0; j < i; j++)
			assert_string_not_equal(ids[i], ids[j]);
	}
}

static void
test_json_shape(void **state)
{
	static const char *const order[] = { "id", "time", "severity",
	    "source", "rule", "title", "detail", "host", "log", "count",
	    "template", "evidence" };
	struct lw_alert	 a;
	char		*js;
	cJSON		*o, *it;
	size_t		 i = 0;

	(void)state;
	fill(&a);
	assert_int_equal(lw_alert_add_evidence(&a, NULL, "line one", 8), 0);
	js = lw_alert_to_json(&a);
	assert_null(strchr(js, '\n'));		/* one line */
	assert_non_null(strstr(js, "\"count\":15,"));
	o = cJSON_Parse(js);
	assert_non_null(o);
	cJSON_ArrayForEach(it, o) {
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(it->string, order[i]);
		i++;
	}
	assert_int_equal(i, 12);
	assert_string_equal(cJSON_GetObjectItem(o, "time")->valuestring,
	    "2025-03-20T14:35:12.345Z");
	assert_string_equal(cJSON_GetObjectItem(o, "severity")->valuestring,
	    "warning");
	assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring,
	    "rule");
	assert_null(cJSON_GetObjectItem(o, "key"));	/* not serialised */
	cJSON_Delete(o);
	free(js);

	/* count, template and evidence absent where they mean nothing. */
	lw_alert_clear(&a);
	lw_alert_init(&a);
	a.severity = LW_SEV_CRITICAL;
	a.source_llm = 1;
	lw_alert_set_rule(&a, "llm");
	js = lw_alert_to_json(&a);
	o = cJSON_Parse(js);
	assert_non_null(o);
	assert_null(cJSON_GetObjectItem(o, "count"));
	assert_null(cJSON_GetObjectItem(o, "template"));
	assert_null(cJSON_GetObjectItem(o, "evidence"));
	assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring,
	    "llm");
	assert_string_equal(cJSON_GetObjectItem(o, "title")->valuestring, "");
	assert_string_equal(cJSON_GetObjectItem(o, "severity")->valuestring,
	    "critical");
	cJSON_Delete(o);
	free(js);
	lw_alert_clear(&a);
}

/* Whatever bytes the log held, every JSON string is valid UTF-8. */
static void
test_json_invalid_bytes(void **state)
{
	static const char	evil[] = "bad \xff\xfe\xc3 \xed\xa0\x80 "
	    "\xf4\x90\x80\x80 nul\0after \x1b[31m red \xc0\xaf";
	struct lw_alert		 a;
	char			*js;
	cJSON			*o, *it, *e;
	int			 nstr = 0;

	(void)state;
	fill(&a);
	/* Setters take C strings; invalid bytes go straight in. */
	lw_alert_set_title(&a, "title \xff\xfe end");
	lw_alert_set_detail(&a, "detail \xc3\x28 \xe2\x82");
	lw_alert_set_host(&a, "h\x80st");
	lw_alert_set_log(&a, "/var/log/\xfflog");
	lw_alert_set_template(&a, "tmpl \xf8\x88\x80\x80\x80 <*>");
	assert_int_equal(lw_alert_add_evidence(&a, NULL, evil,
	    sizeof(evil) - 1), 0);
	assert_int_equal(lw_alert_add_evidence(&a, NULL, "\0\0\0", 3), 0);

	js = lw_alert_to_json(&a);
	assert_true(valid_utf8(js));
	o = cJSON_Parse(js);
	assert_non_null(o);
	cJSON_ArrayForEach(it, o) {
		if (cJSON_IsString(it)) {
			assert_true(valid_utf8(it->valuestring));
			nstr++;
		}
	}
	assert_int_equal(nstr, 10);
	it = cJSON_GetObjectItem(o, "evidence");
	assert_int_equal(cJSON_GetArraySize(it), 2);
	cJSON_ArrayForEach(e, it)
		assert_true(valid_utf8(e->valuestring));
	/* The NUL did not end the line: what followed it is kept. */
	assert_non_null(strstr(cJSON_GetArrayItem(it, 0)->valuestring,
	    "nul\xef\xbf\xbd" "after"));
	/* Three NULs became three replacement characters. */
	assert_string_equal(cJSON_GetArrayItem(it, 1)->valuestring,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(cJSON_GetObjectItem(o, "title")->valuestring,
	    "title \xef\xbf\xbd\xef\xbf\xbd end");
	cJSON_Delete(o);
	free(js);
	lw_alert_clear(&a);
}

static void
assert_same(const struct lw_alert *a, const struct lw_alert *b)
{
	size_t	i;

	assert_string_equal(a->id, b->id);
	assert_true(a->time_ms == b->time_ms);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->source_llm, b->source_llm);
	assert_string_equal(a->rule, b->rule);
	assert_string_equal(a->title, b->title);
	assert_string_equal(a->detail, b->detail);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->log, b->log);
	assert_int_equal(a->has_count, b->has_count);
	assert_true(a->count == b->count);
	if (a->tmpl == NULL)
		assert_null(b->tmpl);
	else
		assert_string_equal(a->tmpl, b->tmpl);
	assert_int_equal(a->nevidence, b->nevidence);
	for (i = 0; i < a->nevidence; i++)
		assert_string_equal(a->evidence[i], b->evidence[i]);
}

static void
test_round_trip(void **state)
{
	struct lw_alert	 a, *b;
	const char	*ev;
	char		*js, *js2;

	(void)state;
	fill(&a);
	a.severity = LW_SEV_CRITICAL;
	a.source_llm = 1;
	lw_alert_set_count(&a, 1LL << 60);	/* exact as a double */
	ev = "2024-01-08 20:45:58,271 - x - ERROR - \"quoted\" \\ tab\there";
	assert_int_equal(lw_alert_add_evidence(&a, NULL, ev, strlen(ev)), 0);
	ev = "emoji \xf0\x9f\x9a\x80 and \x01 ctl";
	assert_int_equal(lw_alert_add_evidence(&a, NULL, ev, strlen(ev)), 0);
	js = lw_alert_to_json(&a);
	b = lw_alert_from_json(js, strlen(js));
	assert_non_null(b);
	assert_same(&a, b);
	assert_null(b->key);
	js2 = lw_alert_to_json(b);
	assert_string_equal(js, js2);
	free(js2);
	lw_alert_free(b);
	free(js);

	/* Without the optional fields, and with a trailing newline. */
	lw_alert_clear(&a);
	lw_alert_init(&a);
	a.time_ms = 0;
	lw_alert_set_rule(&a, "silence");
	lw_alert_set_title(&a, "Bot stalled");
	js = lw_alert_to_json(&a);
	js2 = malloc(strlen(js) + 2);
	assert_non_null(js2);
	memcpy(js2, js, strlen(js));
	memcpy(js2 + strlen(js), "\n", 2);
	b = lw_alert_from_json(js2, strlen(js2));
	assert_non_null(b);
	assert_int_equal(b->has_count, 0);
	assert_null(b->tmpl);
	assert_int_equal(b->nevidence, 0);
	assert_true(b->time_ms == 0);
	assert_string_equal(b->detail, "");
	lw_alert_free(b);
	free(js2);
	free(js);
	lw_alert_clear(&a);
}

static void
test_from_json_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"not json",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"loud\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\"}",
		"{\"id\":\"x\",\"time\":\"2025-03-20 14:35:12\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\"}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"human\",\"rule\":\"e\","
		"\"title\":\"t\"}",
		"{\"id\":\"0123456789012345678901234567890123456789\","
		"\"time\":\"2025-03-20T14:35:12.345Z\",\"severity\":\"info\","
		"\"source\":\"rule\",\"rule\":\"e\",\"title\":\"t\"}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":7}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\",\"count\":\"15\"}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\",\"evidence\":[1]}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\",\"evidence\":[\"1\",\"2\",\"3\",\"4\",\"5\","
		"\"6\",\"7\",\"8\",\"9\",\"10\",\"11\"]}",
		"{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
		"\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"e\","
		"\"title\":\"t\"} trailing",
	};
	static const char good[] = "{\"id\":\"x\",\"time\":"
	    "\"2025-03-20T14:35:12.345Z\",\"severity\":\"info\",\"source\":"
	    "\"rule\",\"rule\":\"e\",\"title\":\"t\",\"template\":null}";
	struct lw_alert	*a;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = lw_alert_from_json(bad[i], strlen(bad[i]));
		if (a != NULL)
			fail_msg("accepted: %s", bad[i]);
	}
	a = lw_alert_from_json(good, strlen(good));
	assert_non_null(a);
	assert_true(a->time_ms == 1742481312345LL);
	assert_null(a->tmpl);
	lw_alert_free(a);
}

static void
test_evidence(void **state)
{
	struct lw_alert	 a;
	const char	*s;
	char		*big, *p;
	size_t		 i, n = 10000, kept;
	unsigned long	 cut;

	(void)state;
	lw_alert_init(&a);
	/* Redacted on the way in, trailing newline dropped. */
	s = "ERROR login failed password=hunter2\n";
	assert_int_equal(lw_alert_add_evidence(&a, NULL, s, strlen(s)), 0);
	assert_string_equal(a.evidence[0],
	    "ERROR login failed password=[REDACTED]");

	/* A long line is cut to the cap with the SPEC's marker. */
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(lw_alert_add_evidence(&a, NULL, big, n), 0);
	assert_true(strlen(a.evidence[1]) <= LW_ALERT_EVIDENCE_MAX);
	p = strstr(a.evidence[1], "\xe2\x80\xa6[cut ");
	assert_non_null(p);
	kept = (size_t)(p - a.evidence[1]);
	assert_memory_equal(a.evidence[1], big, kept);
	assert_int_equal(sscanf(p, "\xe2\x80\xa6[cut %lu bytes]", &cut), 1);
	assert_int_equal(kept + cut, n);	/* nothing lost unaccounted */
	assert_string_equal(p + strlen(p) - 7, " bytes]");

	/* The cut never splits a character, whatever the start. */
	for (i = 0; i + 1 < n; i += 2) {
		big[i] = '\xc3';
		big[i + 1] = '\xa9';
	}
	assert_int_equal(lw_alert_add_evidence(&a, NULL, big, n), 0);
	assert_int_equal(lw_alert_add_evidence(&a, NULL, big + 1, n - 1), 0);
	for (i = 2; i <= 3; i++) {
		assert_true(valid_utf8(a.evidence[i]));
		assert_true(strlen(a.evidence[i]) <= LW_ALERT_EVIDENCE_MAX);
		assert_non_null(strstr(a.evidence[i], "[cut "));
	}

	/*
	 * A bare key straddling the cut is redacted whole: cutting first
	 * would leave a prefix too short to be recognised.
	 */
	memset(big, 'x', n);
	big[1979] = ' ';
	memcpy(big + 1980, KEY64, 64);
	big[2044] = ' ';
	assert_int_equal(lw_alert_add_evidence(&a, NULL, big, 3000), 0);
	for (i = 0; i + 10 <= 64; i++)
		assert_null(memmem(a.evidence[4], strlen(a.evidence[4]),
		    KEY64 + i, 10));
	assert_non_null(strstr(a.evidence[4], " [REDACTED] "));

	/* At most LW_ALERT_MAX_EVIDENCE lines. */
	while (a.nevidence < LW_ALERT_MAX_EVIDENCE)
		assert_int_equal(lw_alert_add_evidence(&a, NULL, "x", 1), 0);
	assert_int_equal(lw_alert_add_evidence(&a, NULL, "y", 1), -1);
	assert_int_equal(a.nevidence, LW_ALERT_MAX_EVIDENCE);
	free(big);
	lw_alert_clear(&a);
}

static void
test_redact_fields(void **state)
{
	struct lw_alert		 a;
	struct lw_redactor	*r;
	const char		*pats[] = { "acct-[0-9]+" };
	char			 err[128];

	(void)state;
	r = lw_redactor_new(pats, 1, err, sizeof(err));
	assert_non_null(r);
	lw_alert_init(&a);
	lw_alert_set_title(&a, "Auth failed for acct-991");
	lw_alert_set_detail(&a, "The bot sent Authorization: Bearer abc123");
	lw_alert_set_template(&a, "login password=<*>");
	assert_int_equal(lw_alert_redact(&a, r), 2);
	assert_string_equal(a.title, "Auth failed for [REDACTED]");
	assert_string_equal(a.detail,
	    "The bot sent Authorization: Bearer [REDACTED]");
	/* A template's <*> is not taken for a secret value. */
	assert_string_equal(a.tmpl, "login password=<*>");
	assert_int_equal(lw_alert_add_evidence(&a, r, "acct-7 x", 8), 0);
	assert_string_equal(a.evidence[0], "[REDACTED] x");
	lw_alert_clear(&a);
	lw_redactor_free(r);
}

static int
count_esc(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\033';
	return n;
}

static void
test_terminal(void **state)
{
	struct lw_alert	 a;
	struct buf	 b;
	const char	*s, *ev;

	(void)state;
	fill(&a);
	lw_alert_set_title(&a, "pwn \x1b]0;owned\x07\x1b[2J title");
	lw_alert_set_detail(&a, "first line\nsecond \x1b[31mred\r\n"
	    "bidi \xe2\x80\xae txt \xc2\x9b" "6n end");
	ev = "ev \x1b[1;1H\x1b[K \x7f \\x1b \xff";
	assert_int_equal(lw_alert_add_evidence(&a, NULL, ev, strlen(ev)), 0);
	buf_init(&b, 1 << 16);

	assert_int_equal(lw_alert_render_terminal(&a, 0, &b), 0);
	s = buf_str(&b);
	assert_int_equal(count_esc(s), 0);
	assert_null(strchr(s, '\x07'));
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\x7f'));
	assert_null(strstr(s, "\xc2\x9b"));		/* C1 CSI */
	assert_null(strstr(s, "\xe2\x80\xae"));	/* RLO */
	assert_true(valid_utf8(s));
	assert_non_null(strstr(s, "WARNING"));
	assert_non_null(strstr(s, "2025-03-20T14:35:12.345Z"));
	assert_non_null(strstr(s, "pwn \\x1b]0;owned\\x07\\x1b[2J title\n"));
	assert_non_null(strstr(s, "\n    first line\n    second "
	    "\\x1b[31mred\\x0d\n    bidi \\u{202e} txt \\u{009b}6n end\n"));
	/* A literal backslash cannot pose as an escape. */
	assert_non_null(strstr(s, "      | ev \\x1b[1;1H\\x1b[K \\x7f "
	    "\\\\x1b \xef\xbf\xbd\n"));
	assert_non_null(strstr(s, "rule repeat  count 15  template "
	    "Order placement failed: <*>\n"));
	assert_non_null(strstr(s, "    on bot-1 /var/log/freqtrade.log\n"));

	/* With colour: only our own sequences, severity then reset. */
	buf_reset(&b);
	assert_int_equal(lw_alert_render_terminal(&a, 1, &b), 0);
	assert_int_equal(count_esc(buf_str(&b)), 2);
	assert_non_null(strstr(buf_str(&b), "\033[1;33mWARNING \033[0m"));

	/* A full buffer fails and keeps what it held. */
	buf_free(&b);
	buf_init(&b, 64);
	assert_int_equal(buf_adds(&b, "keep"), 0);
	assert_int_equal(lw_alert_render_terminal(&a, 0, &b), -1);
	assert_string_equal(buf_str(&b), "keep");
	buf_free(&b);
	lw_alert_clear(&a);
}

/* A scheduled report rides as an alert with its text and JSON. */
static void
test_report_round_trip(void **state)
{
	struct lw_alert	 a, *b;
	char		*js, *js2;

	(void)state;
	lw_alert_init(&a);
	lw_alert_set_rule(&a, "report.hourly");
	lw_alert_set_title(&a, "Hourly report: 3 errors");
	lw_alert_set_detail(&a, "3 errors \xc2\xb7 2 warnings\nTop patterns:");
	lw_alert_set_report_text(&a, "# Hourly report\n\n| a | b |\n");
	assert_true(lw_alert_is_report(&a));
	assert_int_equal(lw_alert_set_report_json(&a, "[1,2]"), -1);
	assert_int_equal(lw_alert_set_report_json(&a, "{\"stats\":"), -1);
	assert_null(a.report_json);
	assert_int_equal(lw_alert_set_report_json(&a,
	    "{\"stats\":{\"errors\":3,\"warnings\":2}}"), 0);
	js = lw_alert_to_json(&a);
	assert_non_null(strstr(js, "\"report\":{\"stats\":{\"errors\":3,"));
	assert_non_null(strstr(js, "\"report_text\":\"# Hourly report\\n"));
	b = lw_alert_from_json(js, strlen(js));
	assert_non_null(b);
	assert_true(lw_alert_is_report(b));
	assert_string_equal(b->report_text, a.report_text);
	js2 = lw_alert_to_json(b);
	assert_string_equal(js, js2);
	free(js2);
	lw_alert_free(b);
	free(js);

	/* "report" must be an object. */
	js = strdup("{\"id\":\"x\",\"time\":\"2025-03-20T14:35:12.345Z\","
	    "\"severity\":\"info\",\"source\":\"rule\",\"rule\":\"report.daily\","
	    "\"title\":\"t\",\"report\":\"text\"}");
	assert_non_null(js);
	assert_null(lw_alert_from_json(js, strlen(js)));
	free(js);

	/* An ordinary alert is not a report. */
	lw_alert_set_rule(&a, "errors");
	assert_false(lw_alert_is_report(&a));
	lw_alert_set_rule(&a, "reporter");
	assert_false(lw_alert_is_report(&a));
	lw_alert_clear(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_setters),
		cmocka_unit_test(test_ids_unique),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_json_invalid_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_report_round_trip),
		cmocka_unit_test(test_from_json_rejects),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_redact_fields),
		cmocka_unit_test(test_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
