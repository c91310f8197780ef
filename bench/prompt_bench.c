/*
 * lw-prompt-bench: what the LLM prompt costs and what it carries, on a
 * full window of the bench log (lib/gen, 300 s at 500 records/s with an
 * error burst, a repeating error and a new error at its end).
 *
 *   lw-prompt-bench [-s SEED] [-w SECONDS] [-r RECORDS_PER_SEC] [-d TOKENS]
 *
 * For several budgets: the median time of lw_llm_build over 20 runs, the
 * prompt's token estimate, and the share of the window's distinct
 * error/warning templates it shows; beside it the naive prompt, the last
 * 200 lines joined, with the share of templates those lines hold.
 * -d TOKENS prints the prompt built with that budget instead.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "gen.h"
#include "llm.h"
#include "miner.h"
#include "record.h"
#include "xmalloc.h"

#define START_MS	1742428800000LL	/* 2025-03-20 00:00:00 UTC */
#define NAIVE_LINES	200
#define RUNS		20
#define MAX_TMPLS	4096		/* distinct templates tracked */
#define EXAMPLE_MAX	512
#define LOG_MAX		(512u * 1024 * 1024)

struct tmpl {
	uint64_t	 id;
	char		*text;
	int		 level;
	uint64_t	 count;
	int64_t		 first_ms, last_ms;
	char		*example;
	size_t		 last_line;	/* physical line of the last sighting */
};

struct window {
	struct tmpl	 t[MAX_TMPLS];
	size_t		 nt;
	uint64_t	 per_level[LW_LVL_COUNT];
	uint64_t	 records;
	double		 lat_sum, lat_max;
	size_t		 lat_n;
	double		*lat;
	size_t		 lat_cap;
};

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_busiest(const void *a, const void *b)
{
	const struct lw_llm_tmpl *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Counts one complete record: level, template, latency metric. */
static void
take(struct window *w, const struct lw_record *rec, size_t line)
{
	char		 tt[LW_TMPL_BUFSZ];
	size_t		 tl, i, k;
	uint64_t	 id;
	char		*end;
	double		 v;

	if (rec->late)
		return;
	w->records++;
	w->per_level[rec->level]++;
	for (k = 0; k < (size_t)rec->nkv; k++) {
		if (rec->kv[k].key.len != 10 ||
		    memcmp(rec->kv[k].key.p, "latency_ms", 10) != 0)
			continue;
		v = strtod(rec->kv[k].val.p, &end);
		if (end == rec->kv[k].val.p)
			continue;
		if (w->lat_n == w->lat_cap) {
			w->lat_cap = w->lat_cap ? w->lat_cap * 2 : 1024;
			w->lat = xreallocarray(w->lat, w->lat_cap,
			    sizeof(*w->lat));
		}
		w->lat[w->lat_n++] = v;
		w->lat_sum += v;
		if (v > w->lat_max)
			w->lat_max = v;
	}
	if (rec->level < LW_LVL_WARNING)
		return;
	tl = lw_mask(rec->message.p, rec->message.len, tt, sizeof(tt));
	id = lw_tmpl_id(tt, tl);
	for (i = 0; i < w->nt && w->t[i].id != id; i++)
		;
	if (i == w->nt) {
		if (w->nt == MAX_TMPLS)
			return;
		w->nt++;
		w->t[i].id = id;
		w->t[i].text = xstrndup(tt, tl);
		w->t[i].first_ms = rec->time_ms;
		/* The header line of the record: the raw log line. */
		k = 0;
		while (k < rec->text.len && k < EXAMPLE_MAX &&
		    rec->text.p[k] != '\n')
			k++;
		w->t[i].example = xstrndup(rec->text.p, k);
	}
	w->t[i].count++;
	w->t[i].last_ms = rec->time_ms;
	w->t[i].last_line = line;
	if ((int)rec->level > w->t[i].level)
		w->t[i].level = rec->level;
}

static void
usage(void)
{
	fprintf(stderr, "usage: lw-prompt-bench [-s SEED] [-w SECONDS] "
	    "[-r RECORDS_PER_SEC] [-d TOKENS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const unsigned budgets[] = { 1000, 2000, 4000, 8000, 16000 };
	struct window		*w;
	struct lw_gen_opts	 go = { 1, START_MS, 500 };
	struct lw_gen		*g;
	struct lw_asm		*as;
	struct lw_record	 rec;
	struct buf		 log, naive;
	struct lw_llm_input	 in;
	struct lw_llm_tmpl	*lt;
	struct lw_llm_prompt	 p;
	struct lw_llm_fired	 fired;
	struct lw_llm_metric	 met;
	const char		**recent;
	size_t			*starts = NULL, nlines = 0, cap = 0, i, j;
	size_t			 naive_cov, nrec;
	double			 t0, times[RUNS];
	const char		*s, *nl, *trigger_text = NULL;
	char			 trig[LW_TMPL_BUFSZ + 64];
	uint64_t		 trigger_id = 0;
	unsigned		 seconds = 300, dump = 0;
	int64_t			 end_ms;
	int			 c;

	while ((c = getopt(argc, argv, "s:w:r:d:")) != -1) {
		switch (c) {
		case 's':
			go.seed = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			go.lines_per_sec = strtod(optarg, NULL);
			break;
		case 'd':
			dump = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (seconds == 0 || seconds > 86400 || go.lines_per_sec <= 0 ||
	    go.lines_per_sec > 100000)
		usage();

	/* The window: ordinary output, then three incidents at its end. */
	g = lw_gen_new(&go);
	buf_init(&log, LOG_MAX);
	end_ms = START_MS + (int64_t)seconds * 1000;
	nrec = (size_t)(seconds * go.lines_per_sec);
	for (i = 0; i < nrec; i++) {
		if (i == nrec * 90 / 100)
			lw_gen_incident(g, LW_GEN_ERROR_BURST, 60);
		if (i == nrec * 95 / 100)
			lw_gen_incident(g, LW_GEN_REPEAT, 30);
		if (i == nrec * 98 / 100)
			lw_gen_incident(g, LW_GEN_NEW_ERROR, 3);
		if (lw_gen_next(g, &log, -1) == 0)
			break;
	}
	lw_gen_free(g);

	/* Physical lines, records, templates. */
	w = xcalloc(1, sizeof(*w));
	as = lw_asm_new(64 * 1024, 200);
	for (s = log.data; s < log.data + log.len; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(log.data + log.len - s));
		if (nl == NULL)
			break;
		if (nlines == cap) {
			cap = cap ? cap * 2 : 65536;
			starts = xreallocarray(starts, cap, sizeof(*starts));
		}
		starts[nlines] = (size_t)(s - log.data);
		if (lw_asm_feed(as, s, (size_t)(nl - s), &rec) == 1)
			take(w, &rec, nlines - 1);
		nlines++;
		log.data[nl - log.data] = '\0';	/* lines as C strings */
	}
	if (lw_asm_flush(as, &rec) == 1)
		take(w, &rec, nlines - 1);

	/* The trigger: the repeat incident's template, the busiest of
	 * the last 300 lines' errors. */
	for (i = 0; i < w->nt; i++) {
		if (w->t[i].level >= LW_LVL_ERROR &&
		    w->t[i].last_line + 300 >= nlines &&
		    (trigger_text == NULL || w->t[i].count >
		    w->t[trigger_id].count)) {
			trigger_text = w->t[i].text;
			trigger_id = i;
		}
	}

	lt = xcalloc(w->nt ? w->nt : 1, sizeof(*lt));
	for (i = 0; i < w->nt; i++) {
		lt[i].id = w->t[i].id;
		lt[i].text = w->t[i].text;
		lt[i].level = w->t[i].level;
		lt[i].count = w->t[i].count;
		lt[i].total = w->t[i].count;
		lt[i].first_ms = w->t[i].first_ms;
		lt[i].last_ms = w->t[i].last_ms;
		lt[i].example = w->t[i].example;
	}
	qsort(lt, w->nt, sizeof(*lt), cmp_busiest);
	recent = xcalloc(NAIVE_LINES, sizeof(*recent));
	buf_init(&naive, 16 * 1024 * 1024);
	for (i = 0, j = nlines > NAIVE_LINES ? nlines - NAIVE_LINES : 0;
	    j < nlines; i++, j++) {
		recent[i] = log.data + starts[j];
		if (buf_adds(&naive, recent[i]) == -1 ||
		    buf_addc(&naive, '\n') == -1)
			return 1;
	}
	naive_cov = 0;
	for (i = 0; i < w->nt; i++)
		if (w->t[i].last_line + NAIVE_LINES >= nlines)
			naive_cov++;

	memset(&in, 0, sizeof(in));
	in.host = "bench";
	in.log = "/var/log/bot/bot.log";
	in.now_ms = end_ms;
	in.window = seconds;
	in.lines = nlines;
	memcpy(in.per_level, w->per_level, sizeof(in.per_level));
	in.tmpls = lt;
	in.ntmpls = w->nt;
	if (w->lat_n > 0) {
		qsort(w->lat, w->lat_n, sizeof(*w->lat), cmp_double);
		met.name = "latency";
		met.n = w->lat_n;
		met.avg = w->lat_sum / (double)w->lat_n;
		met.max = w->lat_max;
		/* nearest rank */
		met.p95 = w->lat[(size_t)((double)w->lat_n * 0.95 + 0.999999)
		    - 1];
		in.metrics = &met;
		in.nmetrics = 1;
	}
	if (trigger_text != NULL) {
		snprintf(trig, sizeof(trig), "repeat: %s (%llu times)",
		    trigger_text,
		    (unsigned long long)w->t[trigger_id].count);
		in.trigger = trig;
		in.trigger_tmpl = w->t[trigger_id].id;
		fired.rule = "repeat";
		fired.title = trig + strlen("repeat: ");
		fired.time_ms = end_ms;
		in.fired = &fired;
		in.nfired = 1;
	}
	in.recent = recent;
	in.nrecent = nlines < NAIVE_LINES ? nlines : NAIVE_LINES;

	if (dump) {
		if (lw_llm_build(&in, NULL, dump, &p) == -1)
			return 1;
		printf("=== system\n%s=== user\n%s=== %zu tokens\n",
		    p.system.data, p.user.data, p.tokens);
		lw_llm_prompt_free(&p);
		return 0;
	}

	printf("window: %u s, %zu lines, %llu records, %llu warning+ "
	    "records, %zu distinct warning/error templates\n", seconds,
	    nlines, (unsigned long long)w->records,
	    (unsigned long long)(w->per_level[LW_LVL_WARNING] +
	    w->per_level[LW_LVL_ERROR] + w->per_level[LW_LVL_CRITICAL]),
	    w->nt);
	printf("%-22s %8s %8s %9s %10s %8s\n", "prompt", "budget", "tokens",
	    "bytes", "templates", "build ms");
	for (i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
		for (j = 0; j < RUNS; j++) {
			t0 = now_s();
			if (lw_llm_build(&in, NULL, budgets[i], &p) == -1)
				return 1;
			times[j] = (now_s() - t0) * 1000;
			if (j + 1 < RUNS)
				lw_llm_prompt_free(&p);
		}
		qsort(times, RUNS, sizeof(times[0]), cmp_double);
		printf("%-22s %8u %8zu %9zu %4zu/%-3zu%2s %8.3f\n",
		    "logwarden", budgets[i], p.tokens,
		    p.system.len + p.user.len, p.tmpls_out, w->nt, "",
		    (times[RUNS / 2 - 1] + times[RUNS / 2]) / 2);
		printf("%-22s %8s %8s %9s %10s   (%zu/%zu lines, %zu "
		    "examples)\n", "", "", "", "", "", p.lines_out,
		    p.lines_in, p.examples_out);
		lw_llm_prompt_free(&p);
	}
	printf("%-22s %8s %8zu %9zu %4zu/%-3zu%2s %8s\n", "naive last 200 lines",
	    "-", lw_llm_tokens(naive.data, naive.len), naive.len, naive_cov,
	    w->nt, "", "-");

	for (i = 0; i < w->nt; i++) {
		free(w->t[i].text);
		free(w->t[i].example);
	}
	free(w->lat);
	free(w);
	free(lt);
	free(recent);
	free(starts);
	buf_free(&naive);
	buf_free(&log);
	lw_asm_free(as);
	return 0;
}
