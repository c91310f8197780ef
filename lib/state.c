/*
 * state: SQLite persistence.  WAL journal and synchronous=NORMAL: a commit
 * costs no fsync, and a power cut can lose only the last transactions,
 * which are replayed from the log file anyway because the offset goes in
 * the same transaction as what was derived from the lines before it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "log.h"
#include "state.h"
#include "xmalloc.h"

enum {
	Q_GET_OFF, Q_SET_OFF, Q_TMPL_KNOWN, Q_TMPL_PUT, Q_TMPL_ALL,
	Q_CD_GET, Q_CD_PUT, Q_OB_ADD, Q_OB_DONE, Q_OB_RETRY, Q_OB_LOAD,
	Q_OB_COUNT, Q_META_GET, Q_META_PUT, Q_TMPL_FIRST, Q_LLM_PUT,
	Q_LLM_USAGE, Q_LLM_VERDICT, Q_LLM_LIST, Q_COUNT
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
	[Q_OB_DONE] = "UPDATE outbox SET done = 1, json = '' "
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
    "INSERT OR IGNORE INTO meta VALUES ('schema', '1');";

struct lw_state {
	sqlite3		*db;
	sqlite3_stmt	*q[Q_COUNT];
	char		*path;
	int		 in_txn;
	uint64_t	 errors;
	int		 warned;	/* a write failure was logged */
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
	return state_step_done(st, s, "recording an LLM call");
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
lw_state_outbox_add(struct lw_state *st, const char *id, const char *sink,
    const char *json, int64_t created_ms)
{
	sqlite3_stmt	*s = st->q[Q_OB_ADD];

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, created_ms);
	return state_step_done(st, s, "queueing an alert");
}

int
lw_state_outbox_done(struct lw_state *st, const char *id, const char *sink)
{
	sqlite3_stmt	*s = st->q[Q_OB_DONE];

	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sink, -1, SQLITE_STATIC);
	return state_step_done(st, s, "marking an alert delivered");
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
