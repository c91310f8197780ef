/*
 * test_buf: the bounded buffer's contract: appends up to the maximum
 * succeed, one byte more fails and leaves the buffer exactly as it was,
 * the content stays NUL-terminated, and take/reset/free hand memory over
 * as the header says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static void
test_empty(void **state)
{
	struct buf	b;
	char		*s;

	(void)state;
	buf_init(&b, 100);
	assert_null(b.data);
	assert_string_equal(buf_str(&b), "");
	buf_reset(&b);			/* no memory yet: still fine */
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
	buf_free(&b);			/* twice, and on NULL */
	buf_free(NULL);
}

static void
test_append(void **state)
{
	struct buf	b;

	(void)state;
	buf_init(&b, 1000);
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(buf_addc(&b, '-'), 0);
	assert_int_equal(buf_add(&b, "xyz!", 3), 0);
	assert_int_equal(buf_addf(&b, "%d/%s", 42, "q"), 0);
	assert_string_equal(buf_str(&b), "abc-xyz42/q");
	assert_int_equal(b.len, 11);
	/* Binary content and a zero-length add. */
	assert_int_equal(buf_add(&b, "\0\1", 2), 0);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	assert_int_equal(b.len, 13);
	assert_memory_equal(b.data + 11, "\0\1", 2);
	assert_int_equal(b.data[13], '\0');
	buf_free(&b);
}

static void
test_cap_exact(void **state)
{
	struct buf	b;
	char		big[64];

	(void)state;
	memset(big, 'x', sizeof(big));
	buf_init(&b, 10);
	assert_int_equal(buf_add(&b, big, 10), 0);
	assert_int_equal(b.len, 10);
	assert_true(b.cap <= 11);		/* never past max + NUL */
	assert_int_equal(buf_addc(&b, 'y'), -1);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(strlen(buf_str(&b)), 10);
	buf_free(&b);

	/* A failed append leaves the content as it was. */
	buf_init(&b, 10);
	assert_int_equal(buf_adds(&b, "hello"), 0);
	assert_int_equal(buf_adds(&b, "world!"), -1);
	assert_string_equal(buf_str(&b), "hello");
	assert_int_equal(buf_addf(&b, "%s", "123456"), -1);
	assert_string_equal(buf_str(&b), "hello");
	assert_int_equal(buf_addf(&b, "%05d", 7), 0);
	assert_string_equal(buf_str(&b), "hello00007");
	buf_free(&b);

	/* Sizes that would overflow are refused, not wrapped. */
	buf_init(&b, 10);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	assert_int_equal(buf_add(&b, big, SIZE_MAX), -1);
	assert_int_equal(buf_add(&b, big, SIZE_MAX - 1), -1);
	assert_string_equal(buf_str(&b), "ab");
	buf_free(&b);

	/* max 0: only nothing fits. */
	buf_init(&b, 0);
	assert_int_equal(buf_addc(&b, 'a'), -1);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

/* Growth by doubling reaches large sizes with every byte intact. */
static void
test_grow(void **state)
{
	struct buf	b;
	size_t		i;
	char		c;

	(void)state;
	buf_init(&b, 100000);
	for (i = 0; i < 100000; i++) {
		c = (char)('a' + i % 26);
		assert_int_equal(buf_addc(&b, c), 0);
	}
	assert_int_equal(buf_addc(&b, 'z'), -1);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap <= 100001);
	for (i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[100000], '\0');
	buf_free(&b);
}

/* Formatted output longer than the internal stack buffer. */
static void
test_addf_long(void **state)
{
	struct buf	b;
	char		s[1001];

	(void)state;
	memset(s, 'q', 1000);
	s[1000] = '\0';
	buf_init(&b, 2000);
	assert_int_equal(buf_addf(&b, "<%s>", s), 0);
	assert_int_equal(b.len, 1002);
	assert_int_equal(b.data[0], '<');
	assert_int_equal(b.data[1001], '>');
	assert_int_equal(buf_addf(&b, "%s", s), -1);	/* 2002 > 2000 */
	assert_int_equal(b.len, 1002);
	buf_free(&b);
}

static void
test_take_reset(void **state)
{
	struct buf	b;
	char		*s;
	size_t		cap;

	(void)state;
	buf_init(&b, 50);
	assert_int_equal(buf_adds(&b, "first"), 0);
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.cap, cap);		/* memory kept */
	assert_int_equal(buf_adds(&b, "second"), 0);
	s = buf_take(&b);
	assert_string_equal(s, "second");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	/* The buffer is usable again with the same maximum. */
	assert_int_equal(buf_adds(&b, "third"), 0);
	assert_string_equal(buf_str(&b), "third");
	assert_int_equal(b.max, 50);
	free(s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_cap_exact),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_addf_long),
		cmocka_unit_test(test_take_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
