/*
 * test_tally: per-key window counters.  The repeat rule rests on
 * lw_tally_reached ("the N-th most recent occurrence is within the window
 * of the newest"), so its edges are tested to the millisecond.  The table
 * is checked against a model through thousands of evictions with keys
 * chosen to collide and to wrap around the end of the table, which is
 * where backward-shift deletion goes wrong if it does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tally.h"

static void
test_reached(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e = NULL;
	int			 i;

	(void)state;
	lw_tally_init(&t, 16, 60);
	/* Five at 0, 10, 20, 30, 40 s: the 5th most recent is 40 s back. */
	for (i = 0; i < 5; i++) {
		e = lw_tally_add(&t, 7, (int64_t)i * 10000, NULL, 0);
		assert_int_equal(lw_tally_reached(&t, e, 5), i == 4);
	}
	assert_int_equal(e->total, 5);
	assert_true(lw_tally_reached(&t, e, 1));
	assert_true(lw_tally_reached(&t, e, 3));
	assert_false(lw_tally_reached(&t, e, 6));	/* never seen 6 */
	assert_false(lw_tally_reached(&t, e, 0));
	/* At 100 s the last five span 10..100 s: more than the window. */
	e = lw_tally_add(&t, 7, 100000, NULL, 0);
	assert_false(lw_tally_reached(&t, e, 5));
	assert_false(lw_tally_reached(&t, e, 2));	/* 40 -> 100: 60 s */
	assert_true(lw_tally_reached(&t, e, 1));
	lw_tally_free(&t);

	/* The edge: exactly one window apart is outside, 1 ms less inside. */
	lw_tally_init(&t, 16, 60);
	lw_tally_add(&t, 9, 1000, NULL, 0);
	e = lw_tally_add(&t, 9, 61000, NULL, 0);
	assert_false(lw_tally_reached(&t, e, 2));
	lw_tally_add(&t, 10, 1000, NULL, 0);
	e = lw_tally_add(&t, 10, 60999, NULL, 0);
	assert_true(lw_tally_reached(&t, e, 2));
	lw_tally_free(&t);
}

/* More occurrences than the recent ring: the N-th is still the right one. */
static void
test_reached_ring_wrap(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e = NULL;
	int			 i;

	(void)state;
	lw_tally_init(&t, 16, 60);
	/* 40 occurrences 20 s apart: any 3 consecutive span 40 s, 4 span
	 * 60 s.  The recent ring has wrapped twice. */
	for (i = 0; i < 40; i++)
		e = lw_tally_add(&t, 5, (int64_t)i * 20000, NULL, 0);
	assert_int_equal(e->nrecent, 40);
	assert_true(lw_tally_reached(&t, e, 3));
	assert_false(lw_tally_reached(&t, e, 4));
	assert_false(lw_tally_reached(&t, e, LW_TALLY_RECENT));
	/* A burst: the last LW_TALLY_RECENT within 1.5 s. */
	for (i = 0; i < LW_TALLY_RECENT; i++)
		e = lw_tally_add(&t, 5, 900000 + i * 100, NULL, 0);
	assert_true(lw_tally_reached(&t, e, LW_TALLY_RECENT));
	lw_tally_free(&t);
}

/* Above LW_TALLY_RECENT the answer comes from the buckets. */
static void
test_reached_many(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e = NULL;
	int			 i;

	(void)state;
	lw_tally_init(&t, 16, 60);
	for (i = 0; i < 20; i++)
		e = lw_tally_add(&t, 3, 500000 + i * 500, NULL, 0);
	assert_true(lw_tally_reached(&t, e, 20));
	assert_false(lw_tally_reached(&t, e, 21));
	/* 20 more, 5 s apart: only 12 in any minute. */
	for (i = 0; i < 20; i++)
		e = lw_tally_add(&t, 4, 500000 + i * 5000, NULL, 0);
	assert_false(lw_tally_reached(&t, e, 20));
	assert_true(lw_tally_reached(&t, e, 12));
	lw_tally_free(&t);
}

static void
test_count(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e = NULL;
	int			 i;

	(void)state;
	lw_tally_init(&t, 16, 60);
	assert_int_equal(t.width_ms, 1000);
	/* One a second for two minutes: every bucket slot used twice. */
	for (i = 0; i < 120; i++)
		e = lw_tally_add(&t, 42, (int64_t)i * 1000 + 500, NULL, 0);
	assert_int_equal(e->total, 120);
	assert_int_equal(lw_tally_count(&t, e, 119500), 60);
	/* Later "now": the window slides off, a second at a time. */
	assert_int_equal(lw_tally_count(&t, e, 130000), 49);
	assert_int_equal(lw_tally_count(&t, e, 178999), 1);
	assert_int_equal(lw_tally_count(&t, e, 179000), 0);
	assert_int_equal(lw_tally_count(&t, e, 900000), 0);
	/* Two keys do not share counts. */
	e = lw_tally_add(&t, 43, 119000, NULL, 0);
	assert_int_equal(lw_tally_count(&t, e, 119500), 1);
	assert_int_equal(lw_tally_count(&t, lw_tally_get(&t, 42), 119500),
	    60);
	lw_tally_free(&t);
}

static void
test_labels_and_key0(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e;
	char			 longl[200];

	(void)state;
	lw_tally_init(&t, 4, 60);
	e = lw_tally_add(&t, 11, 5, "Exchange", 8);
	assert_string_equal(e->label, "Exchange");
	/* The first label stays. */
	e = lw_tally_add(&t, 11, 6, "Other", 5);
	assert_string_equal(e->label, "Exchange");
	memset(longl, 'L', sizeof(longl));
	e = lw_tally_add(&t, 12, 5, longl, sizeof(longl));
	assert_int_equal(strlen(e->label), LW_TALLY_LABEL - 1);
	/* 0 marks free slots, so it is stored as 1. */
	e = lw_tally_add(&t, 0, 5, NULL, 0);
	assert_non_null(e);
	assert_ptr_equal(lw_tally_get(&t, 0), e);
	assert_null(lw_tally_get(&t, 99));
	/* The hash never yields the free marker. */
	assert_true(lw_tally_hash("", 0) != 0);
	assert_true(lw_tally_hash("Exchange", 8) !=
	    lw_tally_hash("exchange", 8));
	lw_tally_free(&t);
	lw_tally_free(NULL);
}

static void
test_evict_lru(void **state)
{
	struct lw_tally	t;
	uint64_t	k;

	(void)state;
	lw_tally_init(&t, 4, 60);
	for (k = 1; k <= 4; k++)
		lw_tally_add(&t, k, (int64_t)k * 1000, NULL, 0);
	/* Key 1 is seen again: key 2 becomes the stalest. */
	lw_tally_add(&t, 1, 9000, NULL, 0);
	lw_tally_add(&t, 5, 10000, NULL, 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.evictions, 1);
	assert_null(lw_tally_get(&t, 2));
	for (k = 1; k <= 5; k++)
		if (k != 2)
			assert_non_null(lw_tally_get(&t, k));
	assert_int_equal(lw_tally_get(&t, 1)->total, 2);
	/* An evicted key comes back with a fresh count. */
	lw_tally_add(&t, 2, 11000, NULL, 0);
	assert_int_equal(t.evictions, 2);
	assert_null(lw_tally_get(&t, 3));
	assert_int_equal(lw_tally_get(&t, 2)->total, 1);
	lw_tally_free(&t);
}

/* The model: which keys are in, with their totals and last times. */
#define MAXK	64
#define POOL	400

static void
test_evict_model(void **state)
{
	struct lw_tally		 t;
	uint64_t		 pool[POOL], mkey[MAXK], mtotal[MAXK];
	uint64_t		 rng = 0x2545f4914f6cdd1dULL, evictions = 0;
	int64_t			 mlast[MAXK], now = 1000;
	size_t			 mn = 0, i, j, old;
	struct lw_tally_ent	*e;
	int			 step;

	(void)state;
	lw_tally_init(&t, MAXK, 60);
	assert_int_equal(t.cap, 128);
	/* Homes 0..5 and 122..127 only: long probe runs that wrap. */
	for (i = 0; i < POOL; i++) {
		uint64_t home = i % 12 < 6 ? i % 12 : 122 + i % 12 - 6;

		pool[i] = home + 128 * (1 + i / 12);
	}
	for (step = 0; step < 20000; step++) {
		uint64_t	key;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* A hot subset, so some keys live long and others churn. */
		key = pool[(rng >> 10) % 4 == 0 ? (rng >> 20) % 40 :
		    (rng >> 20) % POOL];
		now += 1 + (int64_t)((rng >> 40) % 3);
		e = lw_tally_add(&t, key, now, NULL, 0);
		assert_int_equal(e->key, key);

		for (i = 0; i < mn && mkey[i] != key; i++)
			;
		if (i == mn) {
			if (mn == MAXK) {
				for (old = 0, j = 1; j < mn; j++)
					if (mlast[j] < mlast[old])
						old = j;
				mkey[old] = mkey[mn - 1];
				mlast[old] = mlast[mn - 1];
				mtotal[old] = mtotal[mn - 1];
				mn--;
				evictions++;
				i = mn;
			}
			mkey[i] = key;
			mtotal[i] = 0;
			mn++;
		}
		mtotal[i]++;
		mlast[i] = now;

		assert_int_equal(t.n, mn);
		assert_int_equal(t.evictions, evictions);
		for (i = 0; i < mn; i++) {
			e = lw_tally_get(&t, mkey[i]);
			assert_non_null(e);
			assert_int_equal(e->total, mtotal[i]);
			assert_int_equal(e->last_ms, mlast[i]);
		}
		if (step % 500 == 0) {
			/* Whatever the model lacks is not in the table. */
			for (j = 0; j < POOL; j++) {
				for (i = 0; i < mn && mkey[i] != pool[j]; i++)
					;
				if (i == mn)
					assert_null(lw_tally_get(&t, pool[j]));
			}
		}
	}
	assert_true(evictions > 1000);
	lw_tally_free(&t);
}

static void
test_window_change(void **state)
{
	struct lw_tally		 t;
	struct lw_tally_ent	*e;

	(void)state;
	lw_tally_init(&t, 16, 60);
	lw_tally_add(&t, 8, 0, NULL, 0);
	e = lw_tally_add(&t, 8, 90000, NULL, 0);
	assert_false(lw_tally_reached(&t, e, 2));
	lw_tally_set_window(&t, 120);
	assert_int_equal(t.window, 120);
	assert_int_equal(t.width_ms, 2000);
	/* Recent times survive: 90 s apart is now within the window. */
	e = lw_tally_get(&t, 8);
	assert_true(lw_tally_reached(&t, e, 2));
	assert_int_equal(e->total, 2);
	/* The buckets start over at the new width and count again. */
	assert_int_equal(lw_tally_count(&t, e, 90000), 0);
	lw_tally_add(&t, 8, 95000, NULL, 0);
	lw_tally_add(&t, 8, 180000, NULL, 0);
	assert_int_equal(lw_tally_count(&t, e, 180000), 2);
	assert_int_equal(lw_tally_count(&t, e, 215999), 1);
	assert_int_equal(lw_tally_count(&t, e, 300000), 0);
	/* 0 and the same window change nothing. */
	lw_tally_set_window(&t, 0);
	lw_tally_set_window(&t, 120);
	assert_int_equal(lw_tally_count(&t, e, 180000), 2);
	lw_tally_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reached),
		cmocka_unit_test(test_reached_ring_wrap),
		cmocka_unit_test(test_reached_many),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_labels_and_key0),
		cmocka_unit_test(test_evict_lru),
		cmocka_unit_test(test_evict_model),
		cmocka_unit_test(test_window_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
