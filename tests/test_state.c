/*
 * test_state: the SQLite state under a temporary directory: every kind
 * of row round-trips, survives a close and a reopen, and a broken
 * directory gives a clear error instead of a crash.  Write failures are
 * provoked with a second connection holding the write lock, which works
 * for root too (root ignores a read-only mode bit).  The history tables
 * (alerts, verdicts, reports) are listed merged, filtered and pruned.
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

#include "alert.h"
#include "lwtime.h"
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
	assert_int_equal(lw_state_outbox_done(st, "a1", "webhook",
	    LW_OB_DELIVERED, 1), 0);
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

/* ---- the history ------------------------------------------------------ */

/* What lw_state_history handed over, copied. */
struct hl {
	int		kind[64];
	int64_t		time[64];
	char		rule[64][64];	/* alert rule, trigger, report kind */
	char		title[64][128];	/* alert title, issue, report title */
	char		extra[64][256];	/* alert json, model, report text */
	long		num[64];	/* -, prompt tokens, report errors */
	int		n;
};

static void
cpy(char *dst, size_t sz, const char *s)
{
	snprintf(dst, sz, "%s", s ? s : "(null)");
}

static void
hl_add(const struct lw_hist_entry *e, void *arg)
{
	struct hl	*l = arg;
	int		 i = l->n++;

	assert_true(i < 64);
	l->kind[i] = e->kind;
	l->time[i] = e->time_ms;
	switch (e->kind) {
	case LW_HIST_ALERT:
		assert_non_null(e->alert);
		assert_null(e->call);
		assert_null(e->report);
		cpy(l->rule[i], sizeof(l->rule[0]), e->alert->rule);
		cpy(l->title[i], sizeof(l->title[0]), e->alert->title);
		cpy(l->extra[i], sizeof(l->extra[0]), e->alert->json);
		break;
	case LW_HIST_VERDICT:
		assert_non_null(e->call);
		assert_int_equal(e->call->time_ms, e->time_ms);
		cpy(l->rule[i], sizeof(l->rule[0]), e->call->trigger);
		cpy(l->title[i], sizeof(l->title[0]), e->call->issue);
		cpy(l->extra[i], sizeof(l->extra[0]), e->call->model);
		l->num[i] = e->call->prompt_tokens;
		break;
	case LW_HIST_REPORT:
		assert_non_null(e->report);
		assert_int_equal(e->report->time_ms, e->time_ms);
		cpy(l->rule[i], sizeof(l->rule[0]), e->report->kind);
		cpy(l->title[i], sizeof(l->title[0]), e->report->title);
		cpy(l->extra[i], sizeof(l->extra[0]), e->report->text);
		l->num[i] = (long)e->report->errors;
		break;
	default:
		fail_msg("unknown kind %d", e->kind);
	}
}

static int
hist(struct lw_state *st, int64_t since, int kinds, const char *rule,
    size_t limit, struct hl *l)
{
	struct lw_hist_query	q = { since, kinds, rule, limit };

	memset(l, 0, sizeof(*l));
	assert_int_equal(lw_state_history(st, &q, hl_add, l), 0);
	return l->n;
}

/* An alert at time t; its JSON is what the history must give back. */
static void
put_alert(struct lw_state *st, int64_t t, const char *rule,
    const char *title, int llm, char *id, size_t idsz)
{
	struct lw_alert	*a = lw_alert_new();
	char		*json;

	a->time_ms = t;
	a->severity = llm ? LW_SEV_CRITICAL : LW_SEV_WARNING;
	a->source_llm = llm;
	lw_alert_set_rule(a, rule);
	lw_alert_set_title(a, title);
	json = lw_alert_to_json(a);
	assert_non_null(json);
	assert_int_equal(lw_state_alert_put(st, a, json), 0);
	if (id != NULL)
		snprintf(id, idsz, "%s", a->id);
	free(json);
	lw_alert_free(a);
}

static void
put_call(struct lw_state *st, int64_t t, const char *verdict,
    const char *issue, long ptok)
{
	struct lw_llm_call	c = { t, "m1", ptok, 20, 300, verdict,
				      issue ? "critical" : NULL, issue,
				      "periodic", "0001" };

	assert_int_equal(lw_state_llm_put(st, &c), 0);
}

static void
put_report(struct lw_state *st, int64_t t, const char *kind,
    uint64_t errors)
{
	struct lw_report_row	r = { t, kind, t - 3600000, t, 100, errors,
				      2, "Hourly report", "# Report\n\nok\n" };

	assert_int_equal(lw_state_report_put(st, &r), 0);
}

static void
test_history(void **state)
{
	struct fix		*f = *state;
	struct lw_state		*st;
	struct lw_alert		*a;
	struct hl		 l;
	char			 id[64], *json;
	int64_t			 t = lw_wall_ms() - 3600000;

	st = open_ok(f->sub);
	assert_int_equal(lw_state_begin(st), 0);
	put_alert(st, t + 1000, "errors", "3 errors <b>\x1b[2J", 0, id,
	    sizeof(id));
	put_report(st, t + 2000, "hourly", 7);
	put_alert(st, t + 3000, "metric:latency", "latency high", 0, NULL, 0);
	put_alert(st, t + 4000, "metrics", "not a metric: rule", 0, NULL, 0);
	/* Same millisecond: the verdict goes before the alert it raised. */
	put_alert(st, t + 5000, "llm", "Orders fail", 1, NULL, 0);
	put_call(st, t + 5000, "alert", "Orders fail", 900);
	put_call(st, t + 6000, "normal", NULL, -1);
	assert_int_equal(lw_state_commit(st), 0);

	/* A replayed alert (same id) is not stored twice; a report, or no
	 * database at all, stores nothing. */
	a = lw_alert_new();
	assert_true(strlen(id) < sizeof(a->id));
	memcpy(a->id, id, strlen(id) + 1);
	a->time_ms = t + 7000;
	lw_alert_set_rule(a, "errors");
	lw_alert_set_title(a, "replayed");
	json = lw_alert_to_json(a);
	assert_int_equal(lw_state_alert_put(st, a, json), 0);
	assert_int_equal(lw_state_alert_put(NULL, a, json), 0);
	lw_alert_free(a);
	a = lw_alert_new();	/* a fresh id: only the rule keeps it out */
	lw_alert_set_rule(a, "report.daily");
	assert_int_equal(lw_state_alert_put(st, a, json), 0);
	free(json);
	lw_alert_free(a);

	assert_int_equal(hist(st, 0, 0, NULL, 0, &l), 7);
	assert_int_equal(l.kind[0], LW_HIST_ALERT);
	assert_int_equal(l.time[0], t + 1000);
	assert_string_equal(l.rule[0], "errors");
	assert_string_equal(l.title[0], "3 errors <b>\x1b[2J");
	assert_non_null(strstr(l.extra[0], id));	/* the full JSON */
	assert_non_null(strstr(l.extra[0], "\"rule\":\"errors\""));
	assert_int_equal(l.kind[1], LW_HIST_REPORT);
	assert_string_equal(l.rule[1], "hourly");
	assert_string_equal(l.title[1], "Hourly report");
	assert_string_equal(l.extra[1], "# Report\n\nok\n");
	assert_int_equal(l.num[1], 7);
	assert_string_equal(l.rule[2], "metric:latency");
	assert_string_equal(l.rule[3], "metrics");
	assert_int_equal(l.kind[4], LW_HIST_VERDICT);
	assert_int_equal(l.time[4], t + 5000);
	assert_string_equal(l.title[4], "Orders fail");
	assert_string_equal(l.rule[4], "periodic");
	assert_string_equal(l.extra[4], "m1");
	assert_int_equal(l.num[4], 900);
	assert_int_equal(l.kind[5], LW_HIST_ALERT);
	assert_string_equal(l.rule[5], "llm");
	assert_int_equal(l.kind[6], LW_HIST_VERDICT);
	assert_string_equal(l.title[6], "(null)");
	assert_int_equal(l.num[6], -1);

	/* Kinds, rules (exact, or a prefix ending at ':'), since, limit. */
	assert_int_equal(hist(st, 0, LW_HIST_VERDICT, NULL, 0, &l), 2);
	assert_int_equal(hist(st, 0, LW_HIST_REPORT, NULL, 0, &l), 1);
	assert_int_equal(hist(st, 0, LW_HIST_ALERT | LW_HIST_REPORT, NULL, 0,
	    &l), 5);
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "errors", 0, &l), 1);
	assert_string_equal(l.title[0], "3 errors <b>\x1b[2J");
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "metric", 0, &l), 1);
	assert_string_equal(l.rule[0], "metric:latency");
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "metric:latency", 0, &l),
	    1);
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "metr", 0, &l), 0);
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "report", 0, &l), 0);
	assert_int_equal(hist(st, t + 3000, 0, NULL, 0, &l), 5);
	assert_int_equal(l.time[0], t + 3000);
	assert_int_equal(hist(st, t + 6001, 0, NULL, 0, &l), 0);
	/* The newest two, oldest first. */
	assert_int_equal(hist(st, 0, 0, NULL, 2, &l), 2);
	assert_int_equal(l.kind[0], LW_HIST_ALERT);
	assert_string_equal(l.rule[0], "llm");
	assert_int_equal(l.time[1], t + 6000);
	assert_int_equal(hist(st, 0, 0, NULL, 100, &l), 7);
	lw_state_close(st);

	/* It all survives a reopen. */
	st = open_ok(f->sub);
	assert_int_equal(hist(st, 0, 0, NULL, 0, &l), 7);
	assert_int_equal(lw_state_errors(st), 0);
	lw_state_close(st);
}

static void
test_report_prev(void **state)
{
	struct fix		*f = *state;
	struct lw_state		*st;
	struct lw_report_row	 r;

	st = open_ok(f->sub);
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(lw_state_report_prev(st, "hourly", INT64_MAX, &r), 0);
	put_report(st, 10000000, "hourly", 1);
	put_report(st, 20000000, "hourly", 2);
	put_report(st, 30000000, "hourly", 3);
	put_report(st, 25000000, "daily", 9);
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(lw_state_report_prev(st, "hourly", 30000000, &r), 1);
	assert_int_equal(r.time_ms, 20000000);
	assert_int_equal(r.start_ms, 20000000 - 3600000);
	assert_int_equal(r.end_ms, 20000000);
	assert_int_equal(r.lines, 100);
	assert_int_equal(r.errors, 2);
	assert_int_equal(r.warnings, 2);
	assert_null(r.kind);
	assert_null(r.title);
	assert_null(r.text);
	assert_int_equal(lw_state_report_prev(st, "hourly", 30000001, &r), 1);
	assert_int_equal(r.errors, 3);
	assert_int_equal(lw_state_report_prev(st, "daily", 30000001, &r), 1);
	assert_int_equal(r.errors, 9);
	assert_int_equal(lw_state_report_prev(st, "hourly", 10000000, &r), 0);
	assert_int_equal(lw_state_report_prev(st, "weekly", INT64_MAX, &r),
	    0);
	lw_state_close(st);
}

/* Old rows go by age and by count, every Nth insert into a table. */
static void
status_cb(const char *sink, enum lw_outbox_status st, unsigned attempts,
    void *arg)
{
	char	*out = arg;
	size_t	 n = strlen(out);

	snprintf(out + n, 256 - n, "%s %s %u, ", sink,
	    lw_outbox_status_name(st), attempts);
}

static void
statuses(struct lw_state *st, const char *id, const char *want)
{
	char	got[256] = "";

	assert_int_equal(lw_state_outbox_status(st, id, status_cb, got), 0);
	assert_string_equal(got, want);
}

/* Rows of the outbox, finished or not, read with sqlite3 itself. */
static int
outbox_rows(struct lw_state *st)
{
	sqlite3		*db;
	sqlite3_stmt	*q;
	int		 n = -1;

	assert_int_equal(sqlite3_open_v2(lw_state_path(st), &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox",
	    -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void
test_retention(void **state)
{
	struct fix	*f = *state;
	struct lw_state	*st;
	struct hl	 l;
	int64_t		 now = lw_wall_ms();
	int		 i;

	/* The defaults: a 91-day-old row goes with the first insert. */
	st = open_ok(f->sub);
	put_alert(st, now - 91 * 86400000LL, "errors", "ancient", 0, NULL, 0);
	put_call(st, now - 91 * 86400000LL, "normal", NULL, 1);
	put_report(st, now - 91 * 86400000LL, "daily", 1);
	assert_int_equal(hist(st, 0, 0, NULL, 0, &l), 0);
	put_alert(st, now - 89 * 86400000LL, "errors", "old", 0, NULL, 0);
	assert_int_equal(hist(st, 0, 0, NULL, 0, &l), 1);
	lw_state_close(st);

	/* At most 3 rows per table, pruned on every insert. */
	st = open_ok(f->sub);
	lw_state_set_retention(st, 86400000, 3, 0);
	for (i = 0; i < 5; i++) {
		put_alert(st, now - 1000 + i, "errors", "a", 0, NULL, 0);
		put_call(st, now - 1000 + i, "normal", NULL, i);
		put_report(st, now - 1000 + i, "hourly", (uint64_t)i);
	}
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, NULL, 0, &l), 3);
	assert_int_equal(l.time[0], now - 998);
	assert_int_equal(hist(st, 0, LW_HIST_VERDICT, NULL, 0, &l), 3);
	assert_int_equal(l.num[0], 2);
	assert_int_equal(hist(st, 0, LW_HIST_REPORT, NULL, 0, &l), 3);
	assert_int_equal(l.num[0], 2);
	/* 1 day now: the 89-day-old alert went too. */
	assert_int_equal(hist(st, 0, LW_HIST_ALERT, "errors", 0, &l), 3);

	/* Every 4th insert: the table grows to 3 + 3, then back to 3. */
	lw_state_set_retention(st, 86400000, 3, 4);
	put_call(st, now, "normal", NULL, 10);		/* prunes */
	assert_int_equal(hist(st, 0, LW_HIST_VERDICT, NULL, 0, &l), 3);
	for (i = 0; i < 3; i++)
		put_call(st, now + 1 + i, "normal", NULL, 11 + i);
	assert_int_equal(hist(st, 0, LW_HIST_VERDICT, NULL, 0, &l), 6);
	put_call(st, now + 4, "normal", NULL, 14);	/* prunes */
	assert_int_equal(hist(st, 0, LW_HIST_VERDICT, NULL, 0, &l), 3);
	assert_int_equal(l.num[0], 12);
	assert_int_equal(l.num[2], 14);
	assert_int_equal(lw_state_errors(st), 0);
	lw_state_close(st);

	/* The outbox: finished rows are pruned, pending ones never. */
	st = open_ok(f->sub);
	lw_state_set_retention(st, 86400000, 2, 0);
	for (i = 0; i < 6; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "ob%d", i);
		assert_int_equal(lw_state_outbox_add(st, id, "telegram", "{}",
		    i < 2 ? now - 2 * 86400000LL : now), 0);
		if (i % 2 == 1)
			assert_int_equal(lw_state_outbox_done(st, id,
			    "telegram", LW_OB_DELIVERED, 1), 0);
	}
	/* ob0 pending however old; ob1 done and two days old: gone. */
	assert_int_equal(lw_state_outbox_pending(st, "telegram"), 3);
	assert_int_equal(outbox_rows(st), 5);
	assert_int_equal(lw_state_outbox_add(st, "ob6", "telegram", "{}",
	    now), 0);
	/* Done ob3, ob5 (the newest 2) stay with the 4 pending. */
	assert_int_equal(outbox_rows(st), 6);
	/* How each sink finished, per alert and sink. */
	assert_int_equal(lw_state_outbox_add(st, "ob5", "email", "{}", now), 0);
	assert_int_equal(lw_state_outbox_done(st, "ob5", "email", LW_OB_FAILED,
	    3), 0);
	statuses(st, "ob5", "email failed 3, telegram delivered 1, ");
	statuses(st, "ob4", "telegram pending 0, ");
	statuses(st, "nosuch", "");
	assert_string_equal(lw_outbox_status_name(LW_OB_EXPIRED), "expired");
	assert_string_equal(lw_outbox_status_name(LW_OB_HELD), "held");
	/* A third done row: the oldest done one (ob3) goes. */
	assert_int_equal(lw_state_outbox_done(st, "ob6", "telegram",
	    LW_OB_HELD, 0), 0);
	assert_int_equal(lw_state_outbox_add(st, "ob7", "telegram", "{}",
	    now), 0);
	assert_int_equal(outbox_rows(st), 6);
	assert_int_equal(lw_state_outbox_pending(st, "telegram"), 4);
	assert_int_equal(lw_state_errors(st), 0);
	lw_state_close(st);
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
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_prev, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
