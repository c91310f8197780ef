/*
 * cmd_verdicts: `logwarden analyze --verdicts [N]`: the model's past
 * verdicts from the state database's knowledge base, newest first: when,
 * model, tokens, latency, what triggered the call, and the verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "state.h"
#include "utf8.h"

static void
print_call(const struct lw_llm_call *c, void *arg)
{
	char		 when[LW_ISO8601_LEN];
	struct buf	 b;

	(void)arg;
	lw_iso8601(c->time_ms, when, sizeof(when));
	buf_init(&b, 8192);
	/* The issue is the model's text, the trigger quotes the log. */
	if (c->issue != NULL)
		lw_vis(&b, c->issue, strlen(c->issue));
	printf("%s  %-11s %-8s %6ld+%-5ld tokens %6ld ms  %s  [%s]\n", when,
	    c->verdict ? c->verdict : "?", c->severity ? c->severity : "",
	    c->prompt_tokens, c->completion_tokens, c->latency_ms,
	    buf_str(&b), c->model ? c->model : "?");
	buf_reset(&b);
	if (c->trigger != NULL) {
		lw_vis(&b, c->trigger, strlen(c->trigger));
		printf("    asked because: %s\n", buf_str(&b));
	}
	buf_free(&b);
}

int
cmd_verdicts(const char *cfgpath, size_t limit)
{
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*cfg;
	struct lw_state		*st;
	char			 err[512];
	int			 rc = 0;

	if ((cfg = lw_config_load(cfgpath, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		lw_cfgerrs_free(&errs);
		return 1;
	}
	if ((st = lw_state_open(cfg->state.dir, err, sizeof(err))) == NULL) {
		log_warnx("state database: %s", err);
		lw_config_free(cfg);
		return 1;
	}
	if (lw_state_llm_list(st, limit, print_call, NULL) == -1)
		rc = 1;
	lw_state_close(st);
	lw_config_free(cfg);
	return rc;
}
