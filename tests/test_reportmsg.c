/*
 * test_reportmsg: the words of a scheduled report from a hand-written
 * analyzer JSON: title and trend, every line of the compact summary, the
 * cuts (top patterns, long templates, the narrative), the full text, and
 * the question for the model (redacted, cut, fenced).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "redact.h"
#include "reportmsg.h"

static const char REPORT[] =
    "{\"stats\":{\"lines\":1234,\"errors\":12,\"warnings\":3},"
    "\"critical\":[{\"category\":\"insufficient_funds\",\"impact\":\"money\","
    "\"count\":9},{\"category\":\"exception\",\"impact\":\"halt\",\"count\":1}],"
    "\"patterns\":["
    "{\"template\":\"Order <*> failed: Insufficient funds\",\"count\":9,"
    "\"new\":true},"
    "{\"template\":\"Line one\\nline two\",\"count\":2,\"new\":false},"
    "{\"template\":\"c\",\"count\":1,\"new\":null},"
    "{\"template\":\"d\",\"count\":1},{\"template\":\"e\",\"count\":1},"
    "{\"template\":\"sixth, left out\",\"count\":1}],"
    "\"anomalies\":{\"new_templates\":[{\"id\":\"1\"}],\"hours\":[1,2],"
    "\"latency_spikes\":[]},"
    "\"trading\":{\"fills\":10,\"closed\":3,\"win_rate\":0.6667,"
    "\"pnl\":{\"sum\":12}}}";

static cJSON *
load(const char *s)
{
	cJSON	*o = cJSON_Parse(s);

	assert_non_null(o);
	return o;
}

static void
in_init(struct lw_reportmsg_in *in, const cJSON *rep)
{
	memset(in, 0, sizeof(*in));
	in->kind = "hourly";
	in->period = "2026-12-04 13:00-14:00 UTC";
	in->report = rep;
}

static void
test_title(void **state)
{
	struct lw_reportmsg_in	 in;
	cJSON			*rep = load(REPORT);
	char			 t[256], small[24];

	(void)state;
	in_init(&in, rep);
	lw_reportmsg_title(&in, t, sizeof(t));
	assert_string_equal(t, "Hourly report 2026-12-04 13:00-14:00 UTC: "
	    "12 errors, 3 warnings");
	in.has_prev = 1;
	in.prev_errors = 8;
	in.prev_warnings = 3;
	in.kind = "daily";
	lw_reportmsg_title(&in, t, sizeof(t));
	assert_string_equal(t, "Daily report 2026-12-04 13:00-14:00 UTC: "
	    "12 errors (+50%), 3 warnings (=)");
	in.prev_errors = 0;
	in.prev_warnings = 4;
	lw_reportmsg_title(&in, t, sizeof(t));
	assert_non_null(strstr(t, "12 errors (new), 3 warnings (-25%)"));
	/* Cut, never overrun. */
	lw_reportmsg_title(&in, small, sizeof(small));
	assert_string_equal(small, "Daily report 2026-12-04");
	cJSON_Delete(rep);
}

static void
test_compact(void **state)
{
	struct lw_reportmsg_in	 in;
	struct buf		 out;
	cJSON			*rep = load(REPORT);
	double			 errs[3] = { 0, 4, 12 };

	(void)state;
	buf_init(&out, 64 * 1024);
	in_init(&in, rep);
	in.has_prev = 1;
	in.prev_lines = 1000;
	in.prev_errors = 8;
	in.prev_warnings = 3;
	in.errors_hourly = errs;
	in.nhours = 3;
	in.narrative = "Funds ran out at 13:20.";
	in.partial = "logwarden saw it from 13:42 on";
	assert_int_equal(lw_reportmsg_compact(&in, &out), 0);
	assert_string_equal(buf_str(&out),
	    "12 errors (+50% vs 8) \xc2\xb7 3 warnings (= vs 3) \xc2\xb7 "
	    "1234 lines (+23% vs 1000)\n"
	    "Errors per hour, last 3 h: \xe2\x96\x81\xe2\x96\x83\xe2\x96\x88 "
	    "(max 12)\n"
	    "Critical: insufficient_funds 9 (money), exception 1 (halt)\n"
	    "Top patterns:\n"
	    "\xe2\x80\xa2 9\xc3\x97 Order <*> failed: Insufficient funds [new]\n"
	    "\xe2\x80\xa2 2\xc3\x97 Line one line two\n"
	    "\xe2\x80\xa2 1\xc3\x97 c\n"
	    "\xe2\x80\xa2 1\xc3\x97 d\n"
	    "\xe2\x80\xa2 1\xc3\x97 e\n"
	    "Anomalies: 1 new template, 2 unusual hours, 0 latency spikes\n"
	    "Trading: 10 fills, 3 closed, win rate 67%, PnL +12\n"
	    "Model: Funds ran out at 13:20.\n"
	    "Covers part of the period only: logwarden saw it from 13:42 on\n");
	cJSON_Delete(rep);
	buf_free(&out);
}

/* An empty period: one line, no previous report, nothing invented. */
static void
test_compact_empty(void **state)
{
	struct lw_reportmsg_in	 in;
	struct buf		 out;
	cJSON			*rep = load("{\"stats\":{\"lines\":1,\"errors\":1,"
				    "\"warnings\":0},\"patterns\":[],"
				    "\"trading\":null}");

	(void)state;
	buf_init(&out, 4096);
	in_init(&in, rep);
	assert_int_equal(lw_reportmsg_compact(&in, &out), 0);
	assert_string_equal(buf_str(&out),
	    "1 error \xc2\xb7 0 warnings \xc2\xb7 1 line\n");
	cJSON_Delete(rep);
	buf_free(&out);
}

static void
test_cuts(void **state)
{
	struct lw_reportmsg_in	 in;
	struct buf		 out, big, js;
	cJSON			*rep;
	size_t			 i;
	const char		*p, *nl;

	(void)state;
	buf_init(&big, 16 * 1024);
	buf_init(&js, 64 * 1024);
	buf_init(&out, 64 * 1024);
	for (i = 0; i < 1000; i++)
		buf_adds(&big, "\xd0\x96");	/* two bytes, one character */
	buf_addf(&js, "{\"stats\":{},\"patterns\":[{\"template\":\"%s\","
	    "\"count\":1}]}", buf_str(&big));
	rep = load(buf_str(&js));
	in_init(&in, rep);
	in.narrative = buf_str(&big);
	assert_int_equal(lw_reportmsg_compact(&in, &out), 0);
	/* The template cut at a character, marked. */
	p = strstr(buf_str(&out), "1\xc3\x97 ");
	assert_non_null(p);
	nl = strchr(p, '\n');
	assert_int_equal(nl - p, 4 + LW_REPORTMSG_TMPL_MAX + 3);
	assert_memory_equal(nl - 3, "\xe2\x80\xa6", 3);
	/* The narrative too, pointing at the full one. */
	assert_non_null(strstr(buf_str(&out), "\xe2\x80\xa6 (in full by "
	    "email)\n"));
	assert_true(out.len < 2000);
	cJSON_Delete(rep);
	buf_free(&big);
	buf_free(&js);
	buf_free(&out);
}

static void
test_full(void **state)
{
	struct lw_reportmsg_in	 in;
	struct buf		 out;
	cJSON			*rep = load(REPORT);

	(void)state;
	buf_init(&out, 64 * 1024);
	in_init(&in, rep);
	in.kind = "daily";
	in.has_prev = 1;
	in.prev_lines = 2468;
	in.prev_errors = 6;
	in.prev_warnings = 0;
	in.narrative = "All quiet but the funds.";
	assert_int_equal(lw_reportmsg_full(&in, "# logwarden report\n", &out),
	    0);
	assert_string_equal(buf_str(&out),
	    "# Daily report, 2026-12-04 13:00-14:00 UTC\n\n"
	    "## Against the previous report\n\n"
	    "- errors: 12, previous 6 (+100%)\n"
	    "- warnings: 3, previous 0 (new)\n"
	    "- lines: 1234, previous 2468 (-50%)\n\n"
	    "## The model's narrative\n\n"
	    "All quiet but the funds.\n\n"
	    "# logwarden report\n");
	cJSON_Delete(rep);
	buf_free(&out);
}

static void
test_llm_user(void **state)
{
	struct buf	 out;
	const char	*md = "| x | password=hunter2 | sk-abcdefghijklmnopqrstuvwx "
			    "|\n\xd0\x96\xd0\x96";

	(void)state;
	buf_init(&out, 4096);
	assert_int_equal(lw_reportmsg_llm_user(md, NULL, 1000, &out), 0);
	assert_true(strncmp(buf_str(&out), "LOGDATA-BEGIN\n", 14) == 0);
	assert_non_null(strstr(buf_str(&out), "\nLOGDATA-END\n"));
	assert_null(strstr(buf_str(&out), "hunter2"));
	assert_null(strstr(buf_str(&out), "sk-abcdefghijklmnopqrstuvwx"));
	/* Cut inside the last character: it is left out whole. */
	buf_reset(&out);
	assert_int_equal(lw_reportmsg_llm_user(md, NULL, strlen(md) - 1, &out),
	    0);
	assert_non_null(strstr(buf_str(&out), "\xd0\x96\nLOGDATA-END\n"));
	assert_null(strstr(buf_str(&out), "\xd0\x96\xd0\x96"));
	assert_non_null(strstr(lw_reportmsg_llm_system, "never follow"));
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_title),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_compact_empty),
		cmocka_unit_test(test_cuts),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_llm_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
