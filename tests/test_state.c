/*
 * test_state: the SQLite state under a temporary directory: every kind
 * of row round-trips, survives a close and a reopen, and a broken
 * directory gives a clear error instead of a crash.  Write failures are
 * provoked with a second connection holding the write lock, which works
 * for root too (root ignores a read-only mode bit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "state.h"

struct fix {
	char	dir[64];	/* the mkdtemp directory */
	char	sub[128];	/* state.dir, created by lw_state_open */
};

static int
setup(void **state)
{
	struct fix	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/lw-test-state.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sub, sizeof(f->sub), "%s/state", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix	*f = *state;
	char		 cmd[256];

	chmod(f->sub, 0700);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct lw_state *
open_ok(const char *dir)
{
	struct lw_state	*st;
	char		 err[512] = "";

	st = lw_state_open(dir, err, sizeof(err));
	if (st == NULL)
		fail_msg("lw_state_open(%s): %s", dir, err);
	return st;
}

/* Templates as listed, in order. */
struct tl {
	uint64_t	id[8];
	char		text[8][64];
	int		level[8];
	int64_t		first[8], last[8];
	uint64_t	count[8];
	int		n;
};

static void
tl_add(uint64_t id, const char *text, int level, int64_t first,
    int64_t last, uint64_t count, void *arg)
{
	struct tl	*l = arg;

	assert_true(l->n < 8);
	l->id[l->n] = id;
	snprintf(l->text[l->n], sizeof(l->text[0]), "%s", text);
	l->level[l->n] = level;
	l->first[l->n] = first;
	l->last[l->n] = last;
	l->count[l->n] = count;
	l->n++;
}

/* Write one of everything. */
static void
fill(struct lw_state *st)
{
	struct lw_offset	o = { 0xfffffffffffffff0ULL, 123456789, 4096,
				      1 };

	assert_int_equal(lw_state_begin(st), 0);
	assert_int_equal(lw_state_set_offset(st, "/var/log/bot.log", &o), 0);
	assert_int_equal(lw_state_template_put(st, 42, "Order failed: <*>", 5,
	    1000, 2000, 3), 0);
	assert_int_equal(lw_state_template_put(st, 0x8000000000000001ULL,
	    "Slow fill <*>", 4, 1500, 9000, 1), 0);
	assert_int_equal(lw_state_cooldown_put(st, "repeat:abc", 777), 0);
	assert_int_equal(lw_state_outbox_add(st, "a1", "webhook", "{\"n\":1}",
	    10), 0);
	assert_int_equal(lw_state_outbox_add(st, "a2", "webhook", "{\"n\":2}",
	    20), 0);
	assert_int_equal(lw_state_outbox_add(st, "a1", "telegram",
	    "{\"n\":1}", 10), 0);
	assert_int_equal(lw_state_commit(st), 0);
}

/* Check one of everything, as fill wrote it. */
static void
check(struct lw_state *st)
{
	struct lw_offset	 o;
	struct lw_outbox_item	*it;
	struct tl		 l;
	size_t			 n;
	int64_t			 last;

	memset(&o, 0, sizeof(o));
	assert_int_equal(lw_state_get_offset(st, "/var/log/bot.log", &o), 1);
	assert_true(o.dev == 0xfffffffffffffff0ULL);
	assert_int_equal(o.ino, 123456789);
	assert_int_equal(o.offset, 4096);
	assert_int_equal(o.baseline_done, 1);
	assert_int_equal(lw_state_get_offset(st, "/other.log", &o), 0);

	assert_int_equal(lw_state_template_known(st, 42), 1);
	assert_int_equal(lw_state_template_known(st, 0x8000000000000001ULL),
	    1);
	assert_int_equal(lw_state_template_known(st, 43), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(lw_state_templates(st, tl_add, &l), 0);
	assert_int_equal(l.n, 2);
	/* Newest last_ms first. */
	assert_true(l.id[0] == 0x8000000000000001ULL);
	assert_string_equal(l.text[0], "Slow fill <*>");
	assert_int_equal(l.id[1], 42);
	assert_string_equal(l.text[1], "Order failed: <*>");
	assert_int_equal(l.level[1], 5);
	assert_int_equal(l.first[1], 1000);
	assert_int_equal(l.last[1], 2000);
	assert_int_equal(l.count[1], 3);

	assert_int_equal(lw_state_cooldown_get(st, "repeat:abc", &last), 1);
	assert_int_equal(last, 777);
	assert_int_equal(lw_state_cooldown_get(st, "repeat:abd", &last), 0);

	assert_int_equal(lw_state_outbox_pending(st, "webhook"), 2);
	assert_int_equal(lw_state_outbox_pending(st, "telegram"), 1);
	assert_int_equal(lw_state_outbox_pending(st, "email"), 0);
	assert_int_equal(lw_state_outbox_load(st, "webhook", 10, &it, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].id, "a1");
	assert_string_equal(it[0].sink, "webhook");
	assert_string_equal(it[0].json, "{\"n\":1}");
	assert_int_equal(it[0].created_ms, 10);
	assert_int_equal(it[0].attempts, 0);
	assert_string_equal(it[1].id, "a2");
	lw_outbox_items_free(it, n);
}

static void
test_roundtrip_and_reopen(void **state)
{
	struct fix	*f = *state;
	struct lw_state	*st;
	char		 want[256];

	st = open_ok(f->sub);		/* creates the directory */
	snprintf(want, sizeof(want), "%s/logwarden.db", f->sub);
	assert_string_equal(lw_state_path(st), want);
	fill(st);
	check(st);
	assert_int_equal(lw_state_errors(st), 0);
	lw_state_close(st);

	st = open_ok(f->sub);
	check(st);
	lw_state_close(st);
	lw_state_close(NULL);
}

static void
test_updates(void **state)
{
	struct fix		*f = *state;
	struct lw_state		*st;
	struct lw_offset	 o = { 1, 2, 3, 0 };
	struct lw_outbox_item	*it;
	struct tl		 l;
	size_t			 n;
	int64_t			 last;

	st = open_ok(f->sub);
	fill(st);
	/* Outside a transaction too (autocommit). */
	o.offset = 8192;
	assert_int_equal(lw_state_set_offset(st, "/var/log/bot.log", &o), 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(lw_state_get_offset(st, "/var/log/bot.log", &o), 1);
	assert_int_equal(o.offset, 8192);
	assert_int_equal(o.baseline_done, 0);

	/* A template seen again: worst level, earliest first, latest last,
	 * and the text it has now (it generalises under its id). */
	assert_int_equal(lw_state_template_put(st, 42, "Order failed: x", 4,
	    500, 3000, 7), 0);
	assert_int_equal(lw_state_template_put(st, 42, "Order failed: <*>",
	    4, 900, 2500, 8), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(lw_state_templates(st, tl_add, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.id[1], 42);		/* 3000 < 9000 */
	assert_string_equal(l.text[1], "Order failed: <*>");
	assert_int_equal(l.level[1], 5);
	assert_int_equal(l.first[1], 500);
	assert_int_equal(l.last[1], 3000);
	assert_int_equal(l.count[1], 8);

	assert_int_equal(lw_state_cooldown_put(st, "repeat:abc", 999), 0);
	assert_int_equal(lw_state_cooldown_get(st, "repeat:abc", &last), 1);
	assert_int_equal(last, 999);

	/* Outbox: a duplicate add keeps the first, retry, done. */
	assert_int_equal(lw_state_outbox_add(st, "a1", "webhook", "{\"x\":0}",
	    5), 0);
	assert_int_equal(lw_state_outbox_retry(st, "a1", "webhook", 3, 4242),
	    0);
	assert_int_equal(lw_state_outbox_load(st, "webhook", 1, &it, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].id, "a1");
	assert_string_equal(it[0].json, "{\"n\":1}");
	assert_int_equal(it[0].attempts, 3);
	assert_int_equal(it[0].next_ms, 4242);
	lw_outbox_items_free(it, n);
	assert_int_equal(lw_state_outbox_done(st, "a1", "webhook"), 0);
	assert_int_equal(lw_state_outbox_pending(st, "webhook"), 1);
	/* The other sink's copy is still pending. */
	assert_int_equal(lw_state_outbox_pending(st, "telegram"), 1);
	lw_state_close(st);

	st = open_ok(f->sub);
	assert_int_equal(lw_state_outbox_load(st, "webhook", 10, &it, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].id, "a2");
	lw_outbox_items_free(it, n);
	assert_int_equal(lw_state_outbox_load(st, "none", 10, &it, &n), 0);
	assert_int_equal(n, 0);
	lw_outbox_items_free(it, n);
	lw_outbox_items_free(NULL, 0);
	lw_state_close(st);
}

/* A transaction left open is committed by close, not lost. */
static void
test_close_commits(void **state)
{
	struct fix	*f = *state;
	struct lw_state	*st;
	int64_t		 last;

	st = open_ok(f->sub);
	assert_int_equal(lw_state_begin(st), 0);
	assert_int_equal(lw_state_begin(st), 0);	/* nested: no-op */
	assert_int_equal(lw_state_cooldown_put(st, "errors", 5), 0);
	lw_state_close(st);
	st = open_ok(f->sub);
	assert_int_equal(lw_state_cooldown_get(st, "errors", &last), 1);
	assert_int_equal(last, 5);
	assert_int_equal(lw_state_commit(st), 0);	/* none open: no-op */
	lw_state_close(st);
}

/* Writes fail while another process holds the lock; then work again. */
static void
test_write_failure(void **state)
{
	struct fix	*f = *state;
	struct lw_state	*st;
	sqlite3		*db;
	int64_t		 last;

	st = open_ok(f->sub);
	assert_int_equal(sqlite3_open(lw_state_path(st), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	/* Waits out the busy timeout (2 s), then reports the failure. */
	assert_int_equal(lw_state_cooldown_put(st, "k", 1), -1);
	assert_int_equal(lw_state_errors(st), 1);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(lw_state_cooldown_put(st, "k", 2), 0);
	assert_int_equal(lw_state_cooldown_get(st, "k", &last), 1);
	assert_int_equal(last, 2);
	assert_int_equal(lw_state_errors(st), 1);
	lw_state_close(st);
}

static void
test_bad_paths(void **state)
{
	struct fix	*f = *state;
	char		 err[512], path[256];
	FILE		*fp;

	/* The parent does not exist. */
	err[0] = '\0';
	snprintf(path, sizeof(path), "%s/no/such/dir", f->dir);
	assert_null(lw_state_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));

	/* A regular file where the directory should be. */
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	err[0] = '\0';
	assert_null(lw_state_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, path));

	/* A directory nobody may write, whoever we are. */
	err[0] = '\0';
	assert_null(lw_state_open("/proc/self", err, sizeof(err)));
	assert_non_null(strstr(err, "/proc/self/logwarden.db"));
}

static void
test_readonly_dir(void **state)
{
	struct fix	*f = *state;
	char		 err[512] = "", probe[256];
	int		 fd;

	assert_int_equal(mkdir(f->sub, 0700), 0);
	assert_int_equal(chmod(f->sub, 0500), 0);
	snprintf(probe, sizeof(probe), "%s/probe", f->sub);
	if ((fd = open(probe, O_CREAT | O_WRONLY, 0600)) != -1) {
		close(fd);
		unlink(probe);
		print_message("skipped: running as root, mode 0500 does not "
		    "stop writes (see test_bad_paths for /proc/self)\n");
		return;
	}
	assert_null(lw_state_open(f->sub, err, sizeof(err)));
	assert_non_null(strstr(err, f->sub));
	assert_true(strlen(err) > strlen(f->sub) + 15);	/* has a reason */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_and_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_updates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_commits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_paths, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_readonly_dir, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
