/*
 * state: SQLite persistence.  WAL journal and synchronous=NORMAL: a commit
 * costs no fsync, and a power cut can lose only the last transactions,
 * which are replayed from the log file anyway because the offset goes in
 * the same transaction as what was derived from the lines before it.
 *
 * The history tables (alerts, reports, llm_calls) only ever grow by
 * inserts, so they are pruned from the insert path (state.h, retention)
 * rather than from a timer the batch commands would not have.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "alert.h"
#include "log.h"
#include "lwtime.h"
#include "state.h"
#include "xmalloc.h"

enum {
	Q_GET_OFF, Q_SET_OFF, Q_TMPL_KNOWN, Q_TMPL_PUT, Q_TMPL_ALL,
	Q_CD_GET, Q_CD_PUT, Q_OB_ADD, Q_OB_DONE, Q_OB_RETRY, Q_OB_LOAD,
	Q_OB_COUNT, Q_META_GET, Q_META_PUT, Q_TMPL_FIRST, Q_LLM_PUT,
	Q_LLM_USAGE, Q_LLM_VERDICT, Q_LLM_LIST, Q_AL_PUT, Q_RP_PUT, Q_RP_PREV,
	Q_HIST, Q_AL_AGE, Q_AL_ROWS, Q_RP_AGE, Q_RP_ROWS, Q_LLM_AGE,
	Q_LLM_ROWS, Q_OB_AGE, Q_OB_ROWS, Q_OB_STATUS, Q_COUNT
};

/* The tables that only grow and their two pruning statements (the
 * outbox: its finished rows). */
enum { T_ALERTS, T_REPORTS, T_LLM, T_OUTBOX, T_COUNT };

static const struct {
	const char	*name;
	int		 q_age, q_rows;
} hist_tables[T_COUNT] = {
	[T_ALERTS] = { "alerts", Q_AL_AGE, Q_AL_ROWS },
	[T_REPORTS] = { "reports", Q_RP_AGE, Q_RP_ROWS },
	[T_LLM] = { "llm_calls", Q_LLM_AGE, Q_LLM_ROWS },
	[T_OUTBOX] = { "outbox", Q_OB_AGE, Q_OB_ROWS },
};

static const char *queries[Q_COUNT] = {
	[Q_GET_OFF] = "SELECT dev, ino, off, baseline FROM offsets WHERE path = ?1",
	[Q_SET_OFF] = "INSERT INTO offsets(path, dev, ino, off, baseline) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(path) DO UPDATE SET "
	    "dev = ?2, ino = ?3, off = ?4, baseline = ?5",
	[Q_TMPL_KNOWN] = "SELECT 1 FROM templates WHERE id = ?1",
	[Q_TMPL_PUT] = "INSERT INTO templates(id, text, level, first_ms, "
	    "last_ms, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT(id) DO UPDATE SET text = ?2, level = max(level, ?3), "
	    "first_ms = min(first_ms, ?4), last_ms = max(last_ms, ?5), "
	    "count = ?6",
	[Q_TMPL_ALL] = "SELECT id, text, level, first_ms, last_ms, count "
	    "FROM templates ORDER BY last_ms DESC",
	[Q_CD_GET] = "SELECT last_ms FROM cooldowns WHERE key = ?1",
	[Q_CD_PUT] = "INSERT INTO cooldowns(key, last_ms) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET last_ms = ?2",
	[Q_OB_ADD] = "INSERT OR IGNORE INTO outbox(id, sink, json, created_ms, "
	    "attempts, next_ms, done) VALUES (?1, ?2, ?3, ?4, 0, 0, 0)",
	[Q_OB_DONE] = "UPDATE outbox SET done = ?3, attempts = ?4, json = '' "
	    "WHERE id = ?1 AND sink = ?2",
	[Q_OB_RETRY] = "UPDATE outbox SET attempts = ?3, next_ms = ?4 "
	    "WHERE id = ?1 AND sink = ?2",
	[Q_OB_LOAD] = "SELECT id, sink, json, created_ms, next_ms, attempts "
	    "FROM outbox WHERE sink = ?1 AND done = 0 ORDER BY created_ms, "
	    "rowid LIMIT ?2",
	[Q_OB_COUNT] = "SELECT count(*) FROM outbox WHERE sink = ?1 AND done = 0",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_TMPL_FIRST] = "SELECT first_ms FROM templates WHERE id = ?1",
	[Q_LLM_PUT] = "INSERT INTO llm_calls(time_ms, model, prompt_tokens, "
	    "completion_tokens, latency_ms, verdict, severity, issue, trigger, "
	    "tmpls) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[Q_LLM_USAGE] = "SELECT count(*), coalesce(sum(max(prompt_tokens, 0)), "
	    "0), coalesce(sum(max(completion_tokens, 0)), 0) FROM llm_calls "
	    "WHERE time_ms >= ?1",
	[Q_LLM_VERDICT] = "SELECT issue FROM llm_calls WHERE verdict = 'alert' "
	    "AND instr(tmpls, ?1) > 0 ORDER BY time_ms DESC LIMIT 1",
	[Q_LLM_LIST] = "SELECT time_ms, model, prompt_tokens, "
	    "completion_tokens, latency_ms, verdict, severity, issue, trigger, "
	    "tmpls FROM llm_calls ORDER BY time_ms DESC, rowid DESC LIMIT ?1",
	[Q_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = ?2",
	[Q_AL_PUT] = "INSERT OR IGNORE INTO alerts(id, time_ms, severity, "
	    "source, rule, title, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_RP_PUT] = "INSERT INTO reports(time_ms, kind, start_ms, end_ms, "
	    "lines, errors, warnings, title, text) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_RP_PREV] = "SELECT time_ms, start_ms, end_ms, lines, errors, "
	    "warnings FROM reports WHERE kind = ?1 AND time_ms < ?2 "
	    "ORDER BY time_ms DESC, rowid DESC LIMIT 1",
	/*
	 * The three tables in one stream, so that history needs no memory
	 * for the merge: the newest ?4 rows (-1: all) since ?1, put back in
	 * time order; in the same millisecond a verdict goes before the
	 * alert it raised.  Columns: kind, time, rowid, then nine per kind
	 * (see hist_row).  ?2 holds the LW_HIST_* bits, ?3 the rule filter.
	 */
	[Q_HIST] = "SELECT * FROM (SELECT * FROM ("
	    "SELECT 1 AS k, time_ms AS t, rowid AS r, id, severity, source, "
	    "rule, title, json, NULL, NULL, NULL FROM alerts "
	    "WHERE (?2 & 1) != 0 AND time_ms >= ?1 AND (?3 IS NULL OR "
	    "rule = ?3 OR substr(rule, 1, length(?3) + 1) = ?3 || ':') "
	    "UNION ALL "
	    "SELECT 2, time_ms, rowid, model, prompt_tokens, "
	    "completion_tokens, latency_ms, verdict, severity, issue, trigger, "
	    "tmpls FROM llm_calls WHERE (?2 & 2) != 0 AND time_ms >= ?1 "
	    "UNION ALL "
	    "SELECT 4, time_ms, rowid, kind, start_ms, end_ms, lines, errors, "
	    "warnings, title, text, NULL FROM reports "
	    "WHERE (?2 & 4) != 0 AND time_ms >= ?1) "
	    "ORDER BY t DESC, k != 2 DESC, k DESC, r DESC LIMIT ?4) "
	    "ORDER BY t, k != 2, k, r",
	[Q_AL_AGE] = "DELETE FROM alerts WHERE time_ms < ?1",
	[Q_AL_ROWS] = "DELETE FROM alerts WHERE rowid <= (SELECT rowid FROM "
	    "alerts ORDER BY rowid DESC LIMIT 1 OFFSET ?1)",
	[Q_RP_AGE] = "DELETE FROM reports WHERE time_ms < ?1",
	[Q_RP_ROWS] = "DELETE FROM reports WHERE rowid <= (SELECT rowid FROM "
	    "reports ORDER BY rowid DESC LIMIT 1 OFFSET ?1)",
	[Q_LLM_AGE] = "DELETE FROM llm_calls WHERE time_ms < ?1",
	[Q_LLM_ROWS] = "DELETE FROM llm_calls WHERE rowid <= (SELECT rowid "
	    "FROM llm_calls ORDER BY rowid DESC LIMIT 1 OFFSET ?1)",
	/* Pending rows are never pruned: delivery gives up on its own. */
	[Q_OB_AGE] = "DELETE FROM outbox WHERE done != 0 AND created_ms < ?1",
	[Q_OB_ROWS] = "DELETE FROM outbox WHERE done != 0 AND rowid <= "
	    "(SELECT rowid FROM outbox WHERE done != 0 ORDER BY rowid DESC "
	    "LIMIT 1 OFFSET ?1)",
	[Q_OB_STATUS] = "SELECT sink, done, attempts FROM outbox WHERE id = ?1 "
	    "ORDER BY sink",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS offsets(path TEXT PRIMARY KEY, dev INTEGER,"
    " ino INTEGER, off INTEGER, baseline INTEGER);"
    "CREATE TABLE IF NOT EXISTS templates(id INTEGER PRIMARY KEY, text TEXT,"
    " level INTEGER, first_ms INTEGER, last_ms INTEGER, count INTEGER);"
    "CREATE TABLE IF NOT EXISTS cooldowns(key TEXT PRIMARY KEY,"
    " last_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS outbox(id TEXT, sink TEXT, json TEXT,"
    " created_ms INTEGER, attempts INTEGER, next_ms INTEGER, done INTEGER,"
    " PRIMARY KEY(id, sink));"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(sink, done);"
    "CREATE TABLE IF NOT EXISTS llm_calls(time_ms INTEGER, model TEXT,"
    " prompt_tokens INTEGER, completion_tokens INTEGER, latency_ms INTEGER,"
    " verdict TEXT, severity TEXT, issue TEXT, trigger TEXT, tmpls TEXT);"
    "CREATE INDEX IF NOT EXISTS llm_calls_time ON llm_calls(time_ms);"
    "CREATE TABLE IF NOT EXISTS alerts(id TEXT PRIMARY KEY, time_ms INTEGER,"
    " severity TEXT, source TEXT, rule TEXT, title TEXT, json TEXT);"
    "CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time_ms);"
    "CREATE TABLE IF NOT EXISTS reports(time_ms INTEGER, kind TEXT,"
    " start_ms INTEGER, end_ms INTEGER, lines INTEGER, errors INTEGER,"
    " warnings INTEGER, title TEXT, text TEXT);"
    "CREATE INDEX IF NOT EXISTS reports_time ON reports(time_ms);"
    "INSERT OR IGNORE INTO meta VALUES ('schema', '1');";

struct lw_state {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_COUNT];
	char		*path;
	int		 in_txn;
	uint64_t	 errors;
	int		 warned;	/* a write failure was logged */
	int64_t		 keep_ms, keep_rows;
	unsigned	 prune_every;
	unsigned	 until_prune[T_COUNT];	/* inserts before the next */
};

/* Log the first failure of a run, and the recovery, not every one. */
static int
state_fail(struct lw_state *st, const char *what)
{
	st->errors++;
	if (!st->warned)
		log_warnx("state %s: %s failed: %s (alerting goes on; state "
		    "is kept in memory until the database works again)",
		    st->path, what, sqlite3_errmsg(st->db));
	st->warned = 1;
	return -1;
}

static void
state_ok(struct lw_state *st)
{
	if (st->warned)
		log_info("state %s: writes work again", st->path);
	st->warned = 0;
}

struct lw_state *
lw_state_open(const char *dir, char *err, size_t errsz)
{
	struct lw_state	*st;
	char		*emsg = NULL;
	int		 i;

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->keep_ms = LW_STATE_KEEP_MS;
	st->keep_rows = LW_STATE_KEEP_ROWS;
	st->prune_every = LW_STATE_PRUNE_EVERY;
	xasprintf(&st->path, "%s/logwarden.db", dir);
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", st->path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 2000);
	/* WAL may be refused on a read-only directory: not fatal. */
	sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (sqlite3_exec(st->db, schema, NULL, NULL, &emsg) != SQLITE_OK) {
		snprintf(err, errsz, "%s: %s", st->path,
		    emsg ? emsg : "cannot create schema");
		sqlite3_free(emsg);
		goto fail;
	}
	for (i = 0; i < Q_COUNT; i++) {
		if (sqlite3_prepare_v2(st->db, queries[i], -1, &st->q[i],
		    NULL) != SQLITE_OK) {
			snprintf(err, errsz, "%s: %s", st->path,
			    sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	return st;
fail:
	lw_state_close(st);
	return NULL;
}

void
lw_state_close(struct lw_state *st)
{
	int	i;

	if (st == NULL)
		return;
	if (st->in_txn)
		lw_state_commit(st);
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *
lw_state_path(const struct lw_state *st)
{
	return st->path;
}

uint64_t
lw_state_errors(const struct lw_state *st)
{
	return st->errors;
}

void
lw_state_set_retention(struct lw_state *st, int64_t keep_ms,
    int64_t keep_rows, unsigned every)
{
	int	t;

	st->keep_ms = keep_ms;
	st->keep_rows = keep_rows;
	st->prune_every = every > 0 ? every : 1;
	for (t = 0; t < T_COUNT; t++)
		st->until_prune[t] = 0;
}

int
lw_state_begin(struct lw_state *st)
{
	if (st->in_txn)
		return 0;
	if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return state_fail(st, "begin");
	st->in_txn = 1;
	return 0;
}

int
lw_state_commit(struct lw_state *st)
{
	if (!st->in_txn)
		return 0;
	st->in_txn = 0;
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		state_fail(st, "commit");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	state_ok(st);
	return 0;
}

/* Run a statement that returns no rows. */
static int
state_step_done(struct lw_state *st, sqlite3_stmt *s, const char *what)
{
	int	rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return state_fail(st, what);
	return 0;
}

/*
 * Run a one-row, one-column query whose first parameter is already bound:
 * 1 and the value, 0 for no row, -1 on error.
 */
static int
state_get_i64(struct lw_state *st, sqlite3_stmt *s, int64_t *out,
    const char *what)
{
	int	rc, ret = 0;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(s, 0);
		ret = 1;
	} else if (rc != SQLITE_DONE)
		ret = state_fail(st, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int
lw_state_get_offset(struct lw_state *st, const char *path,
    struct lw_offset *o)
{
	sqlite3_stmt	*s = st->q[Q_GET_OFF];
	int		 rc, ret = 0;

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		o->dev = (uint64_t)sqlite3_column_int64(s, 0);
		o->ino = (uint64_t)sqlite3_column_int64(s, 1);
		o->offset = (uint64_t)sqlite3_column_int64(s, 2);
		o->baseline_done = sqlite3_column_int(s, 3);
		ret = 1;
	} else if (rc != SQLITE_DONE)
		ret = state_fail(st, "reading the offset");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int
lw_state_set_offset(struct lw_state *st, const char *path,
    const struct lw_offset *o)
{
	sqlite3_stmt	*s = st->q[Q_SET_OFF];

	sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)o->dev);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)o->ino);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)o->offset);
	sqlite3_bind_int(s, 5, o->baseline_done);
	return state_step_done(st, s, "saving the offset");
}

int
lw_state_template_known(struct lw_state *st, uint64_t id)
{
	int64_t	one;

	sqlite3_bind_int64(st->q[Q_TMPL_KNOWN], 1, (sqlite3_int64)id);
	return state_get_i64(st, st->q[Q_TMPL_KNOWN], &one,
	    "looking up a template");
}

int
lw_state_template_put(struct lw_state *st, uint64_t id, const char *text,
    int level, int64_t first_ms, int64_t last_ms, uint64_t count)
{
	sqlite3_stmt	*s = st->q[Q_TMPL_PUT];

	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, level);
	sqlite3_bind_int64(s, 4, first_ms);
	sqlite3_bind_int64(s, 5, last_ms);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)count);
	return state_step_done(st, s, "saving a template");
}

int
lw_state_template_first(struct lw_state *st, uint64_t id, int64_t *first)
{
	sqlite3_bind_int64(st->q[Q_TMPL_FIRST], 1, (sqlite3_int64)id);
	return state_get_i64(st, st->q[Q_TMPL_FIRST], first,
	    "looking up a template");
}

int
lw_state_templates(struct lw_state *st,
    void (*fn)(uint64_t, const char *, int, int64_t, int64_t, uint64_t,
    void *), void *arg)
{
	sqlite3_stmt	*s = st->q[Q_TMPL_ALL];
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 1);

		fn((uint64_t)sqlite3_column_int64(s, 0),
		    t ? (const char *)t : "", sqlite3_column_int(s, 2),
		    sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
		    (uint64_t)sqlite3_column_int64(s, 5), arg);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return state_fail(st, "listing templates");
	return 0;
}

int
lw_state_cooldown_get(struct lw_state *st, const char *key, int64_t *last)
{
	sqlite3_bind_text(st->q[Q_CD_GET], 1, key, -1, SQLITE_STATIC);
	return state_get_i64(st, st->q[Q_CD_GET], last, "reading a cooldown");
}

int
lw_state_cooldown_put(struct lw_state *st, const char *key, int64_t last)
{
	sqlite3_stmt	*s = st->q[Q_CD_PUT];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, last);
	return state_step_done(st, s, "saving a cooldown");
}

int
lw_state_meta_get(struct lw_state *st, const char *key, int64_t *val)
{
	sqlite3_bind_text(st->q[Q_META_GET], 1, key, -1, SQLITE_STATIC);
	return state_get_i64(st, st->q[Q_META_GET], val, "reading a counter");
}

int
lw_state_meta_put(struct lw_state *st, const char *key, int64_t val)
{
	sqlite3_stmt	*s = st->q[Q_META_PUT];

	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, val);
	return state_step_done(st, s, "saving a counter");
}

/*
 * Keep a history table within its retention, now and then (state.h).  A
 * failure is logged and counted but does not fail the insert that came
 * before it: the row is kept, the table only grows a little longer.
 */
static void
state_prune(struct lw_state *st, int t)
{
	sqlite3_stmt	*s;

	if (st->until_prune[t] > 0) {
		st->until_prune[t]--;
		return;
	}
	st->until_prune[t] = st->prune_every - 1;
	s = st->q[hist_tables[t].q_age];
	sqlite3_bind_int64(s, 1, lw_wall_ms() - st->keep_ms);
	if (state_step_done(st, s, "pruning old history") == -1)
		return;
	s = st->q[hist_tables[t].q_rows];
	sqlite3_bind_int64(s, 1, st->keep_rows);
	if (state_step_done(st, s, "pruning old history") == 0 &&
	    sqlite3_changes(st->db) > 0)
		log_debug("state: %s pruned to its newest %lld rows",
		    hist_tables[t].name, (long long)st->keep_rows);
}

static void
bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
	if (v != NULL)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int
lw_state_llm_put(struct lw_state *st, const struct lw_llm_call *c)
{
	sqlite3_stmt	*s = st->q[Q_LLM_PUT];

	sqlite3_bind_int64(s, 1, c->time_ms);
	bind_text_or_null(s, 2, c->model);
	sqlite3_bind_int64(s, 3, c->prompt_tokens);
	sqlite3_bind_int64(s, 4, c->completion_tokens);
	sqlite3_bind_int64(s, 5, c->latency_ms);
	bind_text_or_null(s, 6, c->verdict);
	bind_text_or_null(s, 7, c->severity);
	bind_text_or_null(s, 8, c->issue);
	bind_text_or_null(s, 9, c->trigger);
	bind_text_or_null(s, 10, c->tmpls);
	if (state_step_done(st, s, "recording an LLM call") == -1)
		return -1;
	state_prune(st, T_LLM);
	return 0;
}

int
lw_state_llm_usage(struct lw_state *st, int64_t since, long *calls,
    long *ptok, long *ctok)
{
	sqlite3_stmt	*s = st->q[Q_LLM_USAGE];
	int		 ret = 0;

	*calls = *ptok = *ctok = 0;
	sqlite3_bind_int64(s, 1, since);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*calls = (long)sqlite3_column_int64(s, 0);
		*ptok = (long)sqlite3_column_int64(s, 1);
		*ctok = (long)sqlite3_column_int64(s, 2);
	} else
		ret = state_fail(st, "reading LLM usage");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int
lw_state_llm_verdict_for(struct lw_state *st, const char *idstr, char *out,
    size_t outsz)
{
	sqlite3_stmt	*s = st->q[Q_LLM_VERDICT];
	int		 rc, ret = 0;

	sqlite3_bind_text(s, 1, idstr, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		snprintf(out, outsz, "%s", t ? (const char *)t : "");
		ret = 1;
	} else if (rc != SQLITE_DONE)
		ret = state_fail(st, "reading LLM verdicts");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : NULL;
}

int
lw_state_llm_list(struct lw_state *st, size_t limit,
    void (*fn)(const struct lw_llm_call *, void *), void *arg)
{
	sqlite3_stmt		*s = st->q[Q_LLM_LIST];
	struct lw_llm_call	 c;
	int			 rc;

	sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		c.time_ms = sqlite3_column_int64(s, 0);
		c.model = col_text(s, 1);
		c.prompt_tokens = (long)sqlite3_column_int64(s, 2);
		c.completion_tokens = (long)sqlite3_column_int64(s, 3);
		c.latency_ms = (long)sqlite3_column_int64(s, 4);
		c.verdict = col_text(s, 5);
		c.severity = col_text(s, 6);
		c.issue = col_text(s, 7);
		c.trigger = col_text(s, 8);
		c.tmpls = col_text(s, 9);
		fn(&c, arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return state_fail(st, "listing LLM calls");
	return 0;
}

int
lw_state_alert_put(struct lw_state *st, const struct lw_alert *a,
    const char *json)
{
	sqlite3_stmt	*s;

	/* Reports ride the alert path to the sinks but have a table. */
	if (st == NULL || (a->rule != NULL &&
	    strncmp(a->rule, "report", 6) == 0))
		return 0;
	s = st->q[Q_AL_PUT];
	sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, a->time_ms);
	sqlite3_bind_text(s, 3, lw_sev_name(a->severity), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->source_llm ? "llm" : "rule", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->rule ? a->rule : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, a->title ? a->title : "", -1, SQLITE_STATIC);
	bind_text_or_null(s, 7, json);
	if (state_step_done(st, s, "recording an alert") == -1)
		return -1;
	state_prune(st, T_ALERTS);
	return 0;
}

int
lw_state_report_put(struct lw_state *st, const struct lw_report_row *r)
{
	sqlite3_stmt	*s = st->q[Q_RP_PUT];

	sqlite3_bind_int64(s, 1, r->time_ms);
	bind_text_or_null(s, 2, r->kind);
	sqlite3_bind_int64(s, 3, r->start_ms);
	sqlite3_bind_int64(s, 4, r->end_ms);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)r->lines);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)r->errors);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)r->warnings);
	bind_text_or_null(s, 8, r->title);
	bind_text_or_null(s, 9, r->text);
	if (state_step_done(st, s, "recording a report") == -1)
		return -1;
	state_prune(st, T_REPORTS);
	return 0;
}

int
lw_state_report_prev(struct lw_state *st, const char *kind,
    int64_t before_ms, struct lw_report_row *out)
{
	sqlite3_stmt	*s = st->q[Q_RP_PREV];
	int		 rc, ret = 0;

	memset(out, 0, sizeof(*out));
	sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, before_ms);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->time_ms = sqlite3_column_int64(s, 0);
		out->start_ms = sqlite3_column_int64(s, 1);
		out->end_ms = sqlite3_column_int64(s, 2);
		out->lines = (uint64_t)sqlite3_column_int64(s, 3);
		out->errors = (uint64_t)sqlite3_column_int64(s, 4);
		out->warnings = (uint64_t)sqlite3_column_int64(s, 5);
		ret = 1;
	} else if (rc != SQLITE_DONE)
		ret = state_fail(st, "reading the previous report");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

/* One row of Q_HIST into e (whose alert/call/report point at ours). */
static void
hist_row(sqlite3_stmt *s, struct lw_hist_entry *e, struct lw_hist_alert *a,
    struct lw_llm_call *c, struct lw_report_row *r)
{
	memset(e, 0, sizeof(*e));
	e->kind = (enum lw_hist_kind)sqlite3_column_int(s, 0);
	e->time_ms = sqlite3_column_int64(s, 1);
	switch (e->kind) {
	case LW_HIST_ALERT:
		a->id = col_text(s, 3);
		a->severity = col_text(s, 4);
		a->source = col_text(s, 5);
		a->rule = col_text(s, 6);
		a->title = col_text(s, 7);
		a->json = col_text(s, 8);
		e->alert = a;
		break;
	case LW_HIST_VERDICT:
		c->time_ms = e->time_ms;
		c->model = col_text(s, 3);
		c->prompt_tokens = (long)sqlite3_column_int64(s, 4);
		c->completion_tokens = (long)sqlite3_column_int64(s, 5);
		c->latency_ms = (long)sqlite3_column_int64(s, 6);
		c->verdict = col_text(s, 7);
		c->severity = col_text(s, 8);
		c->issue = col_text(s, 9);
		c->trigger = col_text(s, 10);
		c->tmpls = col_text(s, 11);
		e->call = c;
		break;
	case LW_HIST_REPORT:
		r->time_ms = e->time_ms;
		r->kind = col_text(s, 3);
		r->start_ms = sqlite3_column_int64(s, 4);
		r->end_ms = sqlite3_column_int64(s, 5);
		r->lines = (uint64_t)sqlite3_column_int64(s, 6);
		r->errors = (uint64_t)sqlite3_column_int64(s, 7);
		r->warnings = (uint64_t)sqlite3_column_int64(s, 8);
		r->title = col_text(s, 9);
		r->text = col_text(s, 10);
		e->report = r;
		break;
	}
}

int
lw_state_history(struct lw_state *st, const struct lw_hist_query *q,
    void (*fn)(const struct lw_hist_entry *, void *), void *arg)
{
	sqlite3_stmt		*s = st->q[Q_HIST];
	struct lw_hist_entry	 e;
	struct lw_hist_alert	 a;
	struct lw_llm_call	 c;
	struct lw_report_row	 r;
	int			 rc;

	sqlite3_bind_int64(s, 1, q->since_ms);
	sqlite3_bind_int(s, 2, q->kinds ? q->kinds :
	    LW_HIST_ALERT | LW_HIST_VERDICT | LW_HIST_REPORT);
	bind_text_or_null(s, 3, q->rule);
	/* LIMIT -1 is SQLite's "no limit". */
	sqlite3_bind_int64(s, 4, q->limit > 0 && q->limit < (size_t)INT64_MAX ?
	    (sqlite3_int64)q->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		hist_row(s, &e, &a, &c, &r);
		fn(&e, arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return state_fail(st, "reading the history");
	return 0;
}

int
lw_state_outbox_add(struct lw_state *st, const char *id, const char *sink,
    const char *json, int64_t created_ms)
{
	sqlite3_stmt	*s = st->q[Q_OB_ADD];

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, created_ms);
	if (state_step_done(st, s, "queueing an alert") == -1)
		return -1;
	state_prune(st, T_OUTBOX);
	return 0;
}

int
lw_state_outbox_done(struct lw_state *st, const char *id, const char *sink,
    enum lw_outbox_status status, unsigned attempts)
{
	sqlite3_stmt	*s = st->q[Q_OB_DONE];

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)status);
	sqlite3_bind_int64(s, 4, attempts);
	return state_step_done(st, s, "marking an alert delivered");
}

const char *
lw_outbox_status_name(enum lw_outbox_status status)
{
	switch (status) {
	case LW_OB_PENDING:
		return "pending";
	case LW_OB_DELIVERED:
		return "delivered";
	case LW_OB_HELD:
		return "held";
	case LW_OB_FAILED:
		return "failed";
	case LW_OB_EXPIRED:
		return "expired";
	}
	return "unknown";
}

int
lw_state_outbox_status(struct lw_state *st, const char *id,
    void (*fn)(const char *sink, enum lw_outbox_status, unsigned attempts,
    void *), void *arg)
{
	sqlite3_stmt	*s = st->q[Q_OB_STATUS];
	int		 rc, v;

	sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *sink = sqlite3_column_text(s, 0);

		v = sqlite3_column_int(s, 1);
		if (v < LW_OB_PENDING || v > LW_OB_EXPIRED)
			v = LW_OB_DELIVERED;	/* unknown: finished */
		fn(sink ? (const char *)sink : "?", (enum lw_outbox_status)v,
		    (unsigned)sqlite3_column_int(s, 2), arg);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return state_fail(st, "reading delivery states");
	return 0;
}

int
lw_state_outbox_retry(struct lw_state *st, const char *id, const char *sink,
    unsigned attempts, int64_t next_ms)
{
	sqlite3_stmt	*s = st->q[Q_OB_RETRY];

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)attempts);
	sqlite3_bind_int64(s, 4, next_ms);
	return state_step_done(st, s, "rescheduling an alert");
}

int
lw_state_outbox_load(struct lw_state *st, const char *sink, size_t max,
    struct lw_outbox_item **out, size_t *n)
{
	sqlite3_stmt		*s = st->q[Q_OB_LOAD];
	struct lw_outbox_item	*v = NULL;
	size_t			 cnt = 0, cap = 0;
	int			 rc;

	*out = NULL;
	*n = 0;
	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *id = sqlite3_column_text(s, 0);
		const unsigned char *sk = sqlite3_column_text(s, 1);
		const unsigned char *js = sqlite3_column_text(s, 2);

		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[cnt].id = xstrdup(id ? (const char *)id : "");
		v[cnt].sink = xstrdup(sk ? (const char *)sk : "");
		v[cnt].json = xstrdup(js ? (const char *)js : "");
		v[cnt].created_ms = sqlite3_column_int64(s, 3);
		v[cnt].next_ms = sqlite3_column_int64(s, 4);
		v[cnt].attempts = (unsigned)sqlite3_column_int(s, 5);
		cnt++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*out = v;
	*n = cnt;
	if (rc != SQLITE_DONE)
		return state_fail(st, "loading the outbox");
	return 0;
}

int64_t
lw_state_outbox_pending(struct lw_state *st, const char *sink)
{
	sqlite3_stmt	*s = st->q[Q_OB_COUNT];
	int64_t		 n = -1;

	sqlite3_bind_text(s, 1, sink, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return n;
}

void
lw_outbox_items_free(struct lw_outbox_item *v, size_t n)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].sink);
		free(v[i].json);
	}
	free(v);
}
