/*
 * cmd_search: `logwarden search [--regex] [--json] [--color=WHEN] [--llm]
 * [-C N] [--window SEC] FILE... QUERY`, "why did order #12345 fail?" as
 * a timeline: every line that matches QUERY (a literal, or with --regex
 * a PCRE2 pattern), N lines around it, the lines within SEC seconds of
 * it, and the lines that share its identifiers (order ids, trading
 * pairs), in time order across the files (rotated .gz ones too).  --llm
 * asks the model what happened, the root cause, the related events and
 * the next steps, from as much of the timeline as llm.max_prompt_tokens
 * allows.
 *
 * Two passes over the files, so memory does not grow with their size:
 * the first finds the matches and their identifiers, the second prints.
 * Both read a megabyte at a time and hand whole blocks of lines to the
 * matcher (lib/match.h); only lines that may belong to the timeline are
 * looked at one by one.
 *
 * With several files the timeline is merged in log time, for files may
 * overlap (a bot's log and its exchange connector's): pass 2 reads them
 * one after the other into lib/tlmerge.h, which keeps the first 2000
 * lines by (time, order read) in at most SEARCH_MERGE_BYTES, and they
 * are printed and given to --llm once the files are read.  A line
 * without a time of its own takes its record's, else that of the
 * timeline line before it in its file, else its file's first time (none:
 * the end, in file order).  Past the byte cap a line is kept shortened
 * to SEARCH_SHORT_LINE bytes (said on stderr), so memory stays bounded
 * whatever the input; one file streams as it is read.
 *
 * Text output: "> file:line: text" for a match, "~" for a line sharing
 * an identifier, " " for context.  Log bytes are escaped (lw_vis); on a
 * terminal (--color=auto, unless NO_COLOR is set) the matched parts are
 * bold red and the shared identifiers bold cyan.  Caps (matches used,
 * timeline length, cut lines) are reported on stderr.
 *
 * --json prints one object instead, valid UTF-8 whatever the log held
 * (invalid bytes become U+FFFD; cJSON escapes control bytes):
 *
 *   {"query": "...", "regex": false,
 *    "files": [{"name": "bot.log.1.gz", "lines": 120}, ...],
 *    "matches": 2,			(matching lines, all of them)
 *    "capped": false,			(only the first 1000 are used)
 *    "ids": ["12345", "BTC/USDT"],	(identifiers followed)
 *    "timeline": [
 *     {"file": "bot.log", "line": 7, "time": "2025-03-20T09:16:01.000Z",
 *      "kind": "match", "text": "...", "spans": [[41, 46]]}, ...],
 *    "timeline_capped": false, "left_out": 0,
 *    "llm": "..."}			(only with --llm; null if it failed)
 *
 * kind is "match", "related" or "context"; spans are [start, end) byte
 * offsets in text: the matched parts of a match, the shared identifiers
 * of a related line, none for context.  time is the line's log time (a
 * traceback line takes its record's), null when unknown.  left_out counts
 * the timeline lines past the 2000-line cap (the first 2000 in time
 * order are kept).
 *
 * This file has the options, the two passes and --llm; search_out.c
 * prints the timeline; search.h is what they share.
 *
 * Exit status: 0 something matched, 1 nothing did or an error, 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ids.h"
#include "llm.h"
#include "log.h"
#include "logwarden.h"
#include "logfile.h"
#include "match.h"
#include "parse.h"
#include "redact.h"
#include "search.h"
#include "tlmerge.h"
#include "tlprompt.h"
#include "xmalloc.h"

/* The log time of a line: its own, else the last one seen. */
static int64_t
line_time(struct search *s, const char *line, size_t len)
{
	struct lw_parsed	p;

	lw_parse_line(s->parser, line, len, &p);
	if (p.is_header)
		s->last_t = p.has_time ? p.time_ms : INT64_MIN;
	return s->last_t;
}

/* Lines in b[0..n): its line breaks, and an unfinished last line. */
static uint64_t
count_lines(const char *b, size_t n)
{
	const char	*p = b, *end = b + n;
	uint64_t	 c = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p++;
	}
	return c + (n > 0 && b[n - 1] != '\n');
}

/* lw_logfile_blocks' callback: the search and its pass. */
struct pass {
	struct search	*s;
	block_fn	 fn;
};

static void
pass_block(const char *b, size_t len, void *arg)
{
	struct pass	*p = arg;

	p->fn(p->s, b, len);
}

/* One file, a block of whole lines at a time (a line longer than
 * SEARCH_BLOCK is cut: its first SEARCH_BLOCK bytes stand for it). */
static int
search_file(struct search *s, int fi, char *buf, block_fn fn)
{
	struct pass	p = { s, fn };
	char		err[512];

	s->fi = fi;
	s->fbase = s->idx;
	s->last_t = INT64_MIN;
	s->last_key = s->ftime[fi];
	if (lw_logfile_blocks(s->files[fi], buf, SEARCH_BLOCK, pass_block, &p,
	    err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static int
search_files(struct search *s, block_fn fn)
{
	char	*buf = xmalloc(SEARCH_BLOCK);
	int	 i, rc = 0;

	s->idx = 0;
	for (i = 0; i < s->nfiles && rc == 0; i++)
		rc = search_file(s, i, buf, fn);
	free(buf);
	return rc;
}

/* Files in time order (bot.log.2.gz, bot.log.1, bot.log), by the first
 * timestamp of each, left in t[0..n); ties and files without one keep
 * their order. */
static void
order_files(struct lw_parser *parser, char **files, int64_t *t, int n)
{
	char	 err[512];
	int	 i, j;

	for (i = 0; i < n; i++)
		if (lw_logfile_first_time(parser, files[i], &t[i], err,
		    sizeof(err)) != 1)
			t[i] = INT64_MAX;	/* none, or read it later */
	for (i = 1; i < n; i++) {
		int64_t	 kt = t[i];
		char	*kf = files[i];

		for (j = i - 1; j >= 0 && t[j] > kt; j--) {
			t[j + 1] = t[j];
			files[j + 1] = files[j];
		}
		t[j + 1] = kt;
		files[j + 1] = kf;
	}
}

/* Pass 1: a matching line; its identifiers are followed from now on. */
static void
found(struct search *s, const char *line, size_t len, int64_t t)
{
	struct lw_ids	ids;
	size_t		i, j;

	s->nfound++;
	if (s->nm == SEARCH_MAX_MATCHES) {
		s->capped = 1;
		return;
	}
	s->m[s->nm].idx = s->idx;
	s->m[s->nm].t = t;
	s->nm++;
	lw_ids_extract(line, len > SEARCH_LINE_MAX ? SEARCH_LINE_MAX : len,
	    &ids);
	for (i = 0; i < ids.n && s->nids < SEARCH_MAX_IDS; i++) {
		for (j = 0; j < s->nids && strcmp(s->ids[j], ids.v[i]); j++)
			;
		if (j == s->nids)
			memcpy(s->ids[s->nids++], ids.v[i], LW_ID_LEN);
	}
}

/* Pass 1 over a block: the matcher jumps from hit to hit; the lines in
 * between are only counted, or timed when --window needs their times. */
static void
find_block(struct search *s, const char *b, size_t len)
{
	const char	*nl;
	size_t		 pos = 0, ls, le, stop, e;
	int		 hit;

	while (pos < len) {
		hit = lw_match_next(s->mt, b, len, pos, &ls, &le);
		stop = hit ? ls : len;
		if (s->window_ms > 0) {
			while (pos < stop) {
				nl = memchr(b + pos, '\n', stop - pos);
				e = nl != NULL ? (size_t)(nl - b) : stop;
				line_time(s, b + pos, e - pos);
				s->idx++;
				pos = nl != NULL ? e + 1 : stop;
			}
		} else
			s->idx += count_lines(b + pos, stop - pos);
		if (!hit)
			break;
		found(s, b + ls, le - ls, s->window_ms > 0 ?
		    line_time(s, b + ls, le - ls) : INT64_MIN);
		s->idx++;
		nl = memchr(b + le, '\n', len - le);
		pos = nl != NULL ? (size_t)(nl - b) + 1 : len;
	}
	s->flines[s->fi] = s->idx - s->fbase;
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* 1 when a match's time lies within the window around t. */
static int
in_window(const struct search *s, int64_t t)
{
	size_t	lo = 0, hi = s->nmtimes, mid;

	if (t == INT64_MIN || s->nmtimes == 0)
		return 0;
	/* The first match time at or after t - window. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->mtimes[mid] < t - s->window_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nmtimes && s->mtimes[lo] <= t + s->window_ms;
}

/* Why a line belongs to the timeline: '>' match, '~' a shared id,
 * ' ' context (lines or seconds); 0 not at all.  Lines come in order, so
 * the matches behind them are skipped once. */
static char
search_why(struct search *s, const char *line, size_t len, int64_t t)
{
	size_t	i, c = s->cursor;

	if (c < s->nm && s->m[c].idx == s->idx)
		return '>';
	for (i = 0; i < s->nids; i++)
		if (lw_ids_contains(line, len, s->ids[i]))
			return '~';
	if ((c < s->nm && s->m[c].idx - s->idx <= s->context) ||
	    (c > 0 && s->idx - s->m[c - 1].idx <= s->context))
		return ' ';
	if (s->window_ms > 0 && in_window(s, t))
		return ' ';
	return 0;
}

/* The log time of the line at b[ls..le) for the JSON output: its own,
 * else that of the record header above it within the block. */
int64_t
cmd_search_time_back(struct search *s, const char *b, size_t ls, size_t le)
{
	struct lw_parsed	 p;
	const char		*nl;
	size_t			 k, e;

	for (k = 0; k < SEARCH_TIME_BACK; k++) {
		lw_parse_line(s->parser, b + ls, le - ls, &p);
		if (p.is_header)
			return p.has_time ? p.time_ms : INT64_MIN;
		if (ls == 0)
			break;
		e = ls - 1;
		nl = e > 0 ? memrchr(b, '\n', e) : NULL;
		ls = nl != NULL ? (size_t)(nl - b) + 1 : 0;
		le = e;
	}
	return INT64_MIN;
}

/* The spans to highlight: the matches of a match line, the shared
 * identifiers of a related one, sorted and without overlaps. */
size_t
cmd_search_line_spans(struct search *s, char why, const char *line, size_t len,
    struct lw_match_span *sp)
{
	struct lw_match_span	 t;
	size_t			 n = 0, i, j, k;

	if (why == '>')
		return lw_match_spans(s->mt, line, len, sp,
		    LW_MATCH_MAX_SPANS);
	if (why != '~')
		return 0;
	for (i = 0; i < s->nids && n < LW_MATCH_MAX_SPANS; i++)
		n += lw_match_tokens(line, len, s->ids[i], sp + n,
		    LW_MATCH_MAX_SPANS - n);
	for (i = 1; i < n; i++) {
		t = sp[i];
		for (j = i; j > 0 && sp[j - 1].start > t.start; j--)
			sp[j] = sp[j - 1];
		sp[j] = t;
	}
	for (i = 0, k = 0; i < n; i++)
		if (k == 0 || sp[i].start >= sp[k - 1].end)
			sp[k++] = sp[i];
	return k;
}

/*
 * Pass 2 over a block.  Without --window most lines can be passed over
 * after one memchr: a line is looked at only when it is near a match or
 * holds a copy of an identifier (found with memmem per identifier, kept
 * until the scan passes it).
 */
static void
print_block(struct search *s, const char *b, size_t len)
{
	const char	*nl, *h;
	size_t		 pos = 0, e, le, i, next;
	int64_t		 t = INT64_MIN;
	int		 look;
	char		 why;

	for (i = 0; i < s->nids; i++) {
		h = memmem(b, len, s->ids[i], strlen(s->ids[i]));
		s->idhit[i] = h != NULL ? (size_t)(h - b) : len;
	}
	while (pos < len) {
		nl = memchr(b + pos, '\n', len - pos);
		e = nl != NULL ? (size_t)(nl - b) : len;
		next = nl != NULL ? e + 1 : len;
		le = e > pos && b[e - 1] == '\r' ? e - 1 : e;
		while (s->cursor < s->nm &&
		    s->m[s->cursor].idx < s->idx)
			s->cursor++;
		look = s->window_ms > 0 ||
		    (s->cursor < s->nm &&
		    s->m[s->cursor].idx - s->idx <= s->context) ||
		    (s->cursor > 0 &&
		    s->idx - s->m[s->cursor - 1].idx <= s->context);
		for (i = 0; !look && i < s->nids; i++) {
			if (s->idhit[i] < pos) {
				h = memmem(b + pos, len - pos, s->ids[i],
				    strlen(s->ids[i]));
				s->idhit[i] = h != NULL ? (size_t)(h - b) :
				    len;
			}
			look = s->idhit[i] < e;
		}
		if (look) {
			if (s->window_ms > 0)
				t = line_time(s, b + pos, le - pos);
			if ((why = search_why(s, b + pos, le - pos, t)) != 0)
				search_out_line(s, why, b, pos, le, t);
		}
		s->idx++;
		pos = next;
	}
}

/* --llm: as much of the timeline as llm.max_prompt_tokens allows.
 * Returns the answer or NULL (the reason on stderr). */
static char *
search_explain(struct search *s)
{
	struct lw_tlprompt_msgs	 m;
	char			*answer = NULL, err[512];

	if (lw_tlprompt_build(s->tlp, s->query, s->regex,
	    s->cfg->llm.max_prompt_tokens, &m) == -1) {
		fprintf(stderr, "search --llm: llm.max_prompt_tokens (%zu) "
		    "leaves no room for the timeline\n", m.budget);
		goto out;
	}
	if (m.total > m.kept)
		fprintf(stderr, "search --llm: %llu of %llu timeline lines "
		    "left out to fit llm.max_prompt_tokens = %zu\n",
		    (unsigned long long)(m.total - m.kept),
		    (unsigned long long)m.total, m.budget);
	if (llm_ask_once(s->cfg, m.system, m.user, &answer, err,
	    sizeof(err)) == -1)
		fprintf(stderr, "search --llm: the model could not be asked: "
		    "%s\n", err);
out:
	lw_tlprompt_msgs_free(&m);
	return answer;
}

/* --llm needs the config before the search, so that a bad one costs no
 * pass over a gigabyte of log. */
static int
load_llm(struct search *s, const char *cfgpath)
{
	struct lw_cfgerrs	 errs = { 0 };
	const char		*pat;
	char			 err[512];

	if ((s->cfg = lw_config_load(cfgpath, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		lw_cfgerrs_free(&errs);
		fprintf(stderr, "search --llm needs the [llm] settings of a "
		    "valid config (-c FILE)\n");
		return -1;
	}
	lw_cfgerrs_free(&errs);
	if (!s->cfg->llm.enabled) {
		fprintf(stderr, "search --llm: llm.enabled is no in %s\n",
		    cfgpath);
		return -1;
	}
	pat = s->cfg->alerts.redact;
	if ((s->red = lw_redactor_new(pat ? &pat : NULL, pat ? 1 : 0, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "search --llm: alerts.redact: %s\n", err);
		return -1;
	}
	s->tlp = lw_tlprompt_new(s->red, SEARCH_MAX_OUT, SEARCH_LLM_LINE);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: logwarden search [--regex] [--json] "
	    "[--color=auto|always|never] [--llm] [-C N] [--window SEC] "
	    "FILE... QUERY\n");
}

/* --color=WHEN; auto: a terminal, and NO_COLOR unset or empty. */
static int
want_color(const char *when, int *color)
{
	const char	*nc = getenv("NO_COLOR");

	if (when == NULL || strcmp(when, "auto") == 0)
		*color = isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0');
	else if (strcmp(when, "always") == 0)
		*color = 1;
	else if (strcmp(when, "never") == 0)
		*color = 0;
	else
		return -1;
	return 0;
}

int
cmd_search(const char *cfgpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "llm", no_argument, NULL, 'L' },
		{ "window", required_argument, NULL, 'w' },
		{ "regex", no_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'J' },
		{ "color", optional_argument, NULL, 'K' },
		{ "colour", optional_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct search	*s;
	const char	*when = NULL;
	char		*end, *answer = NULL, err[512];
	long		 v;
	int		 ch, k, rc = 1;
	size_t		 i;

	s = xcalloc(1, sizeof(*s));
	s->context = 3;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+C:E", longopts, NULL)) != -1) {
		switch (ch) {
		case 'L':
			s->llm = 1;
			break;
		case 'E':
			s->regex = 1;
			break;
		case 'J':
			s->json = 1;
			break;
		case 'K':
			when = optarg;
			break;
		case 'C':
		case 'w':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || v < 0 || v > 86400) {
				fprintf(stderr, "search: %s: not a number of "
				    "%s\n", optarg, ch == 'C' ? "lines" :
				    "seconds");
				rc = 2;
				goto out;
			}
			if (ch == 'C')
				s->context = (unsigned)v;
			else
				s->window_ms = v * 1000;
			break;
		default:
			usage();
			rc = 2;
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (want_color(when, &s->color) == -1) {
		fprintf(stderr, "search: --color=%s: not auto, always or "
		    "never\n", when);
		rc = 2;
		goto out;
	}
	if (argc < 2 || argv[argc - 1][0] == '\0') {
		usage();
		rc = 2;
		goto out;
	}
	s->query = argv[argc - 1];
	if ((s->mt = lw_match_new(s->query, s->regex, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "search: %s\n", err);
		rc = 2;
		goto out;
	}
	if (s->json)
		s->color = 0;
	if (s->llm && load_llm(s, cfgpath) == -1)
		goto out;
	s->files = argv;
	s->nfiles = argc - 1;
	s->flines = xcalloc((size_t)s->nfiles, sizeof(*s->flines));
	s->ftime = xcalloc((size_t)s->nfiles, sizeof(*s->ftime));
	s->parser = lw_parser_new();
	buf_init(&s->line, SEARCH_OUT_BYTES);
	/* As lw_tlprompt_add's: redaction can double a line. */
	buf_init(&s->redl, SEARCH_LINE_MAX * 2);
	order_files(s->parser, s->files, s->ftime, s->nfiles);
	if (s->json) {
		s->jfile = xcalloc((size_t)s->nfiles, sizeof(*s->jfile));
		for (k = 0; k < s->nfiles; k++)
			s->jfile[k] = search_out_json_file(s->files[k]);
	}
	if (search_files(s, find_block) == -1)
		goto out;
	search_out_head(s);
	if (s->nm == 0) {
		if (s->json)
			search_out_tail(s, 0, NULL);
		search_out_caps(s);
		goto out;
	}
	s->mtimes = xcalloc(s->nm, sizeof(*s->mtimes));
	for (i = 0; i < s->nm; i++)
		if (s->m[i].t != INT64_MIN)
			s->mtimes[s->nmtimes++] = s->m[i].t;
	qsort(s->mtimes, s->nmtimes, sizeof(*s->mtimes), cmp_time);
	if (s->nfiles > 1)
		s->merge = lw_tlmerge_new(SEARCH_MAX_OUT, SEARCH_MERGE_BYTES,
		    SEARCH_MERGE_SMALL);
	if (search_files(s, print_block) == -1)
		goto out;
	if (s->merge != NULL)
		search_out_merged(s);
	fflush(stdout);
	search_out_caps(s);
	rc = 0;
	if (s->llm && (answer = search_explain(s)) == NULL)
		rc = 1;
	search_out_tail(s, s->llm, answer);
out:
	free(answer);
	lw_tlprompt_free(s->tlp);
	lw_tlmerge_free(s->merge);
	for (k = 0; s->jfile != NULL && k < s->nfiles; k++)
		free(s->jfile[k]);
	free(s->jfile);
	free(s->ftime);
	free(s->mtimes);
	free(s->flines);
	buf_free(&s->line);
	buf_free(&s->redl);
	lw_parser_free(s->parser);
	lw_match_free(s->mt);
	lw_redactor_free(s->red);
	lw_config_free(s->cfg);
	free(s);
	return rc;
}
