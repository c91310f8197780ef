/*
 * sink_email: libcurl SMTP on the loop (http_add_easy).  smtp:// with
 * STARTTLS required unless email.starttls = no (never a fallback to plain
 * text: CURLUSESSL_ALL), smtps:// with TLS from the start; AUTH with
 * email.username and the password secret.  One email may carry a group
 * of alerts (lib/mailfmt builds the RFC 5322 message).  A 5xx answer or a
 * refused login is permanent; the rest is retried.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "mailfmt.h"
#include "xmalloc.h"

#define EMAIL_MAX_BATCH	50

struct mail_job {
	struct lw_daemon	*d;
	sink_done_fn		 done;
	void			*ctx;
	struct buf		 msg;
	size_t			 off;		/* bytes handed to curl */
	struct curl_slist	*rcpt;
};

static int
mail_enabled(const struct lw_config *c)
{
	return c->email.enabled;
}

static enum lw_sev
mail_min_severity(const struct lw_config *c)
{
	return c->email.min_severity;
}

static void
mail_policy(const struct lw_config *c, struct outq_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->group_interval = c->alerts.group_interval;
	/* group_interval = 0: every alert on its own (SPEC). */
	p->max_batch = c->alerts.group_interval > 0 ? EMAIL_MAX_BATCH : 1;
	p->daily_cap = c->email.daily_cap;
	p->max_age = c->alerts.max_age;
}

static size_t
mail_read(char *dst, size_t size, size_t nitems, void *arg)
{
	struct mail_job	*job = arg;
	size_t		 n = size * nitems, left = job->msg.len - job->off;

	if (n > left)
		n = left;
	memcpy(dst, job->msg.data + job->off, n);
	job->off += n;
	return n;
}

static void
mail_job_free(struct mail_job *job)
{
	buf_free(&job->msg);
	curl_slist_free_all(job->rcpt);
	free(job);
}

static void
mail_done(const struct http_result *r, void *arg)
{
	struct mail_job	*job = arg;
	char		 reason[512];

	if (r->curl_code == CURLE_ABORTED_BY_CALLBACK)
		job->done(job->ctx, OUTQ_RETRY, -1, "aborted");
	else if (r->curl_code == CURLE_OK)
		job->done(job->ctx, OUTQ_OK, -1, "accepted by the server");
	else {
		snprintf(reason, sizeof(reason), "%s%s%s (SMTP %ld)",
		    curl_easy_strerror((CURLcode)r->curl_code),
		    r->error[0] ? ": " : "", r->error, r->status);
		/* 5xx is the server's final no; a refused login or a
		 * missing STARTTLS is configuration: neither improves. */
		if ((r->status >= 500 && r->status < 600) ||
		    r->curl_code == CURLE_LOGIN_DENIED ||
		    r->curl_code == CURLE_USE_SSL_FAILED) {
			log_err("email: %s (not retried)", reason);
			job->done(job->ctx, OUTQ_FAIL, -1, reason);
			sinks_misconfigured(job->d, "email", reason);
		} else
			job->done(job->ctx, OUTQ_RETRY, -1, reason);
	}
	mail_job_free(job);
}

static int
mail_start(struct lw_daemon *d, struct lw_alert *const *alerts, size_t n,
    sink_done_fn done, void *ctx)
{
	const struct lw_config	*c = d->cfg;
	struct mail_job		*job;
	char			 addr[LW_MAIL_ADDR_MAX];
	CURL			*e = NULL;
	size_t			 i;

	job = xcalloc(1, sizeof(*job));
	job->d = d;
	job->done = done;
	job->ctx = ctx;
	buf_init(&job->msg, LW_MAIL_MAX);
	if (n > EMAIL_MAX_BATCH)
		n = EMAIL_MAX_BATCH;
	if (lw_mail_build((const struct lw_alert *const *)alerts, n,
	    c->email.from, (const char *const *)c->email.to, c->email.nto,
	    d->host, lw_wall_ms(), 0, &job->msg) == -1) {
		log_warnx("email: the message could not be built");
		goto fail;
	}
	for (i = 0; i < c->email.nto; i++) {
		struct curl_slist *l;

		if (lw_mail_addr(c->email.to[i], addr, sizeof(addr)) == -1) {
			log_warnx("email: bad recipient address");
			goto fail;
		}
		if ((l = curl_slist_append(job->rcpt, addr)) == NULL)
			fatalx("curl_slist_append");
		job->rcpt = l;
	}
	if (lw_mail_addr(c->email.from, addr, sizeof(addr)) == -1) {
		log_warnx("email: bad sender address");
		goto fail;
	}
	if ((e = curl_easy_init()) == NULL) {
		log_warnx("email: curl_easy_init failed");
		goto fail;
	}
	if (curl_easy_setopt(e, CURLOPT_URL, c->email.url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps") !=
	    CURLE_OK ||
#endif
	    curl_easy_setopt(e, CURLOPT_MAIL_FROM, addr) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAIL_RCPT, job->rcpt) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READFUNCTION, mail_read) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_READDATA, job) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USE_SSL, c->email.starttls ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE) != CURLE_OK ||
	    (c->email.username != NULL && curl_easy_setopt(e,
	    CURLOPT_USERNAME, c->email.username) != CURLE_OK) ||
	    (c->email.password != NULL && curl_easy_setopt(e,
	    CURLOPT_PASSWORD, c->email.password) != CURLE_OK) ||
	    (c->email.ca_file != NULL && curl_easy_setopt(e, CURLOPT_CAINFO,
	    c->email.ca_file) != CURLE_OK)) {
		log_warnx("email: libcurl refused an option");
		curl_easy_cleanup(e);
		goto fail;
	}
	/* http_add_easy owns e from here, also when it fails. */
	if (http_add_easy(d->http, e, c->email.timeout, 0, mail_done,
	    job) == NULL)
		goto fail;
	return (int)n;
fail:
	mail_job_free(job);
	return -1;
}

const struct netsink_ops email_ops = {
	"email", mail_enabled, mail_min_severity, mail_policy, mail_start
};
