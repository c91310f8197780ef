/*
 * test_cluster: the clustering stage on top of lw_mask: when one token
 * position becomes a variable, when it must not, stable ids through
 * merges, and the bounded group store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"
#include "miner.h"

/* Adds s; returns its group id and copies its template into out. */
static uint64_t
add(struct lw_cluster *c, const char *s, char *out, size_t outsz)
{
	const char	*t;
	size_t		 tl;
	uint64_t	 id;

	id = lw_cluster_add(c, s, strlen(s), &t, &tl);
	assert_int_equal(strlen(t), tl);
	assert_true(tl < outsz);
	memcpy(out, t, tl + 1);
	return id;
}

static void
final(struct lw_cluster *c, const char *s, const char *want)
{
	const char	*t;
	size_t		 tl;

	assert_int_equal(lw_cluster_lookup(c, s, strlen(s), NULL, &t, &tl), 0);
	assert_string_equal(t, want);
}

struct merges {
	int		 n;
	uint64_t	 from, into;
};

static void
on_merge(uint64_t from, uint64_t into, void *arg)
{
	struct merges	*m = arg;

	m->n++;
	m->from = from;
	m->into = into;
}

static void
test_many_values_merge(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	struct merges		 m = { 0, 0, 0 };
	char			 t[LW_TMPL_BUFSZ];
	uint64_t		 id0, id;
	static const char	*users[] = { "cyrus", "news", "test", "root" };
	static const char	 first[] =
	    "session opened for user cyrus by (uid=<*>)";
	char			 msg[128];
	size_t			 i;

	(void)state;
	lw_cluster_set_merge_cb(c, on_merge, &m);
	id0 = add(c, first, t, sizeof(t));
	assert_int_equal(id0, lw_tmpl_id(first, strlen(first)));
	for (i = 1; i < 3; i++) {
		snprintf(msg, sizeof(msg), "session opened for user %s by "
		    "(uid=<*>)", users[i]);
		id = add(c, msg, t, sizeof(t));
		assert_string_equal(t, msg);	/* three values: not yet */
		assert_int_not_equal(id, id0);
	}
	assert_int_equal(lw_cluster_count(c), 3);
	id = add(c, "session opened for user root by (uid=<*>)", t, sizeof(t));
	assert_string_equal(t, "session opened for user <*> by (uid=<*>)");
	/* The oldest group keeps its id; the other three were folded in. */
	assert_int_equal(id, id0);
	assert_int_equal(lw_cluster_count(c), 1);
	assert_int_equal(lw_cluster_merges(c), 3);
	assert_int_equal(m.n, 3);
	assert_int_equal(m.into, id0);
	final(c, "session opened for user news by (uid=<*>)",
	    "session opened for user <*> by (uid=<*>)");
	/* A new value joins the general group at once, under the same id. */
	id = add(c, "session opened for user admin by (uid=<*>)", t,
	    sizeof(t));
	assert_int_equal(id, id0);
	assert_string_equal(t, "session opened for user <*> by (uid=<*>)");
	assert_int_equal(lw_cluster_count(c), 1);
	lw_cluster_free(c);
}

static void
test_two_values_stay(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	char			 t[LW_TMPL_BUFSZ];
	uint64_t		 a, b;

	(void)state;
	a = add(c, "session opened for user <*>", t, sizeof(t));
	b = add(c, "session closed for user <*>", t, sizeof(t));
	assert_int_not_equal(a, b);
	assert_string_equal(t, "session closed for user <*>");
	final(c, "session opened for user <*>", "session opened for user <*>");
	assert_int_equal(lw_cluster_merges(c), 0);
	/* Seen again: the cache answers with the same group. */
	assert_int_equal(add(c, "session opened for user <*>", t, sizeof(t)),
	    a);
	lw_cluster_free(c);
}

static void
test_wildcard_absorbs(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	char			 t[LW_TMPL_BUFSZ];
	uint64_t		 a, b;

	(void)state;
	/* "()" is "(<*>)" with an empty value. */
	a = add(c, "connection from <*> (<*>) at <*>", t, sizeof(t));
	b = add(c, "connection from <*> () at <*>", t, sizeof(t));
	assert_int_equal(a, b);
	assert_string_equal(t, "connection from <*> (<*>) at <*>");
	/* But "[x]" is not: the pattern must match the whole value. */
	add(c, "connection from <*> [x] at <*>", t, sizeof(t));
	assert_string_equal(t, "connection from <*> [x] at <*>");
	assert_int_equal(lw_cluster_count(c), 2);
	lw_cluster_free(c);
}

static void
test_punctuation_kept(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	char			 t[LW_TMPL_BUFSZ];
	static const char	*v[] = { "A8", "B4", "C3", "A5" };
	char			 msg[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "got no answer from any "
		    "[Tb_%s] datasource", v[i]);
		add(c, msg, t, sizeof(t));
	}
	assert_string_equal(t, "got no answer from any [<*>] datasource");
	lw_cluster_free(c);
}

static void
test_guards(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	char			 t[LW_TMPL_BUFSZ], msg[64];
	static const char	*w[] = { "boot", "wait", "halt", "load" };
	size_t			 i;

	(void)state;
	/* The first token tells events apart unless it holds digits. */
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "%s command done now", w[i]);
		add(c, msg, t, sizeof(t));
		assert_string_equal(t, msg);
	}
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "n%zu command was run", i);
		add(c, msg, t, sizeof(t));
	}
	assert_string_equal(t, "<*> command was run");
	/* One literal left is too little: "x <*>" would eat everything. */
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg), "%s <*>", w[i]);
		add(c, msg, t, sizeof(t));
		assert_string_equal(t, msg);
	}
	lw_cluster_free(c);
}

static void
test_bounded(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(2);
	char			 t[LW_TMPL_BUFSZ];
	uint64_t		 id;

	(void)state;
	add(c, "alpha one", t, sizeof(t));
	add(c, "beta two", t, sizeof(t));
	add(c, "alpha one", t, sizeof(t));	/* beta is now the oldest */
	add(c, "gamma three", t, sizeof(t));
	assert_int_equal(lw_cluster_count(c), 2);
	assert_int_equal(lw_cluster_evictions(c), 1);
	assert_int_equal(lw_cluster_lookup(c, "beta two", 8, NULL, NULL,
	    NULL), -1);
	assert_int_equal(lw_cluster_lookup(c, "alpha one", 9, &id, NULL,
	    NULL), 0);
	assert_int_equal(id, lw_tmpl_id("alpha one", 9));
	/* Empty and NULL messages are one group like any other. */
	assert_int_equal(lw_cluster_add(c, NULL, 5, NULL, NULL),
	    lw_cluster_add(c, "", 0, NULL, NULL));
	lw_cluster_free(c);
	lw_cluster_free(NULL);
}

/* Many distinct texts through a small store: no crash, cap holds. */
static void
test_churn(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(8);
	char			 msg[96];
	const char		*t;
	size_t			 i, tl;

	(void)state;
	for (i = 0; i < 5000; i++) {
		if (i % 3 != 0)
			snprintf(msg, sizeof(msg), "user u%zu logged in",
			    i % 50);
		else
			/* Words in first place never merge: all distinct. */
			snprintf(msg, sizeof(msg), "%c%c%c job left",
			    (int)('a' + i % 26), (int)('a' + i / 26 % 26),
			    (int)('a' + i / 676 % 26));
		lw_cluster_add(c, msg, strlen(msg), &t, &tl);
		assert_int_equal(strlen(t), tl);
		assert_true(lw_cluster_count(c) <= 8);
	}
	assert_true(lw_cluster_merges(c) > 0);
	assert_true(lw_cluster_evictions(c) > 0);
	/* Forgotten by the cache, found again through the "<*>" rule. */
	lw_cluster_add(c, "user u3 logged in", 17, &t, &tl);
	assert_string_equal(t, "user <*> logged in");
	lw_cluster_free(c);
}

/* Groups restored after a restart keep their ids and absorb new values. */
static void
test_seed(void **state)
{
	struct lw_cluster	*c = lw_cluster_new(100);
	char			 t[LW_TMPL_BUFSZ];
	const char		*g = "Login failed for user <*>";
	uint64_t		 id;

	(void)state;
	/* The group, then a variant remembered under its own id. */
	assert_int_equal(lw_cluster_seed(c, 42, g, strlen(g)), 42);
	assert_int_equal(lw_cluster_seed(c, 43, "Login failed for user bob",
	    25), 42);
	id = add(c, "Login failed for user zed", t, sizeof(t));
	assert_int_equal(id, 42);
	assert_string_equal(t, g);
	assert_int_equal(lw_cluster_count(c), 1);
	/* Known and new texts told apart as lw_cluster_lookup would. */
	{
		int	isnew = -1;

		lw_cluster_add_new(c, "Login failed for user amy", 25, NULL,
		    NULL, &isnew);
		assert_int_equal(isnew, 1);
		lw_cluster_add_new(c, "Login failed for user amy", 25, NULL,
		    NULL, &isnew);
		assert_int_equal(isnew, 0);
		lw_cluster_add_new(c, "Login failed for user bob", 25, NULL,
		    NULL, &isnew);
		assert_int_equal(isnew, 0);	/* seeded */
	}
	/* A known text stays where it is. */
	assert_int_equal(lw_cluster_seed(c, 99, g, strlen(g)), 42);
	/* Without a seed the new value would have been a group of its own. */
	lw_cluster_free(c);
	c = lw_cluster_new(100);
	id = add(c, "Login failed for user zed", t, sizeof(t));
	assert_int_equal(id, lw_tmpl_id("Login failed for user zed", 25));
	lw_cluster_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_values_merge),
		cmocka_unit_test(test_two_values_stay),
		cmocka_unit_test(test_wildcard_absorbs),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_punctuation_kept),
		cmocka_unit_test(test_guards),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
