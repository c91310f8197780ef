/*
 * report: aggregation of records into the daily report's figures, and
 * the derived statistics (anomalies, correlations, trend) computed from
 * them before each output.  Rendering is in report_fmt.c.
 *
 * Everything kept is bounded (report.h); an INFO record costs a handful of
 * byte compares, a warning-or-worse record one lw_mask and a hash lookup.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "level.h"
#include "log.h"
#include "lwtime.h"
#include "metric.h"
#include "miner.h"
#include "report_int.h"
#include "rstats.h"
#include "utf8.h"
#include "xmalloc.h"

#define MAX_COMPONENT	96	/* bytes of a component name kept */

static const char *const series_names[RS_COUNT] = {
	"lines", "errors", "warnings", "trades", "latency_avg",
	"latency_p95", "pnl", "disconnects", "data_gaps"
};

const char *
rpt_series_name(enum rpt_series s)
{
	return (unsigned)s < RS_COUNT ? series_names[s] : "?";
}

/* splitmix64: a deterministic reservoir, so a report is reproducible. */
static uint64_t
rng_next(struct lw_report *r)
{
	uint64_t	z = (r->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
res_init(struct rpt_res *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
}

static void
res_add(struct lw_report *r, struct rpt_res *s, double v)
{
	uint64_t	j;

	s->seen++;
	if (s->v == NULL)
		s->v = xreallocarray(NULL, s->cap, sizeof(*s->v));
	if (s->n < s->cap) {
		s->v[s->n++] = v;
		return;
	}
	j = rng_next(r) % s->seen;
	if (j < s->cap)
		s->v[j] = v;
}

struct lw_report *
lw_report_new(const struct lw_report_opts *opts)
{
	struct lw_report		*r = xcalloc(1, sizeof(*r));
	const struct lw_category	*b;
	size_t				 nb, i, n;

	if (opts != NULL)
		r->o = *opts;
	r->maxtm = r->o.max_templates;
	if (r->maxtm == 0)
		r->maxtm = LW_REPORT_DEFAULT_TEMPLATES;
	if (r->maxtm > LW_REPORT_MAX_TEMPLATES)
		r->maxtm = LW_REPORT_MAX_TEMPLATES;
	/* The index stays at most half full. */
	for (n = 16; n < r->maxtm * 2; n <<= 1)
		;
	r->idx = xcalloc(n, sizeof(*r->idx));
	r->idxmask = n - 1;

	b = lw_categories_builtin(&nb);
	for (i = 0; i < r->o.nextra_categories &&
	    r->ncats < LW_CATEGORY_MAX - nb; i++)
		r->cats[r->ncats++] = r->o.extra_categories[i];
	r->exc_cat = -1;
	for (i = 0; i < nb; i++) {
		if (b[i].traceback && r->exc_cat == -1)
			r->exc_cat = (int)r->ncats;
		r->cats[r->ncats++] = b[i];
	}
	for (i = 0; i < LW_CATEGORY_MAX; i++)
		r->catc[i].first_ms = r->catc[i].last_ms = RPT_NOTIME;

	r->lat_metric = -1;
	if (r->o.nmetrics > 0) {
		r->metrics = xcalloc(r->o.nmetrics, sizeof(*r->metrics));
		r->nmetrics = r->o.nmetrics;
		for (i = 0; i < r->nmetrics; i++) {
			struct rpt_metric *m = &r->metrics[i];

			m->cfg = &r->o.metrics[i];
			m->md = pcre2_match_data_create_from_pattern(m->cfg->re,
			    NULL);
			if (m->md == NULL)
				fatalx("pcre2_match_data_create_from_pattern");
			res_init(&m->res, LW_REPORT_DAY_RESERVOIR);
			if (strcmp(m->cfg->name, "latency") == 0)
				r->lat_metric = (int)i;
		}
	}
	res_init(&r->lat_day, LW_REPORT_DAY_RESERVOIR);
	r->first_ms = r->last_ms = r->prev_ms = RPT_NOTIME;
	r->pnl_min = r->size_min = INFINITY;
	r->pnl_max = r->size_max = -INFINITY;
	buf_init(&r->scratch, 4 * LW_REPORT_EXAMPLE_MAX + 256);
	return r;
}

void
lw_report_free(struct lw_report *r)
{
	size_t	i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->nh; i++)
		free(r->hours[i].res);
	free(r->hours);
	for (i = 0; i < r->ntm; i++) {
		free(r->tm[i].text);
		free(r->tm[i].example);
		for (j = 0; j < r->tm[i].ncomp; j++)
			free(r->tm[i].comp[j]);
	}
	free(r->tm);
	free(r->idx);
	for (i = 0; i < r->nmetrics; i++) {
		pcre2_match_data_free(r->metrics[i].md);
		free(r->metrics[i].res.v);
	}
	free(r->metrics);
	free(r->lat_day.v);
	for (i = 0; i < r->nfiles; i++)
		free(r->files[i].name);
	rpt_derived_free(&r->d);
	buf_free(&r->scratch);
	free(r);
}

void
lw_report_add_file(struct lw_report *r, const char *name, uint64_t bytes,
    uint64_t lines)
{
	struct rpt_file	*f;

	if (r->nfiles == LW_REPORT_MAX_FILES)
		return;
	f = &r->files[r->nfiles++];
	f->name = xstrdup(name);
	f->bytes = bytes;
	f->lines = lines;
}

/* ---- hours ----------------------------------------------------------- */

/* The bucket of t, growing or shifting the array; NULL when t lies more
 * than LW_REPORT_MAX_HOURS from the other hours. */
static struct rpt_hour *
hour_get(struct lw_report *r, int64_t t)
{
	int64_t	h = rpt_floor_div(t, RPT_HOUR_MS), off;
	size_t	need, ncap, shift;

	if (r->hi == 0)
		r->base_hour = h;
	if (h < r->base_hour) {
		/* An out-of-order record before the first: shift up. */
		shift = (size_t)(r->base_hour - h);
		if (shift + r->hi > LW_REPORT_MAX_HOURS)
			goto drop;
		need = shift + r->hi;
		if (need > r->nh) {
			ncap = need;
			r->hours = xreallocarray(r->hours, ncap,
			    sizeof(*r->hours));
			memset(r->hours + r->nh, 0,
			    (ncap - r->nh) * sizeof(*r->hours));
			r->nh = ncap;
		}
		memmove(r->hours + shift, r->hours, r->hi * sizeof(*r->hours));
		memset(r->hours, 0, shift * sizeof(*r->hours));
		r->base_hour = h;
		r->hi = need;
	}
	off = h - r->base_hour;
	if (off >= LW_REPORT_MAX_HOURS)
		goto drop;
	if ((size_t)off >= r->nh) {
		ncap = r->nh < 32 ? 32 : r->nh * 2;
		while (ncap <= (size_t)off)
			ncap *= 2;
		if (ncap > LW_REPORT_MAX_HOURS)
			ncap = LW_REPORT_MAX_HOURS;
		r->hours = xreallocarray(r->hours, ncap, sizeof(*r->hours));
		memset(r->hours + r->nh, 0, (ncap - r->nh) * sizeof(*r->hours));
		r->nh = ncap;
	}
	if ((size_t)off >= r->hi)
		r->hi = (size_t)off + 1;
	return &r->hours[off];
drop:
	r->hours_dropped++;
	return NULL;
}

/*
 * One latency sample: the hour's sum and reservoir (its average and p95),
 * the day's reservoir (the median the spikes are measured against) and
 * the list of the largest samples, which is all a spike list needs.
 */
static void
latency_add(struct lw_report *r, struct rpt_hour *h, int64_t t, double v)
{
	size_t	i, lo;

	if (h != NULL) {
		h->lat_sum += v;
		h->lat_n++;
		if (h->res == NULL)
			h->res = xreallocarray(NULL, LW_REPORT_RESERVOIR,
			    sizeof(*h->res));
		if (h->nres < LW_REPORT_RESERVOIR)
			h->res[h->nres++] = v;
		else {
			uint64_t j = rng_next(r) % h->lat_n;

			if (j < LW_REPORT_RESERVOIR)
				h->res[j] = v;
		}
	}
	res_add(r, &r->lat_day, v);
	/* Keep the largest samples for the spike list. */
	if (r->ntop < LW_REPORT_SPIKES) {
		r->top[r->ntop].v = v;
		r->top[r->ntop++].t_ms = t;
		return;
	}
	for (lo = 0, i = 1; i < r->ntop; i++)
		if (r->top[i].v < r->top[lo].v)
			lo = i;
	if (v > r->top[lo].v) {
		r->top[lo].v = v;
		r->top[lo].t_ms = t;
	}
}

/* ---- extractors -------------------------------------------------------- */

static int
span_is(const struct lw_span *s, const char *lit)
{
	size_t	n = strlen(lit);

	return s->len == n && memcmp(s->p, lit, n) == 0;
}

static int
has_prefix(const struct lw_span *s, const char *lit)
{
	size_t	n = strlen(lit);

	return s->len >= n && memcmp(s->p, lit, n) == 0;
}

static const struct lw_span *
kv_get(const struct lw_record *rec, const char *key)
{
	int	i;

	for (i = 0; i < rec->nkv; i++)
		if (span_is(&rec->kv[i].key, key))
			return &rec->kv[i].val;
	return NULL;
}

static int
kv_num(const struct lw_record *rec, const char *key, double *v)
{
	const struct lw_span	*s = kv_get(rec, key);

	return s != NULL && lw_metric_parse(s->p, s->len, v) == 0 ? 0 : -1;
}

static int
numch(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
	    c == 'e' || c == 'E';
}

/* The number right after lit in the message, or -1. */
static int
num_after(const struct lw_span *m, const char *lit, double *v)
{
	const char	*p = memmem(m->p, m->len, lit, strlen(lit));
	size_t		 off, n;

	if (p == NULL)
		return -1;
	off = (size_t)(p - m->p) + strlen(lit);
	/* Only the number itself: lw_metric_parse refuses long inputs,
	 * and the rest of a freqtrade dict is long. */
	for (n = 0; off + n < m->len && n < 40 && numch(m->p[off + n]); n++)
		;
	return lw_metric_parse(m->p + off, n, v);
}

static void
trade_fill(struct lw_report *r, struct rpt_hour *h, int has_size,
    double size)
{
	r->fills++;
	if (h != NULL)
		h->trades++;
	if (!has_size)
		return;
	r->size_n++;
	r->size_sum += size;
	if (size < r->size_min)
		r->size_min = size;
	if (size > r->size_max)
		r->size_max = size;
}

static void
trade_close(struct lw_report *r, struct rpt_hour *h, double pnl)
{
	r->closed++;
	if (pnl > 0)
		r->wins++;
	else if (pnl < 0)
		r->losses++;
	r->pnl_sum += pnl;
	if (pnl < r->pnl_min)
		r->pnl_min = pnl;
	if (pnl > r->pnl_max)
		r->pnl_max = pnl;
	if (h != NULL)
		h->pnl += pnl;
}

/* The built-in trading extractors; see report.h for the formats. */
/*
 * Dispatch on the first byte of the message, so that the INFO lines that
 * are neither fills nor closes (most of a log) cost one switch.
 */
static void
extract_trading(struct lw_report *r, const struct lw_record *rec,
    struct rpt_hour *h)
{
	const struct lw_span	*m = &rec->message;
	double			 v;
	int			 ok;

	if (m->len < 12)
		return;
	switch (m->p[0]) {
	case 'O':	/* seed: "Order filled | ... qty=Q |" */
		if (has_prefix(m, "Order filled")) {
			ok = kv_num(rec, "qty", &v) == 0;
			trade_fill(r, h, ok, v);
		}
		return;
	case 'M':	/* seed: "Market order executed: ... qty=Q" */
		if (has_prefix(m, "Market order executed")) {
			ok = kv_num(rec, "qty", &v) == 0;
			trade_fill(r, h, ok, v);
		}
		return;
	case 'T':	/* seed: "Trade closed ... pnl=P"; hummingbot fill */
		if (has_prefix(m, "Trade closed")) {
			if (kv_num(rec, "pnl", &v) == 0 ||
			    kv_num(rec, "realized_pnl", &v) == 0)
				trade_close(r, h, v);
		} else if (has_prefix(m, "The ") &&
		    memmem(m->p, m->len, " has been filled", 16) != NULL) {
			ok = num_after(m, " amounting to ", &v) == 0;
			trade_fill(r, h, ok, v);
		}
		return;
	case 'P':
		if (has_prefix(m, "Position closed") &&
		    (kv_num(rec, "pnl", &v) == 0 ||
		    kv_num(rec, "realized_pnl", &v) == 0))
			trade_close(r, h, v);
		return;
	case 'S':	/* freqtrade: the sell/exit RPC message */
		if (has_prefix(m, "Sending rpc message: {") &&
		    (memmem(m->p, m->len, "'type': sell,", 13) != NULL ||
		    memmem(m->p, m->len, "'type': exit_fill,", 18) != NULL) &&
		    num_after(m, "'profit_amount': ", &v) == 0)
			trade_close(r, h, v);
		return;
	default:	/* freqtrade: "LIMIT_BUY has been fulfilled for Trade(" */
		if (memmem(m->p, m->len, " has been fulfilled for Trade(",
		    30) != NULL) {
			ok = kv_num(rec, "amount", &v) == 0;
			trade_fill(r, h, ok, v);
		}
		return;
	}
}

static int
extract_latency(const struct lw_record *rec, double *v)
{
	if (kv_num(rec, "latency_ms", v) == 0 || kv_num(rec, "latency", v) == 0)
		return 0;
	if (rec->message.len > 10 &&
	    num_after(&rec->message, "latency: ", v) == 0 &&
	    memmem(rec->message.p, rec->message.len, "ms", 2) != NULL)
		return 0;
	return -1;
}

/* [metric.NAME] over the record's first line, as the engine does. */
static void
extract_metrics(struct lw_report *r, const struct lw_record *rec,
    struct rpt_hour *h, int64_t t)
{
	const char	*s = rec->text.p, *nl;
	size_t		 len = rec->text.len, i;
	PCRE2_SIZE	*ov;
	double		 v;

	if ((nl = memchr(s, '\n', len)) != NULL)
		len = (size_t)(nl - s);
	for (i = 0; i < r->nmetrics; i++) {
		struct rpt_metric *m = &r->metrics[i];

		if (pcre2_match(m->cfg->re, (PCRE2_SPTR)s, len, 0, 0, m->md,
		    NULL) < 2)
			continue;
		ov = pcre2_get_ovector_pointer(m->md);
		if (ov[2] == PCRE2_UNSET ||
		    lw_metric_parse(s + ov[2], ov[3] - ov[2], &v) == -1)
			continue;
		if (m->count == 0 || v < m->min)
			m->min = v;
		if (m->count == 0 || v > m->max)
			m->max = v;
		m->count++;
		m->sum += v;
		res_add(r, &m->res, v);
		if ((int)i == r->lat_metric)
			latency_add(r, h, t, v);
	}
}

/* ---- templates ----------------------------------------------------------- */

/* The first line of the record, made printable and redacted. */
static char *
make_example(struct lw_report *r, const struct lw_record *rec)
{
	struct buf	 vis;
	const char	*s = rec->text.p, *nl;
	size_t		 len = rec->text.len;
	char		*out;

	if ((nl = memchr(s, '\n', len)) != NULL)
		len = (size_t)(nl - s);
	if (len > LW_REPORT_EXAMPLE_MAX)
		len = lw_utf8_cut(s, LW_REPORT_EXAMPLE_MAX);
	buf_init(&vis, 4 * LW_REPORT_EXAMPLE_MAX + 1);
	buf_reset(&r->scratch);
	if (lw_vis(&vis, s, len) == -1 ||
	    lw_redact(r->o.redactor, vis.data != NULL ? vis.data : "",
	    vis.len, &r->scratch) == -1)
		out = xstrdup("(example too long to show)");
	else
		out = xstrdup(buf_str(&r->scratch));
	buf_free(&vis);
	return out;
}

/*
 * The template id, found or added.  When the table is full a new pattern
 * is not kept but counted: evicting old ones, as the daemon's store does,
 * would make a day's counts depend on the order of the lines.
 */
static struct rpt_tmpl *
tmpl_find(struct lw_report *r, uint64_t id, const char *text, size_t len,
    const struct lw_record *rec)
{
	size_t		 i = (size_t)(id ^ (id >> 29)) & r->idxmask;
	struct rpt_tmpl	*t;

	for (; r->idx[i] != 0; i = (i + 1) & r->idxmask) {
		t = &r->tm[r->idx[i] - 1];
		if (t->id == id)
			return t;
	}
	if (r->ntm == r->maxtm) {
		r->templates_dropped++;
		return NULL;
	}
	if (r->tm == NULL)
		r->tm = xreallocarray(NULL, 64, sizeof(*r->tm));
	else if (r->ntm >= 64 && (r->ntm & (r->ntm - 1)) == 0)
		r->tm = xreallocarray(r->tm, r->ntm * 2, sizeof(*r->tm));
	t = &r->tm[r->ntm];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->text = xmemdup(text, len);
	t->example = make_example(r, rec);
	t->first_ms = t->last_ms = RPT_NOTIME;
	t->isnew = -1;
	/* Categorised once, on the raw message: masking would hide the
	 * numbers some needles look for (HTTP 429, status=5xx). */
	t->cat = lw_categories_match(r->cats, r->ncats, rec->message.p,
	    rec->message.len, 0);
	r->idx[i] = (uint32_t)++r->ntm;
	return t;
}

static void
tmpl_component(struct rpt_tmpl *t, const struct lw_span *c)
{
	size_t	i, n = c->len > MAX_COMPONENT ? lw_utf8_cut(c->p, MAX_COMPONENT)
		    : c->len;

	if (n == 0)
		return;
	for (i = 0; i < t->ncomp; i++)
		if (strlen(t->comp[i]) == n && memcmp(t->comp[i], c->p, n) == 0)
			return;
	if (t->ncomp < LW_REPORT_MAX_COMPONENTS)
		t->comp[t->ncomp++] = xmemdup(c->p, n);
}

static void
tmpl_symbol(struct rpt_tmpl *t, const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n >= LW_REPORT_SYMBOL_MAX)
		return;
	for (i = 0; i < t->nsym; i++)
		if (strlen(t->sym[i]) == n && memcmp(t->sym[i], s, n) == 0)
			return;
	if (t->nsym < LW_REPORT_MAX_SYMBOLS) {
		memcpy(t->sym[t->nsym], s, n);
		t->sym[t->nsym++][n] = '\0';
	}
}

static int
symch(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Symbols: symbol=/pair=/trading_pair= values, else the first word of
 * the shape BASE/QUOTE or BASE-QUOTE in capitals. */
static void
tmpl_symbols(struct rpt_tmpl *t, const struct lw_record *rec)
{
	static const char *const keys[] = { "symbol", "pair", "trading_pair",
	    "market", "instrument" };
	const struct lw_span	*v;
	const char		*m = rec->message.p;
	size_t			 n = rec->message.len, i, a, b;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((v = kv_get(rec, keys[i])) != NULL) {
			tmpl_symbol(t, v->p, v->len);
			return;
		}
	for (i = 1; i + 2 < n; i++) {
		if (m[i] != '/' && m[i] != '-')
			continue;
		for (a = i; a > 0 && symch(m[a - 1]); a--)
			;
		for (b = i + 1; b < n && symch(m[b]); b++)
			;
		if (i - a < 2 || b - i - 1 < 2 || i - a > 10 || b - i - 1 > 6 ||
		    (a > 0 && m[a - 1] != ' ' && m[a - 1] != '(' &&
		    m[a - 1] != '=' && m[a - 1] != '\'' && m[a - 1] != '"') ||
		    (m[a] >= '0' && m[a] <= '9'))
			continue;
		tmpl_symbol(t, m + a, b - a);
		return;
	}
}

/* Only the event of losing the link; "reconnected" lines are the
 * recovery and would count each outage twice. */
static int
is_disconnect(const struct lw_span *m)
{
	return lw_categories_has(m->p, m->len, "disconnect") ||
	    lw_categories_has(m->p, m->len, "connection lost") ||
	    lw_categories_has(m->p, m->len, "connection reset") ||
	    lw_categories_has(m->p, m->len, "connection closed");
}

/* ---- records ------------------------------------------------------------- */

static int64_t
hour_of_day(int64_t t)
{
	int64_t	h = rpt_floor_div(t, RPT_HOUR_MS) % 24;

	return h < 0 ? h + 24 : h;
}

/* A warning-or-worse record: its template, category and the counters
 * only such records feed (disconnects, stale data). */
static void
add_problem(struct lw_report *r, const struct lw_record *rec,
    struct rpt_hour *h, int64_t t)
{
	char		 text[LW_TMPL_BUFSZ];
	size_t		 len;
	struct rpt_tmpl	*tp;
	struct rpt_cat	*c;
	int		 cat;

	if (is_disconnect(&rec->message) && h != NULL)
		h->disconnects++;
	if (h != NULL && lw_categories_has(rec->message.p, rec->message.len,
	    "stale"))
		h->gaps++;
	len = lw_mask(rec->message.p, rec->message.len, text, sizeof(text));
	tp = tmpl_find(r, lw_tmpl_id(text, len), text, len, rec);
	cat = tp != NULL ? tp->cat : lw_categories_match(r->cats, r->ncats,
	    rec->message.p, rec->message.len, 0);
	if (cat == -1 && rec->has_traceback)
		cat = r->exc_cat;
	if (cat >= 0) {
		c = &r->catc[cat];
		c->count++;
		if (t != RPT_NOTIME) {
			if (c->first_ms == RPT_NOTIME || t < c->first_ms)
				c->first_ms = t;
			if (c->last_ms == RPT_NOTIME || t > c->last_ms)
				c->last_ms = t;
		}
	}
	if (tp == NULL)
		return;
	tp->count++;
	if (rec->has_traceback)
		tp->tb_count++;
	if ((int)rec->level > tp->level)
		tp->level = (int)rec->level;
	if (t != RPT_NOTIME) {
		if (tp->first_ms == RPT_NOTIME || t < tp->first_ms)
			tp->first_ms = t;
		if (tp->last_ms == RPT_NOTIME || t > tp->last_ms)
			tp->last_ms = t;
		tp->hod[hour_of_day(t)]++;
	}
	tmpl_component(tp, &rec->component);
	if (tp->nsym < LW_REPORT_MAX_SYMBOLS)
		tmpl_symbols(tp, rec);
}

void
lw_report_add(struct lw_report *r, const struct lw_record *rec)
{
	struct rpt_hour	*h = NULL;
	int64_t		 t = rec->has_time ? rec->time_ms : RPT_NOTIME;
	double		 v;

	r->lines += rec->nlines;
	if (t != RPT_NOTIME)
		h = hour_get(r, t);
	if (h != NULL)
		h->lines += rec->nlines;
	if (rec->late) {
		/* The record was counted when it was flushed; only the
		 * traceback that raised it to ERROR is news. */
		if (rec->escalated) {
			r->errors++;
			r->tracebacks++;
			if (h != NULL)
				h->errors++;
		}
		return;
	}
	r->records++;
	if (t == RPT_NOTIME)
		r->untimed++;
	else {
		if (r->first_ms == RPT_NOTIME || t < r->first_ms)
			r->first_ms = t;
		if (r->last_ms == RPT_NOTIME || t > r->last_ms)
			r->last_ms = t;
		if (r->prev_ms != RPT_NOTIME && t - r->prev_ms > LW_REPORT_GAP_MS &&
		    h != NULL)
			h->gaps++;
		r->prev_ms = t;
	}
	if (rec->has_traceback)
		r->tracebacks++;
	if (rec->level >= LW_LVL_ERROR) {
		r->errors++;
		if (rec->level == LW_LVL_CRITICAL)
			r->criticals++;
		if (h != NULL)
			h->errors++;
	} else if (rec->level == LW_LVL_WARNING) {
		r->warnings++;
		if (h != NULL)
			h->warnings++;
	}
	if (rec->level >= LW_LVL_WARNING)
		add_problem(r, rec, h, t);
	extract_trading(r, rec, h);
	if (r->lat_metric == -1 && extract_latency(rec, &v) == 0)
		latency_add(r, h, t, v);
	if (r->nmetrics > 0)
		extract_metrics(r, rec, h, t);
}
