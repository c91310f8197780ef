/*
 * summary: the daemon's periodic summary when no model is configured
 * (llm.enabled = no): every llm.interval seconds a few lines in the log,
 * from the same code as `analyze` (lib/report.c), over the records of
 * that period.  Not in `run --once`, which is for cron and benchmarks
 * (`analyze` is the batch report): feeding the report costs about a
 * quarter of the pipeline's throughput on a fast backlog.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "categories.h"
#include "log.h"
#include "logwarden.h"
#include "report.h"
#include "utf8.h"
#include "xmalloc.h"

struct summary {
	struct lw_daemon	*d;
	struct lw_report	*rep;
	struct lw_category	*cats;
	ev_timer		 timer;
	uint64_t		 records;	/* in this period */
};

struct lw_category *
categories_from_config(const struct lw_config *cfg)
{
	struct lw_category	*cats;
	size_t			 i, j;

	cats = xcalloc(cfg->ncategories + 1, sizeof(*cats));
	for (i = 0; i < cfg->ncategories; i++) {
		cats[i].name = cfg->categories[i].name;
		cats[i].impact = (enum lw_impact)cfg->categories[i].impact;
		for (j = 0; j < cfg->categories[i].nneedles &&
		    j < LW_CATEGORY_MAX_NEEDLES; j++)
			cats[i].needles[j] = cfg->categories[i].needles[j];
	}
	return cats;
}

static void
summary_new_period(struct summary *s)
{
	struct lw_report_opts	o;
	const struct lw_config	*cfg = s->d->cfg;

	lw_report_free(s->rep);
	free(s->cats);
	s->cats = categories_from_config(cfg);
	memset(&o, 0, sizeof(o));
	o.metrics = cfg->metrics;
	o.nmetrics = cfg->nmetrics;
	o.extra_categories = s->cats;
	o.nextra_categories = cfg->ncategories;
	o.st = s->d->st;
	o.redactor = lw_engine_redactor(s->d->eng);
	s->rep = lw_report_new(&o);
	s->records = 0;
}

void
summary_record(struct lw_daemon *d, const struct lw_record *r)
{
	struct summary	*s = d->summary;

	if (s == NULL)
		return;
	lw_report_add(s->rep, r);
	s->records++;
}

void
summary_emit(struct lw_daemon *d)
{
	struct summary	*s = d->summary;
	struct buf	 out, line;
	const char	*p, *nl;

	if (s == NULL || s->records == 0)
		return;
	buf_init(&out, 64 * 1024);
	buf_init(&line, 256 * 1024);
	lw_report_summary(s->rep, &out);
	/* Template text comes from the log: escaped, line by line. */
	for (p = buf_str(&out); *p != '\0'; p = *nl ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		buf_reset(&line);
		lw_vis(&line, p, (size_t)(nl - p));
		if (line.len > 0)
			log_info("summary: %s", buf_str(&line));
	}
	buf_free(&out);
	buf_free(&line);
	summary_new_period(s);
}

static void
summary_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	summary_emit(((struct summary *)w->data)->d);
}

void
summary_free(struct lw_daemon *d)
{
	struct summary	*s = d->summary;

	if (s == NULL)
		return;
	ev_timer_stop(d->loop, &s->timer);
	lw_report_free(s->rep);
	free(s->cats);
	free(s);
	d->summary = NULL;
}

/* On when the model is off; after a reload, follows llm.enabled. */
void
summary_reconfig(struct lw_daemon *d)
{
	struct summary	*s;
	double		 iv = d->cfg->llm.interval;

	if (d->cfg->llm.enabled || d->once) {
		summary_free(d);
		return;
	}
	if ((s = d->summary) == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->d = d;
		ev_timer_init(&s->timer, summary_timer_cb, 0, 0);
		s->timer.data = s;
		d->summary = s;
	}
	/*
	 * A reload: the report points into the old config (metric patterns,
	 * categories) and at the engine's old redactor, both gone once the
	 * reload is over, so the period starts again under the new config.
	 */
	summary_new_period(s);
	ev_timer_stop(d->loop, &s->timer);
	ev_timer_set(&s->timer, iv, iv);
	ev_timer_start(d->loop, &s->timer);
}
