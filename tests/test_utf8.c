/*
 * test_utf8: the strict decoder behind lw_utf8_valid_prefix, the repair
 * done by lw_utf8_clean, the escaping of lw_vis and the boundary search
 * of lw_utf8_cut, on the edge cases of RFC 3629 (overlongs, surrogates,
 * past U+10FFFF, truncation) and on pseudo-random bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "utf8.h"

#define EURO	"\xe2\x82\xac"		/* U+20AC, 3 bytes */
#define GRIN	"\xf0\x9f\x98\x80"	/* U+1F600, 4 bytes */
#define EACUTE	"\xc3\xa9"		/* U+00E9, 2 bytes */
#define REPL	"\xef\xbf\xbd"		/* U+FFFD */

/* Deterministic xorshift, so a failure can be replayed. */
static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static size_t
vp(const char *s)
{
	return lw_utf8_valid_prefix(s, strlen(s));
}

static void
test_valid_prefix(void **state)
{
	(void)state;
	assert_int_equal(lw_utf8_valid_prefix("", 0), 0);
	assert_int_equal(vp("plain ascii"), 11);
	assert_int_equal(vp("a" EACUTE EURO GRIN "z"), 1 + 2 + 3 + 4 + 1);
	/* Control characters are valid UTF-8; NUL is not accepted. */
	assert_int_equal(vp("\t\x01\x1f\x7f"), 4);
	assert_int_equal(lw_utf8_valid_prefix("ab\0cd", 5), 2);
	/* Boundaries of each length. */
	assert_int_equal(vp("\xc2\x80"), 2);		/* U+0080 */
	assert_int_equal(vp("\xdf\xbf"), 2);		/* U+07FF */
	assert_int_equal(vp("\xe0\xa0\x80"), 3);	/* U+0800 */
	assert_int_equal(vp("\xef\xbf\xbf"), 3);	/* U+FFFF */
	assert_int_equal(vp("\xf0\x90\x80\x80"), 4);	/* U+10000 */
	assert_int_equal(vp("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
	/* Overlong forms. */
	assert_int_equal(vp("x\xc0\x80"), 1);
	assert_int_equal(vp("x\xc1\xbf"), 1);
	assert_int_equal(vp("x\xe0\x9f\xbf"), 1);
	assert_int_equal(vp("x\xf0\x8f\xbf\xbf"), 1);
	/* Surrogates, past U+10FFFF, bytes that never occur. */
	assert_int_equal(vp("x\xed\xa0\x80"), 1);
	assert_int_equal(vp("x\xed\xbf\xbf"), 1);
	assert_int_equal(vp("x\xed\x9f\xbf"), 4);	/* U+D7FF is fine */
	assert_int_equal(vp("x\xf4\x90\x80\x80"), 1);
	assert_int_equal(vp("x\xf5\x80\x80\x80"), 1);
	assert_int_equal(vp("x\xff"), 1);
	assert_int_equal(vp("x\xfe"), 1);
	/* A lone continuation byte, a lead byte without its tail. */
	assert_int_equal(vp("ab\x80" "cd"), 2);
	assert_int_equal(vp("ab\xe2\x82"), 2);
	assert_int_equal(vp("ab\xe2\x82z"), 2);
	assert_int_equal(vp("ab\xf0\x9f\x98"), 2);
	/* The length is respected: the sequence is cut by len, not by NUL. */
	assert_int_equal(lw_utf8_valid_prefix(EURO, 2), 0);
	assert_int_equal(lw_utf8_valid_prefix("a" GRIN, 4), 1);
}

static void
test_cut(void **state)
{
	const char	*s;

	(void)state;
	/* The known bug: len below 4 used to wrap and return len. */
	assert_int_equal(lw_utf8_cut(EURO, 2), 0);
	assert_int_equal(lw_utf8_cut(EURO, 1), 0);
	assert_int_equal(lw_utf8_cut(EURO, 3), 3);
	assert_int_equal(lw_utf8_cut(EURO, 0), 0);
	assert_int_equal(lw_utf8_cut(EACUTE, 1), 0);
	assert_int_equal(lw_utf8_cut(EACUTE, 2), 2);
	assert_int_equal(lw_utf8_cut(GRIN, 1), 0);
	assert_int_equal(lw_utf8_cut(GRIN, 2), 0);
	assert_int_equal(lw_utf8_cut(GRIN, 3), 0);
	assert_int_equal(lw_utf8_cut(GRIN, 4), 4);
	assert_int_equal(lw_utf8_cut("ab", 1), 1);
	assert_int_equal(lw_utf8_cut("ab", 2), 2);

	/* After a prefix, every split point falls back to the lead byte. */
	s = "a" EURO;
	assert_int_equal(lw_utf8_cut(s, 1), 1);
	assert_int_equal(lw_utf8_cut(s, 2), 1);
	assert_int_equal(lw_utf8_cut(s, 3), 1);
	assert_int_equal(lw_utf8_cut(s, 4), 4);
	s = "abc" GRIN "d";
	assert_int_equal(lw_utf8_cut(s, 4), 3);
	assert_int_equal(lw_utf8_cut(s, 5), 3);
	assert_int_equal(lw_utf8_cut(s, 6), 3);
	assert_int_equal(lw_utf8_cut(s, 7), 7);
	assert_int_equal(lw_utf8_cut(s, 8), 8);
	s = EURO EURO EURO;
	assert_int_equal(lw_utf8_cut(s, 5), 3);
	assert_int_equal(lw_utf8_cut(s, 7), 6);
	assert_int_equal(lw_utf8_cut(s, 9), 9);

	/*
	 * Invalid input is not made worse: four continuation bytes in a row
	 * belong to no sequence, so there is nothing to protect.
	 */
	assert_int_equal(lw_utf8_cut("\x80\x80\x80\x80", 4), 4);
}

/* Every cut of valid text is a valid prefix, and at most 3 bytes short. */
static void
test_cut_random(void **state)
{
	static const char *const pieces[] = { "a", "~", EACUTE, EURO, GRIN,
	    "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf" };
	char	s[256];
	size_t	len, n, c;
	int	round, k;

	(void)state;
	for (round = 0; round < 300; round++) {
		len = 0;
		for (k = 0; k < 40; k++) {
			const char *p = pieces[rnd() % 7];

			memcpy(s + len, p, strlen(p));
			len += strlen(p);
		}
		assert_int_equal(lw_utf8_valid_prefix(s, len), len);
		for (n = 0; n <= len; n++) {
			c = lw_utf8_cut(s, n);
			assert_true(c <= n);
			assert_true(n - c <= 3);
			assert_int_equal(lw_utf8_valid_prefix(s, c), c);
			/* Largest such n: n itself when n is a boundary. */
			if (lw_utf8_valid_prefix(s, n) == n)
				assert_int_equal(c, n);
		}
	}
}

static void
clean_eq(const char *in, size_t len, const char *want)
{
	struct buf	b;

	buf_init(&b, 1024);
	assert_int_equal(lw_utf8_clean(&b, in, len), 0);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(b.len, strlen(want));
	buf_free(&b);
}

static void
test_clean(void **state)
{
	(void)state;
	clean_eq("", 0, "");
	clean_eq("hello " EURO, 9, "hello " EURO);
	/* NUL becomes U+FFFD, so the result is a C string of everything. */
	clean_eq("a\0b", 3, "a" REPL "b");
	/* Each byte of an invalid sequence is replaced on its own. */
	clean_eq("a\xff" "b", 3, "a" REPL "b");
	clean_eq("a\xc0\x80" "b", 4, "a" REPL REPL "b");
	clean_eq("\xed\xa0\x80", 3, REPL REPL REPL);
	clean_eq("x\xe2\x82", 3, "x" REPL REPL);
	clean_eq("\x80" EURO, 4, REPL EURO);
	/* Control characters are valid UTF-8 and stay for lw_vis to do. */
	clean_eq("a\tb\x1b", 4, "a\tb\x1b");
	/* The input length wins over an embedded terminator. */
	clean_eq(EURO "zz", 2, REPL REPL);
}

static void
test_clean_cap(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(lw_utf8_clean(&b, "abcdefgh", 8), -1);
	assert_true(b.len <= 5);
	buf_free(&b);

	/* A replacement that does not fit fails too; what is there is a
	 * valid prefix. */
	buf_init(&b, 4);
	assert_int_equal(lw_utf8_clean(&b, "ab\xff\xff", 4), -1);
	assert_int_equal(lw_utf8_valid_prefix(b.data ? b.data : "", b.len),
	    b.len);
	buf_free(&b);

	buf_init(&b, 3);
	assert_int_equal(lw_utf8_clean(&b, "\xff", 1), 0);
	assert_string_equal(buf_str(&b), REPL);
	buf_free(&b);
}

/* Any bytes in, valid UTF-8 without NUL out. */
static void
test_clean_random(void **state)
{
	unsigned char	in[64];
	struct buf	b;
	size_t		n, i;
	int		round;

	(void)state;
	buf_init(&b, 4096);
	for (round = 0; round < 5000; round++) {
		n = rnd() % sizeof(in);
		for (i = 0; i < n; i++) {
			/* Favour the interesting bytes. */
			uint32_t r = rnd();

			in[i] = (r & 3) == 0 ? (unsigned char)(0x80 | (r >> 8 &
			    0x3f)) : (unsigned char)(r >> 8);
		}
		buf_reset(&b);
		assert_int_equal(lw_utf8_clean(&b, (char *)in, n), 0);
		assert_int_equal(lw_utf8_valid_prefix(buf_str(&b), b.len),
		    b.len);
		assert_int_equal(strlen(buf_str(&b)), b.len);
		/* Valid input comes out unchanged. */
		if (lw_utf8_valid_prefix((char *)in, n) == n) {
			assert_int_equal(b.len, n);
			assert_memory_equal(b.data ? b.data : "", in, n);
		}
	}
	buf_free(&b);
}

static void
vis_eq(const char *in, size_t len, const char *want)
{
	struct buf	b;

	buf_init(&b, 1024);
	assert_int_equal(lw_vis(&b, in, len), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_vis(void **state)
{
	struct buf	b;

	(void)state;
	vis_eq("plain", 5, "plain");
	vis_eq("a\tb\nc", 5, "a\\x09b\\x0ac");
	vis_eq("\x1b[31mred", 8, "\\x1b[31mred");
	vis_eq("del\x7f", 4, "del\\x7f");
	vis_eq("nul\0!", 5, "nul\\x00!");
	vis_eq("caf" EACUTE " " EURO, 9, "caf" EACUTE " " EURO);
	vis_eq("bad\xff\xc0\x80", 6, "bad\\xff\\xc0\\x80");
	vis_eq("\xe2\x82", 2, "\\xe2\\x82");

	/* Escapes count against the maximum like anything else. */
	buf_init(&b, 6);
	assert_int_equal(lw_vis(&b, "a\x01\x02", 3), -1);
	assert_true(b.len <= 6);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_prefix),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_cut_random),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_clean_cap),
		cmocka_unit_test(test_clean_random),
		cmocka_unit_test(test_vis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
