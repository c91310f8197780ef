/*
 * search_out: the timeline of `logwarden search` on stdout, as text
 * ("> file:line: text", colour on a terminal) or as one JSON object;
 * streamed as pass 2 reads one file, or kept in lib/tlmerge.h and
 * printed in log-time order when there are several (cmd_search.c has
 * the whole story in its top comment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "llm.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "search.h"
#include "utf8.h"
#include "xmalloc.h"

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
char *
search_out_json_file(const char *name)
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

	nsp = cmd_search_line_spans(s, why, line, len, sp);
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
		t = cmd_search_time_back(s, b, ls, le);
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
void
search_out_line(struct search *s, char why, const char *b, size_t ls, size_t le,
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
		t = cmd_search_time_back(s, b, ls, le);
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
void
search_out_merged(struct search *s)
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

void
search_out_head(struct search *s)
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

void
search_out_tail(struct search *s, int asked, const char *answer)
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
void
search_out_caps(struct search *s)
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
