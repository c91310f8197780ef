/*
 * test_config: the INI loader.  Unit cases write a file named t.ini into
 * a private temporary directory (the test's working directory), so
 * messages read "t.ini:LINE: ..." exactly; golden cases load every
 * tests/config/X.ini and compare the errors, or the dump, with X.out
 * (LW_GOLDEN_UPDATE=1 rewrites the .out files).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char	tmpdir[] = "/tmp/lw-test-config.XXXXXX";
static char	origdir[4096];

#define PATHX	"[source]\npath = /x\n"		/* lines 1-2 */

static void
writefile(const char *name, const char *text, size_t len)
{
	FILE	*f = fopen(name, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static struct lw_config *
load(const char *text, struct lw_cfgerrs *errs)
{
	writefile("t.ini", text, strlen(text));
	return lw_config_load("t.ini", errs);
}

static char *
capture_errs(const struct lw_cfgerrs *errs)
{
	char	*s = NULL;
	size_t	 n = 0;
	FILE	*f = open_memstream(&s, &n);

	assert_non_null(f);
	lw_cfgerrs_print(errs, f);
	assert_int_equal(fclose(f), 0);
	return s;
}

static char *
capture_dump(const struct lw_config *cfg)
{
	char	*s = NULL;
	size_t	 n = 0;
	FILE	*f = open_memstream(&s, &n);

	assert_non_null(f);
	lw_config_dump(cfg, f);
	assert_int_equal(fclose(f), 0);
	return s;
}

/* Loads text, which must fail with exactly the expected messages. */
static void
expect_errors(const char *text, const char *expected)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_config	*cfg;
	char			*got;

	cfg = load(text, &errs);
	got = capture_errs(&errs);
	if (cfg != NULL || strcmp(got, expected) != 0)
		print_error("input:\n%s\nexpected:\n%sgot:\n%s", text,
		    expected, got);
	assert_null(cfg);
	assert_string_equal(got, expected);
	free(got);
	lw_cfgerrs_free(&errs);
}

static struct lw_config *
load_ok(const char *text)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_config	*cfg;
	char			*got;

	cfg = load(text, &errs);
	if (cfg == NULL) {
		got = capture_errs(&errs);
		print_error("unexpected errors:\n%s", got);
		free(got);
	}
	assert_non_null(cfg);
	assert_int_equal(errs.n, 0);
	return cfg;
}

static int
setup(void **state)
{
	(void)state;
	if (getcwd(origdir, sizeof(origdir)) == NULL ||
	    mkdtemp(tmpdir) == NULL || chdir(tmpdir) == -1)
		return -1;
	/* The defaults read these; the tests must not see the caller's. */
	unsetenv("OPENAI_API_KEY");
	unsetenv("TELEGRAM_BOT_TOKEN");
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static int
teardown(void **state)
{
	DIR		*d;
	struct dirent	*de;

	(void)state;
	if (chdir(tmpdir) == -1)
		return -1;
	if ((d = opendir(".")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				unlink(de->d_name);
		closedir(d);
	}
	if (chdir(origdir) == -1 || rmdir(tmpdir) == -1)
		return -1;
	return 0;
}

static void
test_defaults(void **state)
{
	struct lw_config	*cfg;

	(void)state;
	cfg = load_ok(PATHX);
	assert_string_equal(cfg->file, "t.ini");
	assert_string_equal(cfg->source.path, "/x");
	assert_int_equal(cfg->source.start_beginning, 0);
	assert_int_equal(cfg->source.ring_lines, 200);
	assert_int_equal(cfg->source.max_line_bytes, 65536);
	assert_string_equal(cfg->state.dir, "/var/lib/logwarden");
	assert_int_equal(cfg->rules.window, 300);
	assert_int_equal(cfg->rules.errors, 20);
	assert_int_equal(cfg->rules.warnings, 100);
	assert_int_equal(cfg->rules.repeat, 5);
	assert_int_equal(cfg->rules.silence, 300);
	assert_int_equal(cfg->rules.new_error, 1);
	assert_true(cfg->rules.spike == 3.0);
	assert_int_equal(cfg->nmetrics, 0);
	assert_int_equal(cfg->llm.enabled, 1);
	assert_string_equal(cfg->llm.url,
	    "https://api.openai.com/v1/chat/completions");
	assert_string_equal(cfg->llm.model, "gpt-4o-mini");
	assert_string_equal(cfg->llm.api_key_env, "OPENAI_API_KEY");
	assert_null(cfg->llm.api_key_file);
	assert_null(cfg->llm.api_key);
	assert_int_equal(cfg->llm.interval, 300);
	assert_int_equal(cfg->llm.timeout, 60);
	assert_int_equal(cfg->llm.max_calls_per_hour, 30);
	assert_int_equal(cfg->llm.max_prompt_tokens, 8000);
	assert_int_equal(cfg->telegram.enabled, 0);
	assert_null(cfg->telegram.chat_id);
	assert_null(cfg->telegram.bot_token);
	assert_string_equal(cfg->telegram.bot_token_env, "TELEGRAM_BOT_TOKEN");
	assert_string_equal(cfg->telegram.api_url, "https://api.telegram.org");
	assert_int_equal(cfg->telegram.min_severity, LW_SEV_WARNING);
	assert_int_equal(cfg->telegram.timeout, 10);
	assert_int_equal(cfg->email.enabled, 0);
	assert_null(cfg->email.url);
	assert_int_equal(cfg->email.starttls, 0);
	assert_int_equal(cfg->email.nto, 0);
	assert_int_equal(cfg->email.min_severity, LW_SEV_CRITICAL);
	assert_int_equal(cfg->email.timeout, 30);
	assert_int_equal(cfg->webhook.enabled, 0);
	assert_null(cfg->webhook.url);
	assert_int_equal(cfg->webhook.min_severity, LW_SEV_INFO);
	assert_int_equal(cfg->webhook.timeout, 10);
	assert_int_equal(cfg->alerts.cooldown, 900);
	assert_int_equal(cfg->alerts.group_interval, 30);
	assert_null(cfg->alerts.jsonl);
	lw_config_free(cfg);
}

static void
test_values(void **state)
{
	struct lw_config	*cfg;

	(void)state;
	cfg = load_ok(
	    "[source]\n"
	    "path = /var/log/bot.log\n"
	    "start = beginning\n"
	    "ring_lines = 1\n"
	    "max_line_bytes = 16777216\n"
	    "[state]\n"
	    "dir = state\n"
	    "[rules]\n"
	    "window = 1\n"
	    "errors = 0\n"
	    "warnings = 3\n"
	    "repeat = 2\n"
	    "silence = 5\n"
	    "new_error = off\n"
	    "spike = 2.5\n"
	    "[llm]\n"
	    "enabled = no\n"
	    "url = http://127.0.0.1:8080/v1/chat/completions\n"
	    "model = llama3\n"
	    "api_key_env =\n"
	    "interval = 2\n"
	    "timeout = 3\n"
	    "max_calls_per_hour = 3600\n"
	    "max_prompt_tokens = 256\n"
	    "[email]\n"
	    "url = SMTP://mail:25\n"
	    "from = a@example.com\n"
	    "to = b@example.com ,c@example.com,, \n"
	    "min_severity = Warning\n"
	    "timeout = 4\n"
	    "[webhook]\n"
	    "url = https://hook/x?a=b\n"
	    "min_severity = critical\n"
	    "timeout = 1\n"
	    "[alerts]\n"
	    "cooldown = 0\n"
	    "group_interval = 0\n"
	    "jsonl = /tmp/a.jsonl\n");
	assert_string_equal(cfg->source.path, "/var/log/bot.log");
	assert_int_equal(cfg->source.start_beginning, 1);
	assert_int_equal(cfg->source.ring_lines, 1);
	assert_int_equal(cfg->source.max_line_bytes, 16 * 1024 * 1024);
	assert_string_equal(cfg->state.dir, "state");
	assert_int_equal(cfg->rules.window, 1);
	assert_int_equal(cfg->rules.errors, 0);
	assert_int_equal(cfg->rules.warnings, 3);
	assert_int_equal(cfg->rules.repeat, 2);
	assert_int_equal(cfg->rules.silence, 5);
	assert_int_equal(cfg->rules.new_error, 0);
	assert_true(cfg->rules.spike == 2.5);
	assert_int_equal(cfg->llm.enabled, 0);
	assert_string_equal(cfg->llm.model, "llama3");
	assert_null(cfg->llm.api_key_env);
	assert_int_equal(cfg->llm.interval, 2);
	assert_int_equal(cfg->llm.timeout, 3);
	assert_int_equal(cfg->llm.max_calls_per_hour, 3600);
	assert_int_equal(cfg->llm.max_prompt_tokens, 256);
	assert_int_equal(cfg->email.enabled, 1);
	assert_int_equal(cfg->email.starttls, 1);	/* smtp:// */
	assert_string_equal(cfg->email.from, "a@example.com");
	assert_int_equal(cfg->email.nto, 2);
	assert_string_equal(cfg->email.to[0], "b@example.com");
	assert_string_equal(cfg->email.to[1], "c@example.com");
	assert_int_equal(cfg->email.min_severity, LW_SEV_WARNING);
	assert_int_equal(cfg->email.timeout, 4);
	assert_int_equal(cfg->webhook.enabled, 1);
	assert_string_equal(cfg->webhook.url, "https://hook/x?a=b");
	assert_int_equal(cfg->webhook.min_severity, LW_SEV_CRITICAL);
	assert_int_equal(cfg->webhook.timeout, 1);
	assert_int_equal(cfg->alerts.cooldown, 0);
	assert_int_equal(cfg->alerts.group_interval, 0);
	assert_string_equal(cfg->alerts.jsonl, "/tmp/a.jsonl");
	lw_config_free(cfg);

	/* smtps:// means TLS from the start; STARTTLS only when asked. */
	cfg = load_ok(PATHX "[email]\nurl = smtps://m:465\nfrom = a@b\n"
	    "to = c@d\n");
	assert_int_equal(cfg->email.starttls, 0);
	lw_config_free(cfg);
	cfg = load_ok(PATHX "[email]\nurl = smtp://m:25\nstarttls = no\n"
	    "from = a@b\nto = c@d\n");
	assert_int_equal(cfg->email.starttls, 0);
	lw_config_free(cfg);
}

static void
test_booleans(void **state)
{
	static const struct { const char *s; int v; } cases[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
		{ "YES", 1 }, { "False", 0 }, { "On", 1 },
	};
	struct lw_config	*cfg;
	char			 text[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), PATHX "[rules]\nnew_error = %s\n",
		    cases[i].s);
		cfg = load_ok(text);
		assert_int_equal(cfg->rules.new_error, cases[i].v);
		lw_config_free(cfg);
	}
}

static void
test_comments(void **state)
{
	struct lw_config	*cfg;

	(void)state;
	cfg = load_ok(
	    "; comment\n"
	    "# another\n"
	    "\n"
	    "[source] ; comment after a header\n"
	    "  path = /var/log/a b.log ; the log\n"	/* indented key */
	    "\t; indented comment\n"
	    "[rules]\r\n"				/* CRLF */
	    "window = 10\t; ten seconds\r\n"
	    "[llm]\n"
	    "model = a;b#c\n"		/* no white space before ';' */
	    "[webhook]\n"
	    "url = http://h/p#frag ;x\n"
	    "[metric.m]\n"
	    "pattern = t=([0-9]+);\n"
	    "above=1\n");
	assert_string_equal(cfg->source.path, "/var/log/a b.log");
	assert_int_equal(cfg->rules.window, 10);
	assert_string_equal(cfg->llm.model, "a;b#c");
	assert_string_equal(cfg->webhook.url, "http://h/p#frag");
	assert_string_equal(cfg->metrics[0].pattern, "t=([0-9]+);");
	lw_config_free(cfg);

	/* A UTF-8 byte order mark before the first header is skipped. */
	cfg = load_ok("\xef\xbb\xbf" PATHX);
	assert_string_equal(cfg->source.path, "/x");
	lw_config_free(cfg);
}

/* Each input has exactly the errors listed, at their lines. */
static void
test_errors(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
	{ PATHX "[rules]\nwindow = abc\n",
	  "t.ini:4: rules.window: \"abc\" is not a whole number of seconds\n" },
	{ PATHX "[rules]\nwindow = 0\n",
	  "t.ini:4: rules.window: 0 is out of range (1 to 86400 seconds)\n" },
	{ PATHX "[rules]\nwindow = 5s\n",
	  "t.ini:4: rules.window: \"5s\" is not a whole number of seconds\n" },
	{ PATHX "[rules]\nerrors = -1\n",
	  "t.ini:4: rules.errors: \"-1\" is not a whole number\n" },
	{ PATHX "[rules]\nrepeat =\n",
	  "t.ini:4: rules.repeat: \"\" is not a whole number\n" },
	{ PATHX "[rules]\nspike = fast\n",
	  "t.ini:4: rules.spike: \"fast\" is not a number\n" },
	{ PATHX "[rules]\nspike = inf\n",
	  "t.ini:4: rules.spike: \"inf\" is not a number\n" },
	{ PATHX "[rules]\nspike = -1\n",
	  "t.ini:4: rules.spike: -1 is out of range (0 to 1000)\n" },
	{ PATHX "[rules]\nnew_error = maybe\n",
	  "t.ini:4: rules.new_error: \"maybe\" is not a boolean (yes/no, "
	  "true/false, on/off, 1/0)\n" },
	{ PATHX "ring_lines = 0\n",
	  "t.ini:3: source.ring_lines: 0 is out of range (1 to 100000)\n" },
	{ PATHX "ring_lines = 100001\n",
	  "t.ini:3: source.ring_lines: 100001 is out of range (1 to 100000)\n" },
	{ PATHX "max_line_bytes = 255\n",
	  "t.ini:3: source.max_line_bytes: 255 is out of range (256 to "
	  "16777216 bytes)\n" },
	{ PATHX "max_line_bytes = 16777217\n",
	  "t.ini:3: source.max_line_bytes: 16777217 is out of range (256 to "
	  "16777216 bytes)\n" },
	{ PATHX "max_line_bytes = 99999999999999999999\n",
	  "t.ini:3: source.max_line_bytes: \"99999999999999999999\" is not a "
	  "whole number of bytes\n" },
	{ PATHX "start = middle\n",
	  "t.ini:3: source.start: \"middle\" is not \"end\" or "
	  "\"beginning\"\n" },
	{ PATHX "[rulez]\nwindow = 1\n",
	  "t.ini:3: unknown section [rulez] (did you mean [rules]?)\n" },
	{ PATHX "[slack]\nurl = x\n",
	  "t.ini:3: unknown section [slack]\n" },
	{ PATHX "[rules]\nwindw = 1\n",
	  "t.ini:4: rules.windw: unknown key (did you mean \"window\"?)\n" },
	{ PATHX "[rules]\ncooldown = 1\n",
	  "t.ini:4: rules.cooldown: unknown key (cooldown belongs in "
	  "[alerts])\n" },
	{ PATHX "[rules]\nfoo\x1b[31m = 1\n",
	  "t.ini:4: rules.foo\\x1b[31m: unknown key\n" },
	{ PATHX "[rules]\nwindow = 5\nerrors = 1\nwindow = 6\n",
	  "t.ini:6: rules.window: duplicate key (first set at line 4)\n" },
	{ PATHX "[rules]\n[source]\npath = /y\n",
	  "t.ini:5: source.path: duplicate key (first set at line 2)\n" },
	{ "[rules]\nwindow = 5\n[source]\nstart = end\n",
	  "t.ini:3: source.path is missing: it names the log file to "
	  "follow\n" },
	{ "[rules]\nwindow = 5\n",
	  "t.ini:1: source.path is missing: it names the log file to "
	  "follow\n" },
	{ "",
	  "t.ini:1: source.path is missing: it names the log file to "
	  "follow\n" },
	{ "[source]\npath =\n",
	  "t.ini:2: source.path: must not be empty\n" },
	{ "[source]\npath = /x\x01y\n",
	  "t.ini:2: source.path: contains a control character\n" },
	{ "path = /x\n[source]\npath = /y\n",
	  "t.ini:1: key \"path\" is outside any section; put it under a "
	  "[section] header\n" },
	{ PATHX "[rules\n",
	  "t.ini:3: section header has no closing ']'\n" },
	{ PATHX "[rules] x\n",
	  "t.ini:3: unexpected text after ']'\n" },
	{ PATHX "[rules]\nwindow\n",
	  "t.ini:4: expected \"key = value\", a [section] header or a "
	  "comment\n" },
	{ PATHX "[rules]\nwindow ; = 5\n",
	  "t.ini:4: expected \"key = value\", a [section] header or a "
	  "comment\n" },
	{ PATHX "[metric.lat]\npattern = latency: ([0-9.]+ms\nabove = 5\n",
	  "t.ini:4: metric.lat.pattern: invalid regular expression at offset "
	  "19: missing closing parenthesis\n" },
	{ PATHX "[metric.lat]\npattern = latency: [0-9.]+ms\nabove = 5\n",
	  "t.ini:4: metric.lat.pattern: needs exactly one capture group for "
	  "the number, it has 0 (use (?:...) for other groups)\n" },
	{ PATHX "[metric.lat]\npattern = (a|b) ([0-9]+)\nbelow = 5\n",
	  "t.ini:4: metric.lat.pattern: needs exactly one capture group for "
	  "the number, it has 2 (use (?:...) for other groups)\n" },
	{ PATHX "[metric.lat]\npattern = (*UTF)x([0-9])\nabove = 1\n",
	  "t.ini:4: metric.lat.pattern: invalid regular expression at offset "
	  "6: using UTF is disabled by the application\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\n",
	  "t.ini:3: metric.lat: needs above or below (or both)\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\nabove =\n",
	  "t.ini:3: metric.lat: above and below are both empty\n" },
	{ PATHX "[metric.lat]\nabove = 1\n",
	  "t.ini:3: metric.lat: pattern is missing\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\nabove = x\n",
	  "t.ini:5: metric.lat.above: \"x\" is not a number\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\nabove = 1\nstat = "
	  "median\n",
	  "t.ini:6: metric.lat.stat: \"median\" is not a statistic (avg, max, "
	  "p95, count)\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\nabov = 1\n",
	  "t.ini:3: metric.lat: needs above or below (or both)\n"
	  "t.ini:5: metric.lat.abov: unknown key (did you mean \"above\"?)\n" },
	{ PATHX "[metric.lat]\npattern = ms=([0-9]+)\nabove = 1\nabove = 2\n",
	  "t.ini:6: metric.lat.above: duplicate key (first set at line 5)\n" },
	{ PATHX "[metric]\npattern = x\n",
	  "t.ini:3: [metric] needs a name: [metric.NAME]\n" },
	{ PATHX "[metric.a b]\npattern = x\n",
	  "t.ini:3: [metric.a b]: a metric name may only have letters, "
	  "digits, '_', '-' and '.'\n" },
	{ PATHX "[webhook]\nurl = ftp://h/x\n",
	  "t.ini:4: webhook.url: \"ftp://h/x\" is not an http:// or https:// "
	  "URL\n" },
	{ PATHX "[webhook]\nurl = https:///x\n",
	  "t.ini:4: webhook.url: \"https:///x\" is not an http:// or "
	  "https:// URL\n" },
	{ PATHX "[llm]\nurl = api.openai.com\n",
	  "t.ini:4: llm.url: \"api.openai.com\" is not an http:// or "
	  "https:// URL\n" },
	{ PATHX "[llm]\nmodel =\n",
	  "t.ini:4: llm.model: must not be empty\n" },
	{ PATHX "[email]\nurl = https://m\nfrom = a@b\nto = c@d\n",
	  "t.ini:4: email.url: \"https://m\" is not an smtp:// or smtps:// "
	  "URL\n" },
	{ PATHX "[telegram]\napi_url = smtp://x\n",
	  "t.ini:4: telegram.api_url: \"smtp://x\" is not an http:// or "
	  "https:// URL\n" },
	{ PATHX "[webhook]\nmin_severity = urgent\n",
	  "t.ini:4: webhook.min_severity: \"urgent\" is not a severity (info, "
	  "warning, critical)\n" },
	{ PATHX "[email]\nurl = smtp://m:25\n",
	  "t.ini:4: email.url is set but email.from is missing\n"
	  "t.ini:4: email.url is set but email.to is missing\n" },
	{ PATHX "[email]\nurl = smtp://m:25\nfrom = a@b\nto = c@d, bob\n",
	  "t.ini:6: email.to: \"bob\" is not an email address\n" },
	{ PATHX "[email]\nurl = smtp://m:25\nfrom = a@b\nto =\n",
	  "t.ini:4: email.url is set but email.to is missing\n" },
	{ PATHX "[email]\nfrom = Ops <a@b\n",
	  "t.ini:4: email.from: \"Ops <a@b\" is not an email address\n" },
	{ PATHX "[email]\nurl = smtp://m\nfrom = a@b\nto = c@d\n"
	  "username = u\npassword_env = LW_TEST_NO_SUCH_VAR\n",
	  "t.ini:7: email.username is set but there is no password: "
	  "environment variable LW_TEST_NO_SUCH_VAR is unset or empty (or set "
	  "email.password_file)\n" },
	{ PATHX "[email]\nusername = u\n",
	  "t.ini:4: email.username is set but there is no password: set "
	  "email.password_env or email.password_file\n" },
	{ PATHX "[llm]\napi_key_env = 1KEY\n",
	  "t.ini:4: llm.api_key_env: \"1KEY\" is not an environment variable "
	  "name\n" },
	{ PATHX "[llm]\napi_key_file = no-such-file\n",
	  "t.ini:4: llm.api_key_file: cannot read \"no-such-file\": No such "
	  "file or directory\n" },
	{ PATHX "[telegram]\nchat_id = 42\n",
	  "t.ini:4: telegram.chat_id is set but there is no bot token: "
	  "environment variable TELEGRAM_BOT_TOKEN is unset or empty (or set "
	  "telegram.bot_token_file)\n" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_errors(cases[i].in, cases[i].out);
}

static void
test_many_errors(void **state)
{
	(void)state;
	expect_errors(
	    "[source]\n"			/* 1 */
	    "ring_lines = lots\n"		/* 2 */
	    "[rules]\n"				/* 3 */
	    "window = abc\n"			/* 4 */
	    "errors = 5 ; fine\n"		/* 5 */
	    "typo = 1\n"			/* 6 */
	    "[nosuch]\n"			/* 7 */
	    "anything = 1\n"			/* 8: not reported again */
	    "[metric.x]\n"			/* 9 */
	    "pattern = (\n"			/* 10 */
	    "above = 1\n"			/* 11 */
	    "[webhook]\n"			/* 12 */
	    "url = gopher://x\n"		/* 13 */
	    "min_severity = loud\n",		/* 14 */
	    "t.ini:1: source.path is missing: it names the log file to "
	    "follow\n"
	    "t.ini:2: source.ring_lines: \"lots\" is not a whole number\n"
	    "t.ini:4: rules.window: \"abc\" is not a whole number of "
	    "seconds\n"
	    "t.ini:6: rules.typo: unknown key\n"
	    "t.ini:7: unknown section [nosuch]\n"
	    "t.ini:10: metric.x.pattern: invalid regular expression at "
	    "offset 1: missing closing parenthesis\n"
	    "t.ini:13: webhook.url: \"gopher://x\" is not an http:// or "
	    "https:// URL\n"
	    "t.ini:14: webhook.min_severity: \"loud\" is not a severity "
	    "(info, warning, critical)\n");
}

static void
test_too_many_errors(void **state)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	char			*text;
	size_t			 i, off = 0, cap = 300 * 16;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	off += (size_t)snprintf(text, cap, PATHX "[rules]\n");
	for (i = 0; i < 300; i++)
		off += (size_t)snprintf(text + off, cap - off, "bad%zu = 1\n",
		    i);
	assert_null(load(text, &errs));
	assert_int_equal(errs.n, LW_CONFIG_MAX_ERRORS + 1);
	assert_string_equal(errs.v[LW_CONFIG_MAX_ERRORS].msg,
	    "too many errors, giving up on the rest");
	lw_cfgerrs_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v);
	free(text);
}

static void
test_lines(void **state)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_config	*cfg;
	char			 text[1024], *got;
	int			 n;

	(void)state;
	/* The longest line inih takes is 198 bytes: it works. */
	n = snprintf(text, sizeof(text), "[source]\npath = /%0*d\n",
	    198 - 8, 0);
	assert_true(n > 0);
	cfg = load_ok(text);
	assert_int_equal(strlen(cfg->source.path), 198 - 7);
	lw_config_free(cfg);

	/* One more is an error, and no "missing" error follows from it. */
	snprintf(text, sizeof(text), "[source]\npath = /%0*d\n", 199 - 8, 0);
	expect_errors(text, "t.ini:2: line is longer than 198 bytes, the "
	    "most the INI parser takes\n");

	/* A long comment is fine. */
	snprintf(text, sizeof(text), "; %0*d\n" PATHX, 500, 0);
	lw_config_free(load_ok(text));

	/* NUL bytes are refused, with the right line number after them. */
	writefile("t.ini", PATHX "[rules]\nwin\0dow = 1\nerrors = x\n",
	    sizeof(PATHX "[rules]\nwin\0dow = 1\nerrors = x\n") - 1);
	assert_null(lw_config_load("t.ini", &errs));
	got = capture_errs(&errs);
	assert_string_equal(got, "t.ini:4: line contains a NUL byte\n"
	    "t.ini:5: rules.errors: \"x\" is not a whole number\n");
	free(got);
	lw_cfgerrs_free(&errs);

	/* An indented line is a key of its own, not a continuation. */
	cfg = load_ok(PATHX "[rules]\nwindow = 5\n  errors = 7\n");
	assert_int_equal(cfg->rules.window, 5);
	assert_int_equal(cfg->rules.errors, 7);
	lw_config_free(cfg);

	/* The last line needs no newline. */
	cfg = load_ok("[source]\npath = /z");
	assert_string_equal(cfg->source.path, "/z");
	lw_config_free(cfg);
}

static void
test_open_errors(void **state)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	char			*got;

	(void)state;
	assert_null(lw_config_load("no-such.ini", &errs));
	got = capture_errs(&errs);
	assert_string_equal(got,
	    "no-such.ini: cannot open: No such file or directory\n");
	free(got);
	lw_cfgerrs_free(&errs);

	assert_int_equal(mkdir("d.ini", 0700), 0);
	assert_null(lw_config_load("d.ini", &errs));
	got = capture_errs(&errs);
	assert_string_equal(got, "d.ini: cannot read: Is a directory\n");
	free(got);
	lw_cfgerrs_free(&errs);
	assert_int_equal(rmdir("d.ini"), 0);

	/* Errors accumulate in errs across loads; each load counts its own. */
	assert_null(lw_config_load("no-such.ini", &errs));
	assert_null(load("[x]\n", &errs));
	assert_int_equal(errs.n, 3);
	lw_cfgerrs_free(&errs);
}

static void
test_metrics(void **state)
{
	struct lw_config	*cfg;
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov;
	const char		*line = "order filled latency: 12.5ms id=7";
	int			 rc;

	(void)state;
	cfg = load_ok(PATHX
	    "[metric.latency]\n"		/* 3 */
	    "pattern = latency: ([0-9.]+)ms\n"
	    "above = 250\n"
	    "[rules]\n"
	    "window = 60\n"
	    "[metric.fill-rate.v2]\n"		/* 8 */
	    "pattern = (?:fill|fills)=([0-9]+)\n"
	    "below = -0.5\n"
	    "above = 1e3\n"
	    "stat = p95\n"
	    "[metric.n]\n"			/* 13 */
	    "pattern = ^(x)\n"
	    "above = 0\n"
	    "stat = count\n"
	    "[metric.latency]\n"		/* the same metric again */
	    "stat = max\n");
	assert_int_equal(cfg->nmetrics, 3);
	assert_string_equal(cfg->metrics[0].name, "latency");
	assert_string_equal(cfg->metrics[0].pattern, "latency: ([0-9.]+)ms");
	assert_int_equal(cfg->metrics[0].has_above, 1);
	assert_true(cfg->metrics[0].above == 250);
	assert_int_equal(cfg->metrics[0].has_below, 0);
	assert_int_equal(cfg->metrics[0].stat, LW_STAT_MAX);
	assert_int_equal(cfg->metrics[0].line, 3);
	assert_string_equal(cfg->metrics[1].name, "fill-rate.v2");
	assert_int_equal(cfg->metrics[1].has_below, 1);
	assert_true(cfg->metrics[1].below == -0.5);
	assert_true(cfg->metrics[1].above == 1000);
	assert_int_equal(cfg->metrics[1].stat, LW_STAT_P95);
	assert_int_equal(cfg->metrics[1].line, 8);
	assert_int_equal(cfg->metrics[2].stat, LW_STAT_COUNT);
	assert_int_equal(cfg->metrics[2].line, 13);
	assert_int_equal(cfg->rules.window, 60);

	/* The compiled expression works and captures the number. */
	md = pcre2_match_data_create_from_pattern(cfg->metrics[0].re, NULL);
	assert_non_null(md);
	rc = pcre2_match(cfg->metrics[0].re, (PCRE2_SPTR)line, strlen(line),
	    0, 0, md, NULL);
	assert_int_equal(rc, 2);
	ov = pcre2_get_ovector_pointer(md);
	assert_int_equal(ov[3] - ov[2], 4);
	assert_memory_equal(line + ov[2], "12.5", 4);
	/* Byte mode: invalid UTF-8 in a log line is no error. */
	rc = pcre2_match(cfg->metrics[0].re, (PCRE2_SPTR)"\xff latency: 3ms",
	    15, 0, 0, md, NULL);
	assert_int_equal(rc, 2);
	pcre2_match_data_free(md);

	assert_string_equal(lw_stat_name(LW_STAT_AVG), "avg");
	assert_string_equal(lw_stat_name(LW_STAT_P95), "p95");
	assert_string_equal(lw_stat_name(LW_STAT_COUNT), "count");
	lw_config_free(cfg);
}

static void
test_secrets(void **state)
{
	struct lw_config	*cfg;
	char			*dump;

	(void)state;
	/* From the environment, by the default variable names. */
	setenv("OPENAI_API_KEY", "sk-envsecret-0001", 1);
	setenv("TELEGRAM_BOT_TOKEN", "123:tgsecret", 1);
	cfg = load_ok(PATHX "[telegram]\nchat_id = -100123\n");
	assert_string_equal(cfg->llm.api_key, "sk-envsecret-0001");
	assert_string_equal(cfg->telegram.bot_token, "123:tgsecret");
	assert_int_equal(cfg->telegram.enabled, 1);
	assert_string_equal(cfg->telegram.chat_id, "-100123");
	dump = capture_dump(cfg);
	assert_null(strstr(dump, "envsecret"));
	assert_null(strstr(dump, "tgsecret"));
	assert_non_null(strstr(dump, "# api_key: (set)\n"));
	assert_non_null(strstr(dump, "# bot_token: (set)\n"));
	assert_non_null(strstr(dump, "# password: (unset)\n"));
	free(dump);
	lw_config_free(cfg);

	/* A file wins over the environment; its trailing newline goes. */
	writefile("key.txt", "sk-filesecret-0002\n", 19);
	writefile("pw.txt", "hunter2-secret\r\n", 16);
	setenv("LW_TEST_SMTP_PW", "env-pw-secret", 1);
	cfg = load_ok(PATHX "[llm]\napi_key_file = key.txt\n"
	    "[email]\nurl = smtps://m\nfrom = a@b\nto = c@d\nusername = u\n"
	    "password_env = LW_TEST_SMTP_PW\npassword_file = pw.txt\n");
	assert_string_equal(cfg->llm.api_key, "sk-filesecret-0002");
	assert_string_equal(cfg->email.password, "hunter2-secret");
	dump = capture_dump(cfg);
	assert_null(strstr(dump, "filesecret"));
	assert_null(strstr(dump, "hunter2"));
	assert_null(strstr(dump, "env-pw-secret"));
	assert_non_null(strstr(dump, "api_key_file = key.txt\n"));
	assert_non_null(strstr(dump, "password_env = LW_TEST_SMTP_PW\n"));
	free(dump);
	lw_config_free(cfg);

	/* Relative *_file names are under $CREDENTIALS_DIRECTORY. */
	assert_int_equal(mkdir("creds", 0700), 0);
	writefile("creds/key.txt", "sk-creds-0003", 13);
	setenv("CREDENTIALS_DIRECTORY", "creds", 1);
	cfg = load_ok(PATHX "[llm]\napi_key_file = key.txt\n");
	assert_string_equal(cfg->llm.api_key, "sk-creds-0003");
	lw_config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_int_equal(unlink("creds/key.txt"), 0);
	assert_int_equal(rmdir("creds"), 0);

	/* Empty variable: no key (a local server); the empty file is an
	 * error; a secret with a line break inside is refused. */
	setenv("OPENAI_API_KEY", "", 1);
	cfg = load_ok(PATHX);
	assert_null(cfg->llm.api_key);
	lw_config_free(cfg);
	writefile("empty.txt", "\n", 1);
	expect_errors(PATHX "[llm]\napi_key_file = empty.txt\n",
	    "t.ini:4: llm.api_key_file: \"empty.txt\" is empty\n");
	writefile("two.txt", "abc\ndef\n", 8);
	expect_errors(PATHX "[llm]\napi_key_file = two.txt\n",
	    "t.ini:4: llm.api_key_file: \"two.txt\" contains a control "
	    "character\n");
	setenv("OPENAI_API_KEY", "sk-a\nb", 1);
	expect_errors(PATHX, "t.ini: llm.api_key_env: environment variable "
	    "OPENAI_API_KEY contains a control character\n");

	unsetenv("OPENAI_API_KEY");
	unsetenv("TELEGRAM_BOT_TOKEN");
	unsetenv("LW_TEST_SMTP_PW");
}

/* The dump loads again to the same dump. */
static void
test_dump_roundtrip(void **state)
{
	struct lw_config	*cfg;
	char			*d1, *d2;

	(void)state;
	cfg = load_ok(PATHX "[rules]\nspike = 0.1\nsilence = 0\n"
	    "[metric.lat]\npattern = ms=([0-9]+) ;c\nbelow = 2.25\n"
	    "[email]\nurl = smtp://m\nfrom = a@b\nto = c@d,e@f\n"
	    "[alerts]\njsonl = /tmp/j\n");
	d1 = capture_dump(cfg);
	lw_config_free(cfg);
	assert_non_null(strstr(d1, "spike = 0.1\n"));
	assert_non_null(strstr(d1, "[metric.lat]\npattern = ms=([0-9]+)\n"
	    "above =\nbelow = 2.25\nstat = avg\n"));
	assert_non_null(strstr(d1, "to = c@d, e@f\n"));
	assert_non_null(strstr(d1, "starttls = yes\n"));
	assert_non_null(strstr(d1, "chat_id =\n"));
	cfg = load_ok(d1);
	d2 = capture_dump(cfg);
	assert_string_equal(d1, d2);
	lw_config_free(cfg);
	free(d1);
	free(d2);
}

static void
test_example(void **state)
{
	struct lw_cfgerrs	 errs = { NULL, 0 };
	struct lw_config	*cfg, *def;
	char			*got, *d1, *d2;

	(void)state;
	cfg = lw_config_load(LW_SOURCE_DIR "/conf/logwarden.ini", &errs);
	if (cfg == NULL) {
		got = capture_errs(&errs);
		print_error("%s", got);
		free(got);
	}
	assert_non_null(cfg);
	assert_string_equal(cfg->source.path, "/var/log/tradingbot/bot.log");

	/* It documents the defaults: the same as a file with only path. */
	def = load_ok("[source]\npath = /var/log/tradingbot/bot.log\n");
	d1 = capture_dump(cfg);
	d2 = capture_dump(def);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	lw_config_free(def);
	lw_config_free(cfg);
}

static int
is_ini(const struct dirent *de)
{
	size_t	n = strlen(de->d_name);

	return n > 4 && strcmp(de->d_name + n - 4, ".ini") == 0;
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*s;
	long	 n;

	if (f == NULL)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

/* tests/config/X.ini against X.out: the errors, or the dump. */
static void
test_golden(void **state)
{
	struct dirent		**list;
	struct lw_cfgerrs	  errs = { NULL, 0 };
	struct lw_config	 *cfg;
	char			  outname[512], *got, *want;
	int			  i, n, failed = 0;
	FILE			 *f;

	(void)state;
	assert_int_equal(chdir(LW_SOURCE_DIR "/tests/config"), 0);
	setenv("LW_GOLDEN_SECRET", "golden-env-secret", 1);
	n = scandir(".", &list, is_ini, alphasort);
	assert_true(n >= 5);
	for (i = 0; i < n; i++) {
		cfg = lw_config_load(list[i]->d_name, &errs);
		got = cfg ? capture_dump(cfg) : capture_errs(&errs);
		snprintf(outname, sizeof(outname), "%.*s.out",
		    (int)strlen(list[i]->d_name) - 4, list[i]->d_name);
		if (getenv("LW_GOLDEN_UPDATE") != NULL) {
			f = fopen(outname, "w");
			assert_non_null(f);
			fputs(got, f);
			assert_int_equal(fclose(f), 0);
		}
		want = slurp(outname);
		if (want == NULL || strcmp(got, want) != 0) {
			print_error("golden %s differs; got:\n%s",
			    list[i]->d_name, got);
			failed++;
		}
		free(want);
		free(got);
		lw_config_free(cfg);
		lw_cfgerrs_free(&errs);
		free(list[i]);
	}
	free(list);
	unsetenv("LW_GOLDEN_SECRET");
	assert_int_equal(chdir(tmpdir), 0);
	assert_int_equal(failed, 0);
}

static void
test_free_null(void **state)
{
	struct lw_cfgerrs	errs = { NULL, 0 };

	(void)state;
	lw_config_free(NULL);
	lw_cfgerrs_free(NULL);
	lw_cfgerrs_free(&errs);
	lw_cfgerrs_print(&errs, stderr);
	assert_int_equal(errs.n, 0);
}

/* What `check` says a config does: no secret, no URL path or query. */
static void
test_describe(void **state)
{
	struct lw_config	*cfg;
	char			*s = NULL;
	size_t			 n = 0;
	FILE			*f;

	(void)state;
	writefile("bot.log", "", 0);
	setenv("LW_T_KEY", "sk-describesecretdescribesecret00", 1);
	setenv("LW_T_TG", "123:tgsecretvalue", 1);
	cfg = load_ok("[source]\npath = bot.log\n"
	    "[rules]\nerrors = 3\nwarnings = 0\nrepeat = 0\nsilence = 0\n"
	    "spike = 0\nnew_error = no\nwindow = 60\n"
	    "[metric.latency]\npattern = latency_ms=([0-9.]+)\nabove = 5\n"
	    "[llm]\nurl = http://me:pw@127.0.0.1:8080/v1/chat/completions?k=1\n"
	    "model = m\napi_key_env = LW_T_KEY\n"
	    "[webhook]\nurl = https://hooks.example.org/services/T0/B0/XYZ\n"
	    "[telegram]\nchat_id = -100\nbot_token_env = LW_T_TG\n"
	    "[reports]\nhourly = yes\ndaily = 8:05\n");
	f = open_memstream(&s, &n);
	assert_non_null(f);
	lw_config_describe(cfg, f);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(s,
	    "  follows   bot.log\n"
	    "  state     /var/lib/logwarden\n"
	    "  rules     errors 3 in 60 s; new_error no; 1 metric (latency)\n"
	    "  sinks     terminal, webhook https://hooks.example.org (info+), "
	    "telegram chat -100 (warning+)\n"
	    "  llm       m at http://127.0.0.1:8080, every 300 s, at most 30 "
	    "calls an hour, with a key\n"
	    "  reports   hourly, daily at 08:05 (local time)\n");
	free(s);
	lw_config_free(cfg);
	unsetenv("LW_T_KEY");
	unsetenv("LW_T_TG");

	cfg = load_ok("[source]\npath = nothere.log\n[llm]\nenabled = no\n");
	s = NULL;
	f = open_memstream(&s, &n);
	assert_non_null(f);
	lw_config_describe(cfg, f);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(s, "follows   nothere.log (not there yet)\n"));
	assert_non_null(strstr(s, "  llm       off\n  reports   off\n"));
	free(s);
	lw_config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
