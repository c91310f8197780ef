/*
 * main: the command line (SPEC "Command line").
 *
 *   logwarden [-c FILE] [COMMAND [ARGS]]
 *
 * Exit codes: 0 success, 1 failure (invalid config, I/O error, a sink that
 * failed in test-alert), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: logwarden [-c FILE] [-d] [COMMAND [ARGS]]\n"
	    "\n"
	    "commands:\n"
	    "  run [--once]          follow the log and alert (default)\n"
	    "  check                 validate the configuration file\n"
	    "  templates [--raw]     print the template of each stdin line\n"
	    "  test-alert            send a test alert through every sink\n"
	    "  test-report           a report of the log's end, as [reports]\n"
	    "                        sends it, through every sink\n"
	    "  analyze [--llm] [--format md|json] FILE...\n"
	    "                        the report of whole log files (.gz too)\n"
	    "  analyze --verdicts [N]  the model's last N verdicts\n"
	    "  history [--since T] [--rule R] [--limit N] [--json]\n"
	    "                        past alerts, verdicts and reports\n"
	    "  search [--regex] [--json] [--color=WHEN] [--llm] [-C N]\n"
	    "         [--window SEC] FILE... QUERY\n"
	    "                        a timeline around QUERY\n"
	    "  demo                  a self-contained live demonstration\n"
	    "\n"
	    "options:\n"
	    "  -c FILE        config (default $LOGWARDEN_CONFIG, then %s)\n"
	    "  -d             debug logging\n"
	    "  -h, --help     this help\n"
	    "  -V, --version  the version\n", LW_CONFIG_DEFAULT_PATH);
}

/*
 * LOGWARDEN_FAKE_NOW=SECONDS (since the epoch) starts the wall clock at
 * that time: how the tests reach the next full hour or the next UTC day
 * in seconds.  Said in the log, so it is never on by mistake unnoticed.
 */
static void
fake_clock(void)
{
	const char	*s = getenv("LOGWARDEN_FAKE_NOW");
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 32503680000LL) {
		log_warnx("LOGWARDEN_FAKE_NOW=%s is not seconds since the "
		    "epoch; ignored", s);
		return;
	}
	lw_wall_start_at((int64_t)v * 1000);
	log_warnx("LOGWARDEN_FAKE_NOW: the wall clock starts at %lld (a test "
	    "hook)", v);
}

static struct lw_config *
load_config(const char *path)
{
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*cfg;

	if ((cfg = lw_config_load(path, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		lw_cfgerrs_free(&errs);
	}
	return cfg;
}

static int
cmd_check(const char *path)
{
	struct lw_config	*cfg = load_config(path);

	if (cfg == NULL)
		return 1;
	fprintf(stderr, "%s: configuration OK\n", path);
	lw_config_describe(cfg, stderr);
	lw_config_free(cfg);
	return 0;
}

static int
cmd_run(const char *path, int once)
{
	struct lw_daemon	 d;
	struct lw_config	*cfg;

	if ((cfg = load_config(path)) == NULL) {
		log_err("%s: invalid configuration, not starting", path);
		return 1;
	}
	if (daemon_init(&d, path, cfg, once) == -1) {
		lw_config_free(cfg);
		return 1;
	}
	log_info("logwarden %s starting%s", lw_version(),
	    once ? " (--once)" : "");
	daemon_run(&d);
	daemon_shutdown(&d);
	log_info("stopped");
	return 0;
}

static int
cmd_test_alert(const char *path)
{
	struct lw_daemon	 d;
	struct lw_config	*cfg;
	struct lw_alert		*a;
	int			 rc;

	if ((cfg = load_config(path)) == NULL)
		return 1;
	if (daemon_init(&d, path, cfg, 1) == -1) {
		lw_config_free(cfg);
		return 1;
	}
	a = lw_alert_new();
	a->severity = LW_SEV_INFO;
	lw_alert_set_rule(a, "test");
	lw_alert_set_title(a, "logwarden test alert");
	lw_alert_set_detail(a, "If you can read this, alerts reach you "
	    "through this sink.");
	lw_alert_set_host(a, d.host);
	lw_alert_set_log(a, cfg->source.path);
	rc = sinks_test(&d, a);
	lw_alert_free(a);
	daemon_shutdown(&d);
	return rc == 0 ? 0 : 1;
}

/* A report of the log's end through every sink, as the schedule would
 * send it: see what [reports] gives without waiting for the hour. */
static int
cmd_test_report(const char *path)
{
	struct lw_daemon	 d;
	struct lw_config	*cfg;
	struct lw_alert		*a;
	int			 rc = 1;

	if ((cfg = load_config(path)) == NULL)
		return 1;
	if (daemon_init(&d, path, cfg, 1) == -1) {
		lw_config_free(cfg);
		return 1;
	}
	if ((a = reports_test(&d)) != NULL) {
		rc = sinks_test(&d, a) == 0 ? 0 : 1;
		lw_alert_free(a);
	}
	daemon_shutdown(&d);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*cfgpath = NULL, *cmd;
	int		 ch, verbose = 0;

	/* A broken pipe (stdout to `head`) is an error to report, not a
	 * silent death. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+c:dhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'd':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("logwarden %s\n", lw_version());
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	log_init("logwarden", verbose);
	fake_clock();
	if (cfgpath == NULL)
		cfgpath = getenv("LOGWARDEN_CONFIG");
	if (cfgpath == NULL || *cfgpath == '\0')
		cfgpath = LW_CONFIG_DEFAULT_PATH;
	cmd = argc > 0 ? argv[0] : "run";

	if (strcmp(cmd, "run") == 0) {
		int once = 0;

		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--once"))) {
			usage(stderr);
			return 2;
		}
		once = argc == 2;
		return cmd_run(cfgpath, once);
	}
	if (strcmp(cmd, "check") == 0 && argc == 1)
		return cmd_check(cfgpath);
	if (strcmp(cmd, "templates") == 0) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--raw"))) {
			usage(stderr);
			return 2;
		}
		return cmd_templates(argc == 2);
	}
	if (strcmp(cmd, "test-alert") == 0 && argc == 1)
		return cmd_test_alert(cfgpath);
	if (strcmp(cmd, "test-report") == 0 && argc == 1)
		return cmd_test_report(cfgpath);
	if (strcmp(cmd, "demo") == 0 && argc == 1)
		return cmd_demo();
	if (strcmp(cmd, "analyze") == 0 && argc >= 2 &&
	    strcmp(argv[1], "--verdicts") == 0 && argc <= 3) {
		char	*end;
		long	 n = argc == 3 ? strtol(argv[2], &end, 10) : 20;

		if (argc == 3 && (*end != '\0' || n < 1 || n > 100000)) {
			usage(stderr);
			return 2;
		}
		return cmd_verdicts(cfgpath, (size_t)n);
	}
	if (strcmp(cmd, "search") == 0)
		return cmd_search(cfgpath, argc, argv);
	if (strcmp(cmd, "history") == 0)
		return cmd_history(cfgpath, argc, argv);
	if (strcmp(cmd, "analyze") == 0)
		return cmd_analyze(cfgpath, argc, argv);
	usage(stderr);
	return 2;
}
