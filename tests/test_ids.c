/*
 * test_ids: identifiers that tie log lines of one order together.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ids.h"

static void
expect_ids(const char *line, const char *const *want, size_t n)
{
	struct lw_ids	ids;
	size_t		i;

	lw_ids_extract(line, strlen(line), &ids);
	if (ids.n != n) {
		for (i = 0; i < ids.n; i++)
			print_message("got %s\n", ids.v[i]);
	}
	assert_int_equal(ids.n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(ids.v[i], want[i]);
}

static void
test_extract(void **state)
{
	(void)state;
	expect_ids("Order #12345 failed for BTC/USDT at 43250.5",
	    (const char *[]){ "12345", "BTC/USDT" }, 2);
	expect_ids("order_id=98765 status=FILLED symbol=ETHUSDT",
	    (const char *[]){ "98765" }, 1);
	expect_ids("{\"orderId\": \"abc-123-def\", \"pair\": \"SOL-USDT\"}",
	    (const char *[]){ "abc-123-def", "SOL-USDT" }, 2);
	expect_ids("Buy signal on BTC/USDT:USDT, 5m",
	    (const char *[]){ "BTC/USDT:USDT" }, 1);
	/* A colon and no settle currency: the pair alone. */
	expect_ids("Risk on SOL/USDT: margin low",
	    (const char *[]){ "SOL/USDT" }, 1);
	expect_ids("nothing here at all, id=ab", NULL, 0);
	expect_ids("TCP/IP stack and API-key missing", NULL, 0);
}

static void
test_contains(void **state)
{
	const char	*l = "Order #12345 failed; order 123456 ok";

	(void)state;
	assert_true(lw_ids_contains(l, strlen(l), "12345"));
	assert_true(lw_ids_contains(l, strlen(l), "123456"));
	assert_false(lw_ids_contains(l, strlen(l), "2345"));
	assert_false(lw_ids_contains(l, strlen(l), ""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
