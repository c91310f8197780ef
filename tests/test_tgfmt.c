/*
 * test_tgfmt: Telegram messages from hostile alerts.  Every rendered text
 * goes through check_html, a validator written independently of tgfmt.c
 * with the rules Telegram enforces (known tags only, balanced, the four
 * named entities, valid UTF-8) and its own count of UTF-16 units, so a
 * message Telegram would refuse fails here.  Then the sendMessage body
 * and the classification of real Bot API answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "alert.h"
#include "buf.h"
#include "tgfmt.h"
#include "utf8.h"
#include "xmalloc.h"

#define GRIN	"\xf0\x9f\x98\x80"	/* U+1F600: 4 bytes, 2 units */
#define REPL	"\xef\xbf\xbd"

static const char *allowed_tags[] = { "b", "i", "u", "s", "code", "pre",
    "a" };

/*
 * Fails the test unless s is text Telegram's HTML mode accepts; returns
 * its length as Telegram counts it (entities one character, characters
 * above U+FFFF two).
 */
static size_t
check_html(const char *s)
{
	const char	*stack[16];
	size_t		 depth = 0, i = 0, len = strlen(s), vis = 0, nl, k;
	const char	*ents[] = { "&lt;", "&gt;", "&amp;", "&quot;" };
	int		 closing, known;

	if (lw_utf8_valid_prefix(s, len) != len)
		fail_msg("invalid UTF-8 at byte %zu",
		    lw_utf8_valid_prefix(s, len));
	while (i < len) {
		if (s[i] == '<') {
			const char	*name, *end = strchr(s + i, '>');

			if (end == NULL)
				fail_msg("unclosed tag at %zu", i);
			closing = s[i + 1] == '/';
			name = s + i + 1 + closing;
			nl = strspn(name, "abcdefghijklmnopqrstuvwxyz");
			known = 0;
			for (k = 0; k < 7; k++)
				if (strlen(allowed_tags[k]) == nl &&
				    strncmp(name, allowed_tags[k], nl) == 0)
					known = 1;
			if (!known)
				fail_msg("tag not allowed at %zu: %.20s", i,
				    s + i);
			if (closing) {
				if (name[nl] != '>' || depth == 0 ||
				    strlen(stack[depth - 1]) != nl ||
				    strncmp(stack[depth - 1], name, nl) != 0)
					fail_msg("unbalanced </%.*s> at %zu",
					    (int)nl, name, i);
				depth--;
			} else {
				if (name[nl] != '>' && !(nl == 1 &&
				    *name == 'a' && strncmp(name + 1,
				    " href=\"", 7) == 0))
					fail_msg("attribute at %zu", i);
				if (depth == 16)
					fail_msg("nesting too deep");
				for (k = 0; k < 7; k++)
					if (strncmp(name, allowed_tags[k],
					    nl) == 0 &&
					    strlen(allowed_tags[k]) == nl)
						stack[depth++] =
						    allowed_tags[k];
			}
			i = (size_t)(end - s) + 1;
		} else if (s[i] == '&') {
			known = 0;
			for (k = 0; k < 4; k++)
				if (strncmp(s + i, ents[k],
				    strlen(ents[k])) == 0) {
					i += strlen(ents[k]);
					known = 1;
					break;
				}
			if (!known)
				fail_msg("bare & at %zu: %.12s", i, s + i);
			vis++;
		} else if (s[i] == '>') {
			fail_msg("bare > at %zu", i);
		} else {
			unsigned char	c = (unsigned char)s[i++];

			if ((c & 0xc0) != 0x80)
				vis += c >= 0xf0 ? 2 : 1;
		}
	}
	if (depth != 0)
		fail_msg("%zu tag(s) left open", depth);
	if (vis > LW_TG_TEXT_MAX)
		fail_msg("text of %zu characters", vis);
	assert_int_equal(vis, lw_tg_text_length(s, len));
	return vis;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* An alert built field by field, so that any bytes can go in. */
static struct lw_alert *
mkalert(enum lw_sev sev, const char *title, const char *detail)
{
	struct lw_alert	*a = lw_alert_new();

	a->severity = sev;
	a->rule = xstrdup("errors");
	a->title = xstrdup(title);
	a->detail = detail ? xstrdup(detail) : NULL;
	a->host = xstrdup("bot-1");
	a->log = xstrdup("/var/log/bot/bot.log");
	a->has_count = 1;
	a->count = 15;
	a->tmpl = xstrdup("Order placement failed: <*>");
	return a;
}

static void
addev(struct lw_alert *a, const char *line)
{
	assert_true(a->nevidence < LW_ALERT_MAX_EVIDENCE);
	a->evidence[a->nevidence++] = xstrdup(line);
}

/* Renders alerts into a fresh string (caller frees), checked. */
static char *
render(struct lw_alert **v, size_t n, size_t *used)
{
	struct buf	out;

	buf_init(&out, LW_TG_RENDER_MAX);
	assert_int_equal(lw_tg_render((const struct lw_alert *const *)v, n,
	    used, &out), 0);
	assert_true(*used >= 1 && *used <= n);
	check_html(buf_str(&out));
	return buf_take(&out);
}

static void
test_length_count(void **state)
{
	(void)state;
	assert_int_equal(lw_tg_text_length("abc", 3), 3);
	assert_int_equal(lw_tg_text_length(GRIN, 4), 2);
	assert_int_equal(lw_tg_text_length("\xc3\xa9\xe2\x82\xac", 5), 2);
	assert_int_equal(lw_tg_text_length("&amp;&lt;", 9), 2);
	assert_int_equal(lw_tg_text_length("<b>x</b>\n<pre>y</pre>", 21),
	    3);
}

static void
test_escape_hostile(void **state)
{
	struct lw_alert	*a;
	char		*s;
	size_t		 used;

	(void)state;
	a = mkalert(LW_SEV_CRITICAL, "<script>alert(1)</script> & \"q\"",
	    "Issue: a & b <i>\nImpact: </b>\nAction: &amp; stays text");
	free(a->host);
	a->host = xstrdup("h<1>");
	free(a->log);
	a->log = xstrdup("/var/log/\"x\".log");
	free(a->tmpl);
	a->tmpl = xstrdup("<*> & </code>");
	addev(a, "</pre><b>bold</b> & more");
	addev(a, "tab\there\x01" "ctl \xe2\x80\xae" "rtl");
	s = render(&a, 1, &used);
	assert_int_equal(used, 1);
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt; "
	    "&amp; &quot;q&quot;"));
	assert_non_null(strstr(s, "&lt;/pre&gt;&lt;b&gt;bold"));
	assert_non_null(strstr(s, "&amp;amp; stays text"));
	assert_non_null(strstr(s, "h&lt;1&gt;"));
	assert_non_null(strstr(s, "&lt;*&gt; &amp; &lt;/code&gt;"));
	/* Detail keeps its lines; controls and RTL overrides are gone. */
	assert_non_null(strstr(s, "\nImpact: &lt;/b&gt;\nAction:"));
	assert_non_null(strstr(s, "tab here" REPL "ctl " REPL "rtl"));
	assert_null(strstr(s, "\xe2\x80\xae"));
	/* The layout: mark, title in bold, count, evidence in <pre>. */
	assert_non_null(strstr(s, "\xf0\x9f\x94\xb4 CRITICAL"));
	assert_non_null(strstr(s, "count <b>15</b>"));
	assert_int_equal(count(s, "<pre>"), 1);
	assert_null(strstr(s, "not shown"));
	free(s);
	lw_alert_free(a);
}

static void
test_huge_evidence(void **state)
{
	struct lw_alert	*a;
	char		 line[2100], *s, *pre;
	size_t		 used, vis, i;

	(void)state;
	a = mkalert(LW_SEV_WARNING, "ten huge lines", "detail");
	for (i = 0; i < 10; i++) {
		memset(line, 'a' + (int)i, sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		memcpy(line, "<&>", 3);		/* entities near the start */
		addev(a, line);
	}
	s = render(&a, 1, &used);
	vis = check_html(s);
	/* The room is used, not wasted, and the cut is admitted. */
	assert_true(vis > LW_TG_TEXT_MAX - 200);
	assert_non_null(strstr(s, "long evidence lines shortened"));
	pre = strstr(s, "<pre>");
	assert_non_null(pre);
	assert_non_null(strstr(pre, "&lt;&amp;&gt;aaaa"));
	assert_non_null(strstr(pre, "\xe2\x80\xa6"));
	/* All ten lines shortened alike rather than some dropped. */
	assert_non_null(strstr(pre, "\n&lt;&amp;&gt;jjj"));
	assert_non_null(strstr(pre, "&lt;&amp;&gt;" "aaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	free(s);
	lw_alert_free(a);
}

/* Every field as long and as hostile as it can come: still one message. */
static void
test_everything_maximal(void **state)
{
	struct lw_alert	*v[2];
	char		*big, *s;
	size_t		 used, i, j;

	(void)state;
	big = xmalloc(LW_ALERT_TEXT_MAX);
	memset(big, '<', LW_ALERT_TEXT_MAX - 1);
	big[LW_ALERT_TEXT_MAX - 1] = '\0';
	for (j = 0; j < 2; j++) {
		v[j] = mkalert(LW_SEV_CRITICAL, "", big);
		free(v[j]->title);
		v[j]->title = xstrndup(big, LW_ALERT_TITLE_MAX);
		free(v[j]->tmpl);
		v[j]->tmpl = xstrdup(big);
		free(v[j]->host);
		v[j]->host = xstrdup(big);
		free(v[j]->log);
		v[j]->log = xstrdup(big);
		free(v[j]->rule);
		v[j]->rule = xstrdup(big);
		v[j]->count = -9223372036854775807LL;
		for (i = 0; i < LW_ALERT_MAX_EVIDENCE; i++)
			v[j]->evidence[i] = xstrndup(big,
			    LW_ALERT_EVIDENCE_MAX);
		v[j]->nevidence = LW_ALERT_MAX_EVIDENCE;
	}
	s = render(v, 1, &used);
	assert_int_equal(used, 1);
	free(s);
	/* In a group the first still fits and the second waits. */
	s = render(v, 2, &used);
	assert_int_equal(used, 1);
	assert_non_null(strstr(s, "2 alerts on "));
	assert_non_null(strstr(s, "the rest follow"));
	free(s);
	for (j = 0; j < 2; j++)
		lw_alert_free(v[j]);
	free(big);
}

static void
test_group_split(void **state)
{
	struct lw_alert	*v[30];
	char		 title[64], line[400], *s, *p;
	size_t		 used, done = 0, msgs = 0, i, next = 0;

	(void)state;
	for (i = 0; i < 30; i++) {
		snprintf(title, sizeof(title), "alert #%zu#", i);
		v[i] = mkalert(i % 3, title, "Issue: x\nImpact: y\nAction: z");
		memset(line, 'e', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\0';
		addev(v[i], line);
		addev(v[i], "second line");
		addev(v[i], line);
	}
	while (done < 30) {
		s = render(v + done, 30 - done, &used);
		if (msgs == 0) {
			assert_true(used < 30);
			assert_non_null(strstr(s, "<b>30 alerts on bot-1</b>"));
			assert_non_null(strstr(s, "the rest follow"));
		}
		/* Each alert exactly once, in order, with some evidence. */
		for (p = s; (p = strstr(p, "alert #")) != NULL; p++) {
			assert_int_equal(strtoul(p + 7, NULL, 10), next);
			next++;
		}
		assert_int_equal(next, done + used);
		assert_true(count(s, "<pre>") >= used);
		done += used;
		msgs++;
		free(s);
	}
	assert_true(msgs >= 2 && msgs <= 15);

	/* A small group fits whole: no "rest follow". */
	s = render(v, 3, &used);
	assert_int_equal(used, 3);
	assert_non_null(strstr(s, "<b>3 alerts on bot-1</b>\n\n"));
	assert_null(strstr(s, "follow"));
	assert_non_null(strstr(s, "\xf0\x9f\x94\xb5 INFO"));
	assert_non_null(strstr(s, "\xf0\x9f\x9f\xa0 WARNING"));
	assert_null(strstr(s, "not shown"));
	free(s);
	for (i = 0; i < 30; i++)
		lw_alert_free(v[i]);
}

static void
test_astral_counted_twice(void **state)
{
	struct lw_alert	*a;
	char		 line[2048 + 1], title[300 * 4 + 1], *s;
	size_t		 used, i, vis;

	(void)state;
	for (i = 0; i < 300; i++)
		memcpy(title + 4 * i, GRIN, 4);
	title[1200] = '\0';
	for (i = 0; i < 512; i++)
		memcpy(line + 4 * i, GRIN, 4);
	line[2048] = '\0';
	a = mkalert(LW_SEV_INFO, title, NULL);
	for (i = 0; i < 10; i++)
		addev(a, line);
	s = render(&a, 1, &used);
	/*
	 * 10 x 512 emoji are 5120 code points, 10240 units; counting code
	 * points would let 4096 of them through: twice too many.
	 */
	vis = check_html(s);
	assert_true(vis <= LW_TG_TEXT_MAX && vis > LW_TG_TEXT_MAX - 200);
	/* The title is cut at a character boundary, ellipsis added. */
	assert_non_null(strstr(s, GRIN "\xe2\x80\xa6</b>"));
	free(s);
	lw_alert_free(a);
}

static void
test_invalid_utf8(void **state)
{
	struct lw_alert	*a;
	char		*s;
	size_t		 used;

	(void)state;
	a = mkalert(LW_SEV_WARNING, "bad \xff\xfe title", "det\xc0\xafil");
	free(a->host);
	a->host = xstrdup("h\xe2\x82");
	addev(a, "cut in the middle \xf0\x9f\x98");
	addev(a, "\xed\xa0\x80 surrogate");
	s = render(&a, 1, &used);	/* render() checks valid UTF-8 */
	assert_non_null(strstr(s, "bad " REPL REPL " title"));
	assert_non_null(strstr(s, "middle " REPL));
	assert_non_null(strstr(s, "h" REPL));
	free(s);
	lw_alert_free(a);
}

static void
test_render_errors(void **state)
{
	struct lw_alert	*a;
	struct buf	 out;
	size_t		 used = 7;

	(void)state;
	a = mkalert(LW_SEV_WARNING, "x", NULL);
	buf_init(&out, LW_TG_RENDER_MAX);
	assert_int_equal(lw_tg_render(NULL, 0, &used, &out), -1);
	assert_int_equal(used, 0);
	buf_free(&out);
	/* Too small a buffer: -1 and out untouched. */
	buf_init(&out, 20);
	assert_int_equal(buf_adds(&out, "keep"), 0);
	assert_int_equal(lw_tg_render((const struct lw_alert *const *)&a, 1,
	    &used, &out), -1);
	assert_string_equal(buf_str(&out), "keep");
	buf_free(&out);
	lw_alert_free(a);
}

/* Parses a body lw_tg_body wrote; the caller cJSON_Deletes it. */
static cJSON *
body(const char *chat, const char *text, int silent, const char *thread,
    char **raw)
{
	struct buf	 out;
	cJSON		*o;

	buf_init(&out, LW_TG_BODY_MAX);
	assert_int_equal(lw_tg_body(chat, text, silent, thread, &out), 0);
	o = cJSON_Parse(buf_str(&out));
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "parse_mode")->valuestring,
	    "HTML");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(o,
	    "link_preview_options"), "is_disabled")));
	*raw = buf_take(&out);
	return o;
}

static void
test_body(void **state)
{
	cJSON		*o, *it;
	struct buf	 out;
	char		*raw;

	(void)state;
	o = body("-1001234567890", "<b>hi</b> \xc3\xa9" GRIN, 0, NULL, &raw);
	assert_non_null(strstr(raw, "\"chat_id\":-1001234567890"));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "chat_id")));
	assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring,
	    "<b>hi</b> \xc3\xa9" GRIN);
	assert_null(cJSON_GetObjectItem(o, "disable_notification"));
	assert_null(cJSON_GetObjectItem(o, "message_thread_id"));
	cJSON_Delete(o);
	free(raw);

	o = body("@alerts_channel", "x", 1, "42", &raw);
	it = cJSON_GetObjectItem(o, "chat_id");
	assert_true(cJSON_IsString(it));
	assert_string_equal(it->valuestring, "@alerts_channel");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o,
	    "disable_notification")));
	assert_int_equal(cJSON_GetObjectItem(o, "message_thread_id")->
	    valuedouble, 42);
	cJSON_Delete(o);
	free(raw);

	/* Not integers JSON could carry: strings. */
	o = body("007", "bad \xff", 0, NULL, &raw);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "chat_id")));
	assert_string_equal(cJSON_GetObjectItem(o, "text")->valuestring,
	    "bad " REPL);
	cJSON_Delete(o);
	free(raw);
	o = body("12a", "x", 0, NULL, &raw);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(o, "chat_id")));
	cJSON_Delete(o);
	free(raw);

	buf_init(&out, LW_TG_BODY_MAX);
	assert_int_equal(lw_tg_body("", "x", 0, NULL, &out), -1);
	assert_int_equal(lw_tg_body(NULL, "x", 0, NULL, &out), -1);
	assert_int_equal(lw_tg_body("1", "x", 0, "abc", &out), -1);
	assert_int_equal(lw_tg_body("1", "x", 0, "-3", &out), -1);
	assert_int_equal(lw_tg_body("1", "x", 0, "", &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	buf_init(&out, 10);
	assert_int_equal(lw_tg_body("1", "a longer text", 0, NULL, &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static int
reply(const char *b, long status, struct lw_tg_reply *r)
{
	return lw_tg_parse_reply(b, b ? strlen(b) : 0, status, r);
}

static void
test_reply(void **state)
{
	struct lw_tg_reply	r;
	char			long_desc[1200];

	(void)state;
	assert_int_equal(reply("{\"ok\":true,\"result\":{\"message_id\":5,"
	    "\"date\":1700000000,\"chat\":{\"id\":1}}}", 200, &r), 0);
	assert_int_equal(r.kind, LW_TG_OK);
	assert_int_equal(r.ok, 1);
	assert_int_equal(r.retry_after, -1);

	assert_int_equal(reply("{\"ok\":false,\"error_code\":429,"
	    "\"description\":\"Too Many Requests: retry after 35\","
	    "\"parameters\":{\"retry_after\":35}}", 429, &r), 0);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_int_equal(r.retry_after, 35);
	assert_int_equal(r.error_code, 429);
	assert_string_equal(r.description, "Too Many Requests: retry after 35");

	assert_int_equal(reply("{\"ok\":false,\"error_code\":400,"
	    "\"description\":\"Bad Request: can't parse entities: Unsupported "
	    "start tag \\\"foo\\\" at byte offset 5\"}", 400, &r), 0);
	assert_int_equal(r.kind, LW_TG_FATAL);
	assert_string_equal(r.description, "Bad Request: can't parse "
	    "entities: Unsupported start tag \"foo\" at byte offset 5");

	assert_int_equal(reply("{\"ok\":false,\"error_code\":401,"
	    "\"description\":\"Unauthorized\"}", 401, &r), 0);
	assert_int_equal(r.kind, LW_TG_FATAL);
	assert_string_equal(r.description, "Unauthorized");

	assert_int_equal(reply("{\"ok\":false,\"error_code\":403,"
	    "\"description\":\"Forbidden: bot was blocked by the user\"}", 403,
	    &r), 0);
	assert_int_equal(r.kind, LW_TG_FATAL);
	assert_string_equal(r.description,
	    "Forbidden: bot was blocked by the user");

	assert_int_equal(reply("{\"ok\":false,\"error_code\":404,"
	    "\"description\":\"Not Found\"}", 404, &r), 0);
	assert_int_equal(r.kind, LW_TG_FATAL);

	assert_int_equal(reply("{\"ok\":false,\"error_code\":400,"
	    "\"description\":\"Bad Request: group chat was upgraded to a "
	    "supergroup chat\",\"parameters\":{\"migrate_to_chat_id\":"
	    "-1001234567890}}", 400, &r), 0);
	assert_int_equal(r.kind, LW_TG_FATAL);
	assert_true(r.migrate_to == -1001234567890LL);

	assert_int_equal(reply("{\"ok\":false,\"error_code\":502,"
	    "\"description\":\"Bad Gateway\"}", 502, &r), 0);
	assert_int_equal(r.kind, LW_TG_RETRY);

	/* A proxy's HTML page: retried, and the log says what came. */
	assert_int_equal(reply("<html>\r\n<head><title>502 Bad Gateway</title>"
	    "</head>\r\n<body>nginx</body></html>", 502, &r), -1);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_int_equal(r.retry_after, -1);
	assert_non_null(strstr(r.description, "HTTP 502: <html>\\x0d\\x0a"));
	assert_non_null(strstr(r.description, "502 Bad Gateway"));

	/* Garbage after a 200 is no confirmation. */
	assert_int_equal(reply("\x01\xffnot json", 200, &r), -1);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_non_null(strstr(r.description, "\\x01\\xffnot json"));
	assert_int_equal(reply("[true]", 200, &r), -1);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_int_equal(reply("{\"ok\":false,\"error_code\":400}", 200, &r),
	    0);
	assert_int_equal(r.kind, LW_TG_FATAL);

	/* No answer at all, an empty one. */
	assert_int_equal(reply(NULL, 0, &r), -1);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_true(r.description[0] != '\0');
	assert_int_equal(reply("", 503, &r), -1);
	assert_int_equal(r.kind, LW_TG_RETRY);
	assert_string_equal(r.description, "HTTP 503, empty answer");
	assert_int_equal(reply("", 401, &r), -1);
	assert_int_equal(r.kind, LW_TG_FATAL);

	/* A hostile description: escaped and cut, still a C string. */
	memset(long_desc, 'x', sizeof(long_desc));
	memcpy(long_desc, "{\"ok\":false,\"description\":\"\\u001b[31m",
	    37);
	memcpy(long_desc + sizeof(long_desc) - 3, "\"}", 3);
	assert_int_equal(reply(long_desc, 400, &r), 0);
	assert_int_equal(strncmp(r.description, "\\x1b[31mxxx", 11), 0);
	assert_int_equal(strlen(r.description), LW_TG_DESC_MAX - 1);

	/* A silly retry_after is bounded. */
	assert_int_equal(reply("{\"ok\":false,\"error_code\":429,"
	    "\"parameters\":{\"retry_after\":1e30}}", 429, &r), 0);
	assert_int_equal(r.retry_after, 86400);
}

/* A report is a message of its own, whatever its summary holds. */
static void
test_report_alone(void **state)
{
	struct lw_alert	*v[3];
	struct buf	 detail;
	char		*s;
	size_t		 used, i;

	(void)state;
	buf_init(&detail, 64 * 1024);
	for (i = 0; i < 400; i++)
		buf_adds(&detail, "\xe2\x80\xa2 9\xc3\x97 <b>&amp; \xe2\x96\x81\xe2\x96\x88\n");
	v[0] = mkalert(LW_SEV_WARNING, "alert before", NULL);
	v[1] = mkalert(LW_SEV_INFO, "Hourly report 13:00-14:00", buf_str(&detail));
	lw_alert_set_rule(v[1], "report.hourly");
	v[2] = mkalert(LW_SEV_WARNING, "alert after", NULL);

	/* The group stops before the report. */
	s = render(v, 3, &used);
	assert_int_equal(used, 1);
	assert_null(strstr(s, "Hourly report"));
	free(s);

	/* The report alone, cut to fit, its markup escaped. */
	s = render(v + 1, 2, &used);
	assert_int_equal(used, 1);
	assert_true(strncmp(s, "\xf0\x9f\x93\x8a <b>Hourly report 13:00-14:00"
	    "</b>\nhost <code>bot-1</code>\n", 62) == 0);
	assert_non_null(strstr(s, "&lt;b&gt;&amp;amp; \xe2\x96\x81"));
	assert_null(strstr(s, "alert after"));
	assert_null(strstr(s, "rule <code>"));
	assert_true(check_html(s) <= LW_TG_TEXT_MAX);
	free(s);
	for (i = 0; i < 3; i++)
		lw_alert_free(v[i]);
	buf_free(&detail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length_count),
		cmocka_unit_test(test_escape_hostile),
		cmocka_unit_test(test_huge_evidence),
		cmocka_unit_test(test_everything_maximal),
		cmocka_unit_test(test_group_split),
		cmocka_unit_test(test_report_alone),
		cmocka_unit_test(test_astral_counted_twice),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
