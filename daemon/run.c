/*
 * run: the daemon proper.  One libev loop owns everything: the tail's
 * inotify watcher, the HTTP transfers, the signal watchers and a 1 s cron
 * tick (silence rule, status bookkeeping).  Signal handlers do nothing but
 * wake the loop (ev_signal); all work happens in loop callbacks.
 *
 * Each batch of lines read is one state transaction: what the lines
 * produced (templates, cooldowns, queued alerts) and the offset after
 * them are committed together, then the network sinks may send.  A crash
 * anywhere therefore either replays the lines or finds their alerts in
 * the outbox.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "outq.h"
#include "sdnotify.h"
#include "tail.h"
#include "xmalloc.h"

#define BATCH_COMMIT_BYTES	(16u << 20)	/* commit at least this often */
#define ONCE_DRAIN_SECS		60		/* --once waits for sinks */
#define REPLAY_BYTES		(4u << 20)	/* context after a restart */

static void	daemon_replay(struct lw_daemon *, const struct lw_offset *);

static void
daemon_alert(struct lw_alert *a, void *arg)
{
	struct lw_daemon	*d = arg;

	if (d->observe != NULL)
		d->observe(a, d->observe_arg);
	sinks_dispatch(d, a);
	llm_trigger(d, a);
	lw_alert_free(a);
}

static void
daemon_begin(struct lw_daemon *d)
{
	if (d->in_batch || d->st == NULL)
		return;
	if (lw_state_begin(d->st) == 0)
		d->in_batch = 1;
}

/* End the batch: offset (a line boundary) and derived state together. */
static void
daemon_commit(struct lw_daemon *d)
{
	struct lw_offset	o;

	d->batch_bytes = 0;
	if (d->st == NULL) {
		sinks_flush_local(d);
		return;
	}
	daemon_begin(d);
	memset(&o, 0, sizeof(o));
	tail_identity(d->tail, &o.dev, &o.ino);
	o.offset = lw_lines_pending_offset(&d->lines);
	o.baseline_done = !d->learning;
	if (o.ino != 0)
		lw_state_set_offset(d->st, d->cfg->source.path, &o);
	lw_state_commit(d->st);
	d->in_batch = 0;
	sinks_flush_local(d);
}

static void
line_cb(const char *line, size_t len, size_t cut, uint64_t start,
    uint64_t end, void *arg)
{
	struct lw_daemon	*d = arg;

	(void)start;
	(void)end;
	lw_engine_feed(d->eng, line, len, cut, d->arrival_ms);
}

static void
tail_data(const char *buf, size_t n, uint64_t off, void *arg)
{
	struct lw_daemon	*d = arg;

	(void)off;
	daemon_begin(d);
	/* One clock read per chunk: lines of one read() arrived together. */
	d->arrival_ms = lw_wall_ms();
	lw_lines_feed(&d->lines, buf, n, line_cb, d);
	lw_engine_touch(d->eng, lw_mono_ms());
	d->batch_bytes += n;
	if (d->batch_bytes >= BATCH_COMMIT_BYTES) {
		/* A long backlog: keep transactions and replays bounded. */
		lw_engine_flush(d->eng);
		daemon_commit(d);
	}
}

static void
daemon_end_learning(struct lw_daemon *d)
{
	struct lw_engine_stats	s;

	if (!d->learning)
		return;
	d->learning = 0;
	lw_engine_set_learning(d->eng, 0, 0);
	lw_engine_stats(d->eng, &s);
	log_info("first run: learned %" PRIu64 " templates from %" PRIu64
	    " existing lines; alerting on what comes next", s.templates_new,
	    s.lines);
}

static void
tail_event(enum tail_event ev, uint64_t dev, uint64_t ino, uint64_t off,
    void *arg)
{
	struct lw_daemon	*d = arg;

	(void)dev;
	(void)ino;
	switch (ev) {
	case TAIL_OPENED:
		lw_lines_reset(&d->lines, off);
		break;
	case TAIL_ROTATED:
	case TAIL_VANISHED:
		d->arrival_ms = lw_wall_ms();
		/* The old file's last line counts even without '\n'. */
		lw_lines_finish(&d->lines, line_cb, d);
		lw_engine_flush(d->eng);
		daemon_commit(d);
		break;
	case TAIL_TRUNCATED:
		lw_engine_flush(d->eng);
		lw_lines_reset(&d->lines, 0);
		daemon_commit(d);
		break;
	case TAIL_EOF:
		lw_engine_flush(d->eng);
		daemon_commit(d);
		daemon_end_learning(d);
		break;
	}
}

static const struct tail_ops tail_ops = { tail_data, tail_event };

/* Decide where to start and whether this is the first-run pass. */
static void
daemon_open_tail(struct lw_daemon *d)
{
	struct tail_start	 ts;
	struct lw_offset	 o;
	int			 have = 0;

	memset(&ts, 0, sizeof(ts));
	if (d->st != NULL &&
	    (have = lw_state_get_offset(d->st, d->cfg->source.path, &o)) == 1) {
		ts.have_saved = 1;
		ts.dev = o.dev;
		ts.ino = o.ino;
		ts.offset = o.offset;
		daemon_replay(d, &o);
	}
	if (have != 1 && access(d->cfg->source.path, F_OK) == 0) {
		/*
		 * First run: the existing content is read once to learn its
		 * templates.  With start = end (the daemon's default) it
		 * raises nothing; from the beginning (or --once) the
		 * counting rules apply but new_error does not.
		 */
		d->learning = 1;
		if (d->once || d->cfg->source.start_beginning)
			lw_engine_set_learning(d->eng, 0, 1);
		else
			lw_engine_set_learning(d->eng, 1, 1);
	}
	d->tail = tail_new(d->once ? NULL : d->loop, d->cfg->source.path,
	    &ts, &tail_ops, d);
	tail_set_rotate_wait(d->tail, d->cfg->source.rotate_wait);
}

/* Every record for the period reports, except the replayed context
 * (counted before the restart). */
static void
daemon_record(const struct lw_record *r, void *arg)
{
	struct lw_daemon	*d = arg;

	if (d->replaying)
		return;
	summary_record(d, r);
	reports_record(d, r);
}

/*
 * After a restart the window, the ring and the tallies are empty, so a
 * burst that straddles the restart would be judged by its second half
 * only.  Read the bytes just before the saved offset once more, as
 * context: counted and kept, but never alerted on (they were judged
 * before the restart).
 */
static void
daemon_replay(struct lw_daemon *d, const struct lw_offset *o)
{
	struct lw_lines	 lines;
	struct stat	 st;
	uint64_t	 from;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if (o->offset == 0 || stat(d->cfg->source.path, &st) == -1 ||
	    (uint64_t)st.st_ino != o->ino || (uint64_t)st.st_dev != o->dev ||
	    (uint64_t)st.st_size < o->offset)
		return;
	if ((fd = open(d->cfg->source.path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	from = o->offset > REPLAY_BYTES ? o->offset - REPLAY_BYTES : 0;
	buf = xmalloc(o->offset - from);
	n = pread(fd, buf, o->offset - from, (off_t)from);
	close(fd);
	if (n != (ssize_t)(o->offset - from)) {
		free(buf);
		return;
	}
	lw_lines_init(&lines, d->cfg->source.max_line_bytes, from);
	d->arrival_ms = lw_wall_ms();
	lw_engine_set_learning(d->eng, 1, 1);
	d->replaying = 1;
	/* Not from the start of the file: the first line is a fragment. */
	if (from > 0) {
		char *nl = memchr(buf, '\n', (size_t)n);

		if (nl != NULL)
			lw_lines_feed(&lines, nl + 1, (size_t)(buf + n - nl - 1),
			    line_cb, d);
	} else
		lw_lines_feed(&lines, buf, (size_t)n, line_cb, d);
	lw_engine_flush(d->eng);
	d->replaying = 0;
	lw_engine_set_learning(d->eng, 0, 0);
	lw_engine_reset_counts(d->eng);
	lw_lines_free(&lines);
	free(buf);
	log_debug("replayed %llu bytes before the saved offset as context",
	    (unsigned long long)(o->offset - from));
}

static void
daemon_reload(struct lw_daemon *d)
{
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*n, *old = d->cfg;
	size_t			 i;
	int			 newpath;

	log_info("SIGHUP: reloading %s", d->cfgpath);
	sdnotify("RELOADING=1");
	if ((n = lw_config_load(d->cfgpath, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			log_err("%s:%d: %s", errs.v[i].file, errs.v[i].line,
			    errs.v[i].msg);
		log_err("%s has errors, not reloading: the old configuration "
		    "stays in force", d->cfgpath);
		lw_cfgerrs_free(&errs);
		sdnotify("READY=1");
		return;
	}
	newpath = strcmp(n->source.path, old->source.path) != 0;
	if (newpath) {
		lw_lines_finish(&d->lines, line_cb, d);
		lw_engine_flush(d->eng);
		daemon_commit(d);
		tail_free(d->tail);
		d->tail = NULL;
	}
	d->cfg = n;
	lw_engine_reconfig(d->eng, n);
	lw_lines_setmax(&d->lines, n->source.max_line_bytes);
	if (strcmp(n->state.dir, old->state.dir) != 0)
		log_warnx("state.dir changed: takes effect at the next "
		    "restart");
	if (newpath) {
		log_info("now following %s instead of %s", n->source.path,
		    old->source.path);
		daemon_open_tail(d);
		tail_poll(d->tail);
	}
	if (d->tail != NULL)
		tail_set_rotate_wait(d->tail, n->source.rotate_wait);
	sinks_reconfig(d);
	llm_reconfig(d);
	summary_reconfig(d);
	reports_reconfig(d);
	lw_config_free(old);
	log_info("configuration reloaded");
	sdnotify("READY=1");
}

void
daemon_status(struct lw_daemon *d)
{
	struct lw_engine_stats	 s;
	struct buf		 b;
	int64_t			 now = lw_mono_ms();
	double			 secs;
	char			 t[LW_ISO8601_LEN];
	char			*sinks = NULL;
	size_t			 sinkslen = 0;
	FILE			*fp;
	uint64_t		 dev, ino;

	lw_engine_stats(d->eng, &s);
	secs = (now - d->status_mono) / 1000.0;
	tail_identity(d->tail, &dev, &ino);
	log_info("status: %s: %s, offset %" PRIu64 " (inode %" PRIu64 ")",
	    d->cfg->source.path, tail_is_open(d->tail) ? "following" :
	    "waiting for the file", tail_offset(d->tail), ino);
	log_info("status: lines %" PRIu64 " (%.0f/s since the last status),"
	    " records %" PRIu64 ": critical %" PRIu64 ", error %" PRIu64
	    ", warning %" PRIu64 ", info %" PRIu64 ", unknown %" PRIu64
	    ", cut lines %" PRIu64, s.lines, secs > 0 ?
	    (double)(s.lines - d->status_lines) / secs : 0.0, s.records,
	    s.per_level[LW_LVL_CRITICAL], s.per_level[LW_LVL_ERROR],
	    s.per_level[LW_LVL_WARNING], s.per_level[LW_LVL_INFO],
	    s.per_level[LW_LVL_UNKNOWN], s.cut_lines);
	if (s.last_log_ms > 0)
		lw_iso8601(s.last_log_ms, t, sizeof(t));
	else
		snprintf(t, sizeof(t), "none");
	log_info("status: window %us: %" PRIu64 " lines, %" PRIu64
	    " errors, %" PRIu64 " warnings; last log time %s",
	    d->cfg->rules.window, s.window_lines, s.window_errors,
	    s.window_warnings, t);
	log_info("status: alerts raised %" PRIu64 ", held by cooldown %"
	    PRIu64 "; new templates %" PRIu64 "; evictions: templates %"
	    PRIu64 ", counters %" PRIu64 ", metric samples %" PRIu64,
	    s.alerts, s.suppressed, s.templates_new, s.tmpl_evictions,
	    s.tally_evictions, s.metric_dropped);
	buf_init(&b, 64 * 1024);
	lw_engine_describe(d->eng, &b);
	{
		char	*line, *save = NULL;

		for (line = strtok_r(b.data ? b.data : (char *)"", "\n",
		    &save); line != NULL; line = strtok_r(NULL, "\n", &save))
			log_info("status: %s", line);
	}
	buf_free(&b);
	if ((fp = open_memstream(&sinks, &sinkslen)) != NULL) {
		sinks_status(d, fp);
		fclose(fp);
		log_info("status: %s", sinks);
		free(sinks);
	}
	log_info("status: state %s: %s (%" PRIu64 " failed writes)",
	    d->st ? lw_state_path(d->st) : d->cfg->state.dir, d->st ? "open" :
	    "UNAVAILABLE, state kept in memory only",
	    d->st ? lw_state_errors(d->st) : 0);
	if ((fp = open_memstream(&sinks, &sinkslen)) != NULL) {
		llm_status(d, fp);
		fclose(fp);
		log_info("status: %s", sinks);
		free(sinks);
	}
	if (d->reports != NULL &&
	    (fp = open_memstream(&sinks, &sinkslen)) != NULL) {
		reports_status(d, fp);
		fclose(fp);
		log_info("status: %s", sinks);
		free(sinks);
	}
	d->status_lines = s.lines;
	d->status_mono = now;
}

static void
sig_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct lw_daemon	*d = w->data;

	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		daemon_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", w->signum == SIGTERM ? "SIGTERM" :
		    "SIGINT");
		sdnotify("STOPPING=1");
		d->stopping = 1;
		ev_break(loop, EVBREAK_ALL);
		break;
	case SIGUSR1:
		daemon_status(d);
		break;
	case SIGUSR2:
		log_setverbose(!log_getverbose());
		log_info("debug logging %s", log_getverbose() ? "on" : "off");
		break;
	}
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lw_daemon	*d = w->data;

	(void)loop;
	(void)revents;
	daemon_begin(d);
	lw_engine_tick(d->eng, lw_mono_ms());
	daemon_commit(d);
}

static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	sdnotify("WATCHDOG=1");
}

static void
daemon_signal(struct lw_daemon *d, ev_signal *w, int sig)
{
	ev_signal_init(w, sig_cb, sig);
	w->data = d;
	ev_signal_start(d->loop, w);
}

int
daemon_init(struct lw_daemon *d, const char *cfgpath, struct lw_config *cfg,
    int once)
{
	char	err[512];

	memset(d, 0, sizeof(*d));
	d->cfgpath = cfgpath;
	d->cfg = cfg;
	d->once = once;
	d->color = isatty(STDOUT_FILENO);
	if (gethostname(d->host, sizeof(d->host)) == -1)
		snprintf(d->host, sizeof(d->host), "localhost");
	d->host[sizeof(d->host) - 1] = '\0';
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (d->loop == NULL) {
		log_warnx("cannot initialise the event loop");
		return -1;
	}
	d->st = lw_state_open(cfg->state.dir, err, sizeof(err));
	if (d->st == NULL)
		log_warnx("state database unavailable: %s; offsets, templates "
		    "and pending alerts are kept in memory only", err);
	d->eng = lw_engine_new(cfg, d->st, d->host);
	lw_engine_set_alert_cb(d->eng, daemon_alert, d);
	lw_lines_init(&d->lines, cfg->source.max_line_bytes, 0);
	d->http = http_new(d->loop);
	sinks_init(d);
	llm_init(d);
	summary_reconfig(d);
	reports_reconfig(d);
	/* The period reports see every record; run --once has none. */
	if (!once)
		lw_engine_set_record_cb(d->eng, daemon_record, d);
	d->status_mono = lw_mono_ms();
	return 0;
}

/* --once: let the network sinks finish what is due, within a limit. */
static void
daemon_drain(struct lw_daemon *d)
{
	int64_t	deadline = lw_mono_ms() + ONCE_DRAIN_SECS * 1000;

	deadline += (int64_t)d->cfg->llm.timeout * 3 * 1000;
	llm_once(d);
	while ((llm_busy(d) || sinks_busy(d)) && lw_mono_ms() < deadline)
		ev_run(d->loop, EVRUN_ONCE);
	if (sinks_pending(d) > 0)
		log_warnx("%zu alerts not delivered yet; they stay in the "
		    "outbox for the next run", sinks_pending(d));
}

int
daemon_run(struct lw_daemon *d)
{
	uint64_t	wd;

	daemon_open_tail(d);
	if (d->once) {
		tail_poll(d->tail);
		d->arrival_ms = lw_wall_ms();
		lw_lines_finish(&d->lines, line_cb, d);
		lw_engine_flush(d->eng);
		daemon_commit(d);
		daemon_end_learning(d);
		daemon_drain(d);
		return 0;
	}
	daemon_signal(d, &d->sighup, SIGHUP);
	daemon_signal(d, &d->sigterm, SIGTERM);
	daemon_signal(d, &d->sigint, SIGINT);
	daemon_signal(d, &d->sigusr1, SIGUSR1);
	daemon_signal(d, &d->sigusr2, SIGUSR2);
	ev_timer_init(&d->tick, tick_cb, 1.0, 1.0);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	if ((wd = sdnotify_watchdog_usec()) > 0) {
		ev_timer_init(&d->watchdog, watchdog_cb, 0,
		    (double)wd / 2e6);
		ev_timer_again(d->loop, &d->watchdog);
	}
	tail_poll(d->tail);
	if (!tail_is_open(d->tail))
		log_info("waiting for %s to appear", d->cfg->source.path);
	lw_engine_touch(d->eng, lw_mono_ms());
	sdnotify("READY=1");
	ev_run(d->loop, 0);
	return 0;
}

void
daemon_shutdown(struct lw_daemon *d)
{
	if (d->eng != NULL && d->tail != NULL) {
		lw_engine_flush(d->eng);
		daemon_commit(d);
	}
	/* In-flight deliveries stay pending in the outbox. */
	d->stopping = 1;
	if (d->http != NULL)
		http_abort_all(d->http, 1);
	http_free(d->http);
	d->http = NULL;
	llm_free(d);
	/* After the abort: a report waiting for the model went out. */
	reports_free(d);
	summary_free(d);
	sinks_free(d);
	tail_free(d->tail);
	lw_engine_free(d->eng);
	lw_lines_free(&d->lines);
	lw_state_close(d->st);
	lw_config_free(d->cfg);
	memset(d, 0, sizeof(*d));
}
