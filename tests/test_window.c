/*
 * test_window: the per-second counters behind the errors and warnings
 * rules.  Hand-made cases for expiry at the window's edge, old records
 * and big jumps, then a long pseudo-random run checked against a brute
 * force recount of every record accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "window.h"

static void
test_counts_and_expiry(void **state)
{
	struct lw_window	w;

	(void)state;
	lw_window_init(&w, 60);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_UNKNOWN), 0);
	assert_int_equal(lw_window_add(&w, 1000, LW_LVL_ERROR, 3), 0);
	assert_int_equal(lw_window_add(&w, 1010, LW_LVL_CRITICAL, 1), 0);
	assert_int_equal(lw_window_add(&w, 1010, LW_LVL_WARNING, 1), 0);
	assert_int_equal(lw_window_add(&w, 1059, LW_LVL_ERROR, 1), 0);
	assert_int_equal(lw_window_add(&w, 1059, LW_LVL_INFO, 2), 0);
	assert_int_equal(w.now, 1059);
	assert_int_equal(w.lines, 8);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 3);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_CRITICAL), 1);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_WARNING), 4);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_UNKNOWN), 5);
	assert_int_equal(w.n[LW_LVL_WARNING], 1);

	/* The window is (now - 60, now]: second 1000 leaves at 1060. */
	lw_window_advance(&w, 1059);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 3);
	lw_window_advance(&w, 1060);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 2);
	assert_int_equal(w.lines, 5);
	lw_window_advance(&w, 1069);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 2);
	lw_window_advance(&w, 1070);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_WARNING), 1);
	/* Never backwards. */
	lw_window_advance(&w, 1000);
	assert_int_equal(w.now, 1070);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	lw_window_advance(&w, 1119);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_UNKNOWN), 0);
	assert_int_equal(w.lines, 0);
	lw_window_free(&w);
	lw_window_free(NULL);
}

static void
test_old_records(void **state)
{
	struct lw_window	w;

	(void)state;
	lw_window_init(&w, 10);
	assert_int_equal(lw_window_add(&w, 500, LW_LVL_ERROR, 1), 0);
	/* Late but inside the window: counted, the end does not move. */
	assert_int_equal(lw_window_add(&w, 491, LW_LVL_ERROR, 1), 0);
	assert_int_equal(w.now, 500);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 2);
	/* Older than the window: ignored. */
	assert_int_equal(lw_window_add(&w, 490, LW_LVL_ERROR, 1), -1);
	assert_int_equal(lw_window_add(&w, 3, LW_LVL_ERROR, 1), -1);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 2);
	assert_int_equal(w.lines, 2);
	/* The late one expires at its own second, before the other. */
	lw_window_advance(&w, 501);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	lw_window_free(&w);
}

static void
test_big_jump(void **state)
{
	struct lw_window	w;

	(void)state;
	lw_window_init(&w, 300);
	assert_int_equal(lw_window_add(&w, 100, LW_LVL_ERROR, 1), 0);
	assert_int_equal(lw_window_add(&w, 350, LW_LVL_WARNING, 4), 0);
	/* A jump of days clears everything in one step. */
	assert_int_equal(lw_window_add(&w, 100 + 86400 * 3, LW_LVL_INFO, 1),
	    0);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_WARNING), 0);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_UNKNOWN), 1);
	assert_int_equal(w.lines, 1);
	/* A jump of exactly the window too. */
	lw_window_advance(&w, 100 + 86400 * 3 + 300);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_UNKNOWN), 0);
	/* Negative seconds (before 1970) index correctly. */
	lw_window_free(&w);
	lw_window_init(&w, 7);
	assert_int_equal(lw_window_add(&w, -20, LW_LVL_ERROR, 1), 0);
	assert_int_equal(lw_window_add(&w, -15, LW_LVL_ERROR, 1), 0);
	lw_window_advance(&w, -13);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	lw_window_free(&w);
}

static void
test_resize(void **state)
{
	struct lw_window	w;

	(void)state;
	lw_window_init(&w, 60);
	assert_int_equal(lw_window_add(&w, 1000, LW_LVL_ERROR, 1), 0);
	lw_window_resize(&w, 60);		/* same: kept */
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	lw_window_resize(&w, 120);
	assert_int_equal(w.w, 120);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 0);
	/* The end is kept, so old records stay old. */
	assert_int_equal(lw_window_add(&w, 870, LW_LVL_ERROR, 1), -1);
	assert_int_equal(lw_window_add(&w, 990, LW_LVL_ERROR, 1), 0);
	lw_window_advance(&w, 1109);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 1);
	lw_window_advance(&w, 1110);
	assert_int_equal(lw_window_atleast(&w, LW_LVL_ERROR), 0);
	lw_window_free(&w);
}

/* Incremental totals against a recount of the accepted records. */
#define NREC	20000
static struct {
	int64_t		sec;
	enum lw_level	lvl;
	unsigned	lines;
} rec[NREC];

static void
test_random_vs_recount(void **state)
{
	struct lw_window	w;
	uint64_t		rng = 88172645463325252ULL;
	int64_t			t = 50000;
	uint64_t		want[LW_LVL_COUNT], wl, got;
	size_t			nrec = 0, i;
	int			k, lv;

	(void)state;
	lw_window_init(&w, 30);
	for (k = 0; k < NREC; k++) {
		int64_t		sec;
		enum lw_level	lvl;
		unsigned	lines;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* Mostly small steps, some late records, a rare leap. */
		if (rng % 97 == 0)
			t += 40 + (int64_t)(rng >> 40) % 100;
		else if (rng % 5 == 0)
			t += (int64_t)(rng >> 20) % 4;
		sec = t - ((rng >> 8) % 7 == 0 ? (int64_t)((rng >> 12) % 40) :
		    0);
		lvl = (enum lw_level)((rng >> 30) % LW_LVL_COUNT);
		lines = 1 + (unsigned)((rng >> 50) % 3);
		if (lw_window_add(&w, sec, lvl, lines) == 0) {
			assert_true(sec > w.now - 30);
			rec[nrec].sec = sec;
			rec[nrec].lvl = lvl;
			rec[nrec].lines = lines;
			nrec++;
		} else
			assert_true(sec <= w.now - 30);
		if (k % 50 != 0)
			continue;
		memset(want, 0, sizeof(want));
		wl = 0;
		for (i = 0; i < nrec; i++) {
			if (rec[i].sec <= w.now - 30 || rec[i].sec > w.now)
				continue;
			want[rec[i].lvl]++;
			wl += rec[i].lines;
		}
		assert_int_equal(w.lines, wl);
		for (lv = 0; lv < LW_LVL_COUNT; lv++)
			assert_int_equal(w.n[lv], want[lv]);
		got = lw_window_atleast(&w, LW_LVL_ERROR);
		assert_int_equal(got, want[LW_LVL_ERROR] +
		    want[LW_LVL_CRITICAL]);
	}
	lw_window_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_expiry),
		cmocka_unit_test(test_old_records),
		cmocka_unit_test(test_big_jump),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_random_vs_recount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
