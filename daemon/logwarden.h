/*
 * logwarden.h: the daemon's running state and its prototypes, grouped by
 * the file that defines them.
 */
#ifndef LOGWARDEN_H
#define LOGWARDEN_H

#include <stdint.h>
#include <stdio.h>

#include <ev.h>

#include "config.h"
#include "engine.h"
#include "lines.h"
#include "state.h"

#include "outq.h"

struct http;
struct http_result;
struct llm;
struct summary;
struct reports;
struct lw_record;
struct lw_report;
struct lw_category;
struct tail;
struct lw_daemon;

/* A network sink's outcome for one message (one or more alerts). */
typedef void (*sink_done_fn)(void *ctx, enum outq_result, int retry_after,
		    const char *reason);

/* What a network sink (webhook, Telegram, email) is: sink_*.c. */
struct netsink_ops {
	const char	*name;
	int		(*enabled)(const struct lw_config *);
	enum lw_sev	(*min_severity)(const struct lw_config *);
	void		(*policy)(const struct lw_config *, struct outq_policy *);
	/*
	 * Start delivering alerts[0..n) as one message.  Returns how many
	 * alerts the message holds (1..n; the rest follow in the next one)
	 * or -1 when it could not start (logged).  done(ctx, ...) is called
	 * exactly once when the message was delivered or failed; with
	 * reason "aborted" at shutdown.  The alerts may be freed as soon as
	 * start returns.
	 */
	int		(*start)(struct lw_daemon *, struct lw_alert *const *,
			    size_t n, sink_done_fn done, void *ctx);
};

#define LW_NSINKS	3

/* An alert for the terminal and alerts.jsonl, ready to be written. */
struct local_alert {
	char		*json;		/* one line of alerts.jsonl */
	char		*term;		/* the terminal block, or NULL */
	int		 report;	/* not for alerts.jsonl */
};

struct netsink {
	const struct netsink_ops *ops;
	struct lw_daemon	*d;
	struct outq		*q;
};

struct lw_daemon {
	struct ev_loop		*loop;
	const char		*cfgpath;
	struct lw_config	*cfg;
	struct lw_state		*st;
	struct lw_engine	*eng;
	struct tail		*tail;
	struct lw_lines		 lines;
	struct http		*http;
	struct netsink		 sinks[LW_NSINKS];
	struct llm		*llm;
	struct summary		*summary;
	struct reports		*reports;
	int			 replaying;	/* context before the offset */
	/* Alerts of the open batch for the local sinks, written once the
	 * batch (and their outbox rows) is committed. */
	struct local_alert	*local;
	size_t			 nlocal;
	int64_t			 misconf_mono[LW_NSINKS];	/* last told */
	char			 host[256];

	int			 once;		/* run --once */
	int			 color;		/* terminal sink in colour */
	int			 learning;	/* first-run pass */
	int			 in_batch;	/* a transaction is open */
	uint64_t		 batch_bytes;
	int64_t			 arrival_ms;	/* wall clock of the last read */
	int			 stopping;
	int			 jsonl_warned;

	ev_signal		 sighup, sigterm, sigint, sigusr1, sigusr2;
	ev_timer		 tick, watchdog;

	uint64_t		 status_lines;	/* for lines/s between statuses */
	int64_t			 status_mono;

	/* Optional observer (demo): sees every alert before the sinks. */
	void			(*observe)(const struct lw_alert *, void *);
	void			*observe_arg;
};

/* version.c */
const char	*lw_version(void);

/* run.c */
int	daemon_init(struct lw_daemon *, const char *cfgpath,
	    struct lw_config *, int once);
int	daemon_run(struct lw_daemon *);
void	daemon_shutdown(struct lw_daemon *);
void	daemon_status(struct lw_daemon *);

/* sinks.c */
void	sinks_init(struct lw_daemon *);
void	sinks_free(struct lw_daemon *);
void	sinks_reconfig(struct lw_daemon *);
void	sinks_dispatch(struct lw_daemon *, struct lw_alert *);
void	sinks_flush_local(struct lw_daemon *);
size_t	sinks_pending(struct lw_daemon *);
int	sinks_busy(struct lw_daemon *);
void	sinks_status(struct lw_daemon *, FILE *);
int	sinks_test(struct lw_daemon *, struct lw_alert *);

/* llm.c */
void	llm_init(struct lw_daemon *);
void	llm_reconfig(struct lw_daemon *);
void	llm_free(struct lw_daemon *);
void	llm_trigger(struct lw_daemon *, const struct lw_alert *);
void	llm_once(struct lw_daemon *);
int	llm_busy(struct lw_daemon *);
/* 1 (and counted) when another call fits llm.max_calls_per_hour. */
int	llm_reserve_call(struct lw_daemon *);
void	llm_status(struct lw_daemon *, FILE *);

/* llm_ask.c: one question, waited for (search --llm, analyze --llm);
 * *answer is the caller's to free. */
int	llm_ask_once(const struct lw_config *, const char *system,
	    const char *user, char **answer, char *err, size_t errsz);
/* POST a chat-completions request body to llm.url, with the key when
 * there is one (http_request's contract). */
struct http_req *llm_post(struct http *, const struct lw_config *,
	    const char *body, size_t len,
	    void (*cb)(const struct http_result *, void *), void *arg);
/* The same on the daemon's loop: fn gets the answer (NULL with err when
 * none) exactly once, also when the request is aborted at shutdown.
 * NULL (err set, fn never called) when it could not start. */
typedef void (*llm_answer_fn)(const char *answer, const char *err,
		    void *arg);
struct http_req *llm_ask_start(struct http *, const struct lw_config *,
	    const char *system, const char *user, llm_answer_fn, void *arg,
	    char *err, size_t errsz);

/* cmd_search.c */
int	cmd_search(const char *cfgpath, int argc, char **argv);

/* sink_webhook.c, sink_telegram.c, sink_email.c */
extern const struct netsink_ops webhook_ops, telegram_ops, email_ops;

/* sinks.c (also for the sinks) */
void	sinks_misconfigured(struct lw_daemon *, const char *sink,
	    const char *why);
void	sinks_classify_http(long status, const char *err, const char *body,
	    size_t len, enum outq_result *res, char *reason, size_t sz);

/* reports.c */
void	reports_reconfig(struct lw_daemon *);
void	reports_free(struct lw_daemon *);
void	reports_record(struct lw_daemon *, const struct lw_record *);
/* One line: each report's next time and what its period holds. */
void	reports_status(struct lw_daemon *, FILE *);

/* reports_resume.c: where a report period began in the log. */
struct reports_ckpt {
	int64_t		 start_ms;	/* the period's start */
	int64_t		 seen_ms;	/* the report saw it since */
	uint64_t	 dev, ino, off;	/* the log then */
};
void	reports_checkpoint(struct lw_daemon *, const char *kind,
	    const struct reports_ckpt *);
int	reports_checkpoint_get(struct lw_daemon *, const char *kind,
	    struct reports_ckpt *);
int	reports_position(struct lw_daemon *, uint64_t *dev, uint64_t *ino,
	    uint64_t *off);
int	reports_resume(struct lw_daemon *, const struct reports_ckpt *,
	    struct lw_report *, char *err, size_t errsz);
/* The last max bytes of the log (from a line start) into the report;
 * *bytes is how many were read.  0 or -1 with err. */
int	reports_read_tail(struct lw_daemon *, uint64_t max,
	    struct lw_report *, uint64_t *bytes, char *err, size_t errsz);
/* reports.c: `logwarden test-report`'s report as the alert the sinks
 * take; NULL with the reason on stderr. */
struct lw_alert *reports_test(struct lw_daemon *);

/* summary.c */
void	summary_reconfig(struct lw_daemon *);
void	summary_emit(struct lw_daemon *);
void	summary_free(struct lw_daemon *);
void	summary_record(struct lw_daemon *, const struct lw_record *);
struct lw_category *categories_from_config(const struct lw_config *);

/* cmd_verdicts.c */
int	cmd_verdicts(const char *cfgpath, size_t limit);

/* cmd_history.c */
int	cmd_history(const char *cfgpath, int argc, char *argv[]);

/* cmd_analyze.c */
int	cmd_analyze(const char *cfgpath, int argc, char *argv[]);

/* cmd_templates.c */
int	cmd_templates(int raw);

/* demo.c */
int	cmd_demo(void);

#endif
