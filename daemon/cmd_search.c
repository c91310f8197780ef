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
 * Exit status: 0 something matched, 1 nothing did or an error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "ids.h"
#include "llm.h"
#include "log.h"
#include "logwarden.h"
#include "logfile.h"
#include "lwtime.h"
#include "match.h"
#include "parse.h"
#include "redact.h"
#include "tlmerge.h"
#include "tlprompt.h"
#include "utf8.h"
#include "xmalloc.h"

#define SEARCH_LINE_MAX		(64 * 1024)	/* shown; longer lines are cut */
#define SEARCH_BLOCK		(1024 * 1024)	/* read and searched at once */
#define SEARCH_MAX_MATCHES	1000
#define SEARCH_MAX_IDS		32
#define SEARCH_MAX_OUT		2000		/* lines in the timeline */
#define SEARCH_OUT_BYTES	(SEARCH_LINE_MAX * 4 + 4096)	/* escaped */
#define SEARCH_LLM_LINE		500		/* bytes of a line in the prompt */
#define SEARCH_TIME_BACK	64		/* lines looked back for a time */
/*
 * The merged timeline of several files: at most SEARCH_MAX_OUT lines in
 * SEARCH_MERGE_BYTES (renderings and, for --llm, redacted lines of at
 * most SEARCH_LLM_RAW bytes).  A line that does not fit is kept cut to
 * SEARCH_SHORT_LINE bytes of log (SEARCH_SHORT_RAW for --llm), which
 * stays within SEARCH_MERGE_SMALL: 2752 bytes of text or about 4 KiB of
 * JSON at worst, every byte escaped.
 */
#define SEARCH_MERGE_BYTES	(64 * 1024 * 1024)
#define SEARCH_MERGE_SMALL	(8 * 1024)
#define SEARCH_SHORT_LINE	512
#define SEARCH_SHORT_RAW	1024
#define SEARCH_LLM_RAW		(4 * 1024)

/* What a merged line went through, counted when it is printed. */
#define MERGE_CUT		0x1		/* at SEARCH_LINE_MAX */
#define MERGE_SHORT		0x2		/* at SEARCH_SHORT_LINE */

#define COLOR_MATCH		"\033[1;31m"
#define COLOR_ID		"\033[1;36m"
#define COLOR_OFF		"\033[0m"

struct match {
	uint64_t	idx;		/* global line number */
	int64_t		t;		/* log time, ms; INT64_MIN unknown */
};

struct search {
	struct lw_match	*mt;
	const char	*query;
	int		 regex, json, color, llm;
	unsigned	 context;
	int64_t		 window_ms;
	char		**files;
	int		 nfiles;
	uint64_t	*flines;	/* lines per file (pass 1) */
	int		 fi;		/* file being read */
	uint64_t	 fbase;		/* idx of its first line */
	uint64_t	 idx;		/* next line's global number */
	struct match	 m[SEARCH_MAX_MATCHES];
	size_t		 nm;
	uint64_t	 nfound;	/* matching lines, also past the cap */
	int		 capped;
	int64_t		*mtimes;	/* the matches' known times, sorted */
	size_t		 nmtimes;
	size_t		 cursor;	/* first match not yet behind us */
	char		 ids[SEARCH_MAX_IDS][LW_ID_LEN];
	size_t		 nids;
	size_t		 idhit[SEARCH_MAX_IDS];	/* next copy in the block */
	struct lw_parser *parser;
	int64_t		 last_t;
	int64_t		*ftime;		/* first log times; INT64_MAX none */
	int64_t		 last_key;	/* time of its last timeline line */
	uint64_t	 out;		/* timeline lines, also past the cap */
	uint64_t	 printed;	/* of them */
	uint64_t	 cut;		/* of them, cut at SEARCH_LINE_MAX */
	uint64_t	 shortened;	/* of them, cut for SEARCH_MERGE_BYTES */
	struct buf	 line;		/* one escaped line */
	struct buf	 redl;		/* one redacted line (--llm, merged) */
	char		**jfile;	/* --json: "file":"name", per file */
	struct lw_tlmerge *merge;	/* several files: the timeline */
	struct lw_config *cfg;		/* --llm */
	struct lw_redactor *red;
	struct lw_tlprompt *tlp;	/* the timeline kept for the prompt */
};

/* What pass 1 or pass 2 does with a block of whole lines of file fi. */
typedef void (*block_fn)(struct search *, const char *, size_t);

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
static int64_t
time_back(struct search *s, const char *b, size_t ls, size_t le)
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
static size_t
line_spans(struct search *s, char why, const char *line, size_t len,
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

static void
json_add_string(cJSON *o, const char *name, const char *s, size_t len)
{
	struct buf	b;

	/* cJSON copies bytes as they are: repair UTF-8 first. */
	buf_init(&b, len * 3 + 1);
	lw_utf8_clean(&b, s, len);
	cJSON_AddStringToObject(o, name, buf_str(&b));
	buf_free(&b);
}

/*
 * The JSON object of a timeline line without its "file" member, which
 * print_line puts in front (a merged line need not keep it).  Returns
 * the text, which the caller frees.
 */
static char *
render_json(struct search *s, char why, uint64_t lineno, const char *line,
    size_t len, int64_t t, const struct lw_match_span *sp, size_t nsp)
{
	struct lw_match_span	 mapped[LW_MATCH_MAX_SPANS];
	cJSON			*o, *spans, *pair;
	char			 iso[LW_ISO8601_LEN], *js;
	size_t			 i;

	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "line", (double)lineno);
	if (t == INT64_MIN)
		cJSON_AddNullToObject(o, "time");
	else {
		lw_iso8601(t, iso, sizeof(iso));
		cJSON_AddStringToObject(o, "time", iso);
	}
	cJSON_AddStringToObject(o, "kind", why == '>' ? "match" :
	    why == '~' ? "related" : "context");
	buf_reset(&s->line);
	(void)lw_match_render(&s->line, line, len, sp, nsp, lw_utf8_clean,
	    NULL, NULL, mapped);
	cJSON_AddStringToObject(o, "text", buf_str(&s->line));
	spans = cJSON_AddArrayToObject(o, "spans");
	for (i = 0; i < nsp; i++) {
		if (mapped[i].end <= mapped[i].start ||
		    mapped[i].end > s->line.len)
			continue;
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(
		    (double)mapped[i].start));
		cJSON_AddItemToArray(pair, cJSON_CreateNumber(
		    (double)mapped[i].end));
		cJSON_AddItemToArray(spans, pair);
	}
	if ((js = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("cJSON_PrintUnformatted: out of memory");
	cJSON_Delete(o);
	return js;
}

/* The "file":"name", that starts each timeline object of a file. */
static char *
json_file(const char *name)
{
	cJSON	*o = cJSON_CreateObject();
	char	*js;
	size_t	 n;

	json_add_string(o, "file", name, strlen(name));
	if ((js = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("cJSON_PrintUnformatted: out of memory");
	cJSON_Delete(o);
	/* {"file":"name"} becomes "file":"name", */
	n = strlen(js);
	memmove(js, js + 1, n - 2);
	js[n - 2] = ',';
	js[n - 1] = '\0';
	return js;
}

/*
 * A timeline line as printed, without its file and line number: the
 * text after "> file:line: ", or the JSON object without "file".  The
 * caller frees it; *outlen is its length.
 */
static char *
render(struct search *s, char why, uint64_t lineno, const char *line,
    size_t len, int64_t t, size_t *outlen)
{
	struct lw_match_span	 sp[LW_MATCH_MAX_SPANS];
	size_t			 nsp;
	char			*r;

	nsp = line_spans(s, why, line, len, sp);
	if (s->json)
		r = render_json(s, why, lineno, line, len, t, sp, nsp);
	else {
		buf_reset(&s->line);
		(void)lw_match_render(&s->line, line, len, sp, s->color ? nsp :
		    0, lw_vis, why == '>' ? COLOR_MATCH : COLOR_ID, COLOR_OFF,
		    NULL);
		r = xmemdup(buf_str(&s->line), s->line.len);
	}
	*outlen = strlen(r);
	return r;
}

static void
print_line(struct search *s, char why, int fi, uint64_t lineno,
    const char *out)
{
	if (s->json)
		printf("%s{%s%s", s->printed == 0 ? "\n" : ",\n",
		    s->jfile[fi], out + 1);
	else
		printf("%c %s:%llu: %s\n", why, s->files[fi],
		    (unsigned long long)lineno, out);
	s->printed++;
}

/* Lines between the line being emitted and the nearest match; the
 * cursor is the first match not behind it. */
static uint64_t
match_dist(const struct search *s)
{
	uint64_t	d = UINT64_MAX;
	size_t		c = s->cursor;

	if (c < s->nm)
		d = s->m[c].idx - s->idx;
	if (c > 0 && s->idx - s->m[c - 1].idx < d)
		d = s->idx - s->m[c - 1].idx;
	return d;
}

/*
 * Pass 2 over several files: a line of the timeline goes to the merge,
 * by its time (--window has it; else its record's, looked up only now),
 * else the time of the timeline line before it in its file.  It is
 * rendered only when the merge wants it, and shortened when it does not
 * fit the merge's bytes.
 */
static void
merge_line(struct search *s, char why, const char *b, size_t ls,
    size_t le, int64_t t)
{
	struct lw_tlmerge_line	 l;
	const char		*line = b + ls;
	size_t			 len = le - ls, max = SEARCH_LINE_MAX, n;
	size_t			 rawmax = SEARCH_LLM_RAW;
	int			 rc;

	s->out++;
	if (s->window_ms == 0)
		t = time_back(s, b, ls, le);
	if (t != INT64_MIN)
		s->last_key = t;
	if (!lw_tlmerge_wants(s->merge, s->last_key))
		return;
	memset(&l, 0, sizeof(l));
	l.t = s->last_key;
	l.file = s->fi;
	l.line = s->idx - s->fbase + 1;
	l.mark = why;
	l.dist = match_dist(s);
	if (len > SEARCH_LINE_MAX) {
		len = SEARCH_LINE_MAX;
		l.flags |= MERGE_CUT;
	}
	/*
	 * --llm keeps the line redacted whole, then cut: the prompt shows
	 * SEARCH_LLM_LINE bytes of it, and a secret cut first could go
	 * unrecognised (tlprompt redacts once more, to no effect).
	 */
	if (s->tlp != NULL) {
		buf_reset(&s->redl);
		if (lw_redact(s->red, line, len, &s->redl) == -1)
			(void)buf_adds(&s->redl, "[a line too long to redact]");
	}
	for (;;) {
		n = len > max ? lw_utf8_cut(line, max) : len;
		l.out = render(s, why, l.line, line, n, t, &l.outlen);
		if (s->tlp != NULL) {
			l.raw = s->redl.data;	/* NULL when empty */
			l.rawlen = s->redl.len > rawmax ?
			    lw_utf8_cut(l.raw, rawmax) : s->redl.len;
		}
		rc = lw_tlmerge_add(s->merge, &l);
		free(l.out);
		if (rc != -1)
			break;
		/* A line of SEARCH_MERGE_SMALL always fits; an empty one
		 * surely is one. */
		if (max == 0)
			fatalx("merge_line: an empty line does not fit");
		max = max > SEARCH_SHORT_LINE ? SEARCH_SHORT_LINE : 0;
		rawmax = max > 0 ? SEARCH_SHORT_RAW : 0;
		l.flags |= MERGE_SHORT;
	}
}

/* Pass 2: one line of the timeline. */
static void
emit(struct search *s, char why, const char *b, size_t ls, size_t le,
    int64_t t)
{
	const char		*line = b + ls;
	size_t			 len = le - ls, n;
	char			*r;

	if (s->merge != NULL) {
		merge_line(s, why, b, ls, le, t);
		return;
	}
	/* Past the store's cap a line only counts as left out. */
	if (s->tlp != NULL)
		(void)lw_tlprompt_add(s->tlp, s->idx, why, match_dist(s), line,
		    len > SEARCH_LINE_MAX ? SEARCH_LINE_MAX : len);
	if (++s->out > SEARCH_MAX_OUT)
		return;
	if (len > SEARCH_LINE_MAX) {
		len = SEARCH_LINE_MAX;
		s->cut++;
	}
	if (s->json && s->window_ms == 0)
		t = time_back(s, b, ls, le);
	r = render(s, why, s->idx - s->fbase + 1, line, len, t, &n);
	print_line(s, why, s->fi, s->idx - s->fbase + 1, r);
	free(r);
}

/*
 * The merged timeline, once all files are read: printed and given to
 * --llm in time order.  The prompt numbers its lines by their place
 * here, and counts the lines left out past SEARCH_MAX_OUT as the
 * streaming path does.
 */
static void
merge_print(struct search *s)
{
	const struct lw_tlmerge_line	*v;
	size_t				 n, i;
	uint64_t			 k;

	v = lw_tlmerge_sorted(s->merge, &n);
	for (i = 0; i < n; i++) {
		print_line(s, v[i].mark, v[i].file, v[i].line, v[i].out);
		if (v[i].flags & MERGE_CUT)
			s->cut++;
		if (v[i].flags & MERGE_SHORT)
			s->shortened++;
		if (s->tlp != NULL)
			(void)lw_tlprompt_add(s->tlp, i, v[i].mark, v[i].dist,
			    v[i].raw != NULL ? v[i].raw : "", v[i].rawlen);
	}
	/* n is min(out, SEARCH_MAX_OUT), the store's cap: these only count. */
	for (k = n; s->tlp != NULL && k < s->out; k++)
		(void)lw_tlprompt_add(s->tlp, k, ' ', UINT64_MAX, "", 0);
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
				emit(s, why, b, pos, le, t);
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
print_head(struct search *s)
{
	struct buf	q;
	cJSON		*o, *a, *f;
	size_t		 i;
	char		*js;
	int		 k;

	if (!s->json) {
		buf_init(&q, LW_MATCH_MAX_QUERY * 4);
		lw_vis(&q, s->query, strlen(s->query));
		if (s->nm == 0) {
			printf("no line %s \"%s\"\n", s->regex ? "matches" :
			    "contains", buf_str(&q));
			buf_free(&q);
			return;
		}
		printf("%llu line%s %s \"%s\"", (unsigned long long)s->nfound,
		    s->nfound == 1 ? "" : "s", s->regex ? (s->nfound == 1 ?
		    "matches" : "match") : (s->nfound == 1 ? "contains" :
		    "contain"), buf_str(&q));
		buf_free(&q);
		if (s->nids > 0) {
			printf("; following");
			for (i = 0; i < s->nids; i++) {
				buf_init(&q, LW_ID_LEN * 4);
				lw_vis(&q, s->ids[i], strlen(s->ids[i]));
				printf(" %s", buf_str(&q));
				buf_free(&q);
			}
		}
		printf("\n> match, ~ same id or pair, context: %u lines%s\n\n",
		    s->context, s->window_ms ? " and the window" : "");
		return;
	}
	o = cJSON_CreateObject();
	json_add_string(o, "query", s->query, strlen(s->query));
	cJSON_AddBoolToObject(o, "regex", s->regex);
	a = cJSON_AddArrayToObject(o, "files");
	for (k = 0; k < s->nfiles; k++) {
		f = cJSON_CreateObject();
		json_add_string(f, "name", s->files[k], strlen(s->files[k]));
		cJSON_AddNumberToObject(f, "lines", (double)s->flines[k]);
		cJSON_AddItemToArray(a, f);
	}
	cJSON_AddNumberToObject(o, "matches", (double)s->nfound);
	cJSON_AddBoolToObject(o, "capped", s->capped);
	a = cJSON_AddArrayToObject(o, "ids");
	for (i = 0; i < s->nids; i++) {
		buf_init(&q, LW_ID_LEN * 3);
		lw_utf8_clean(&q, s->ids[i], strlen(s->ids[i]));
		cJSON_AddItemToArray(a, cJSON_CreateString(buf_str(&q)));
		buf_free(&q);
	}
	/* Everything but the closing brace: the timeline streams after. */
	if ((js = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("cJSON_PrintUnformatted: out of memory");
	js[strlen(js) - 1] = '\0';
	printf("%s,\"timeline\":[", js);
	free(js);
	cJSON_Delete(o);
}

static void
print_tail(struct search *s, int asked, const char *answer)
{
	struct buf	b;
	cJSON		*o;
	char		*js;

	if (s->json) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "timeline_capped",
		    s->out > SEARCH_MAX_OUT);
		cJSON_AddNumberToObject(o, "left_out", (double)(s->out >
		    SEARCH_MAX_OUT ? s->out - SEARCH_MAX_OUT : 0));
		if (asked && answer != NULL)
			json_add_string(o, "llm", answer, strlen(answer));
		else if (asked)
			cJSON_AddNullToObject(o, "llm");
		if ((js = cJSON_PrintUnformatted(o)) == NULL)
			fatalx("cJSON_PrintUnformatted: out of memory");
		printf("%s],%s\n", s->out > 0 ? "\n" : "", js + 1);
		free(js);
		cJSON_Delete(o);
		return;
	}
	if (answer == NULL)
		return;
	buf_init(&b, LW_LLM_RESPONSE_MAX * 4);
	lw_vis_lines(&b, answer);
	printf("\n== the model's explanation (%s) ==\n%s\n",
	    s->cfg->llm.model, buf_str(&b));
	buf_free(&b);
}

/* The caps, on stderr so that they never mix with --json. */
static void
report_caps(struct search *s)
{
	char	msg[256];
	size_t	n;

	if (s->capped)
		fprintf(stderr, "search: only the first %d of the %llu "
		    "matching lines are used\n", SEARCH_MAX_MATCHES,
		    (unsigned long long)s->nfound);
	if (s->out > SEARCH_MAX_OUT)
		fprintf(stderr, "search: the timeline is cut at %d lines; "
		    "%llu more lines were left out\n", SEARCH_MAX_OUT,
		    (unsigned long long)(s->out - SEARCH_MAX_OUT));
	if (s->cut > 0)
		fprintf(stderr, "search: %llu line%s longer than %d bytes "
		    "%s cut\n", (unsigned long long)s->cut, s->cut == 1 ? "" :
		    "s", SEARCH_LINE_MAX, s->cut == 1 ? "is" : "are");
	if (s->shortened > 0)
		fprintf(stderr, "search: %llu timeline line%s shown cut to %d "
		    "bytes: the merged timeline holds at most %d MiB\n",
		    (unsigned long long)s->shortened, s->shortened == 1 ? " is" :
		    "s are", SEARCH_SHORT_LINE, SEARCH_MERGE_BYTES / 1048576);
	if ((n = lw_match_errors(s->mt, msg, sizeof(msg))) > 0)
		fprintf(stderr, "search: %zu line%s could not be matched (%s) "
		    "and count as not matching\n", n, n == 1 ? "" : "s", msg);
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
			s->jfile[k] = json_file(s->files[k]);
	}
	if (search_files(s, find_block) == -1)
		goto out;
	print_head(s);
	if (s->nm == 0) {
		if (s->json)
			print_tail(s, 0, NULL);
		report_caps(s);
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
		merge_print(s);
	fflush(stdout);
	report_caps(s);
	rc = 0;
	if (s->llm && (answer = search_explain(s)) == NULL)
		rc = 1;
	print_tail(s, s->llm, answer);
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
