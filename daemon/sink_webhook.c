/*
 * sink_webhook: POST of each alert's JSON (SPEC "The alert") to
 * webhook.url, one alert per request, at once, whatever the grouping.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "xmalloc.h"

struct webhook_job {
	sink_done_fn	 done;
	void		*ctx;
};

static int
webhook_enabled(const struct lw_config *c)
{
	return c->webhook.enabled;
}

static enum lw_sev
webhook_min_severity(const struct lw_config *c)
{
	return c->webhook.min_severity;
}

static void
webhook_policy(const struct lw_config *c, struct outq_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->max_batch = 1;
	p->daily_cap = c->webhook.daily_cap;
	p->max_age = c->alerts.max_age;
}

static void
webhook_done(const struct http_result *r, void *arg)
{
	struct webhook_job	*job = arg;
	enum outq_result	 res;
	char			 reason[256];

	if (r->curl_code == CURLE_ABORTED_BY_CALLBACK)
		job->done(job->ctx, OUTQ_RETRY, -1, "aborted");
	else {
		sinks_classify_http(r->status, r->error, r->body, r->body_len,
		    &res, reason, sizeof(reason));
		job->done(job->ctx, res, r->retry_after, reason);
	}
	free(job);
}

static int
webhook_start(struct lw_daemon *d, struct lw_alert *const *alerts, size_t n,
    sink_done_fn done, void *ctx)
{
	static const char	*hdrs[] = { "User-Agent: logwarden/" LW_VERSION,
				    NULL };
	struct webhook_job	*job;
	char			*json;

	(void)n;
	if ((json = lw_alert_to_json(alerts[0])) == NULL) {
		log_warnx("webhook: alert %s cannot be serialised",
		    alerts[0]->id);
		return -1;
	}
	job = xcalloc(1, sizeof(*job));
	job->done = done;
	job->ctx = ctx;
	if (http_post(d->http, d->cfg->webhook.url, "application/json", json,
	    strlen(json), hdrs, d->cfg->webhook.timeout, webhook_done,
	    job) == NULL) {
		free(job);
		free(json);
		return -1;
	}
	free(json);
	return 1;
}

const struct netsink_ops webhook_ops = {
	"webhook", webhook_enabled, webhook_min_severity, webhook_policy,
	webhook_start
};
