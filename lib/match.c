/*
 * match: literal and PCRE2 queries over buffers of whole lines.  The
 * literal path is memmem and memchr only, which glibc vectorises; the
 * pattern path hands the whole buffer to the JIT and looks for the line
 * only around a hit.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "utf8.h"
#include "xmalloc.h"

#define MATCH_JIT_STACK_MIN	(32 * 1024)
#define MATCH_JIT_STACK_MAX	(1024 * 1024)

struct lw_match {
	char			*q;		/* the literal */
	size_t			 qlen;
	pcre2_code		*re;		/* NULL: literal */
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*stack;
	int			 jit;
	int			 per_line;	/* never over many lines */
	size_t			 nerr;
	int			 lasterr;
};

/*
 * Constructs that let a match depend on bytes outside its line, or
 * that undo the multi-line anchors: with them, a search over many lines
 * could miss a line that matches alone.  The scan is crude on purpose
 * ("\\A" is taken for "\A"): a false alarm only costs speed.
 */
static int
needs_lines(const char *p)
{
	static const char *const marks[] = { "\\A", "\\z", "\\Z", "\\G",
	    "\\K", "(?=", "(?!", "(?<=", "(?<!", "(*", "(?^", NULL };
	const char	*s;
	size_t		 i;

	for (i = 0; marks[i] != NULL; i++)
		if (strstr(p, marks[i]) != NULL)
			return 1;
	/* "(?im-s)" and the like turn options off, multi-line among them. */
	for (s = p; (s = strstr(s, "(?")) != NULL; s += 2) {
		for (i = 2; isalpha((unsigned char)s[i]); i++)
			;
		if (s[i] == '-')
			return 1;
	}
	return 0;
}

struct lw_match *
lw_match_new(const char *query, int regex, char *err, size_t errsz)
{
	struct lw_match		*m = NULL;
	pcre2_compile_context	*cctx = NULL;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 erroff;
	size_t			 len = strlen(query);
	int			 ecode;

	if (len == 0 || len > LW_MATCH_MAX_QUERY) {
		snprintf(err, errsz, "the query must hold 1 to %d bytes",
		    LW_MATCH_MAX_QUERY);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	if (!regex) {
		/* A line never holds a line break. */
		if (memchr(query, '\n', len) != NULL) {
			snprintf(err, errsz, "the query holds a line break");
			goto fail;
		}
		m->q = xstrdup(query);
		m->qlen = len;
		return m;
	}
	if ((cctx = pcre2_compile_context_create(NULL)) == NULL ||
	    pcre2_set_newline(cctx, PCRE2_NEWLINE_ANYCRLF) != 0) {
		snprintf(err, errsz, "cannot set up PCRE2");
		goto fail;
	}
	/*
	 * UTF mode so that a match never splits a character, tolerant of
	 * the invalid bytes logs hold; multi-line so that '^' and '$' work
	 * at every line of a buffer as they do on a line alone.
	 */
	m->re = pcre2_compile((PCRE2_SPTR)query, len, PCRE2_UTF |
	    PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE, &ecode, &erroff, cctx);
	if (m->re == NULL) {
		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", ecode);
		snprintf(err, errsz, "bad pattern at offset %zu: %s",
		    (size_t)erroff, (const char *)msg);
		goto fail;
	}
	if ((m->md = pcre2_match_data_create_from_pattern(m->re, NULL)) ==
	    NULL || (m->mctx = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errsz, "out of memory for PCRE2");
		goto fail;
	}
	/* No JIT in this build or on this CPU: the interpreter does it. */
	if (pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE) == 0) {
		m->jit = 1;
		/* The default 32 KiB stack is short for nested groups over
		 * a buffer of a megabyte. */
		m->stack = pcre2_jit_stack_create(MATCH_JIT_STACK_MIN,
		    MATCH_JIT_STACK_MAX, NULL);
		if (m->stack != NULL)
			pcre2_jit_stack_assign(m->mctx, NULL, m->stack);
	}
	m->per_line = needs_lines(query);
	pcre2_compile_context_free(cctx);
	return m;
fail:
	pcre2_compile_context_free(cctx);
	lw_match_free(m);
	return NULL;
}

void
lw_match_free(struct lw_match *m)
{
	if (m == NULL)
		return;
	free(m->q);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->stack);
	pcre2_code_free(m->re);
	free(m);
}

int
lw_match_jit(const struct lw_match *m)
{
	return m->jit;
}

size_t
lw_match_errors(const struct lw_match *m, char *msg, size_t msgsz)
{
	PCRE2_UCHAR	 b[256];

	if (msg != NULL && msgsz > 0) {
		msg[0] = '\0';
		if (m->nerr > 0 && pcre2_get_error_message(m->lasterr, b,
		    sizeof(b)) >= 0)
			snprintf(msg, msgsz, "%s", (const char *)b);
	}
	return m->nerr;
}

/* One pattern run: 1 with the match in [*ms, *me), 0 none, -1 error
 * (left to the caller to count: a failed run over many lines is retried
 * line by line). */
static int
re_run(struct lw_match *m, const char *s, size_t len, size_t off,
    uint32_t opts, size_t *ms, size_t *me)
{
	PCRE2_SIZE	*ov;
	int		 rc;

	if (m->jit)
		rc = pcre2_jit_match(m->re, (PCRE2_SPTR)s, len, off, opts,
		    m->md, m->mctx);
	else
		rc = pcre2_match(m->re, (PCRE2_SPTR)s, len, off, opts, m->md,
		    m->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		m->lasterr = rc;
		return -1;
	}
	ov = pcre2_get_ovector_pointer(m->md);
	*ms = ov[0];
	/* \K can put the start after the end. */
	*me = ov[1] < ov[0] ? ov[0] : ov[1];
	return 1;
}

int
lw_match_line(struct lw_match *m, const char *line, size_t len)
{
	size_t	ms, me;
	int	rc;

	if (m->re == NULL)
		return memmem(line, len, m->q, m->qlen) != NULL;
	if ((rc = re_run(m, line, len, 0, 0, &ms, &me)) == -1)
		m->nerr++;
	return rc == 1;
}

/* The line of buf[0..len) holding byte at, not before from: its start,
 * its content end (no CR) and the offset after its '\n'. */
static void
line_around(const char *buf, size_t len, size_t from, size_t at,
    size_t *ls, size_t *le, size_t *next)
{
	const char	*p;

	p = at > from ? memrchr(buf + from, '\n', at - from) : NULL;
	*ls = p != NULL ? (size_t)(p - buf) + 1 : from;
	p = memchr(buf + at, '\n', len - at);
	*le = p != NULL ? (size_t)(p - buf) : len;
	*next = p != NULL ? *le + 1 : len;
	if (*le > *ls && buf[*le - 1] == '\r')
		(*le)--;
}

/* Line by line: patterns that must not see past their line, and the
 * retry when a run over many lines failed. */
static int
next_by_line(struct lw_match *m, const char *buf, size_t len, size_t from,
    size_t *ls, size_t *le)
{
	size_t	s, e, next;

	while (from < len) {
		line_around(buf, len, from, from, &s, &e, &next);
		if (lw_match_line(m, buf + s, e - s)) {
			*ls = s;
			*le = e;
			return 1;
		}
		from = next;
	}
	return 0;
}

int
lw_match_next(struct lw_match *m, const char *buf, size_t len, size_t from,
    size_t *ls, size_t *le)
{
	const char	*hit;
	size_t		 s, e, next, ms, me;
	int		 rc;

	if (m->re != NULL && m->per_line)
		return next_by_line(m, buf, len, from, ls, le);
	while (from < len) {
		if (m->re == NULL) {
			if ((hit = memmem(buf + from, len - from, m->q,
			    m->qlen)) == NULL)
				return 0;
			ms = (size_t)(hit - buf);
			me = ms + m->qlen;
		} else if ((rc = re_run(m, buf, len, from, 0, &ms,
		    &me)) == 0)
			return 0;
		else if (rc == -1)
			return next_by_line(m, buf, len, from, ls, le);
		line_around(buf, len, from, ms, &s, &e, &next);
		/*
		 * A hit inside its line is a match of that line alone; one
		 * that runs past the line end (a literal holding a CR, a
		 * pattern matching '\n') is decided on the line by itself.
		 */
		if (me <= e || (m->re != NULL && lw_match_line(m, buf + s,
		    e - s))) {
			*ls = s;
			*le = e;
			return 1;
		}
		from = next;
	}
	return 0;
}

size_t
lw_match_spans(struct lw_match *m, const char *line, size_t len,
    struct lw_match_span *sp, size_t max)
{
	const char	*hit;
	size_t		 n = 0, off = 0, ms, me;
	uint32_t	 opts = 0;
	int		 rc;

	if (m->re == NULL) {
		while (n < max && off < len && (hit = memmem(line + off,
		    len - off, m->q, m->qlen)) != NULL) {
			sp[n].start = (size_t)(hit - line);
			sp[n].end = sp[n].start + m->qlen;
			off = sp[n++].end;
		}
		return n;
	}
	while (n < max && off <= len) {
		if ((rc = re_run(m, line, len, off, opts, &ms, &me)) == 0)
			break;
		if (rc == -1) {
			m->nerr++;
			break;
		}
		if (me > ms) {
			sp[n].start = ms;
			sp[n++].end = me;
			off = me;
			opts = 0;
		} else {
			/*
			 * An empty match ("x*"): look again at the same place
			 * for a non-empty one, as pcre2demo does; that run
			 * cannot return an empty match there a second time.
			 */
			off = ms;
			opts = PCRE2_NOTEMPTY_ATSTART;
		}
	}
	return n;
}

static int
tokchar(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

size_t
lw_match_tokens(const char *line, size_t len, const char *tok,
    struct lw_match_span *sp, size_t max)
{
	const char	*p = line, *end = line + len;
	size_t		 n = 0, tl = strlen(tok);

	if (tl == 0)
		return 0;
	while (n < max && (p = memmem(p, (size_t)(end - p), tok, tl)) !=
	    NULL) {
		if ((p == line || !tokchar((unsigned char)p[-1])) &&
		    (p + tl == end || !tokchar((unsigned char)p[tl]))) {
			sp[n].start = (size_t)(p - line);
			sp[n++].end = (size_t)(p - line) + tl;
			p += tl;
		} else
			p++;
	}
	return n;
}

/*
 * The first byte of the character that holds byte b: a valid UTF-8
 * sequence is one unit for both escapers, any other byte a unit of its
 * own.  A lead byte never lies inside a valid sequence, so looking back
 * at most three bytes is enough.
 */
static size_t
unit_start(const char *s, size_t len, size_t b)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k = b, w;

	if (b == 0 || b >= len || (u[b] & 0xc0) != 0x80)
		return b;
	while (k > 0 && b - k < 3) {
		k--;
		if ((u[k] & 0xc0) != 0x80)
			break;
	}
	if (u[k] < 0xc0)
		return b;
	w = u[k] >= 0xf0 ? 4 : u[k] >= 0xe0 ? 3 : 2;
	if (k + w <= b || k + w > len ||
	    lw_utf8_valid_prefix(s + k, w) != w)
		return b;
	return k;
}

/* e, or the end of the character that e falls inside. */
static size_t
unit_end(const char *s, size_t len, size_t e)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 k;

	if (e >= len)
		return len;
	if ((k = unit_start(s, len, e)) == e)
		return e;
	return k + (u[k] >= 0xf0 ? 4 : u[k] >= 0xe0 ? 3 : 2);
}

int
lw_match_render(struct buf *out, const char *line, size_t len,
    const struct lw_match_span *sp, size_t n, lw_match_escape_fn escape,
    const char *on, const char *off, struct lw_match_span *mapped)
{
	size_t	 base = out->len, pos = 0, s, e, i;

	for (i = 0; i < n; i++) {
		s = unit_start(line, len, sp[i].start > len ? len :
		    sp[i].start);
		e = unit_end(line, len, sp[i].end > len ? len : sp[i].end);
		if (s < pos)
			s = pos;
		if (e < s)
			e = s;
		if (escape(out, line + pos, s - pos) == -1)
			return -1;
		if (e > s && on != NULL && buf_adds(out, on) == -1)
			return -1;
		if (mapped != NULL)
			mapped[i].start = out->len - base;
		if (escape(out, line + s, e - s) == -1)
			return -1;
		if (mapped != NULL)
			mapped[i].end = out->len - base;
		if (e > s && off != NULL && buf_adds(out, off) == -1)
			return -1;
		pos = e;
	}
	return escape(out, line + pos, len - pos);
}
