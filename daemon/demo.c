/*
 * demo: `logwarden demo`, a self-contained showing that needs no config,
 * no network and no root.  A child process plays the trading bot: it
 * writes a realistic log (lib/gen) into a temporary directory, with an
 * error burst, a never-seen error, a repeating error, a latency spike and
 * finally silence.  The parent runs the real daemon on that file with
 * alerts printed to the terminal, and ends with a summary.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "gen.h"
#include "record.h"
#include "report.h"
#include "utf8.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "xmalloc.h"

#define DEMO_RATE	15	/* records per second while live */
#define DEMO_WRITE_SECS	44	/* the bot "dies" after this */
#define DEMO_END_SECS	53	/* the silence alert comes at ~49 s */

struct demo_step {
	int			 at;	/* seconds into the live part */
	enum lw_gen_incident	 kind;
	unsigned		 n;
	const char		*what;
};

static const struct demo_step steps[] = {
	{ 6, LW_GEN_ERROR_BURST, 14, "a burst of exchange errors" },
	{ 16, LW_GEN_NEW_ERROR, 1, "an error never seen before" },
	{ 24, LW_GEN_REPEAT, 8, "the same error over and over" },
	{ 33, LW_GEN_LATENCY_SPIKE, 40, "order latency climbing" },
};

struct demo_count {
	unsigned	 n;
	unsigned	 by_rule[8];
};

static const char *demo_rules[] = { "errors", "warnings", "repeat",
    "new_error", "spike", "silence", "metric:latency", "other" };

/* The fake bot: history first (so the daemon has something to learn),
 * then live lines with incidents, then nothing. */
static void
demo_writer(const char *path, int ready_fd)
{
	struct lw_gen_opts	 o = { 7, lw_wall_ms() - 20 * 60 * 1000, 4 };
	struct lw_gen		*g = lw_gen_new(&o);
	struct buf		 b;
	int			 fd, sec, i;
	size_t			 s = 0;
	char			 c = 1;

	buf_init(&b, 4 << 20);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1)
		_exit(1);
	for (i = 0; i < 4000; i++)
		lw_gen_next(g, &b, -1);
	if (lw_write_all(fd, b.data, b.len) == -1)
		_exit(1);
	if (write(ready_fd, &c, 1) != 1)
		_exit(1);
	close(ready_fd);
	/* Wait for the parent to start following (it says so on stderr). */
	usleep(1500 * 1000);
	for (sec = 0; sec < DEMO_WRITE_SECS; sec++) {
		if (s < sizeof(steps) / sizeof(steps[0]) && steps[s].at == sec) {
			lw_gen_incident(g, steps[s].kind, steps[s].n);
			s++;
		}
		for (i = 0; i < DEMO_RATE; i++) {
			struct timespec ts = { 0, 1000000000L / DEMO_RATE };

			buf_reset(&b);
			lw_gen_next(g, &b, lw_wall_ms());
			if (lw_write_all(fd, b.data, b.len) == -1)
				_exit(1);
			nanosleep(&ts, NULL);
		}
	}
	buf_free(&b);
	lw_gen_free(g);
	close(fd);
	_exit(0);
}

static void
demo_observe(const struct lw_alert *a, void *arg)
{
	struct demo_count	*c = arg;
	size_t			 i;

	c->n++;
	for (i = 0; i < 7; i++)
		if (strcmp(a->rule, demo_rules[i]) == 0)
			break;
	c->by_rule[i]++;
}

/* The built-in analyzer's summary of the whole demo log (the same code
 * as `logwarden analyze`), printed with control bytes escaped. */
static void
demo_summary(const char *path)
{
	struct lw_report	*rep = lw_report_new(NULL);
	struct lw_asm		*as = lw_asm_new(LW_ASM_RECORD_BYTES,
				    LW_ASM_RECORD_LINES);
	struct lw_record	 rec;
	struct buf		 out, vis;
	char			*line = NULL, *p, *nl;
	size_t			 cap = 0;
	ssize_t			 n;
	FILE			*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		goto out;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (lw_asm_feed(as, line, (size_t)n, &rec))
			lw_report_add(rep, &rec);
	}
	if (lw_asm_flush(as, &rec))
		lw_report_add(rep, &rec);
	fclose(fp);
	buf_init(&out, 64 * 1024);
	buf_init(&vis, 256 * 1024);
	lw_report_summary(rep, &out);
	for (p = out.data ? out.data : (char *)""; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		lw_vis(&vis, p, (size_t)(nl - p));
		buf_addc(&vis, '\n');
		if (*nl == '\0')
			break;
	}
	printf("\n==== the built-in analyzer on the whole log ====\n%s",
	    buf_str(&vis));
	buf_free(&out);
	buf_free(&vis);
out:
	free(line);
	lw_asm_free(as);
	lw_report_free(rep);
}

static void
demo_stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int
cmd_demo(void)
{
	char			 dir[] = "/tmp/logwarden-demo.XXXXXX";
	char			*logp, *cfgp, *statep, *jsonl;
	FILE			*fp;
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*cfg;
	struct lw_daemon	 d;
	struct lw_engine_stats	 s;
	struct demo_count	 cnt = { 0 };
	ev_timer		 stop;
	pid_t			 pid;
	int			 pfd[2], i;
	char			 c;
	size_t			 k;

	if (mkdtemp(dir) == NULL) {
		log_warn("mkdtemp");
		return 1;
	}
	xasprintf(&logp, "%s/bot.log", dir);
	xasprintf(&cfgp, "%s/logwarden.ini", dir);
	xasprintf(&statep, "%s/state", dir);
	xasprintf(&jsonl, "%s/alerts.jsonl", dir);
	if ((fp = fopen(cfgp, "w")) == NULL) {
		log_warn("%s", cfgp);
		return 1;
	}
	fprintf(fp, "[source]\npath = %s\n\n[state]\ndir = %s\n\n"
	    "[rules]\nwindow = 60\nerrors = 10\nwarnings = 100\nrepeat = 5\n"
	    "silence = 5\nnew_error = yes\nspike = 3.0\n\n"
	    "[metric.latency]\npattern = latency_ms=([0-9.]+)\nstat = p95\n"
	    "above = 500\n\n[llm]\nenabled = no\n\n"
	    "[alerts]\ncooldown = 30\ngroup_interval = 0\njsonl = %s\n",
	    logp, statep, jsonl);
	if (fclose(fp) == EOF) {
		log_warn("%s", cfgp);
		return 1;
	}
	if ((cfg = lw_config_load(cfgp, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		lw_cfgerrs_free(&errs);
		return 1;
	}
	printf("logwarden demo: a simulated trading bot writes %s\n", logp);
	printf("The daemon learns the existing history, then follows the log "
	    "live for about %d seconds.\nComing up:", DEMO_END_SECS);
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
		printf(" %s (~%ds),", steps[k].what, steps[k].at + 2);
	printf(" and the bot going silent (~%ds).\n\n", DEMO_WRITE_SECS + 7);
	fflush(stdout);

	if (pipe(pfd) == -1) {
		log_warn("pipe");
		return 1;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork");
		return 1;
	}
	if (pid == 0) {
		close(pfd[0]);
		demo_writer(logp, pfd[1]);
	}
	close(pfd[1]);
	/* The history must be on disk before the daemon's first look. */
	if (read(pfd[0], &c, 1) != 1) {
		log_warnx("the demo's log writer failed");
		return 1;
	}
	close(pfd[0]);

	if (daemon_init(&d, cfgp, cfg, 0) == -1)
		return 1;
	d.observe = demo_observe;
	d.observe_arg = &cnt;
	ev_timer_init(&stop, demo_stop_cb, DEMO_END_SECS, 0);
	ev_timer_start(d.loop, &stop);
	daemon_run(&d);
	ev_timer_stop(d.loop, &stop);
	lw_engine_stats(d.eng, &s);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	printf("\n==== demo summary ====\n");
	printf("lines read: %" PRIu64 " (%" PRIu64 " records: %" PRIu64
	    " critical, %" PRIu64 " errors, %" PRIu64 " warnings)\n",
	    s.lines, s.records, s.per_level[LW_LVL_CRITICAL],
	    s.per_level[LW_LVL_ERROR], s.per_level[LW_LVL_WARNING]);
	printf("error/warning templates first seen: %" PRIu64 "\n",
	    s.templates_new);
	printf("alerts raised: %u (held back by cooldown: %" PRIu64 ")\n",
	    cnt.n, s.suppressed);
	for (i = 0; i < 8; i++)
		if (cnt.by_rule[i])
			printf("  %-15s %u\n", demo_rules[i], cnt.by_rule[i]);
	printf("alerts as JSON: %s\nthe log: %s\n", jsonl, logp);
	demo_summary(logp);
	printf("(the full report: logwarden analyze %s)\n", logp);
	daemon_shutdown(&d);
	free(logp);
	free(cfgp);
	free(statep);
	free(jsonl);
	return cnt.n > 0 ? 0 : 1;
}
