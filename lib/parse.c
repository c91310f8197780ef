/*
 * parse: header recognition for trading-bot log lines.
 *
 * There is no global timestamp pattern and no column arithmetic: the
 * first byte picks a family (digit: timestamp first; letter: level first
 * or a docker-compose prefix; '[', '|', '{', ' ', '>': decorated forms),
 * then each family walks its separators with bounds-checked scans.  The
 * common shapes (freqtrade/hummingbot Python logging, the seed format)
 * take one timestamp parse and three or four short token scans, and a
 * traceback frame or an indented line is rejected by its first two bytes.
 * Every index below is checked against n before it is read: lines come
 * from a file anyone may have written to.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lwtime.h"
#include "parse.h"
#include "xmalloc.h"

struct lw_parser {
	char	*scratch;	/* rewritten copies; see LW_PARSE_SCRATCH_MAX */
	size_t	 cap;
	size_t	 used;		/* bytes handed out for the current line */
	int	 docker;	/* a header came with a docker-compose prefix */
	const char *payload;	/* after the docker prefix of this line, or NULL */
};

/* What a timestamp looked like; the header shape after it depends on it. */
struct ts {
	int64_t		 ms;
	unsigned	 nfrac;		/* fraction digits, 0 when none */
	char		 fsep;		/* '.' or ',' before the fraction */
	int		 zone;		/* 'Z' or an explicit offset was given */
};

#define MAX_DEPTH	2	/* nested prefixes: "[1] ", "> ", docker, collector */

static const char empty[] = "";

static int	hdr_line(struct lw_parser *, const char *, size_t,
		    struct lw_parsed *, int);

static inline int
isdig(char c)
{
	return (unsigned)((unsigned char)c - '0') < 10u;
}

static inline int
isalpha_(char c)
{
	return (unsigned)(((unsigned char)c | 0x20) - 'a') < 26u;
}

static inline int
issp(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
skip_sp(const char *s, size_t i, size_t n)
{
	while (i < n && issp(s[i]))
		i++;
	return i;
}

/* End of a level-like word: letters and '_' (EVENT_LOG). */
static size_t
word_end(const char *s, size_t i, size_t n)
{
	while (i < n && (isalpha_(s[i]) || s[i] == '_'))
		i++;
	return i;
}

/* End of a run of non-blank bytes. */
static size_t
tok_end(const char *s, size_t i, size_t n)
{
	while (i < n && !issp(s[i]))
		i++;
	return i;
}

static inline int
dash_at(const char *s, size_t i, size_t n)
{
	return i + 2 < n && s[i] == ' ' && s[i + 1] == '-' && s[i + 2] == ' ';
}

static struct lw_span
span(const char *s, size_t a, size_t b)
{
	struct lw_span	sp;

	sp.p = s + a;
	sp.len = b > a ? b - a : 0;
	return sp;
}

/* The message is s[a..n) without trailing blanks (passivbot and freqtrade
 * leave a space at the end, which would split templates). */
static void
set_msg(struct lw_parsed *out, const char *s, size_t a, size_t n)
{
	while (n > a && issp(s[n - 1]))
		n--;
	out->message = span(s, a, n);
}

static void
set_comp(struct lw_parsed *out, const char *s, size_t a, size_t b)
{
	while (b > a && issp(s[b - 1]))
		b--;
	out->component = span(s, a, b);
}

static void
reset(struct lw_parsed *out)
{
	out->is_header = 0;
	out->has_time = 0;
	out->time_ms = 0;
	out->level = LW_LVL_UNKNOWN;
	out->component.p = out->message.p = out->line.p = empty;
	out->component.len = out->message.len = out->line.len = 0;
	out->nkv = 0;
}

enum lw_level
lw_parse_level(const char *w, size_t n)
{
	static const struct {
		const char	*name;
		size_t		 len;
		enum lw_level	 lvl;
	} words[] = {
		{ "INFO", 4, LW_LVL_INFO },
		{ "ERROR", 5, LW_LVL_ERROR },
		{ "WARNING", 7, LW_LVL_WARNING },
		{ "DEBUG", 5, LW_LVL_DEBUG },
		{ "WARN", 4, LW_LVL_WARNING },
		{ "CRITICAL", 8, LW_LVL_CRITICAL },
		{ "TRACE", 5, LW_LVL_TRACE },
		{ "NETWORK", 7, LW_LVL_INFO },
		{ "EVENT_LOG", 9, LW_LVL_INFO },
		{ "INF", 3, LW_LVL_INFO },
		{ "ERR", 3, LW_LVL_ERROR },
		{ "WRN", 3, LW_LVL_WARNING },
		{ "DBG", 3, LW_LVL_DEBUG },
		{ "FATAL", 5, LW_LVL_CRITICAL },
		{ "NOTICE", 6, LW_LVL_INFO },
		{ "CRIT", 4, LW_LVL_CRITICAL },
		{ "ALERT", 5, LW_LVL_CRITICAL },
		{ "EMERG", 5, LW_LVL_CRITICAL },
		{ "EMERGENCY", 9, LW_LVL_CRITICAL },
		{ "SEVERE", 6, LW_LVL_ERROR },
		{ "VERBOSE", 7, LW_LVL_DEBUG },
	};
	size_t	i, j;

	if (n < 3 || n > 9)
		return LW_LVL_UNKNOWN;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (words[i].len != n)
			continue;
		/* ASCII case fold; the table is upper case. */
		for (j = 0; j < n; j++) {
			char c = w[j];

			if (c >= 'a' && c <= 'z')
				c -= 'a' - 'A';
			if (c != words[i].name[j])
				break;
		}
		if (j == n)
			return words[i].lvl;
	}
	return LW_LVL_UNKNOWN;
}

static int
d2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static int
alldig(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isdig(s[i]))
			return 0;
	return n > 0;
}

/* Date at s; returns bytes used (10 or 8) or 0. */
static size_t
ts_date(const char *s, size_t n, int *y, int *mo, int *d)
{
	if (n >= 10 && alldig(s, 4) && (s[4] == '-' || s[4] == '/') &&
	    s[7] == s[4] && alldig(s + 5, 2) && alldig(s + 8, 2)) {
		*y = d2(s) * 100 + d2(s + 2);
		*mo = d2(s + 5);
		*d = d2(s + 8);
		return 10;
	}
	/* pycryptobot error lines: DD-MM-YYYY */
	if (n >= 10 && alldig(s, 2) && s[2] == '-' && alldig(s + 3, 2) &&
	    s[5] == '-' && alldig(s + 6, 4)) {
		*d = d2(s);
		*mo = d2(s + 3);
		*y = d2(s + 6) * 100 + d2(s + 8);
		return 10;
	}
	/* LEAN: YYYYMMDD, only ever followed by a space and the time */
	if (n >= 9 && alldig(s, 8) && s[8] == ' ') {
		*y = d2(s) * 100 + d2(s + 2);
		*mo = d2(s + 4);
		*d = d2(s + 6);
		return 8;
	}
	return 0;
}

static size_t
ts_parse(const char *s, size_t n, struct ts *ts)
{
	int	 y, mo, d, h, mi, se, off = 0, frac = 0;
	size_t	 i, k;

	if ((i = ts_date(s, n, &y, &mo, &d)) == 0)
		return 0;
	if (n < i + 9 || (s[i] != ' ' && s[i] != 'T'))
		return 0;
	i++;
	if (!alldig(s + i, 2) || s[i + 2] != ':' || !alldig(s + i + 3, 2) ||
	    s[i + 5] != ':' || !alldig(s + i + 6, 2))
		return 0;
	h = d2(s + i);
	mi = d2(s + i + 3);
	se = d2(s + i + 6);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return 0;
	i += 8;
	ts->nfrac = 0;
	ts->fsep = 0;
	ts->zone = 0;
	if (i + 1 < n && (s[i] == '.' || s[i] == ',') && isdig(s[i + 1])) {
		ts->fsep = s[i++];
		for (k = 0; i < n && isdig(s[i]); i++, k++)
			if (k < 3)
				frac = frac * 10 + (s[i] - '0');
		ts->nfrac = (unsigned)k;
		for (; k < 3; k++)
			frac *= 10;
	}
	if (i < n && s[i] == 'Z') {
		ts->zone = 1;
		i++;
	} else if (i + 4 < n && (s[i] == '+' || s[i] == '-') &&
	    alldig(s + i + 1, 2)) {
		/* +HH:MM or +HHMM */
		k = s[i + 3] == ':' ? 4 : 3;
		if (i + k + 1 < n && alldig(s + i + k, 2)) {
			off = d2(s + i + 1) * 60 + d2(s + i + k);
			if (s[i] == '-')
				off = -off;
			ts->zone = 1;
			i += k + 2;
		}
	}
	ts->ms = ((lw_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se - (int64_t)off * 60) * 1000) + frac;
	return i;
}

size_t
lw_parse_time(const char *s, size_t len, int64_t *ms)
{
	struct ts	ts;
	size_t		n;

	if ((n = ts_parse(s, len, &ts)) > 0)
		*ms = ts.ms;
	return n;
}

/*
 * "time - [pid - ]name - LEVEL - message" (Python logging defaults:
 * freqtrade, hummingbot, binance-trade-bot), also without the name or
 * without the level.  i is just past the first " - ".
 */
static void
tsf_python(const char *s, size_t i, size_t n, struct lw_parsed *out)
{
	size_t		a = i, ae, e, j;
	enum lw_level	lvl;

	ae = tok_end(s, i, n);
	if (!dash_at(s, ae, n)) {
		set_msg(out, s, i, n);
		return;
	}
	j = ae + 3;
	/* hummingbot's pid column */
	if (ae - a <= 10 && alldig(s + a, ae - a)) {
		e = tok_end(s, j, n);
		if (dash_at(s, e, n)) {
			a = j;
			ae = e;
			j = e + 3;
		}
	}
	e = word_end(s, j, n);
	if ((lvl = lw_parse_level(s + j, e - j)) != LW_LVL_UNKNOWN &&
	    (e == n || dash_at(s, e, n))) {
		out->level = lvl;
		set_comp(out, s, a, ae);
		set_msg(out, s, e + 3 < n ? e + 3 : n, n);
		return;
	}
	/* "time - LEVEL - message" */
	if ((lvl = lw_parse_level(s + a, ae - a)) != LW_LVL_UNKNOWN) {
		out->level = lvl;
		set_msg(out, s, j, n);
		return;
	}
	set_comp(out, s, a, ae);
	set_msg(out, s, j, n);
}

/* After "[LEVEL] ": "Exchange - msg" (seed) or "TRADER-001.Risk: msg". */
static void
tsf_after_bracket(const char *s, size_t k, size_t n, struct lw_parsed *out)
{
	size_t	e;

	k = skip_sp(s, k, n);
	e = tok_end(s, k, n);
	if (dash_at(s, e, n)) {
		set_comp(out, s, k, e);
		set_msg(out, s, e + 3, n);
	} else if (e > k + 1 && s[e - 1] == ':') {
		set_comp(out, s, k, e - 1);
		set_msg(out, s, skip_sp(s, e, n), n);
	} else
		set_msg(out, s, k, n);
}

/*
 * OctoBot's file format: the name (which may hold spaces, brackets and
 * '|') runs up to the first "file.py:NNN" token.  The line number is
 * padded to 8 columns, so the token is followed by two blanks or ends the
 * line; a single-spaced "x.py:12" in a message does not qualify.
 */
static int
octobot_file(const char *s, size_t k, size_t n, struct lw_parsed *out)
{
	const char	*q;
	size_t		 from = k, dot, e, t0;

	while (from < n && (q = memmem(s + from, n - from, ".py:", 4)) != NULL) {
		dot = (size_t)(q - s);
		for (e = dot + 4; e < n && isdig(s[e]); e++)
			;
		if (e > dot + 4 && (e == n ||
		    (e + 1 < n && issp(s[e]) && issp(s[e + 1])))) {
			for (t0 = dot; t0 > k && !issp(s[t0 - 1]); t0--)
				;
			if (t0 > k && t0 < dot) {
				set_comp(out, s, k, t0);
				set_msg(out, s, skip_sp(s, e, n), n);
				return 1;
			}
		}
		from = dot + 1;
	}
	return 0;
}

/* The rest after "time LEVEL<blanks>": the shapes differ in the name. */
static void
tsf_after_level(const char *s, size_t k, size_t n, const struct ts *ts,
    struct lw_parsed *out)
{
	size_t	e;

	/* OctoBot console (colorlog): ",mmm", then a name padded to 20 */
	if (ts->fsep == ',') {
		if (n - k > 20 && issp(s[k + 20])) {
			set_comp(out, s, k, k + 20);
			set_msg(out, s, skip_sp(s, k + 21, n), n);
		} else {
			e = tok_end(s, k, n);
			set_comp(out, s, k, e);
			set_msg(out, s, skip_sp(s, e, n), n);
		}
		return;
	}
	if (ts->nfrac == 0 && octobot_file(s, k, n, out))
		return;
	e = tok_end(s, k, n);
	/* FreqUI: "time LEVEL   logger - message" */
	if (e > k && dash_at(s, e, n)) {
		set_comp(out, s, k, e);
		set_msg(out, s, e + 3, n);
		return;
	}
	/* Rust tracing: "target::path: message" */
	if (e > k + 1 && s[e - 1] == ':' && (memmem(s + k, e - k, "::", 2) ||
	    (ts->zone && ts->nfrac == 6))) {
		set_comp(out, s, k, e - 1);
		set_msg(out, s, skip_sp(s, e, n), n);
		return;
	}
	/* passivbot, LEAN-like: no name */
	set_msg(out, s, k, n);
}

/* A line that starts with a date and a time. */
static int
hdr_tsfirst(const char *s, size_t n, struct lw_parsed *out)
{
	struct ts	 ts;
	size_t		 i, j, e, c;
	enum lw_level	 lvl;

	if ((i = ts_parse(s, n, &ts)) == 0)
		return 0;
	out->has_time = 1;
	out->time_ms = ts.ms;
	if (dash_at(s, i, n) || (i + 2 == n && s[i] == ' ' && s[i + 1] == '-')) {
		tsf_python(s, i + 3 < n ? i + 3 : n, n, out);
		return 1;
	}
	if (i < n && s[i] == ':') {
		/* "%(asctime)s:%(name)s:%(message)s" */
		for (c = i + 1; c < n && s[c] != ':' && !issp(s[c]); c++)
			;
		if (c < n && s[c] == ':') {
			set_comp(out, s, i + 1, c);
			set_msg(out, s, c + 1, n);
		} else
			set_msg(out, s, i + 1, n);
		return 1;
	}
	j = skip_sp(s, i, n);
	if (j == i || j == n) {
		set_msg(out, s, j, n);
		return 1;
	}
	if (s[j] == '[' || s[j] == '(') {
		/* "[ERROR] ..." (seed, nautilus) or "(WARN):\t..." (Gekko) */
		e = word_end(s, j + 1, n);
		lvl = lw_parse_level(s + j + 1, e - j - 1);
		if (lvl != LW_LVL_UNKNOWN && s[j] == '[' && e < n &&
		    s[e] == ']') {
			out->level = lvl;
			tsf_after_bracket(s, e + 1, n, out);
			return 1;
		}
		if (lvl != LW_LVL_UNKNOWN && s[j] == '(' && e + 1 < n &&
		    s[e] == ')' && s[e + 1] == ':') {
			out->level = lvl;
			set_msg(out, s, skip_sp(s, e + 2, n), n);
			return 1;
		}
		set_msg(out, s, j, n);
		return 1;
	}
	e = word_end(s, j, n);
	lvl = lw_parse_level(s + j, e - j);
	if (lvl == LW_LVL_UNKNOWN || (e < n && !issp(s[e]) && s[e] != ':')) {
		/* passivbot print_(): a time, two blanks, no level */
		set_msg(out, s, j, n);
		return 1;
	}
	out->level = lvl;
	if (e < n && s[e] == ':') {
		/* LEAN "ERROR:: msg", or "info: msg" */
		e += (e + 1 < n && s[e + 1] == ':') ? 2 : 1;
		set_msg(out, s, skip_sp(s, e, n), n);
		return 1;
	}
	tsf_after_level(s, skip_sp(s, e, n), n, &ts, out);
	return 1;
}

/* "LEVEL:logger:msg", "LEVEL - time - msg", "INFO <header>" (collector). */
static int
hdr_levelfirst(struct lw_parser *p, const char *s, size_t n,
    struct lw_parsed *out, int depth)
{
	struct ts	 ts;
	size_t		 e, c, t;
	enum lw_level	 lvl;

	e = word_end(s, 0, n);
	if ((lvl = lw_parse_level(s, e)) == LW_LVL_UNKNOWN)
		return 0;
	if (e < n && s[e] == ':') {
		for (c = e + 1; c < n && s[c] != ':' && !issp(s[c]); c++)
			;
		if (c == e + 1 || c == n || s[c] != ':')
			return 0;
		out->level = lvl;
		set_comp(out, s, e + 1, c);
		set_msg(out, s, c + 1, n);
		return 1;
	}
	if (dash_at(s, e, n)) {
		if ((t = ts_parse(s + e + 3, n - e - 3, &ts)) == 0)
			return 0;
		t += e + 3;
		out->level = lvl;
		out->has_time = 1;
		out->time_ms = ts.ms;
		set_msg(out, s, dash_at(s, t, n) ? t + 3 : skip_sp(s, t, n), n);
		return 1;
	}
	if (e + 1 < n && s[e] == ' ' && isdig(s[e + 1]) && depth < MAX_DEPTH) {
		if (!hdr_line(p, s + e + 1, n - e - 1, out, depth + 1))
			return 0;
		if (out->level == LW_LVL_UNKNOWN)
			out->level = lvl;
		return 1;
	}
	return 0;
}

/* "[LEVEL | time] msg" (jesse), "[time] msg", "[time - X]: msg", "[1] ..." */
static int
hdr_bracket(struct lw_parser *p, const char *s, size_t n,
    struct lw_parsed *out, int depth)
{
	struct ts	 ts;
	size_t		 k, e, t;
	enum lw_level	 lvl;

	if (n > 1 && isdig(s[1])) {
		for (k = 1; k < n && isdig(s[k]); k++)
			;
		if (k + 1 < n && s[k] == ']' && s[k + 1] == ' ' && k < 8)
			return depth < MAX_DEPTH &&
			    hdr_line(p, s + k + 2, n - k - 2, out, depth + 1);
		if ((t = ts_parse(s + 1, n - 1, &ts)) == 0)
			return 0;
		k = t + 1;
		if (dash_at(s, k, n)) {
			/* jesse's raw exchange log: "[time - Exchange]: msg" */
			for (e = k + 3; e < n && s[e] != ']'; e++)
				;
			if (e == n)
				return 0;
			set_comp(out, s, k + 3, e);
			k = e;
		}
		if (k >= n || s[k] != ']')
			return 0;
		k++;
		if (k < n && s[k] == ':')
			k++;
		out->has_time = 1;
		out->time_ms = ts.ms;
		set_msg(out, s, skip_sp(s, k, n), n);
		return 1;
	}
	e = word_end(s, 1, n);
	if ((lvl = lw_parse_level(s + 1, e - 1)) == LW_LVL_UNKNOWN)
		return 0;
	k = skip_sp(s, e, n);
	if (k < n && s[k] == '|') {
		k = skip_sp(s, k + 1, n);
		if ((t = ts_parse(s + k, n - k, &ts)) == 0)
			return 0;
		k = skip_sp(s, k + t, n);
		if (k >= n || s[k] != ']')
			return 0;
		out->has_time = 1;
		out->time_ms = ts.ms;
	} else if (e >= n || s[e] != ']')
		return 0;
	else
		k = e;
	out->level = lvl;
	set_msg(out, s, skip_sp(s, k + 1, n), n);
	return 1;
}

/* "|INFO|2021-04-30 17:41:09,174|message" (fxcmpy) */
static int
hdr_pipe(const char *s, size_t n, struct lw_parsed *out)
{
	struct ts	 ts;
	size_t		 e, t;
	enum lw_level	 lvl;

	e = word_end(s, 1, n);
	if ((lvl = lw_parse_level(s + 1, e - 1)) == LW_LVL_UNKNOWN ||
	    e >= n || s[e] != '|')
		return 0;
	if ((t = ts_parse(s + e + 1, n - e - 1, &ts)) == 0)
		return 0;
	t += e + 1;
	if (t >= n || s[t] != '|')
		return 0;
	out->level = lvl;
	out->has_time = 1;
	out->time_ms = ts.ms;
	set_msg(out, s, t + 1, n);
	return 1;
}

/* Copy into the scratch; the caller reserved room for it. */
static struct lw_span
scratch_put(struct lw_parser *p, const char *src, size_t len)
{
	struct lw_span	sp;

	if (p->used + len > p->cap)	/* broken invariant; stay in bounds */
		len = p->cap - p->used;
	memcpy(p->scratch + p->used, src, len);
	sp.p = p->scratch + p->used;
	sp.len = len;
	p->used += len;
	return sp;
}

static int
scratch_reserve(struct lw_parser *p, size_t need)
{
	size_t	ncap;

	if (need > LW_PARSE_SCRATCH_MAX)
		return -1;
	if (need <= p->cap)
		return 0;
	ncap = p->cap ? p->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > LW_PARSE_SCRATCH_MAX)
		ncap = LW_PARSE_SCRATCH_MAX;
	p->scratch = xreallocarray(p->scratch, ncap, 1);
	p->cap = ncap;
	return 0;
}

static int
key_is(const char *k, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcmp(k, *names) == 0)
			return 1;
	return 0;
}

/* pino/bunyan numeric levels */
static enum lw_level
json_numlevel(double v)
{
	if (v >= 60)
		return LW_LVL_CRITICAL;
	if (v >= 50)
		return LW_LVL_ERROR;
	if (v >= 40)
		return LW_LVL_WARNING;
	if (v >= 30)
		return LW_LVL_INFO;
	if (v >= 20)
		return LW_LVL_DEBUG;
	return LW_LVL_TRACE;
}

/*
 * One JSON object per line (freqtrade's JsonFormatter, pino, structlog,
 * nautilus' JSON writer).  Rare, so cJSON's allocations are acceptable;
 * the strings are copied into the scratch because they are unescaped.
 * An object with neither a message nor a level is payload, not a header.
 */
static int
hdr_json(struct lw_parser *p, const char *s, size_t n, struct lw_parsed *out)
{
	static const char *const tkeys[] = { "timestamp", "time", "ts",
	    "@timestamp", "asctime", "datetime", "date", NULL };
	static const char *const lkeys[] = { "level", "lvl", "levelname",
	    "severity", "log.level", "loglevel", NULL };
	static const char *const mkeys[] = { "message", "msg", "event",
	    "text", NULL };
	static const char *const ckeys[] = { "logger", "name", "logger_name",
	    "target", "component", "module", NULL };
	cJSON		*root = NULL, *it;
	size_t		 last = n, sl;
	int		 ret = 0, have_msg = 0, have_lvl = 0, have_comp = 0;
	int		 have_time = 0;
	int64_t		 ms;

	while (last > 0 && (issp(s[last - 1])))
		last--;
	if (n < 2 || s[1] != '"' || last < 2 || s[last - 1] != '}')
		goto out;
	/* s may live in the scratch (ANSI); then room was reserved for it */
	if (!(p->scratch != NULL && s >= p->scratch &&
	    s < p->scratch + p->cap) &&
	    scratch_reserve(p, p->used + n + 1) == -1)
		goto out;
	if ((root = cJSON_ParseWithLength(s, last)) == NULL ||
	    !cJSON_IsObject(root))
		goto out;
	for (it = root->child; it != NULL; it = it->next) {
		if (it->string == NULL)
			continue;
		if (!have_time && key_is(it->string, tkeys)) {
			if (cJSON_IsString(it) &&
			    lw_parse_time(it->valuestring,
			    strlen(it->valuestring), &ms) > 0) {
				out->time_ms = ms;
				have_time = 1;
			} else if (cJSON_IsNumber(it) && it->valuedouble > 0) {
				/* seconds, or ms when it is that big */
				out->time_ms = it->valuedouble > 1e11 ?
				    (int64_t)it->valuedouble :
				    (int64_t)(it->valuedouble * 1000.0);
				have_time = 1;
			}
		} else if (!have_lvl && key_is(it->string, lkeys)) {
			if (cJSON_IsString(it))
				out->level = lw_parse_level(it->valuestring,
				    strlen(it->valuestring));
			else if (cJSON_IsNumber(it))
				out->level = json_numlevel(it->valuedouble);
			have_lvl = out->level != LW_LVL_UNKNOWN;
		} else if (!have_msg && cJSON_IsString(it) &&
		    key_is(it->string, mkeys)) {
			sl = strlen(it->valuestring);
			out->message = scratch_put(p, it->valuestring, sl);
			have_msg = 1;
		} else if (!have_comp && cJSON_IsString(it) &&
		    key_is(it->string, ckeys)) {
			sl = strlen(it->valuestring);
			out->component = scratch_put(p, it->valuestring, sl);
			have_comp = 1;
		} else if (cJSON_IsString(it) && out->nkv < LW_MAX_KV) {
			out->kv[out->nkv].key = scratch_put(p, it->string,
			    strlen(it->string));
			out->kv[out->nkv].val = scratch_put(p, it->valuestring,
			    strlen(it->valuestring));
			out->nkv++;
		}
	}
	if (!have_msg && !have_lvl) {
		out->nkv = 0;
		goto out;
	}
	out->has_time = have_time;
	ret = 1;
out:
	cJSON_Delete(root);
	return ret;
}

/* "name   | rest" from docker compose logs; offset of rest, or 0. */
static size_t
docker_prefix(const char *s, size_t n)
{
	size_t	i = 0, j;
	char	c;

	while (i < n && i < 128) {
		c = s[i];
		if (!(isalpha_(c) || isdig(c) || c == '_' || c == '.' ||
		    c == '-'))
			break;
		i++;
	}
	if (i == 0)
		return 0;
	j = skip_sp(s, i, n);
	if (j < n && s[j] == '|' && (j + 1 == n || s[j + 1] == ' '))
		return j + 1 < n ? j + 2 : n;
	return 0;
}

static int
hdr_line(struct lw_parser *p, const char *s, size_t n, struct lw_parsed *out,
    int depth)
{
	size_t	k;

	if (n == 0)
		return 0;
	if (isdig(s[0]))
		return hdr_tsfirst(s, n, out);
	switch (s[0]) {
	case ' ':
		/* colorlog: colour, then a space, then the time */
		if (n > 1 && isdig(s[1]) && depth < MAX_DEPTH)
			return hdr_line(p, s + 1, n - 1, out, depth + 1);
		return 0;
	case '[':
		return hdr_bracket(p, s, n, out, depth);
	case '|':
		return hdr_pipe(s, n, out);
	case '{':
		return hdr_json(p, s, n, out);
	case '>':
		/* markdown quote from an issue paste */
		if (n > 2 && s[1] == ' ' && depth < MAX_DEPTH)
			return hdr_line(p, s + 2, n - 2, out, depth + 1);
		return 0;
	}
	if (!isalpha_(s[0]))
		return 0;
	if (hdr_levelfirst(p, s, n, out, depth))
		return 1;
	if (depth < MAX_DEPTH && (k = docker_prefix(s, n)) > 0 &&
	    hdr_line(p, s + k, n - k, out, depth + 1)) {
		p->docker = 1;
		p->payload = s + k;
		return 1;
	}
	return 0;
}

static int
keych(char c)
{
	return isalpha_(c) || isdig(c) || c == '_' || c == '.' || c == '-';
}

static int
key_before_ok(char c)
{
	return issp(c) || c == '|' || c == ',' || c == '(' || c == '[' ||
	    c == '{' || c == ';';
}

static int
val_end(char c)
{
	return issp(c) || c == ',' || c == ')' || c == ']' || c == '}' ||
	    c == '|' || c == ';';
}

/*
 * logfmt-ish fields: key=value, key="quoted value", key='v', including
 * "| key=value |" tables and "Trade(id=1, pair=X)" reprs.  A key must
 * follow a blank or a delimiter, so "?a=1&b=2" in URLs and "x==y" stay
 * out.  Values are raw (escapes inside quotes are not decoded).
 */
static void
find_kv(struct lw_parsed *out)
{
	const char	*m = out->message.p, *q;
	size_t		 n = out->message.len, i = 0, eq, k, v, e;
	char		 quote;

	while (out->nkv < LW_MAX_KV && i < n &&
	    (q = memchr(m + i, '=', n - i)) != NULL) {
		eq = (size_t)(q - m);
		i = eq + 1;
		if (i < n && m[i] == '=') {
			while (i < n && m[i] == '=')
				i++;
			continue;
		}
		for (k = eq; k > 0 && keych(m[k - 1]); k--)
			;
		if (k == eq || !(isalpha_(m[k]) || m[k] == '_') ||
		    (k > 0 && !key_before_ok(m[k - 1])))
			continue;
		v = eq + 1;
		if (v < n && (m[v] == '"' || m[v] == '\'')) {
			quote = m[v];
			for (e = v + 1; e < n && m[e] != quote; e++)
				if (m[e] == '\\' && e + 1 < n)
					e++;
			out->kv[out->nkv].val = span(m, v + 1, e < n ? e : n);
			i = e < n ? e + 1 : n;
		} else {
			for (e = v; e < n && !val_end(m[e]); e++)
				;
			out->kv[out->nkv].val = span(m, v, e);
			i = e;
		}
		out->kv[out->nkv].key = span(m, k, eq);
		out->nkv++;
	}
}

/* Copy s without CSI sequences (ESC '[' params final-byte) into dst. */
static size_t
strip_ansi(char *dst, const char *s, size_t n)
{
	size_t	i = 0, o = 0;

	while (i < n) {
		if (s[i] != '\x1b') {
			dst[o++] = s[i++];
			continue;
		}
		i++;
		if (i < n && s[i] == '[') {
			for (i++; i < n && (unsigned char)s[i] >= 0x20 &&
			    (unsigned char)s[i] < 0x40; i++)
				;
			if (i < n)
				i++;	/* the final byte, 'm' for colours */
		}
	}
	return o;
}

struct lw_parser *
lw_parser_new(void)
{
	return xcalloc(1, sizeof(struct lw_parser));
}

void
lw_parser_free(struct lw_parser *p)
{
	if (p == NULL)
		return;
	free(p->scratch);
	free(p);
}

void
lw_parse_line(struct lw_parser *p, const char *line, size_t len,
    struct lw_parsed *out)
{
	size_t	k;

	reset(out);
	p->used = 0;
	p->payload = NULL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* Room for the stripped copy and for JSON strings after it. */
	if (len > 0 && memchr(line, '\x1b', len) != NULL &&
	    scratch_reserve(p, 2 * len + 16) == 0) {
		len = strip_ansi(p->scratch, line, len);
		line = p->scratch;
		p->used = len;
	}
	if (hdr_line(p, line, len, out, 0)) {
		out->is_header = 1;
		if (out->nkv == 0)
			find_kv(out);
		if (p->payload != NULL)
			out->line = span(p->payload, 0,
			    len - (size_t)(p->payload - line));
		else
			out->line = span(line, 0, len);
		return;
	}
	reset(out);
	if (p->docker && len > 0 && isalpha_(line[0]) &&
	    (k = docker_prefix(line, len)) > 0) {
		line += k;
		len -= k;
	}
	out->message = out->line = span(line, 0, len);
}
