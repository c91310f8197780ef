/*
 * test_lines: the stream-to-lines splitter.  Lines split at every
 * possible chunk boundary must come out the same as from one chunk, with
 * the same offsets; a partial line waits; an over-long line is cut at the
 * cap, counted exactly and delivered once, at its '\n'.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lines.h"
#include "xmalloc.h"

#define MAXGOT	64

struct got {
	char		*text;
	size_t		 len, cut;
	uint64_t	 start, end;
};

static struct got	G[MAXGOT];
static size_t		NG;

static void
collect(const char *line, size_t len, size_t cut, uint64_t start,
    uint64_t end, void *arg)
{
	(void)arg;
	assert_true(NG < MAXGOT);
	G[NG].text = xmemdup(line, len);
	G[NG].len = len;
	G[NG].cut = cut;
	G[NG].start = start;
	G[NG].end = end;
	NG++;
}

static int
reset_got(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < NG; i++)
		free(G[i].text);
	NG = 0;
	return 0;
}

static void
expect(size_t i, const char *text, size_t cut, uint64_t start, uint64_t end)
{
	assert_true(i < NG);
	assert_int_equal(G[i].len, strlen(text));
	assert_memory_equal(G[i].text, text, G[i].len);
	assert_int_equal(G[i].cut, cut);
	assert_int_equal(G[i].start, start);
	assert_int_equal(G[i].end, end);
}

/* Feed s split at every pair of points (three chunks). */
static void
test_every_split(void **state)
{
	static const char s[] = "alpha\nbe\r\nc\n\nlast line\n";
	size_t		len = sizeof(s) - 1, a, b;
	struct lw_lines	l;

	for (a = 0; a <= len; a++) {
		for (b = a; b <= len; b++) {
			reset_got(state);
			lw_lines_init(&l, 1000, 0);
			lw_lines_feed(&l, s, a, collect, NULL);
			lw_lines_feed(&l, s + a, b - a, collect, NULL);
			lw_lines_feed(&l, s + b, len - b, collect, NULL);
			assert_int_equal(NG, 5);
			expect(0, "alpha", 0, 0, 6);
			expect(1, "be", 0, 6, 10);	/* '\r' stripped */
			expect(2, "c", 0, 10, 12);
			expect(3, "", 0, 12, 13);
			expect(4, "last line", 0, 13, 23);
			assert_int_equal(lw_lines_pending_offset(&l), 23);
			lw_lines_free(&l);
		}
	}
}

static void
test_crlf(void **state)
{
	struct lw_lines	l;

	(void)state;
	lw_lines_init(&l, 1000, 0);
	/* A '\r' inside a line is content; only the one before '\n' goes. */
	lw_lines_feed(&l, "a\rb\r\n\r\n", 7, collect, NULL);
	assert_int_equal(NG, 2);
	expect(0, "a\rb", 0, 0, 5);
	expect(1, "", 0, 5, 7);
	/* '\r' and '\n' in different chunks. */
	lw_lines_feed(&l, "xy\r", 3, collect, NULL);
	assert_int_equal(NG, 2);
	lw_lines_feed(&l, "\n", 1, collect, NULL);
	expect(2, "xy", 0, 7, 11);
	lw_lines_free(&l);
}

/* A line without '\n' waits; finish delivers it (rotated file's end). */
static void
test_partial_and_finish(void **state)
{
	struct lw_lines	l;

	(void)state;
	lw_lines_init(&l, 1000, 100);
	lw_lines_feed(&l, "one\ntw", 6, collect, NULL);
	assert_int_equal(NG, 1);
	expect(0, "one", 0, 100, 104);
	/* The restart point stays at the start of the waiting line. */
	assert_int_equal(lw_lines_pending_offset(&l), 104);
	lw_lines_feed(&l, "o", 1, collect, NULL);
	assert_int_equal(NG, 1);
	assert_int_equal(lw_lines_pending_offset(&l), 104);
	lw_lines_finish(&l, collect, NULL);
	assert_int_equal(NG, 2);
	expect(1, "two", 0, 104, 107);
	assert_int_equal(lw_lines_pending_offset(&l), 107);
	/* Nothing pending: finish delivers nothing. */
	lw_lines_finish(&l, collect, NULL);
	assert_int_equal(NG, 2);
	/* Reset forgets a partial line. */
	lw_lines_feed(&l, "junk", 4, collect, NULL);
	lw_lines_reset(&l, 0);
	lw_lines_feed(&l, "new\n", 4, collect, NULL);
	assert_int_equal(NG, 3);
	expect(2, "new", 0, 0, 4);
	lw_lines_free(&l);
	lw_lines_free(NULL);
}

static void
test_cut_one_chunk(void **state)
{
	struct lw_lines	l;

	(void)state;
	lw_lines_init(&l, 8, 0);
	lw_lines_feed(&l, "0123456789ABCDEF\nok\n", 20, collect, NULL);
	assert_int_equal(NG, 2);
	expect(0, "01234567", 8, 0, 17);
	expect(1, "ok", 0, 17, 20);
	/* Exactly at the cap is not cut. */
	lw_lines_feed(&l, "abcdefgh\n", 9, collect, NULL);
	expect(2, "abcdefgh", 0, 20, 29);
	lw_lines_free(&l);
}

/* An over-long line spread over chunks: delivered once, at its '\n'. */
static void
test_cut_chunks(void **state)
{
	struct lw_lines	l;
	uint64_t	pend;

	(void)state;
	lw_lines_init(&l, 8, 0);
	lw_lines_feed(&l, "first\n0123", 10, collect, NULL);
	assert_int_equal(NG, 1);
	lw_lines_feed(&l, "456789", 6, collect, NULL);
	lw_lines_feed(&l, "ABCDEF", 6, collect, NULL);
	assert_int_equal(NG, 1);
	pend = lw_lines_pending_offset(&l);
	assert_int_equal(pend, 6);
	lw_lines_feed(&l, "\nz\n", 3, collect, NULL);
	assert_int_equal(NG, 3);
	expect(1, "01234567", 8, 6, 23);
	expect(2, "z", 0, 23, 25);
	/* The '\n' alone in the next chunk. */
	lw_lines_feed(&l, "0123456789", 10, collect, NULL);
	lw_lines_feed(&l, "\n", 1, collect, NULL);
	assert_int_equal(NG, 4);
	expect(3, "01234567", 2, 25, 36);
	/* finish on a cut partial line keeps the count. */
	lw_lines_feed(&l, "abcdefghijk", 11, collect, NULL);
	lw_lines_finish(&l, collect, NULL);
	expect(4, "abcdefgh", 3, 36, 47);
	lw_lines_free(&l);
}

/*
 * The '\r' of a CRLF line ending is not content: a line of exactly the
 * cap with CRLF is not cut, and a longer one does not count the '\r'.
 */
static void
test_cut_crlf(void **state)
{
	struct lw_lines	l;

	(void)state;
	lw_lines_init(&l, 8, 0);
	lw_lines_feed(&l, "abcdefgh\r\n", 10, collect, NULL);
	assert_int_equal(NG, 1);
	expect(0, "abcdefgh", 0, 0, 10);
	lw_lines_feed(&l, "0123456789\r\n", 12, collect, NULL);
	expect(1, "01234567", 2, 10, 22);
	/* Same, across chunks, '\r' kept in the pending buffer. */
	lw_lines_feed(&l, "abcdefg\r", 8, collect, NULL);
	lw_lines_feed(&l, "\n", 1, collect, NULL);
	expect(2, "abcdefg", 0, 22, 31);
	lw_lines_feed(&l, "abcd", 4, collect, NULL);
	lw_lines_feed(&l, "efgh\r\n", 6, collect, NULL);
	expect(3, "abcdefgh", 0, 31, 41);
	lw_lines_free(&l);
}

/* A larger cap on reload must not overrun the pending buffer. */
static void
test_setmax(void **state)
{
	struct lw_lines	l;
	const char	*tail = "ghijklmnopqrstuvwxyz\n";

	(void)state;
	lw_lines_init(&l, 8, 0);
	lw_lines_feed(&l, "abcdef", 6, collect, NULL);
	lw_lines_setmax(&l, 32);
	lw_lines_feed(&l, tail, strlen(tail), collect, NULL);
	assert_int_equal(NG, 1);
	expect(0, "abcdefghijklmnopqrstuvwxyz", 0, 0, 27);
	/* A smaller cap cuts what is pending and counts it. */
	lw_lines_feed(&l, "123456", 6, collect, NULL);
	lw_lines_setmax(&l, 4);
	lw_lines_feed(&l, "78\n", 3, collect, NULL);
	expect(1, "1234", 4, 27, 36);
	lw_lines_free(&l);
}

static void
test_mib_line(void **state)
{
	const size_t	 mib = 1024 * 1024, chunk = 4096;
	char		*big = xmalloc(mib + 1);
	struct lw_lines	 l;
	size_t		 i;

	(void)state;
	for (i = 0; i < mib; i++)
		big[i] = (char)('a' + i % 23);
	big[mib] = '\n';

	/* Under the default cap: cut, first 64 KiB kept. */
	lw_lines_init(&l, 65536, 0);
	for (i = 0; i < mib + 1; i += chunk)
		lw_lines_feed(&l, big + i, i + chunk > mib + 1 ? mib + 1 - i :
		    chunk, collect, NULL);
	assert_int_equal(NG, 1);
	assert_int_equal(G[0].len, 65536);
	assert_int_equal(G[0].cut, mib - 65536);
	assert_memory_equal(G[0].text, big, 65536);
	assert_int_equal(G[0].end, mib + 1);
	lw_lines_free(&l);

	/* Under a cap above it: whole, whether fed at once or in pieces. */
	lw_lines_init(&l, 2 * mib, 0);
	lw_lines_feed(&l, big, mib + 1, collect, NULL);
	for (i = 0; i < mib + 1; i += chunk)
		lw_lines_feed(&l, big + i, i + chunk > mib + 1 ? mib + 1 - i :
		    chunk, collect, NULL);
	assert_int_equal(NG, 3);
	for (i = 1; i < 3; i++) {
		assert_int_equal(G[i].len, mib);
		assert_int_equal(G[i].cut, 0);
		assert_memory_equal(G[i].text, big, mib);
	}
	assert_int_equal(G[2].start, mib + 1);
	assert_int_equal(G[2].end, 2 * (mib + 1));
	lw_lines_free(&l);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_every_split, reset_got),
		cmocka_unit_test_teardown(test_crlf, reset_got),
		cmocka_unit_test_teardown(test_partial_and_finish, reset_got),
		cmocka_unit_test_teardown(test_cut_one_chunk, reset_got),
		cmocka_unit_test_teardown(test_cut_chunks, reset_got),
		cmocka_unit_test_teardown(test_cut_crlf, reset_got),
		cmocka_unit_test_teardown(test_setmax, reset_got),
		cmocka_unit_test_teardown(test_mib_line, reset_got),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
