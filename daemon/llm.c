/*
 * llm: the periodic and triggered checks by an OpenAI-compatible model.
 *
 * A timer asks every llm.interval seconds (skipped when nothing new was
 * read since the last call), and a local alert asks at once, at most once
 * a minute.  The request goes through libcurl's multi interface on the
 * loop, so reading and local alerts never wait for the model.  At most
 * llm.max_calls_per_hour requests are sent in any 60 minutes, retries
 * included.  5xx and network errors are retried with exponential backoff
 * and jitter, 429 after its Retry-After; insufficient_quota and other
 * 4xx are not retried.  When the model cannot be had the operator is
 * told once, and once when it is back; local alerts go on regardless.
 * Every call is kept in the state DB: time, model, tokens, latency,
 * verdict.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "llm.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "miner.h"
#include "utf8.h"
#include "xmalloc.h"

#define LLM_TRIGGER_GAP		60	/* seconds between triggered calls */
#define LLM_MAX_ATTEMPTS	3	/* per check, retries included */
#define LLM_BACKOFF_MAX		60	/* seconds */
#define LLM_PROMPT_TMPLS	300	/* templates offered to the builder */
#define LLM_KB_TMPLS		10	/* template ids kept with a verdict */
#define LLM_SEND_SLOTS		3600	/* >= llm.max_calls_per_hour */

struct llm {
	struct lw_daemon	*d;
	ev_timer		 periodic, retry, kick;
	struct http_req		*req;
	char			*body;		/* the request of this check */
	char			*trigger;	/* why we ask */
	char			*tmpls;		/* the window's top template ids */
	unsigned		 attempt;
	int64_t			 sent_mono;
	double			 sends[LLM_SEND_SLOTS];	/* ring of ev_now() */
	unsigned		 nsends;
	double			 last_trigger;
	char			*pending_trigger;	/* for the kick */
	uint64_t		 pending_tmpl;	/* the trigger's template */
	uint64_t		 lines_at_last;
	int			 unavailable;
	int64_t			 since_ms;
	uint64_t		 calls, unparseable, failures;
	char			 last_verdict[256];
};

static void	llm_send(struct llm *);

/* Sends in the last hour, the cap's measure. */
static unsigned
llm_sent_last_hour(struct llm *l)
{
	double		now = ev_now(l->d->loop);
	unsigned	i, n = 0;

	for (i = 0; i < l->nsends && i < LLM_SEND_SLOTS; i++)
		if (now - l->sends[(l->nsends - 1 - i) % LLM_SEND_SLOTS] < 3600)
			n++;
		else
			break;
	return n;
}

/* Something for the operator from logwarden itself, to every sink. */
static void
llm_notice(struct llm *l, enum lw_sev sev, const char *title,
    const char *detail)
{
	struct lw_daemon	*d = l->d;
	struct lw_alert		*a = lw_alert_new();

	a->severity = sev;
	lw_alert_set_rule(a, "llm");
	a->source_llm = 1;
	lw_alert_set_title(a, title);
	lw_alert_set_detail(a, detail);
	lw_alert_set_host(a, d->host);
	lw_alert_set_log(a, d->cfg->source.path);
	lw_alert_redact(a, lw_engine_redactor(d->eng));
	sinks_dispatch(d, a);
	lw_alert_free(a);
}

static void
llm_unavailable(struct llm *l, const char *why)
{
	char	title[512], detail[1024], when[LW_ISO8601_LEN];

	l->failures++;
	if (l->unavailable)
		return;
	l->unavailable = 1;
	l->since_ms = lw_wall_ms();
	lw_iso8601(l->since_ms, when, sizeof(when));
	log_warnx("llm: unavailable: %s; local alerts go on", why);
	snprintf(title, sizeof(title), "LLM unavailable since %s", when);
	snprintf(detail, sizeof(detail), "The model at %s cannot be used: "
	    "%s. Local rules keep alerting as before; you will be told when "
	    "the model answers again.", l->d->cfg->llm.url, why);
	llm_notice(l, LW_SEV_WARNING, title, detail);
}

static void
llm_available(struct llm *l)
{
	char	title[256];

	if (!l->unavailable)
		return;
	l->unavailable = 0;
	snprintf(title, sizeof(title), "LLM available again after %lld min",
	    (long long)((lw_wall_ms() - l->since_ms) / 60000));
	log_info("llm: %s", title);
	llm_notice(l, LW_SEV_INFO, title, "The model answers again; its "
	    "periodic and triggered checks are back.");
}

static void
llm_record(struct llm *l, const char *verdict, const char *sev,
    const char *issue, long ptok, long ctok)
{
	struct lw_llm_call	c;

	if (l->d->st == NULL)
		return;
	memset(&c, 0, sizeof(c));
	c.time_ms = lw_wall_ms();
	c.model = l->d->cfg->llm.model;
	c.prompt_tokens = ptok;
	c.completion_tokens = ctok;
	c.latency_ms = (long)(lw_mono_ms() - l->sent_mono);
	c.verdict = verdict;
	c.severity = sev;
	c.issue = issue;
	c.trigger = l->trigger ? l->trigger : "periodic";
	c.tmpls = l->tmpls;
	lw_state_llm_put(l->d->st, &c);
}

static void
llm_finish(struct llm *l)
{
	free(l->body);
	free(l->trigger);
	free(l->tmpls);
	l->body = l->trigger = l->tmpls = NULL;
	l->attempt = 0;
	l->req = NULL;
}

/* Try again later, or give up when the attempts are used up. */
static void
llm_retry(struct llm *l, double delay, const char *why)
{
	if (l->attempt >= LLM_MAX_ATTEMPTS) {
		log_warnx("llm: giving up this check after %u attempts: %s",
		    l->attempt, why);
		llm_record(l, "error", NULL, why, -1, -1);
		llm_unavailable(l, why);
		llm_finish(l);
		return;
	}
	/* Jitter: up to half the delay more (never less: a Retry-After is
	 * a minimum), so that daemons behind one server do not retry in
	 * step. */
	delay *= 1.0 + (double)(lw_mono_ms() % 1000) / 2000.0;
	log_info("llm: %s; retrying in %.1f s", why, delay);
	ev_timer_set(&l->retry, delay, 0);
	ev_timer_start(l->d->loop, &l->retry);
}

static void
llm_verdict(struct llm *l, const struct lw_llm_response *rsp)
{
	struct lw_verdict	v;
	struct buf		b;

	l->calls++;
	if (lw_llm_parse_verdict(rsp->content, strlen(rsp->content), &v) ==
	    -1) {
		l->unparseable++;
		buf_init(&b, 1024);
		lw_vis(&b, rsp->content, lw_utf8_cut(rsp->content,
		    strlen(rsp->content) > 200 ? 200 : strlen(rsp->content)));
		log_warnx("llm: unparseable answer (%llu so far): %s",
		    (unsigned long long)l->unparseable, buf_str(&b));
		buf_free(&b);
		snprintf(l->last_verdict, sizeof(l->last_verdict),
		    "unparseable");
		llm_record(l, "unparseable", NULL, NULL, rsp->prompt_tokens,
		    rsp->completion_tokens);
		return;
	}
	if (!v.alert) {
		snprintf(l->last_verdict, sizeof(l->last_verdict), "normal");
		llm_record(l, "normal", NULL, NULL, rsp->prompt_tokens,
		    rsp->completion_tokens);
	} else {
		snprintf(l->last_verdict, sizeof(l->last_verdict), "%s: %s",
		    lw_sev_name(v.severity), v.issue ? v.issue : "");
		llm_record(l, "alert", lw_sev_name(v.severity), v.issue,
		    rsp->prompt_tokens, rsp->completion_tokens);
		lw_engine_raise_llm(l->d->eng, v.severity, v.issue ? v.issue :
		    "(no issue given)", v.impact, v.action);
	}
	log_info("llm: verdict %s (%ld+%ld tokens, %lld ms)", l->last_verdict,
	    rsp->prompt_tokens, rsp->completion_tokens,
	    (long long)(lw_mono_ms() - l->sent_mono));
	lw_verdict_free(&v);
}

static void
llm_done(const struct http_result *r, void *arg)
{
	struct llm		*l = arg;
	struct lw_llm_response	 rsp;
	char			 why[512];

	l->req = NULL;
	if (r->curl_code == CURLE_ABORTED_BY_CALLBACK) {
		llm_finish(l);
		return;
	}
	memset(&rsp, 0, sizeof(rsp));
	if (r->status == 0) {
		snprintf(why, sizeof(why), "%s", r->error[0] ? r->error :
		    "no response");
		llm_retry(l, 1 << l->attempt, why);
		return;
	}
	lw_llm_parse_response(r->body, r->body_len, &rsp);
	if (r->status == 200 && rsp.ok && rsp.content != NULL) {
		llm_available(l);
		llm_verdict(l, &rsp);
		llm_finish(l);
	} else if (r->status == 429 && !rsp.quota) {
		snprintf(why, sizeof(why), "HTTP 429 %s", rsp.err_message);
		llm_retry(l, r->retry_after >= 0 ? r->retry_after :
		    1 << l->attempt, why);
	} else if (r->status >= 500 || r->status == 408) {
		snprintf(why, sizeof(why), "HTTP %ld %s", r->status,
		    rsp.err_message);
		llm_retry(l, 1 << l->attempt, why);
	} else {
		/* insufficient_quota, 401, 404, a 200 without an answer:
		 * retrying cannot help. */
		snprintf(why, sizeof(why), "HTTP %ld%s%s%s%s", r->status,
		    rsp.err_code[0] ? " " : "", rsp.err_code,
		    rsp.err_message[0] ? ": " : "", rsp.err_message);
		log_warnx("llm: %s (not retried)", why);
		llm_record(l, "error", NULL, why, -1, -1);
		llm_unavailable(l, why);
		llm_finish(l);
	}
	lw_llm_response_free(&rsp);
}

static void
llm_send(struct llm *l)
{
	const struct lw_config	*c = l->d->cfg;
	unsigned		 sent = llm_sent_last_hour(l);

	if (sent >= c->llm.max_calls_per_hour) {
		char why[128];

		snprintf(why, sizeof(why), "the cap of %u calls an hour is "
		    "reached", c->llm.max_calls_per_hour);
		log_info("llm: %s; check skipped", why);
		llm_record(l, "error", NULL, why, -1, -1);
		llm_finish(l);
		return;
	}
	l->attempt++;
	l->sent_mono = lw_mono_ms();
	l->sends[l->nsends++ % LLM_SEND_SLOTS] = ev_now(l->d->loop);
	l->req = llm_post(l->d->http, c, l->body, strlen(l->body), llm_done,
	    l);
	if (l->req == NULL)
		llm_retry(l, 1 << l->attempt, "the request could not be set up");
}

/* Build the prompt from what the engine knows now, and ask. */
static void
llm_ask(struct llm *l, const char *trigger, uint64_t trigger_tmpl)
{
	struct lw_daemon	*d = l->d;
	const struct lw_config	*c = d->cfg;
	struct lw_engine_snap	 sn;
	struct lw_llm_input	 in;
	struct lw_llm_tmpl	*t;
	struct lw_llm_metric	*m;
	struct lw_llm_fired	 f[LW_SNAP_FIRED];
	struct lw_llm_prompt	 p;
	struct lw_engine_stats	 st;
	struct buf		 body, ids;
	char			 idstr[LW_TMPL_IDSTR_LEN];
	char			(*verdicts)[256];
	size_t			 i;

	if (!c->llm.enabled || l->body != NULL)
		return;		/* off, or a check is under way */
	lw_engine_stats(d->eng, &st);
	lw_engine_snapshot(d->eng, &sn, LLM_PROMPT_TMPLS);
	t = xcalloc(sn.ntmpls ? sn.ntmpls : 1, sizeof(*t));
	verdicts = xcalloc(sn.ntmpls ? sn.ntmpls : 1, sizeof(*verdicts));
	m = xcalloc(sn.nmetrics ? sn.nmetrics : 1, sizeof(*m));
	buf_init(&ids, 4096);
	for (i = 0; i < sn.ntmpls; i++) {
		t[i].id = sn.tmpls[i].id;
		t[i].text = sn.tmpls[i].text;
		t[i].level = sn.tmpls[i].level;
		t[i].count = sn.tmpls[i].count;
		t[i].total = sn.tmpls[i].total;
		t[i].first_ms = sn.tmpls[i].first_ms;
		t[i].last_ms = sn.tmpls[i].last_ms;
		t[i].example = sn.tmpls[i].example;
		lw_tmpl_idstr(t[i].id, idstr);
		/* What earlier verdicts said about the same template. */
		if (d->st != NULL && lw_state_llm_verdict_for(d->st, idstr,
		    verdicts[i], sizeof(verdicts[i])) == 1)
			t[i].verdict = verdicts[i];
		if (i < LLM_KB_TMPLS)
			buf_addf(&ids, "%s%s", i ? "," : "", idstr);
	}
	for (i = 0; i < sn.nmetrics; i++) {
		m[i].name = sn.metrics[i].name;
		m[i].n = sn.metrics[i].n;
		m[i].avg = sn.metrics[i].avg;
		m[i].max = sn.metrics[i].max;
		m[i].p95 = sn.metrics[i].p95;
	}
	for (i = 0; i < sn.nfired; i++) {
		f[i].rule = sn.fired[i].rule;
		f[i].title = sn.fired[i].title;
		f[i].time_ms = sn.fired[i].time_ms;
	}
	memset(&in, 0, sizeof(in));
	in.host = d->host;
	in.log = c->source.path;
	in.now_ms = sn.now_ms > 0 ? sn.now_ms : lw_wall_ms();
	in.window = sn.window;
	in.lines = sn.lines;
	memcpy(in.per_level, sn.per_level, sizeof(in.per_level));
	in.tmpls = t;
	in.ntmpls = sn.ntmpls;
	in.metrics = m;
	in.nmetrics = sn.nmetrics;
	in.fired = f;
	in.nfired = sn.nfired;
	in.recent = (const char *const *)sn.recent;
	in.nrecent = sn.nrecent;
	in.trigger = trigger;
	in.trigger_tmpl = trigger_tmpl;
	memset(&p, 0, sizeof(p));
	buf_init(&body, LW_LLM_RESPONSE_MAX);
	if (lw_llm_build(&in, lw_engine_redactor(d->eng),
	    c->llm.max_prompt_tokens, &p) == -1 ||
	    lw_llm_request(c->llm.model, &p, c->llm.json_mode, &body) == -1) {
		log_warnx("llm: the prompt could not be built");
		buf_free(&body);
	} else {
		log_debug("llm: asking (%s): %zu tokens, %zu of %zu templates, "
		    "%zu of %zu lines", trigger ? trigger : "periodic",
		    p.tokens, p.tmpls_out, p.tmpls_in, p.lines_out,
		    p.lines_in);
		l->body = buf_take(&body);
		l->trigger = xstrdup(trigger ? trigger : "periodic");
		l->tmpls = buf_take(&ids);
		l->lines_at_last = st.lines;
		l->attempt = 0;
		llm_send(l);
	}
	lw_llm_prompt_free(&p);
	buf_free(&ids);
	free(t);
	free(verdicts);
	free(m);
	lw_engine_snap_free(&sn);
}

static void
llm_periodic_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct llm		*l = w->data;
	struct lw_engine_stats	 st;

	(void)loop;
	(void)revents;
	lw_engine_stats(l->d->eng, &st);
	if (st.lines == l->lines_at_last) {
		log_debug("llm: nothing new since the last check; skipped");
		return;
	}
	llm_ask(l, NULL, 0);
}

static void
llm_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	llm_send(w->data);
}

static void
llm_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct llm	*l = w->data;
	char		*why = l->pending_trigger;

	(void)loop;
	(void)revents;
	l->pending_trigger = NULL;
	llm_ask(l, why, l->pending_tmpl);
	free(why);
}

void
llm_init(struct lw_daemon *d)
{
	struct llm	*l = xcalloc(1, sizeof(*l));

	l->d = d;
	l->last_trigger = -1e9;
	ev_timer_init(&l->periodic, llm_periodic_cb, 0, 0);
	l->periodic.data = l;
	ev_timer_init(&l->retry, llm_retry_cb, 0, 0);
	l->retry.data = l;
	ev_timer_init(&l->kick, llm_kick_cb, 0, 0);
	l->kick.data = l;
	d->llm = l;
	llm_reconfig(d);
}

void
llm_reconfig(struct lw_daemon *d)
{
	struct llm	*l = d->llm;
	double		 iv = d->cfg->llm.interval;

	ev_timer_stop(d->loop, &l->periodic);
	if (!d->cfg->llm.enabled || d->once)
		return;
	ev_timer_set(&l->periodic, iv, iv);
	ev_timer_start(d->loop, &l->periodic);
}

void
llm_free(struct lw_daemon *d)
{
	struct llm	*l = d->llm;

	if (l == NULL)
		return;
	ev_timer_stop(d->loop, &l->periodic);
	ev_timer_stop(d->loop, &l->retry);
	ev_timer_stop(d->loop, &l->kick);
	free(l->pending_trigger);
	llm_finish(l);
	free(l);
	d->llm = NULL;
}

void
llm_trigger(struct lw_daemon *d, const struct lw_alert *a)
{
	struct llm	*l = d->llm;
	double		 now = ev_now(d->loop);

	if (l == NULL || !d->cfg->llm.enabled || a->source_llm)
		return;
	if (now - l->last_trigger < LLM_TRIGGER_GAP || l->pending_trigger)
		return;
	l->last_trigger = now;
	/* After the batch that raised it: the engine is mid-record now. */
	xasprintf(&l->pending_trigger, "local rule %s fired: %s", a->rule,
	    a->title ? a->title : "");
	/* Repeat and new_error name a template: it goes first. */
	l->pending_tmpl = a->tmpl != NULL ? lw_tmpl_id(a->tmpl,
	    strlen(a->tmpl)) : 0;
	ev_timer_set(&l->kick, 0, 0);
	ev_timer_start(d->loop, &l->kick);
}

/* A call made elsewhere (a scheduled report's narrative) counts against
 * llm.max_calls_per_hour like the checks do. */
int
llm_reserve_call(struct lw_daemon *d)
{
	struct llm	*l = d->llm;

	if (l == NULL || !d->cfg->llm.enabled ||
	    llm_sent_last_hour(l) >= d->cfg->llm.max_calls_per_hour)
		return 0;
	l->sends[l->nsends++ % LLM_SEND_SLOTS] = ev_now(d->loop);
	return 1;
}

int
llm_busy(struct lw_daemon *d)
{
	struct llm	*l = d->llm;

	return l != NULL && (l->body != NULL || l->pending_trigger != NULL);
}

void
llm_once(struct lw_daemon *d)
{
	struct lw_engine_stats	st;

	lw_engine_stats(d->eng, &st);
	if (d->llm == NULL || !d->cfg->llm.enabled || st.lines == 0)
		return;
	llm_ask(d->llm, "run --once", 0);
}

void
llm_status(struct lw_daemon *d, FILE *fp)
{
	struct llm	*l = d->llm;
	long		 calls = 0, ptok = 0, ctok = 0;
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (!d->cfg->llm.enabled) {
		fprintf(fp, "LLM: off (llm.enabled = no); last LLM verdict: "
		    "none");
		return;
	}
	gmtime_r(&now, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (d->st != NULL)
		lw_state_llm_usage(d->st, (int64_t)timegm(&tm) * 1000, &calls,
		    &ptok, &ctok);
	fprintf(fp, "LLM %s: %s; today %ld calls, %ld prompt + %ld "
	    "completion tokens; this run %llu answers, %llu unparseable, "
	    "%llu failures, %u requests in the last hour (cap %u); last LLM "
	    "verdict: %s", d->cfg->llm.model, l->unavailable ? "UNAVAILABLE" :
	    "available", calls, ptok, ctok, (unsigned long long)l->calls,
	    (unsigned long long)l->unparseable,
	    (unsigned long long)l->failures, llm_sent_last_hour(l),
	    d->cfg->llm.max_calls_per_hour, l->last_verdict[0] ?
	    l->last_verdict : "none");
}
