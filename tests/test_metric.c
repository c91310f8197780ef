/*
 * test_metric: the statistics the metric rules compare with their
 * thresholds.  p95 is the nearest rank, ceil(0.95 n)-th smallest, checked
 * against a sort for every n up to 300; expiry and the sample cap are
 * checked through the incremental sum (avg) and the ring wrapping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metric.h"

static uint64_t	rng = 0x853c49e6748fea9bULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* 1..n in a shuffled order. */
static void
add_shuffled(struct lw_metric *m, int n, int64_t t)
{
	int	*v = calloc((size_t)n, sizeof(*v));
	int	 i, j, x;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = i + 1;
	for (i = n - 1; i > 0; i--) {
		j = (int)(rnd() % (uint32_t)(i + 1));
		x = v[i];
		v[i] = v[j];
		v[j] = x;
	}
	for (i = 0; i < n; i++)
		lw_metric_add(m, t, v[i]);
	free(v);
}

static void
test_stats(void **state)
{
	struct lw_metric	m;

	(void)state;
	lw_metric_init(&m, 1000);
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 0);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 0);
	add_shuffled(&m, 100, 0);
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 95);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 50.5);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 100);
	assert_true(lw_metric_stat(&m, LW_MSTAT_COUNT) == 100);
	/* p95 works on a copy: asking again, and the others, still agree. */
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 95);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 100);
	lw_metric_free(&m);

	lw_metric_init(&m, 1000);
	add_shuffled(&m, 20, 0);
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 19);
	lw_metric_free(&m);

	lw_metric_init(&m, 1000);
	lw_metric_add(&m, 0, 7.25);
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 7.25);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 7.25);
	lw_metric_free(&m);

	/* All negative: the maximum is not 0. */
	lw_metric_init(&m, 10);
	lw_metric_add(&m, 0, -5);
	lw_metric_add(&m, 0, -3);
	lw_metric_add(&m, 0, -9);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == -3);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == -17.0 / 3);
	lw_metric_free(&m);
	lw_metric_free(NULL);
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank for every n, with duplicates, against a sort. */
static void
test_p95_vs_sort(void **state)
{
	struct lw_metric	m;
	double			v[300];
	size_t			n, i, rank;

	(void)state;
	for (n = 1; n <= 300; n++) {
		lw_metric_init(&m, 300);
		for (i = 0; i < n; i++) {
			v[i] = (double)(rnd() % 50);	/* many ties */
			lw_metric_add(&m, 0, v[i]);
		}
		qsort(v, n, sizeof(v[0]), cmp_double);
		rank = (95 * n + 99) / 100;		/* ceil(0.95 n) */
		assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == v[rank - 1]);
		assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == v[n - 1]);
		lw_metric_free(&m);
	}
}

static void
test_expire(void **state)
{
	struct lw_metric	m;
	int			i;

	(void)state;
	lw_metric_init(&m, 100);
	for (i = 0; i < 10; i++)
		lw_metric_add(&m, (int64_t)i * 1000, i * 10.0);
	/* Window (5 s, 65 s]: the samples at 0..5 s go, 6..9 s stay. */
	lw_metric_expire(&m, 65000, 60000);
	assert_int_equal(m.n, 4);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 75);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 90);
	assert_true(lw_metric_stat(&m, LW_MSTAT_COUNT) == 4);
	lw_metric_expire(&m, 67999, 60000);
	assert_int_equal(m.n, 2);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 85);
	lw_metric_expire(&m, 1000000, 60000);
	assert_int_equal(m.n, 0);
	assert_true(m.sum == 0);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 0);
	/* Usable after emptying, the ring position has moved on. */
	lw_metric_add(&m, 2000000, 4);
	lw_metric_add(&m, 2000000, 6);
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 5);
	assert_int_equal(m.total, 12);
	lw_metric_free(&m);
}

static void
test_cap(void **state)
{
	struct lw_metric	m;
	int			i;

	(void)state;
	lw_metric_init(&m, 8);
	for (i = 1; i <= 10; i++)
		lw_metric_add(&m, i, i);
	assert_int_equal(m.n, 8);
	assert_int_equal(m.dropped, 2);
	assert_int_equal(m.total, 10);
	/* The oldest went: 3..10 are left. */
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 6.5);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 10);
	assert_true(lw_metric_stat(&m, LW_MSTAT_P95) == 10);
	/* The ring keeps wrapping: 20 more, the newest 8 stay. */
	for (i = 11; i <= 30; i++)
		lw_metric_add(&m, i, 100 - i);
	assert_int_equal(m.dropped, 22);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 77);	/* i = 23 */
	assert_true(lw_metric_stat(&m, LW_MSTAT_AVG) == 73.5);
	/* Expiry after wrapping follows arrival order. */
	lw_metric_expire(&m, 26, 0);
	assert_int_equal(m.n, 4);
	assert_true(lw_metric_stat(&m, LW_MSTAT_MAX) == 73);
	lw_metric_free(&m);
}

static void
test_parse(void **state)
{
	double	v = -1;

	(void)state;
	assert_int_equal(lw_metric_parse("12.5", 4, &v), 0);
	assert_true(v == 12.5);
	assert_int_equal(lw_metric_parse("35", 2, &v), 0);
	assert_true(v == 35);
	assert_int_equal(lw_metric_parse("1e3", 3, &v), 0);
	assert_true(v == 1000);
	assert_int_equal(lw_metric_parse(" \t0.25", 6, &v), 0);
	assert_true(v == 0.25);
	assert_int_equal(lw_metric_parse("-4", 2, &v), 0);
	assert_true(v == -4);
	/* len is respected: the text is not NUL-terminated. */
	assert_int_equal(lw_metric_parse("12345", 2, &v), 0);
	assert_true(v == 12);
	v = 99;
	assert_int_equal(lw_metric_parse("", 0, &v), -1);
	assert_int_equal(lw_metric_parse("   ", 3, &v), -1);
	assert_int_equal(lw_metric_parse("abc", 3, &v), -1);
	assert_int_equal(lw_metric_parse(".", 1, &v), -1);
	assert_int_equal(lw_metric_parse("nan", 3, &v), -1);
	assert_int_equal(lw_metric_parse("inf", 3, &v), -1);
	assert_int_equal(lw_metric_parse("1e999", 5, &v), -1);
	assert_true(v == 99);		/* untouched on failure */
	{
		char	longs[100];

		memset(longs, '1', sizeof(longs));
		assert_int_equal(lw_metric_parse(longs, sizeof(longs), &v),
		    -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_p95_vs_sort),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
