/*
 * test_ring: the ring of recent lines: order after wrapping, lookups by
 * sequence number once lines were overwritten, resizing that keeps the
 * newest lines, and slot buffers reused across lines of any length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ring.h"

static void
push(struct lw_ring *r, const char *s)
{
	assert_non_null(lw_ring_push(r, s, strlen(s), 0, 0));
}

/* Push "l1".."ln". */
static void
push_n(struct lw_ring *r, unsigned from, unsigned to)
{
	char		s[32];
	unsigned	i;

	for (i = from; i <= to; i++) {
		snprintf(s, sizeof(s), "l%u", i);
		push(r, s);
	}
}

static const char *
recent(struct lw_ring *r, unsigned i)
{
	struct lw_ring_entry	*e = lw_ring_recent(r, i);

	return e ? e->text : NULL;
}

static const char *
byseq(struct lw_ring *r, uint64_t seq)
{
	struct lw_ring_entry	*e = lw_ring_byseq(r, seq);

	if (e != NULL)
		assert_int_equal(e->seq, seq);
	return e ? e->text : NULL;
}

static void
test_wrap(void **state)
{
	struct lw_ring	r;

	(void)state;
	lw_ring_init(&r, 4);
	assert_null(lw_ring_recent(&r, 0));
	assert_null(lw_ring_byseq(&r, 1));
	push_n(&r, 1, 2);
	assert_int_equal(r.count, 2);
	assert_string_equal(recent(&r, 0), "l2");
	assert_string_equal(recent(&r, 1), "l1");
	assert_null(recent(&r, 2));

	push_n(&r, 3, 6);
	assert_int_equal(r.count, 4);
	assert_int_equal(r.seq, 6);
	assert_string_equal(recent(&r, 0), "l6");
	assert_string_equal(recent(&r, 1), "l5");
	assert_string_equal(recent(&r, 2), "l4");
	assert_string_equal(recent(&r, 3), "l3");
	assert_null(recent(&r, 4));

	/* Overwritten lines are gone; the rest are found by seq. */
	assert_null(byseq(&r, 0));
	assert_null(byseq(&r, 1));
	assert_null(byseq(&r, 2));
	assert_string_equal(byseq(&r, 3), "l3");
	assert_string_equal(byseq(&r, 6), "l6");
	assert_null(byseq(&r, 7));
	lw_ring_free(&r);
	lw_ring_free(&r);
	lw_ring_free(NULL);
}

static void
test_fields_reset(void **state)
{
	struct lw_ring		 r;
	struct lw_ring_entry	*e;
	char			 big[1000];

	(void)state;
	lw_ring_init(&r, 2);
	e = lw_ring_push(&r, "abc", 3, 17, 123456);
	assert_int_equal(e->cut, 17);
	assert_int_equal(e->time_ms, 123456);
	assert_int_equal(e->len, 3);
	e->level = LW_LVL_ERROR;
	e->tmpl_id = 99;
	e->metrics = 5;
	e->head = 1;
	push(&r, "x");
	/* The slot of "abc" is reused: nothing of the old line survives. */
	memset(big, 'b', sizeof(big));
	e = lw_ring_push(&r, big, sizeof(big), 0, 7);
	assert_int_equal(e->seq, 3);
	assert_int_equal(e->level, LW_LVL_UNKNOWN);
	assert_int_equal(e->tmpl_id, 0);
	assert_int_equal(e->metrics, 0);
	assert_int_equal(e->head, 0);
	assert_int_equal(e->cut, 0);
	assert_int_equal(e->len, sizeof(big));
	assert_memory_equal(e->text, big, sizeof(big));
	assert_int_equal(e->text[sizeof(big)], '\0');
	/* Then a short line in the grown slot. */
	push(&r, "y");
	e = lw_ring_push(&r, "zz", 2, 0, 0);
	assert_string_equal(e->text, "zz");
	assert_int_equal(e->len, 2);
	/* Binary content keeps its length. */
	e = lw_ring_push(&r, "a\0b", 3, 0, 0);
	assert_int_equal(e->len, 3);
	assert_memory_equal(e->text, "a\0b", 3);
	lw_ring_free(&r);
}

static void
test_resize_shrink(void **state)
{
	struct lw_ring	r;

	(void)state;
	lw_ring_init(&r, 5);
	push_n(&r, 1, 7);		/* holds l3..l7, wrapped */
	lw_ring_resize(&r, 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.seq, 7);
	assert_string_equal(recent(&r, 0), "l7");
	assert_string_equal(recent(&r, 1), "l6");
	assert_null(recent(&r, 2));
	assert_null(byseq(&r, 5));
	assert_string_equal(byseq(&r, 6), "l6");
	push_n(&r, 8, 8);
	assert_string_equal(recent(&r, 0), "l8");
	assert_string_equal(recent(&r, 1), "l7");
	assert_int_equal(lw_ring_recent(&r, 0)->seq, 8);
	lw_ring_free(&r);
}

static void
test_resize_grow(void **state)
{
	struct lw_ring	r;
	char		want[32];
	unsigned	i;

	(void)state;
	lw_ring_init(&r, 3);
	push_n(&r, 1, 4);		/* l2..l4, wrapped */
	lw_ring_resize(&r, 6);
	assert_int_equal(r.count, 3);
	assert_string_equal(recent(&r, 0), "l4");
	assert_string_equal(recent(&r, 2), "l2");
	push_n(&r, 5, 9);		/* fills and wraps the new ring */
	assert_int_equal(r.count, 6);
	for (i = 0; i < 6; i++) {
		snprintf(want, sizeof(want), "l%u", 9 - i);
		assert_string_equal(recent(&r, i), want);
		assert_string_equal(byseq(&r, 9 - i), want);
	}
	assert_null(byseq(&r, 3));
	/* Same size: nothing changes; 0 means 1. */
	lw_ring_resize(&r, 6);
	assert_string_equal(recent(&r, 5), "l4");
	lw_ring_resize(&r, 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(recent(&r, 0), "l9");
	assert_null(recent(&r, 1));
	lw_ring_free(&r);

	/* A ring that never wrapped keeps everything when it grows. */
	lw_ring_init(&r, 4);
	push_n(&r, 1, 2);
	lw_ring_resize(&r, 10);
	assert_int_equal(r.count, 2);
	assert_string_equal(recent(&r, 0), "l2");
	assert_string_equal(recent(&r, 1), "l1");
	assert_string_equal(byseq(&r, 1), "l1");
	lw_ring_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_fields_reset),
		cmocka_unit_test(test_resize_shrink),
		cmocka_unit_test(test_resize_grow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
