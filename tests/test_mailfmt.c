/*
 * test_mailfmt: the alert e-mail.  Headers are compared byte for byte on
 * a fixed clock; subjects and bodies are decoded back with a decoder
 * written here (not the one under test), so an encoding slip shows up as
 * a different text, and the RFC limits (75-character encoded-words,
 * 78-column lines, 76-character base64 lines) are measured on every
 * message built.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "lwtime.h"
#include "mailfmt.h"
#include "utf8.h"

#define ID1	"0190c1a2b3c4-0123456789abcdef"
#define ID2	"0190c1a2b3c5-fedcba9876543210"
#define ID3	"0190c1a2b3c6-00112233445566ff"
#define CYR	"\xd0\x9e\xd1\x88\xd0\xb8\xd0\xb1\xd0\xba\xd0\xb0 " \
		"\xd0\xbe\xd1\x80\xd0\xb4\xd0\xb5\xd1\x80\xd0\xb0" /* Ошибка ордера */
#define ROCKET	"\xf0\x9f\x9a\x80"

/* Fri, 04 Dec 2026 15:04:05.678 UTC */
static int64_t
fixed_now(void)
{
	return (lw_days_from_civil(2026, 12, 4) * 86400 + 15 * 3600 +
	    4 * 60 + 5) * 1000 + 678;
}

static struct lw_alert *
mk(const char *id, enum lw_sev sev, const char *title)
{
	struct lw_alert	*a = lw_alert_new();

	snprintf(a->id, sizeof(a->id), "%s", id);
	a->time_ms = 1742481312345LL;	/* 2025-03-20T14:35:12.345Z */
	a->severity = sev;
	lw_alert_set_rule(a, "errors");
	lw_alert_set_title(a, title);
	lw_alert_set_host(a, "bot-1");
	lw_alert_set_log(a, "/var/log/bot.log");
	return a;
}

/* Raw title: what an outbox entry may hold, setter bypassed. */
static void
raw_title(struct lw_alert *a, const char *t)
{
	free(a->title);
	a->title = strdup(t);
	assert_non_null(a->title);
}

static char *
build(const struct lw_alert *const *al, size_t n, const char *const *to,
    size_t nto, int tz)
{
	struct buf	 out;

	buf_init(&out, LW_MAIL_MAX);
	assert_int_equal(lw_mail_build(al, n, "logwarden <lw@bot.example>",
	    to, nto, "bot-1.example", fixed_now(), tz, &out), 0);
	return buf_take(&out);
}

static char *
build1(const struct lw_alert *a)
{
	const struct lw_alert	*al[1] = { a };
	const char		*to[1] = { "ops@example.com" };

	return build(al, 1, to, 1, 0);
}

static int
b64val(char c)
{
	const char	*set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char	*p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/* Strict: length a multiple of 4, padding only at the end. */
static size_t
b64dec(const char *s, size_t len, char *out)
{
	size_t	 i, o = 0;
	int	 v[4], k;

	assert_int_equal(len % 4, 0);
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			v[k] = b64val(s[i + k]);
			if (v[k] < 0) {
				assert_true(s[i + k] == '=' && i + 4 == len &&
				    k >= 2);
				assert_true(k == 3 || s[i + 3] == '=');
			}
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	out[o] = '\0';
	return o;
}

/*
 * The next CRLF, or NULL.  Not strstr: sanitizers measure the whole
 * haystack on every call, which makes a line loop over a 3 MB message
 * quadratic.
 */
static const char *
crlf(const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	}
	return NULL;
}

/* The header section, or the body, as a new string. */
static char *
head_of(const char *msg)
{
	const char	*e = strstr(msg, "\r\n\r\n");

	assert_non_null(e);
	return strndup(msg, (size_t)(e - msg) + 2);
}

/*
 * Every line of the header section ends in CRLF, is at most 78 columns
 * unless said otherwise, and is a header or a continuation.
 */
static void
check_head_lines(const char *head, size_t maxcols)
{
	const char	*p = head, *e;

	while (*p != '\0') {
		e = crlf(p);
		assert_non_null(e);
		assert_true((size_t)(e - p) <= maxcols);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		assert_null(memchr(p, '\r', (size_t)(e - p)));
		assert_true(e > p);
		if (*p != ' ' && *p != '\t')
			assert_non_null(memchr(p, ':', (size_t)(e - p)));
		p = e + 2;
	}
}

/* The unfolded value of header name (first one), or NULL. */
static char *
header(const char *msg, const char *name)
{
	char		*head = head_of(msg), *v, *w;
	const char	*p = head, *e;
	size_t		 nlen = strlen(name);

	for (;;) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':')
			break;
		p = crlf(p);
		if (p == NULL || p[2] == '\0') {
			free(head);
			return NULL;
		}
		p += 2;
	}
	p += nlen + 1;
	if (*p == ' ')
		p++;
	for (e = p; ; e += 2) {
		e = crlf(e);
		if (e[2] != ' ' && e[2] != '\t')
			break;
	}
	v = strndup(p, (size_t)(e - p));
	/* Unfolding: remove every CRLF that precedes white space. */
	for (w = v; (w = strstr(w, "\r\n")) != NULL; )
		memmove(w, w + 2, strlen(w + 2) + 1);
	free(head);
	return v;
}

/*
 * RFC 2047 decoding of an unfolded value; white space between two
 * encoded-words is dropped.  Asserts each word is at most 75 characters
 * and decodes to valid UTF-8 on its own.
 */
static char *
decode_2047(const char *v)
{
	char		*out = calloc(1, strlen(v) + 1), *q = out, *end;
	char		*after_ew = out;
	const char	*p = v;
	size_t		 n;
	int		 prev_ew = 0;

	while (*p != '\0') {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0 &&
		    (end = strstr(p + 10, "?=")) != NULL) {
			assert_true(end + 2 - p <= 75);
			if (prev_ew)	/* drop the white space copied since */
				q = after_ew;
			n = b64dec(p + 10, (size_t)(end - p - 10), q);
			assert_int_equal(lw_utf8_valid_prefix(q, n), n);
			q += n;
			after_ew = q;
			p = end + 2;
			prev_ew = 1;
			continue;
		}
		if (*p != ' ')
			prev_ew = 0;
		*q++ = *p++;
	}
	*q = '\0';
	return out;
}

/* The body, base64-decoded; its lines checked. */
static char *
body_text(const char *msg)
{
	const char	*p = strstr(msg, "\r\n\r\n"), *e;
	char		*out, *q;

	assert_non_null(p);
	p += 4;
	out = calloc(1, strlen(p) + 1);
	q = out;
	while (*p != '\0') {
		e = crlf(p);
		assert_non_null(e);
		assert_true(e - p <= 76 && e > p);
		/* Only the last line may be shorter or padded. */
		if (e[2] != '\0')
			assert_int_equal(e - p, 76);
		q += b64dec(p, (size_t)(e - p), q);
		p = e + 2;
	}
	return out;
}

static void
test_headers_exact(void **state)
{
	struct lw_alert	*a = mk(ID1, LW_SEV_CRITICAL, "Order placement failed");
	char		*msg, *head;

	(void)state;
	msg = build1(a);
	head = head_of(msg);
	assert_string_equal(head,
	    "Date: Fri, 04 Dec 2026 15:04:05 +0000\r\n"
	    "Message-ID: <lw." ID1 "@bot-1.example>\r\n"
	    "From: logwarden <lw@bot.example>\r\n"
	    "To: ops@example.com\r\n"
	    "Subject: [logwarden] CRITICAL: Order placement failed (bot-1)\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n");
	free(head);
	free(msg);
	lw_alert_free(a);
}

static void
test_date_offsets(void **state)
{
	struct lw_alert		*a = mk(ID1, LW_SEV_INFO, "t");
	const struct lw_alert	*al[1] = { a };
	const char		*to[1] = { "ops@example.com" };
	char			*msg, *v;
	struct buf		 out;

	(void)state;
	msg = build(al, 1, to, 1, 9 * 60 + 30);
	v = header(msg, "Date");
	assert_string_equal(v, "Sat, 05 Dec 2026 00:34:05 +0930");
	free(v);
	free(msg);
	msg = build(al, 1, to, 1, -(16 * 60));
	v = header(msg, "Date");
	assert_string_equal(v, "Thu, 03 Dec 2026 23:04:05 -1600");
	free(v);
	free(msg);

	/* Before the epoch the second is floored, not rounded to zero. */
	buf_init(&out, LW_MAIL_MAX);
	assert_int_equal(lw_mail_build(al, 1, "a@b.c", to, 1, "h", -1, 0,
	    &out), 0);
	v = header(out.data, "Date");
	assert_string_equal(v, "Wed, 31 Dec 1969 23:59:59 +0000");
	free(v);
	/* An offset of a day or more is a caller's bug. */
	buf_reset(&out);
	assert_int_equal(lw_mail_build(al, 1, "a@b.c", to, 1, "h", 0, 1440,
	    &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	lw_alert_free(a);
}

static void
test_subject_utf8(void **state)
{
	struct lw_alert	*a = mk(ID1, LW_SEV_WARNING, CYR " " ROCKET " BTC/USDT");
	char		*msg, *head, *v, *d;

	(void)state;
	msg = build1(a);
	head = head_of(msg);
	check_head_lines(head, 78);
	/* The fixed part stays plain for filters; the rest is encoded. */
	assert_non_null(strstr(head,
	    "Subject: [logwarden] WARNING: =?UTF-8?B?"));
	/* Nothing but ASCII in the header section. */
	for (v = head; *v != '\0'; v++)
		assert_true((unsigned char)*v < 0x80);
	v = header(msg, "Subject");
	d = decode_2047(v);
	assert_string_equal(d, "[logwarden] WARNING: " CYR " " ROCKET
	    " BTC/USDT (bot-1)");
	free(d);
	free(v);
	free(head);
	free(msg);
	lw_alert_free(a);
}

static void
test_subject_ascii_plain(void **state)
{
	struct lw_alert	*a = mk(ID1, LW_SEV_WARNING, "Order  failed: 15 x");
	char		*msg, *v, *d;

	(void)state;
	msg = build1(a);
	assert_null(strstr(msg, "=?"));
	assert_non_null(strstr(msg, "\r\nSubject: [logwarden] WARNING: "
	    "Order  failed: 15 x (bot-1)\r\n"));
	free(msg);

	/* Something a reader would decode is encoded, so it reads as sent. */
	raw_title(a, "=?UTF-8?B?SGk=?=");
	msg = build1(a);
	v = header(msg, "Subject");
	assert_string_not_equal(v, "[logwarden] WARNING: =?UTF-8?B?SGk=?= "
	    "(bot-1)");
	d = decode_2047(v);
	assert_string_equal(d, "[logwarden] WARNING: =?UTF-8?B?SGk=?= (bot-1)");
	free(d);
	free(v);
	free(msg);
	lw_alert_free(a);
}

static void
test_subject_folds(void **state)
{
	struct lw_alert	*a;
	char		 title[LW_ALERT_TITLE_MAX + 1], *msg, *head, *v, *d;
	size_t		 i, lines;

	(void)state;
	/* Long ASCII: folded at spaces, unfolds to the same text. */
	title[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(title, "failure-word ");
	strcat(title, "end");
	a = mk(ID1, LW_SEV_CRITICAL, title);
	msg = build1(a);
	head = head_of(msg);
	check_head_lines(head, 78);
	assert_null(strstr(head, "=?"));
	v = header(msg, "Subject");
	assert_true(strncmp(v, "[logwarden] CRITICAL: failure-word", 34) == 0);
	assert_non_null(strstr(v, title));
	assert_string_equal(v + strlen(v) - 11, "end (bot-1)");
	for (lines = 0, d = strstr(head, "Subject:"); d != NULL &&
	    (d = strstr(d, "\r\n ")) != NULL; d += 3)
		lines++;
	assert_true(lines >= 5);
	free(v);
	free(head);
	free(msg);

	/* A word too long to fold is encoded rather than overlong. */
	memset(title, 'x', 200);
	title[200] = '\0';
	raw_title(a, title);
	msg = build1(a);
	head = head_of(msg);
	check_head_lines(head, 78);
	d = decode_2047(v = header(msg, "Subject"));
	assert_true(strncmp(d, "[logwarden] CRITICAL: xxxx", 26) == 0);
	assert_int_equal(strlen(d), 22 + 200 + 8);
	free(d);
	free(v);
	free(head);
	free(msg);

	/* 512 bytes of Cyrillic and emoji: many words, none split. */
	title[0] = '\0';
	while (strlen(title) + strlen(CYR ROCKET) < LW_ALERT_TITLE_MAX)
		strcat(title, CYR ROCKET);
	raw_title(a, title);
	msg = build1(a);
	head = head_of(msg);
	check_head_lines(head, 78);
	d = decode_2047(v = header(msg, "Subject"));
	assert_true(strncmp(d, "[logwarden] CRITICAL: ", 22) == 0);
	assert_true(strncmp(d + 22, title, strlen(title)) == 0);
	assert_string_equal(d + 22 + strlen(title), " (bot-1)");
	free(d);
	free(v);
	free(head);
	free(msg);
	lw_alert_free(a);
}

static void
test_injection(void **state)
{
	struct lw_alert		*a = mk(ID1, LW_SEV_CRITICAL, "x");
	const struct lw_alert	*al[1] = { a };
	const char		*to[2] = { "ops@example.com", NULL };
	char			*msg, *head, *v, *d;
	struct buf		 out;

	(void)state;
	raw_title(a, "x\r\nBcc: evil@x\r\n\r\nbody");
	free(a->host);
	a->host = strdup("h\nX-Evil: 1");
	msg = build1(a);
	head = head_of(msg);
	check_head_lines(head, 78);
	assert_null(strstr(head, "\r\nBcc:"));
	assert_null(strstr(head, "\r\nX-Evil:"));
	assert_null(strstr(head, "evil@x"));	/* only inside encoded-words */
	d = decode_2047(v = header(msg, "Subject"));
	assert_string_equal(d, "[logwarden] CRITICAL: x  Bcc: evil@x    body "
	    "(h X-Evil: 1)");
	free(d);
	free(v);
	free(head);
	free(msg);

	/* Config addresses with a line break are refused, out untouched. */
	buf_init(&out, LW_MAIL_MAX);
	buf_adds(&out, "kept");
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org\r\nBcc: e@x", to, 1,
	    "h", 0, 0, &out), -1);
	assert_string_equal(out.data, "kept");
	to[1] = "b@x.org\nBcc: e@x";
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org", to, 2, "h", 0, 0,
	    &out), -1);
	to[1] = "Name\r\n <b@x.org>";
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org", to, 2, "h", 0, 0,
	    &out), -1);
	to[1] = "b@x.org\t";
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org", to, 2, "h", 0, 0,
	    &out), -1);
	to[1] = NULL;
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org", to, 2, "h", 0, 0,
	    &out), -1);
	assert_string_equal(out.data, "kept");
	/* An odd Message-ID host is replaced, not copied into a header. */
	assert_int_equal(lw_mail_build(al, 1, "lw@x.org", to, 1,
	    "h\r\nBcc: e@x", 0, 0, &out), 0);
	v = header(out.data + 4, "Message-ID");
	assert_string_equal(v, "<lw." ID1 "@localhost>");
	free(v);
	buf_free(&out);
	lw_alert_free(a);
}

static void
test_body(void **state)
{
	struct lw_alert	*a = mk(ID1, LW_SEV_CRITICAL, "Order placement failed");
	char		*msg, *text;

	(void)state;
	lw_alert_set_rule(a, "repeat");
	lw_alert_set_count(a, 15);
	lw_alert_set_template(a, "Order placement failed: <*>");
	lw_alert_set_detail(a, "What: " CYR "\r\nImpact: none\nAction: "
	    "\x1b[31mred");
	assert_int_equal(lw_alert_add_evidence(a, NULL,
	    "2025-03-20 ERROR order failed \xff\xfe", 32), 0);
	assert_int_equal(lw_alert_add_evidence(a, NULL, "second\tline", 11),
	    0);
	msg = build1(a);
	text = body_text(msg);
	assert_string_equal(text,
	    "CRITICAL: Order placement failed\r\n"
	    "\r\n"
	    "Time:     2025-03-20T14:35:12.345Z\r\n"
	    "Host:     bot-1\r\n"
	    "Log:      /var/log/bot.log\r\n"
	    "Rule:     repeat (source: rule)\r\n"
	    "Count:    15\r\n"
	    "Template: Order placement failed: <*>\r\n"
	    "\r\n"
	    "Detail:\r\n"
	    "  What: " CYR "\r\n"
	    "  Impact: none\r\n"
	    "  Action: \\x1b[31mred\r\n"
	    "\r\n"
	    "Evidence:\r\n"
	    "  2025-03-20 ERROR order failed "
	    "\xef\xbf\xbd\xef\xbf\xbd\r\n"
	    "  second\\x09line\r\n"
	    "\r\n"
	    "Alert id: " ID1 "\r\n"
	    "\r\n"
	    "-- \r\n"
	    "logwarden\r\n");
	free(text);
	free(msg);
	lw_alert_free(a);
}

static void
test_recipients(void **state)
{
	struct lw_alert		*a = mk(ID1, LW_SEV_CRITICAL, "t");
	const struct lw_alert	*al[1] = { a };
	const char		*to[6] = { "first.person@example.com",
	    "Ops Team <ops@example.com>", "second.person@example.com",
	    "\"\xd0\x94\xd0\xb5\xd0\xb6\xd1\x83\xd1\x80\xd0\xbd\xd1\x8b\xd0\xb9"
	    "\" <duty@example.com>",
	    "third.person.with.a.long.name@subdomain.example.com",
	    "  last@example.com  " };
	char			*msg, *head, *v, *d;

	(void)state;
	msg = build(al, 1, to, 6, 0);
	head = head_of(msg);
	check_head_lines(head, 78);
	v = header(msg, "To");
	d = decode_2047(v);
	assert_string_equal(d, "first.person@example.com, "
	    "Ops Team <ops@example.com>, second.person@example.com, "
	    "\xd0\x94\xd0\xb5\xd0\xb6\xd1\x83\xd1\x80\xd0\xbd\xd1\x8b\xd0\xb9 "
	    "<duty@example.com>, "
	    "third.person.with.a.long.name@subdomain.example.com, "
	    "last@example.com");
	/* Folded, and never before a comma. */
	assert_non_null(strstr(head, ",\r\n "));
	assert_null(strstr(head, "\r\n ,"));
	free(d);
	free(v);
	free(head);
	free(msg);
	lw_alert_free(a);
}

static void
test_group(void **state)
{
	struct lw_alert		*a = mk(ID1, LW_SEV_WARNING, "Repeated timeout");
	struct lw_alert		*b = mk(ID2, LW_SEV_CRITICAL, "Errors burst");
	struct lw_alert		*c = mk(ID3, LW_SEV_INFO, "Test alert");
	const struct lw_alert	*al[3] = { a, b, c }, *rev[3] = { c, b, a };
	const char		*to[1] = { "ops@example.com" };
	char			*m1, *m2, *m3, *v1, *v2, *v3, *text;

	(void)state;
	free(c->log);
	c->log = NULL;
	lw_alert_set_rule(c, "llm");
	c->source_llm = 1;
	m1 = build(al, 3, to, 1, 0);
	v1 = header(m1, "Subject");
	assert_string_equal(v1, "[logwarden] CRITICAL: 3 alerts: "
	    "Repeated timeout (bot-1)");
	free(v1);
	text = body_text(m1);
	assert_true(strncmp(text, "3 alerts, the highest CRITICAL.\r\n\r\n"
	    "WARNING: Repeated timeout\r\n", 61) == 0);
	assert_non_null(strstr(text, "Alert id: " ID1 "\r\n"));
	assert_non_null(strstr(text, "\r\nCRITICAL: Errors burst\r\n"));
	assert_non_null(strstr(text, "Alert id: " ID2 "\r\n"));
	/* Without detail, evidence or log: no empty sections. */
	assert_non_null(strstr(text, "\r\n-----------------------------------"
	    "-----\r\n\r\nINFO: Test alert\r\n\r\n"
	    "Time:     2025-03-20T14:35:12.345Z\r\n"
	    "Host:     bot-1\r\n"
	    "Rule:     llm (source: llm)\r\n"
	    "\r\n"
	    "Alert id: " ID3 "\r\n"
	    "\r\n-- \r\nlogwarden\r\n"));
	assert_true(strstr(text, ID1) < strstr(text, ID2));
	assert_true(strstr(text, ID2) < strstr(text, ID3));
	free(text);

	/* A retry (another clock) is the same message; another group not. */
	m2 = build(al, 3, to, 1, 120);
	m3 = build(rev, 3, to, 1, 0);
	v1 = header(m1, "Message-ID");
	v2 = header(m2, "Message-ID");
	v3 = header(m3, "Message-ID");
	assert_string_equal(v1, v2);
	assert_string_not_equal(v1, v3);
	assert_true(strncmp(v1, "<lw." ID1 ".g3.", 4 + strlen(ID1) + 4) == 0);
	assert_int_equal(strlen(v1), 4 + strlen(ID1) + 4 + 32 +
	    strlen("@bot-1.example>"));
	assert_string_equal(v1 + strlen(v1) - 15, "@bot-1.example>");
	free(v1);
	free(v2);
	free(v3);
	free(m2);
	free(m3);
	/* Two of them: a different id set, a different Message-ID. */
	m2 = build(al, 2, to, 1, 0);
	v1 = header(m1, "Message-ID");
	v2 = header(m2, "Message-ID");
	assert_string_not_equal(v1, v2);
	free(v1);
	free(v2);
	free(m2);
	free(m1);
	lw_alert_free(a);
	lw_alert_free(b);
	lw_alert_free(c);
}

static void
test_group_too_big(void **state)
{
	struct lw_alert		*al[40];
	const char		*to[1] = { "ops@example.com" };
	char			*detail, *msg, *text, id[40];
	size_t			 i;

	(void)state;
	detail = malloc(LW_ALERT_TEXT_MAX);
	memset(detail, 'd', LW_ALERT_TEXT_MAX - 1);
	detail[LW_ALERT_TEXT_MAX - 1] = '\0';
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "0190c1a2b3c4-%016zx", i);
		al[i] = mk(id, LW_SEV_WARNING, "big");
		lw_alert_set_detail(al[i], detail);
	}
	msg = build((const struct lw_alert *const *)al, 40, to, 1, 0);
	assert_true(strlen(msg) <= LW_MAIL_MAX);
	text = body_text(msg);
	assert_true(strlen(text) <= LW_MAIL_TEXT_MAX);
	/* 2 MiB hold 31 of the 64 KiB alerts; the rest is counted. */
	assert_non_null(strstr(text, "Alert id: 0190c1a2b3c4-"
	    "0000000000000000\r\n"));
	assert_null(strstr(text, "0190c1a2b3c4-0000000000000027"));
	assert_non_null(strstr(text, "more alerts not shown"));
	free(text);
	free(msg);
	for (i = 0; i < 40; i++)
		lw_alert_free(al[i]);
	free(detail);
}

static void
test_bad_args(void **state)
{
	struct lw_alert		*a = mk(ID1, LW_SEV_CRITICAL, "t");
	const struct lw_alert	*al[2] = { a, NULL };
	const char		*to[1] = { "ops@example.com" };
	struct buf		 out;

	(void)state;
	buf_init(&out, LW_MAIL_MAX);
	assert_int_equal(lw_mail_build(al, 0, "a@b.c", to, 1, "h", 0, 0,
	    &out), -1);
	assert_int_equal(lw_mail_build(al, 1, "a@b.c", to, 0, "h", 0, 0,
	    &out), -1);
	assert_int_equal(lw_mail_build(al, 2, "a@b.c", to, 1, "h", 0, 0,
	    &out), -1);
	assert_int_equal(lw_mail_build(al, 1, "not an address", to, 1, "h",
	    0, 0, &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	/* Too small a buffer: refused whole, never a truncated message. */
	buf_init(&out, 300);
	assert_int_equal(lw_mail_build(al, 1, "a@b.c", to, 1, "h", 0, 0,
	    &out), -1);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	lw_alert_free(a);
}

static void
test_addr(void **state)
{
	char	 out[LW_MAIL_ADDR_MAX], small[6];

	(void)state;
	assert_int_equal(lw_mail_addr("a@b.c", out, sizeof(out)), 0);
	assert_string_equal(out, "a@b.c");
	assert_int_equal(lw_mail_addr("  Ops Team <ops+lw@ex.org> ", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "ops+lw@ex.org");
	assert_int_equal(lw_mail_addr("<x@y.z>", out, sizeof(out)), 0);
	assert_string_equal(out, "x@y.z");
	assert_int_equal(lw_mail_addr("\"a<b\" <q@r.s>", out, sizeof(out)), 0);
	assert_string_equal(out, "q@r.s");
	assert_int_equal(lw_mail_addr("\xd0\x94 <d@e.f>", out, sizeof(out)),
	    0);
	assert_string_equal(out, "d@e.f");

	assert_int_equal(lw_mail_addr("", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("plain", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("@b.c", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("a@", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("a@b@c", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("a b@c.d", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("Name <a@b.c", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("Name <a@b.c> x", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("<>", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("a@b.c\r\nBcc: e@x", out, sizeof(out)),
	    -1);
	assert_int_equal(lw_mail_addr("<a@b.c\r\n>", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("\xd0\x94@b.c", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr("a,b@c.d", out, sizeof(out)), -1);
	assert_int_equal(lw_mail_addr(NULL, out, sizeof(out)), -1);
	/* Fits exactly, or not at all. */
	assert_int_equal(lw_mail_addr("a@b.c", small, sizeof(small)), 0);
	assert_int_equal(lw_mail_addr("ab@b.c", small, sizeof(small)), -1);
}

/* A report: its own subject word, the summary and the full text. */
static void
test_report(void **state)
{
	struct lw_alert	*a = mk(ID1, LW_SEV_INFO, "Daily report: 2 errors");
	char		*msg, *text, *subj;

	(void)state;
	lw_alert_set_rule(a, "report.daily");
	lw_alert_set_detail(a, "2 errors \xc2\xb7 0 warnings");
	lw_alert_set_report_text(a, "# Daily report\n\n| x | \x1b |\n");
	msg = build1(a);
	subj = header(msg, "Subject");
	assert_string_equal(subj,
	    "[logwarden] REPORT: Daily report: 2 errors (bot-1)");
	free(subj);
	text = body_text(msg);
	assert_string_equal(text,
	    "Daily report: 2 errors\r\n"
	    "\r\n"
	    "Made:     2025-03-20T14:35:12.345Z\r\n"
	    "Host:     bot-1\r\n"
	    "Log:      /var/log/bot.log\r\n"
	    "\r\n"
	    "Summary:\r\n"
	    "  2 errors \xc2\xb7 0 warnings\r\n"
	    "\r\n"
	    "Report:\r\n"
	    "  # Daily report\r\n"
	    "  \r\n"
	    "  | x | \\x1b |\r\n"
	    "\r\n"
	    "Report id: " ID1 "\r\n"
	    "\r\n"
	    "-- \r\n"
	    "logwarden\r\n");
	free(text);
	free(msg);
	lw_alert_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_exact),
		cmocka_unit_test(test_date_offsets),
		cmocka_unit_test(test_subject_utf8),
		cmocka_unit_test(test_subject_ascii_plain),
		cmocka_unit_test(test_subject_folds),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_group_too_big),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
