/*
 * test_tlmerge: the merged timeline of `search` over several files.
 * Lines of two files that overlap in time must come back in time order,
 * lines of equal time in the order they came (a traceback stays under
 * its record), and of many more lines than fit exactly the first ones
 * in that order, checked against a plain stable sort of them all.  The
 * byte budget refuses a big line that does not fit, never a small one,
 * and is never passed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tlmerge.h"

/* Offers a line at time t whose text is text; returns add's result. */
static int
offer(struct lw_tlmerge *tm, int64_t t, int file, uint64_t line,
    const char *text)
{
	struct lw_tlmerge_line	l;
	char			buf[64];
	int			rc;

	memset(&l, 0, sizeof(l));
	l.t = t;
	l.file = file;
	l.line = line;
	l.mark = '>';
	/* A copy that is spoilt after the call: the merge keeps its own. */
	snprintf(buf, sizeof(buf), "%s", text);
	l.out = buf;
	l.outlen = strlen(buf);
	l.raw = buf;
	l.rawlen = strlen(buf);
	rc = lw_tlmerge_add(tm, &l);
	memset(buf, 'X', l.outlen);
	return rc;
}

static void
test_interleave_and_ties(void **state)
{
	struct lw_tlmerge		*tm;
	const struct lw_tlmerge_line	*v;
	size_t				 n, i;
	static const char *const	 want[] = { "b1", "e1", "b2", "trace",
					    "e2", "e3", "b3", "late" };

	(void)state;
	tm = lw_tlmerge_new(100, 1 << 20, 256);
	/* bot.log, then exchange.log, as pass 2 reads them. */
	assert_int_equal(offer(tm, 1000, 0, 1, "b1"), 1);
	assert_int_equal(offer(tm, 3000, 0, 2, "b2"), 1);
	assert_int_equal(offer(tm, 3000, 0, 3, "trace"), 1);
	assert_int_equal(offer(tm, 5000, 0, 4, "b3"), 1);
	assert_int_equal(offer(tm, INT64_MAX, 0, 5, "late"), 1);
	assert_int_equal(offer(tm, 2000, 1, 1, "e1"), 1);
	assert_int_equal(offer(tm, 3000, 1, 2, "e2"), 1);
	assert_int_equal(offer(tm, 4000, 1, 3, "e3"), 1);
	v = lw_tlmerge_sorted(tm, &n);
	assert_int_equal(n, 8);
	for (i = 0; i < n; i++) {
		assert_string_equal(v[i].out, want[i]);
		assert_string_equal(v[i].raw, want[i]);
		assert_int_equal(v[i].outlen, strlen(want[i]));
		if (i > 0)
			assert_true(v[i].seq != v[i - 1].seq);
	}
	assert_int_equal(v[1].file, 1);
	assert_int_equal(v[3].line, 3);
	/* Sorting twice changes nothing. */
	v = lw_tlmerge_sorted(tm, &n);
	assert_string_equal(v[0].out, "b1");
	lw_tlmerge_free(tm);
	lw_tlmerge_free(NULL);
}

struct ref {
	int64_t		t;
	unsigned	seq;
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct ref	*x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Many lines, few kept: the kept ones are the first of a stable sort. */
static void
test_first_n(void **state)
{
	enum { NLINES = 5000, KEEP = 97 };
	struct lw_tlmerge		*tm;
	const struct lw_tlmerge_line	*v;
	struct ref			*all;
	char				 text[32];
	size_t				 n, i, kept = 0;
	uint32_t			 x = 12345;
	int				 round;

	(void)state;
	for (round = 0; round < 3; round++) {
		all = calloc(NLINES, sizeof(*all));
		assert_non_null(all);
		tm = lw_tlmerge_new(KEEP, KEEP * 64, 64);
		for (i = 0; i < NLINES; i++) {
			x = x * 1103515245u + 12345u;
			/* Few distinct times: plenty of ties. Round 1 runs
			 * backwards, round 2 forwards. */
			all[i].t = round == 0 ? (int64_t)(x >> 16) % 300 :
			    round == 1 ? (int64_t)(NLINES - i) / 7 :
			    (int64_t)i / 7;
			all[i].seq = (unsigned)i;
			snprintf(text, sizeof(text), "%zu", i);
			if (lw_tlmerge_wants(tm, all[i].t))
				assert_int_equal(offer(tm, all[i].t, 0, i,
				    text), 1);
			else
				assert_int_equal(offer(tm, all[i].t, 0, i,
				    text), 0);
		}
		qsort(all, NLINES, sizeof(*all), cmp_ref);
		v = lw_tlmerge_sorted(tm, &n);
		assert_int_equal(n, KEEP);
		for (i = 0; i < n; i++) {
			snprintf(text, sizeof(text), "%u", all[i].seq);
			assert_string_equal(v[i].out, text);
			assert_int_equal(v[i].t, all[i].t);
			kept++;
		}
		lw_tlmerge_free(tm);
		free(all);
	}
	assert_int_equal(kept, 3 * KEEP);
}

/* A line of size bytes (outlen + 2 for the NULs, no raw). */
static int
offer_size(struct lw_tlmerge *tm, int64_t t, size_t size)
{
	struct lw_tlmerge_line	 l;
	char			*buf = malloc(size);
	int			 rc;

	assert_non_null(buf);
	memset(buf, 'a', size);
	memset(&l, 0, sizeof(l));
	l.t = t;
	l.out = buf;
	l.outlen = size - 2;
	rc = lw_tlmerge_add(tm, &l);
	free(buf);
	return rc;
}

static void
test_byte_cap(void **state)
{
	struct lw_tlmerge	*tm;
	size_t			 n;

	(void)state;
	/* 4 slots of at least 50 bytes in 400: 200 to spare. */
	tm = lw_tlmerge_new(4, 400, 50);
	assert_int_equal(offer_size(tm, 10, 150), 1);
	assert_int_equal(offer_size(tm, 20, 150), 1);
	assert_int_equal(lw_tlmerge_bytes(tm), 300);
	/* No room for a third big one, but a small one always fits. */
	assert_int_equal(offer_size(tm, 30, 150), -1);
	assert_int_equal(lw_tlmerge_bytes(tm), 300);
	assert_int_equal(offer_size(tm, 30, 50), 1);
	assert_int_equal(offer_size(tm, 40, 10), 1);
	assert_int_equal(lw_tlmerge_bytes(tm), 360);
	/* Full: an earlier big line would push out the small one at 40:
	 * too big; a small one takes its place. */
	assert_int_equal(offer_size(tm, 5, 100), -1);
	assert_int_equal(offer_size(tm, 5, 50), 1);
	assert_int_equal(lw_tlmerge_bytes(tm), 400);
	/* Later than all, or tied with the latest: left out. */
	assert_int_equal(lw_tlmerge_wants(tm, 30), 0);
	assert_int_equal(offer_size(tm, 30, 10), 0);
	assert_int_equal(offer_size(tm, 31, 1000), 0);
	/* Pushing out the small line at 30 frees only its 50... */
	assert_int_equal(lw_tlmerge_wants(tm, 29), 1);
	assert_int_equal(offer_size(tm, 1, 150), -1);
	assert_int_equal(offer_size(tm, 1, 50), 1);
	/* ...and the big one at 20, now the latest, its 150. */
	assert_int_equal(offer_size(tm, 2, 150), 1);
	assert_int_equal(lw_tlmerge_bytes(tm), 400);
	assert_int_equal(offer_size(tm, 3, 200), -1);
	assert_true(lw_tlmerge_bytes(tm) <= 400);
	(void)lw_tlmerge_sorted(tm, &n);
	assert_int_equal(n, 4);
	lw_tlmerge_free(tm);
}

/* Random sizes: whatever comes, the bytes held stay within the cap and
 * a small line is never refused. */
static void
test_cap_holds(void **state)
{
	struct lw_tlmerge	*tm;
	uint32_t		 x = 777;
	size_t			 i, size;
	int			 rc;

	(void)state;
	tm = lw_tlmerge_new(16, 16 * 1024, 256);
	for (i = 0; i < 20000; i++) {
		x = x * 1103515245u + 12345u;
		size = (x >> 8) % 3000 + 2;
		rc = offer_size(tm, (int64_t)(x >> 20) % 1000, size);
		if (rc == -1) {
			assert_true(size > 256);
			assert_int_not_equal(offer_size(tm,
			    (int64_t)(x >> 20) % 1000, 256), -1);
		}
		assert_true(lw_tlmerge_bytes(tm) <= 16 * 1024);
	}
	lw_tlmerge_free(tm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleave_and_ties),
		cmocka_unit_test(test_first_n),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_cap_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
