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

struct http;
struct outq;
struct tail;

struct lw_daemon {
	struct ev_loop		*loop;
	const char		*cfgpath;
	struct lw_config	*cfg;
	struct lw_state		*st;
	struct lw_engine	*eng;
	struct tail		*tail;
	struct lw_lines		 lines;
	struct http		*http;
	struct outq		*webhook;
	char			 host[256];

	int			 once;		/* run --once */
	int			 color;		/* terminal sink in colour */
	int			 quiet_terminal;	/* no alert blocks on stdout */
	int			 learning;	/* first-run pass */
	int			 in_batch;	/* a transaction is open */
	uint64_t		 batch_bytes;
	int64_t			 arrival_ms;	/* wall clock of the last read */
	int			 stopping;
	int			 jsonl_warned;

	ev_signal		 sighup, sigterm, sigint, sigusr1, sigusr2;
	ev_timer		 tick, watchdog;

	int64_t			 start_mono;
	uint64_t		 status_lines;	/* for lines/s between statuses */
	int64_t			 status_mono;
	uint64_t		 alerts_by_rule[8];

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
size_t	sinks_pending(struct lw_daemon *);
int	sinks_busy(struct lw_daemon *);
void	sinks_status(struct lw_daemon *, FILE *);
int	sinks_test(struct lw_daemon *, struct lw_alert *);

/* cmd_templates.c */
int	cmd_templates(int raw);

/* demo.c */
int	cmd_demo(void);

#endif
