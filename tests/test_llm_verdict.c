/*
 * test_llm_verdict: verdicts as models really write them (the seed text
 * form, JSON alone, fenced, wrapped in prose, with extra keys, Markdown
 * decoration) are read; garbage, a JSON without a status, an unknown
 * status and empty text are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "llm_verdict.h"
#include "utf8.h"

static int
parse(const char *s, struct lw_verdict *v)
{
	return lw_llm_parse_verdict(s, strlen(s), v);
}

static void
expect_alert(const char *s, enum lw_sev sev, const char *issue,
    const char *impact, const char *action)
{
	struct lw_verdict	 v;

	if (parse(s, &v) != 0)
		fail_msg("refused: %s", s);
	assert_int_equal(v.alert, 1);
	assert_int_equal(v.severity, sev);
	assert_string_equal(v.issue, issue);
	assert_string_equal(v.impact, impact);
	assert_string_equal(v.action, action);
	lw_verdict_free(&v);
}

static void
expect_normal(const char *s)
{
	struct lw_verdict	 v;

	if (parse(s, &v) != 0)
		fail_msg("refused: %s", s);
	assert_int_equal(v.alert, 0);
	assert_null(v.issue);
	assert_null(v.impact);
	assert_null(v.action);
	lw_verdict_free(&v);
}

static void
expect_refused(const char *s)
{
	struct lw_verdict	 v;

	if (parse(s, &v) != -1)
		fail_msg("accepted: %s", s);
	assert_int_equal(v.alert, 0);
	assert_null(v.issue);
	lw_verdict_free(&v);
}

static void
test_seed_text(void **state)
{
	(void)state;
	expect_alert("ALERT: CRITICAL\nIssue: Orders rejected: insufficient "
	    "balance\nImpact: No new positions can be opened\nAction: Top up "
	    "the USDT balance on Binance\n", LW_SEV_CRITICAL,
	    "Orders rejected: insufficient balance",
	    "No new positions can be opened",
	    "Top up the USDT balance on Binance");
	expect_alert("ALERT: WARNING\nIssue: Websocket reconnects every "
	    "minute\nImpact: Stale prices\nAction: Check the network",
	    LW_SEV_WARNING, "Websocket reconnects every minute",
	    "Stale prices", "Check the network");
	/* lower case, bold, bullets, dashes, a heading before */
	expect_alert("ALERT: critical\nIssue - kill switch engaged\nImpact - "
	    "trading halted\nAction - reset limits", LW_SEV_CRITICAL,
	    "kill switch engaged", "trading halted", "reset limits");
	expect_alert("### Verdict\n**ALERT: WARNING**\n- **Issue:** Rate "
	    "limit hit\n- **Impact:** Orders delayed\n- **Action:** Lower "
	    "the request rate\n", LW_SEV_WARNING, "Rate limit hit",
	    "Orders delayed", "Lower the request rate");
	/* a field over two lines; prose after a blank line is not kept */
	expect_alert("ALERT: CRITICAL\nIssue: Exchange unreachable,\n"
	    "timeouts on every call\nImpact: none\nAction: wait\n\n"
	    "Let me know if you need more.", LW_SEV_CRITICAL,
	    "Exchange unreachable, timeouts on every call", "none", "wait");
	/* severity on a line of its own, or missing: warning */
	expect_alert("ALERT\nSeverity: critical\nIssue: x\nImpact: y\n"
	    "Action: z", LW_SEV_CRITICAL, "x", "y", "z");
	expect_alert("ALERT\nIssue: x", LW_SEV_WARNING, "x", "", "");
	/* inside a code fence */
	expect_alert("```\nALERT: WARNING\nIssue: a\nImpact: b\nAction: c\n"
	    "```", LW_SEV_WARNING, "a", "b", "c");
	expect_normal("NORMAL");
	expect_normal("NORMAL - nothing unusual in this window.");
	expect_normal("**Normal**: routine noise only");
	expect_normal("Status: NORMAL\n");
}

static void
test_json(void **state)
{
	(void)state;
	expect_normal("{\"status\":\"normal\"}");
	expect_normal("  {\"status\" : \"NORMAL\"}  ");
	expect_alert("{\"status\":\"alert\",\"severity\":\"critical\","
	    "\"issue\":\"Orders failing\",\"impact\":\"No trading\","
	    "\"action\":\"Check the API key\"}", LW_SEV_CRITICAL,
	    "Orders failing", "No trading", "Check the API key");
	/* fenced, with prose around it */
	expect_alert("```json\n{\"status\": \"alert\", \"severity\": "
	    "\"warning\", \"issue\": \"Latency up\", \"impact\": \"Slower "
	    "fills\", \"action\": \"Watch it\"}\n```", LW_SEV_WARNING,
	    "Latency up", "Slower fills", "Watch it");
	expect_alert("Here is my assessment of the window:\n\n{\"status\":"
	    "\"Alert\",\"severity\":\"CRITICAL\",\"issue\":\"Bot stalled\","
	    "\"impact\":\"Open positions unmanaged\",\"action\":\"Restart "
	    "it\"}\n\nThe stall began at 14:32.", LW_SEV_CRITICAL,
	    "Bot stalled", "Open positions unmanaged", "Restart it");
	/* extra keys, severity missing, a brace in prose before */
	expect_alert("Using {braces} in prose: {\"confidence\":0.8,"
	    "\"status\":\"alert\",\"issue\":\"x\",\"evidence\":[1,2],"
	    "\"impact\":\"y\",\"action\":\"z\"}", LW_SEV_WARNING, "x", "y",
	    "z");
	/* the verdict wrapped in another object */
	expect_alert("{\"verdict\":{\"status\":\"alert\",\"severity\":"
	    "\"critical\",\"issue\":\"i\"}}", LW_SEV_CRITICAL, "i", "", "");
	/* an object without status first, then the verdict */
	expect_alert("{\"note\":\"thinking\"} {\"status\":\"alert\","
	    "\"issue\":\"second\"}", LW_SEV_WARNING, "second", "", "");
	/* JSON wins over words that look like the text form */
	expect_normal("ALERT: maybe?\n{\"status\":\"normal\"}");
}

static void
test_refused(void **state)
{
	struct lw_verdict	 v;

	(void)state;
	expect_refused("");
	expect_refused("   \n\n");
	expect_refused("lorem ipsum dolor sit amet");
	expect_refused("I cannot determine the status from this data.");
	expect_refused("{\"severity\":\"critical\",\"issue\":\"x\"}");
	expect_refused("{\"status\":\"maybe\"}");
	expect_refused("{\"status\":\"alert!\"}");
	expect_refused("{\"status\":42}");
	expect_refused("{\"status\":\"alert\"");	/* cut short */
	/* "alert" in prose without a severity or a field is no verdict */
	expect_refused("Alert: nothing to report here");
	expect_refused("Alerting is configured.");
	assert_int_equal(lw_llm_parse_verdict(NULL, 0, &v), -1);
	lw_verdict_free(&v);
	lw_verdict_free(NULL);
}

/* Bounds: fields cut, output valid UTF-8, huge input not a problem. */
static void
test_bounds(void **state)
{
	struct lw_verdict	 v;
	char			*big;
	size_t			 n = 200000, i;

	(void)state;
	big = malloc(n + 1);
	assert_non_null(big);
	memcpy(big, "ALERT: CRITICAL\nIssue: ", 23);
	for (i = 23; i < n; i++)
		big[i] = (char)(i % 7 == 0 ? '\xc3' : i % 7 == 1 ? '\xa9' :
		    i % 7 == 2 ? '\xff' : 'a');
	big[n] = '\0';
	assert_int_equal(lw_llm_parse_verdict(big, n, &v), 0);
	assert_true(strlen(v.issue) <= LW_VERDICT_FIELD_MAX);
	assert_true(strlen(v.issue) > LW_VERDICT_FIELD_MAX / 2);
	assert_int_equal(lw_utf8_valid_prefix(v.issue, strlen(v.issue)),
	    strlen(v.issue));
	lw_verdict_free(&v);

	/* Many braces: bounded tries, then the text form still works;
	 * beyond the input cap nothing is looked at. */
	for (i = 0; i < n; i++)
		big[i] = i % 2 ? '{' : '"';
	memcpy(big + n - 30, "\nALERT: WARNING\nIssue: braces\n", 30);
	assert_int_equal(lw_llm_parse_verdict(big, n, &v), -1);
	memcpy(big, "\nALERT: WARNING\nIssue: braces\n\n", 31);
	assert_int_equal(lw_llm_parse_verdict(big, n, &v), 0);
	assert_string_equal(v.issue, "braces");
	lw_verdict_free(&v);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
