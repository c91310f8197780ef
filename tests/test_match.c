/*
 * test_match: literal and pattern queries over buffers of lines, the
 * per-line fallback, spans, and spans carried through the escapers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "utf8.h"

static struct lw_match *
compile(const char *q, int regex)
{
	struct lw_match	*m;
	char		 err[256];

	m = lw_match_new(q, regex, err, sizeof(err));
	if (m == NULL)
		print_message("%s: %s\n", q, err);
	assert_non_null(m);
	return m;
}

/* Every matching line of buf, joined with '|'. */
static void
expect_lines(struct lw_match *m, const char *buf, const char *want)
{
	char	got[1024] = "";
	size_t	len = strlen(buf), from = 0, ls, le;
	char	*nl;

	while (lw_match_next(m, buf, len, from, &ls, &le) == 1) {
		if (got[0] != '\0')
			strncat(got, "|", sizeof(got) - strlen(got) - 1);
		strncat(got, buf + ls, le - ls < sizeof(got) - strlen(got) -
		    1 ? le - ls : sizeof(got) - strlen(got) - 1);
		/* the line is whole: it starts the buffer or follows '\n' */
		assert_true(ls == 0 || buf[ls - 1] == '\n');
		assert_true(le == len || buf[le] == '\n' || buf[le] == '\r');
		nl = memchr(buf + le, '\n', len - le);
		from = nl != NULL ? (size_t)(nl - buf) + 1 : len;
	}
	assert_string_equal(got, want);
}

static void
test_literal(void **state)
{
	struct lw_match	*m = compile("#123", 0);
	const char	*l = "x #123 y #1234";

	(void)state;
	assert_int_equal(lw_match_jit(m), 0);
	expect_lines(m, "a #123\nb\nc #12\nd #123 #123\r\n#123", "a #123|"
	    "d #123 #123|#123");
	expect_lines(m, "nothing\nhere\n", "");
	assert_true(lw_match_line(m, l, strlen(l)));
	assert_false(lw_match_line(m, l, 4));
	lw_match_free(m);

	/* A CR belongs to the line break, not to the line. */
	m = compile("a\r", 0);
	expect_lines(m, "xa\r\nya\rz\n", "ya\rz");
	lw_match_free(m);
	lw_match_free(NULL);
}

static void
test_bad_queries(void **state)
{
	char	err[256];

	(void)state;
	assert_null(lw_match_new("a(b", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "offset 3"));
	assert_non_null(strstr(err, "missing closing parenthesis"));
	assert_null(lw_match_new("[z-a]", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "offset"));
	assert_null(lw_match_new("", 0, err, sizeof(err)));
	assert_null(lw_match_new("a\nb", 0, err, sizeof(err)));
}

static void
test_regex(void **state)
{
	struct lw_match	*m;

	(void)state;
	m = compile("Order #\\d+ (failed|rejected)", 1);
	print_message("JIT: %s\n", lw_match_jit(m) ? "yes" : "no");
	expect_lines(m, "Order #1 placed\nOrder #22 failed: x\nOrder #"
	    "\nOrder #3 rejected", "Order #22 failed: x|Order #3 rejected");
	lw_match_free(m);

	/* Anchors work per line, also before a CR. */
	m = compile("^b.*z$", 1);
	expect_lines(m, "abz\nbz\r\nbaz\nb z x\n", "bz|baz");
	lw_match_free(m);

	/* A hit across a line break is no match of either line ... */
	m = compile("foo\\s+bar", 1);
	expect_lines(m, "x foo\nbar y\nfoo  bar\n", "foo  bar");
	lw_match_free(m);
	m = compile("a[^x]*b", 1);
	expect_lines(m, "1 a\nb 2 a b\nc\n", "b 2 a b");
	lw_match_free(m);
	/* ... and a false hit does not hide a real one on its line. */
	m = compile("\\d[\\s\\S]*?Z|k", 1);
	expect_lines(m, "1 k\nZ\nnone\n", "1 k");
	lw_match_free(m);

	/* Constructs that would see past the line: matched line by line. */
	m = compile("ERR(?!\\s)", 1);
	expect_lines(m, "x ERR\nERR y\nERRNO\n", "x ERR|ERRNO");
	lw_match_free(m);
	m = compile("\\Afoo", 1);
	expect_lines(m, "foo 1\n foo\nfoo 2", "foo 1|foo 2");
	lw_match_free(m);
	m = compile("(?-m)^b", 1);
	expect_lines(m, "a\nb\n", "b");
	lw_match_free(m);

	/* Invalid UTF-8 in the log does not stop the search. */
	m = compile("caf\xc3\xa9|\\bok\\b", 1);
	expect_lines(m, "\xff\xfe bad\n\xc3 ok\ncaf\xc3\xa9 \xe2\x82\n",
	    "\xc3 ok|caf\xc3\xa9 \xe2\x82");
	lw_match_free(m);
}

static void
test_errors(void **state)
{
	struct lw_match	*m = compile("(a+)+$", 1);
	char		 line[64], msg[128];

	(void)state;
	memset(line, 'a', 40);
	line[40] = 'b';
	assert_false(lw_match_line(m, line, 41));
	assert_int_equal(lw_match_errors(m, msg, sizeof(msg)), 1);
	assert_true(strlen(msg) > 0);
	print_message("%s\n", msg);
	assert_true(lw_match_line(m, line, 40));
	lw_match_free(m);
}

static void
test_spans(void **state)
{
	struct lw_match		*m;
	struct lw_match_span	 sp[LW_MATCH_MAX_SPANS];
	const char		*l;

	(void)state;
	m = compile("ab", 0);
	l = "xabab ab";
	assert_int_equal(lw_match_spans(m, l, strlen(l), sp, 8), 3);
	assert_int_equal(sp[0].start, 1);
	assert_int_equal(sp[0].end, 3);
	assert_int_equal(sp[1].start, 3);
	assert_int_equal(sp[2].start, 6);
	assert_int_equal(lw_match_spans(m, l, strlen(l), sp, 2), 2);
	lw_match_free(m);

	m = compile("\\d+", 1);
	l = "id 12 and 345";
	assert_int_equal(lw_match_spans(m, l, strlen(l), sp, 8), 2);
	assert_int_equal(sp[1].start, 10);
	assert_int_equal(sp[1].end, 13);
	lw_match_free(m);

	/* Empty matches give no span but do not hide a longer one. */
	m = compile("x*", 1);
	l = "axxbx";
	assert_int_equal(lw_match_spans(m, l, strlen(l), sp, 8), 2);
	assert_int_equal(sp[0].start, 1);
	assert_int_equal(sp[0].end, 3);
	assert_int_equal(sp[1].start, 4);
	assert_int_equal(sp[1].end, 5);
	lw_match_free(m);
	m = compile("|x", 1);
	assert_int_equal(lw_match_spans(m, "x", 1, sp, 8), 1);
	lw_match_free(m);

	l = "#12345 a12345 12345. (12345) 123456";
	assert_int_equal(lw_match_tokens(l, strlen(l), "12345", sp, 8), 2);
	assert_int_equal(sp[0].start, 1);
	assert_int_equal(sp[1].start, 22);
	assert_int_equal(lw_match_tokens(l, strlen(l), "", sp, 8), 0);
}

static void
test_render(void **state)
{
	struct lw_match_span	 sp[2], mp[2];
	struct buf		 b;
	/* ESC, an invalid byte, "é" (2 bytes) */
	const char		 l[] = "a\x1b[31m \xff caf\xc3\xa9 z";
	size_t			 len = sizeof(l) - 1;

	(void)state;
	buf_init(&b, 1024);
	sp[0].start = 1;	/* the ESC */
	sp[0].end = 2;
	sp[1].start = 13;	/* the second byte of "é" only */
	sp[1].end = 14;
	assert_int_equal(lw_match_render(&b, l, len, sp, 2, lw_vis, "<",
	    ">", mp), 0);
	assert_string_equal(buf_str(&b), "a<\\x1b>[31m \\xff caf<\xc3\xa9> z");
	assert_int_equal(mp[0].start, 2);
	assert_int_equal(mp[0].end, 6);
	assert_int_equal(mp[1].start, 21);
	assert_int_equal(mp[1].end, 23);

	/* JSON text: invalid bytes become U+FFFD, offsets follow. */
	buf_reset(&b);
	sp[0].start = 9;	/* "caf" */
	sp[0].end = 12;
	assert_int_equal(lw_match_render(&b, l, len, sp, 1, lw_utf8_clean,
	    NULL, NULL, mp), 0);
	assert_int_equal(b.len, len + 2);
	assert_int_equal(mp[0].start, 11);
	assert_int_equal(mp[0].end, 14);
	assert_memory_equal(b.data + mp[0].start, "caf", 3);

	/* No spans: the same bytes as the escaper alone. */
	buf_reset(&b);
	assert_int_equal(lw_match_render(&b, l, len, NULL, 0, lw_vis, "<",
	    ">", NULL), 0);
	{
		struct buf	plain;

		buf_init(&plain, 1024);
		lw_vis(&plain, l, len);
		assert_string_equal(buf_str(&b), buf_str(&plain));
		buf_free(&plain);
	}

	/* A full buffer is an error, not an overrun. */
	buf_free(&b);
	buf_init(&b, 8);
	sp[0].start = 1;
	sp[0].end = 2;
	assert_int_equal(lw_match_render(&b, l, len, sp, 1, lw_vis, "<",
	    ">", NULL), -1);
	assert_true(b.len <= 8);
	buf_free(&b);
}

/* The same lines found over one big buffer as line by line. */
static void
test_big_buffer(void **state)
{
	const char	*pats[] = { "order 7\\d\\b", "^2025.*ERROR", "9$" };
	struct lw_match	*m, *lit;
	char		*buf, line[64], *nl;
	size_t		 len = 0, i, k, from, ls, le, n1, n2, pos;

	(void)state;
	buf = malloc(20000 * 40);
	assert_non_null(buf);
	for (i = 0; i < 20000; i++) {
		k = (size_t)snprintf(line, sizeof(line), "2025 %s order %zu\n",
		    i % 97 == 0 ? "ERROR" : "INFO", i % 1000);
		memcpy(buf + len, line, k);
		len += k;
	}
	for (k = 0; k < 3; k++) {
		m = compile(pats[k], 1);
		n1 = n2 = 0;
		for (from = 0; lw_match_next(m, buf, len, from, &ls, &le) == 1;
		    n1++) {
			nl = memchr(buf + le, '\n', len - le);
			from = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		}
		for (pos = 0; pos < len; pos = (size_t)(nl - buf) + 1) {
			nl = memchr(buf + pos, '\n', len - pos);
			n2 += lw_match_line(m, buf + pos, (size_t)(nl - buf) -
			    pos);
		}
		print_message("%s: %zu lines\n", pats[k], n1);
		assert_true(n1 > 0);
		assert_int_equal(n1, n2);
		lw_match_free(m);
	}
	lit = compile("order 77", 0);
	for (n1 = 0, from = 0; lw_match_next(lit, buf, len, from, &ls,
	    &le) == 1; n1++)
		from = le + 1;
	assert_int_equal(n1, 20 * 11);	/* 77 and 770..779 */
	lw_match_free(lit);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_bad_queries),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_big_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
