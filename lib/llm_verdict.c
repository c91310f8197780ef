/*
 * llm_verdict: reads the verdict out of whatever a model wrote.  Models
 * wrap JSON in Markdown fences, put a sentence before it, echo the seed
 * text format with bold markers or bullets; all of that is accepted.
 * What is not a verdict (prose alone, a JSON object without a status, a
 * status we do not know) is refused, so that the caller counts it as
 * unparseable and changes nothing.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "llm_verdict.h"
#include "utf8.h"
#include "xmalloc.h"

/* Nesting searched for a "status" inside an object without one. */
#define STATUS_DEPTH	3

enum field { F_NONE, F_ISSUE, F_IMPACT, F_ACTION, F_SEVERITY };

void
lw_verdict_free(struct lw_verdict *v)
{
	if (v == NULL)
		return;
	free(v->issue);
	free(v->impact);
	free(v->action);
	v->issue = v->impact = v->action = NULL;
}

/* A copy of s[0..n), trimmed, valid UTF-8, cut to the field maximum. */
static char *
field_dup(const char *s, size_t n)
{
	struct buf	 b;
	size_t		 cut;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > LW_VERDICT_FIELD_MAX * 2)
		n = LW_VERDICT_FIELD_MAX * 2;
	/* Repair can grow the text: 3 bytes of U+FFFD per bad byte. */
	buf_init(&b, n * 3 + 1);
	if (lw_utf8_clean(&b, s, n) == -1 || b.len > LW_VERDICT_FIELD_MAX) {
		cut = lw_utf8_cut(buf_str(&b), b.len < LW_VERDICT_FIELD_MAX ?
		    b.len : LW_VERDICT_FIELD_MAX);
		b.len = cut;
		if (b.data != NULL)
			b.data[cut] = '\0';
	}
	return buf_take(&b);
}

/*
 * The severity a word names: 1 with *sev set when it is one we know
 * (critical and its kin, warning and its kin), else 0 and warning.
 */
static int
sev_word(const char *s, size_t n, enum lw_sev *sev)
{
	static const char *const crit[] = { "critical", "crit", "high",
	    "severe", "urgent", "fatal", "emergency" };
	static const char *const warn[] = { "warning", "warn", "medium",
	    "moderate", "low", "minor" };
	size_t	 i, w;

	*sev = LW_SEV_WARNING;
	for (w = 0; w < n && isalpha((unsigned char)s[w]); w++)
		;
	for (i = 0; i < sizeof(crit) / sizeof(crit[0]); i++) {
		if (w == strlen(crit[i]) && strncasecmp(s, crit[i], w) == 0) {
			*sev = LW_SEV_CRITICAL;
			return 1;
		}
	}
	for (i = 0; i < sizeof(warn) / sizeof(warn[0]); i++)
		if (w == strlen(warn[i]) && strncasecmp(s, warn[i], w) == 0)
			return 1;
	return 0;
}

/* ---- JSON form ---------------------------------------------------------- */

static const cJSON *
find_status(const cJSON *o, int depth)
{
	const cJSON	*c, *hit;

	if (cJSON_IsObject(o) && cJSON_GetObjectItem(o, "status") != NULL)
		return o;
	if (depth >= STATUS_DEPTH)
		return NULL;
	cJSON_ArrayForEach(c, o) {
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    (hit = find_status(c, depth + 1)) != NULL)
			return hit;
	}
	return NULL;
}

static char *
json_field(const cJSON *o, const char *const *names)
{
	const cJSON	*it;
	const char	*s;

	for (; *names != NULL; names++) {
		it = cJSON_GetObjectItem(o, *names);
		if (cJSON_IsString(it) && (s = cJSON_GetStringValue(it)) != NULL)
			return field_dup(s, strlen(s));
	}
	return xstrdup("");
}

/* The verdict in object o, which has a status: 0, or -1 if unknown. */
static int
json_verdict(const cJSON *o, struct lw_verdict *v)
{
	static const char *const issue[] = { "issue", "title", "summary",
	    NULL };
	static const char *const impact[] = { "impact", NULL };
	static const char *const action[] = { "action", "recommendation",
	    NULL };
	const cJSON	*st, *sev;
	const char	*s;
	size_t		 n;

	st = cJSON_GetObjectItem(o, "status");
	if (!cJSON_IsString(st) || (s = cJSON_GetStringValue(st)) == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 6 && strncasecmp(s, "normal", 6) == 0) {
		v->alert = 0;
		return 0;
	}
	if (n != 5 || strncasecmp(s, "alert", 5) != 0)
		return -1;
	v->alert = 1;
	v->severity = LW_SEV_WARNING;
	sev = cJSON_GetObjectItem(o, "severity");
	if (cJSON_IsString(sev) && (s = cJSON_GetStringValue(sev)) != NULL) {
		while (isspace((unsigned char)*s))
			s++;
		(void)sev_word(s, strlen(s), &v->severity);
	}
	v->issue = json_field(o, issue);
	v->impact = json_field(o, impact);
	v->action = json_field(o, action);
	return 0;
}

/*
 * Tries each '{' as the start of a JSON object.  Returns 0 with v filled,
 * -1 when the first object with a status has an unknown one, 1 when no
 * object has a status.
 */
static int
verdict_json(const char *s, size_t len, struct lw_verdict *v)
{
	const char	*p, *end;
	const cJSON	*hit;
	cJSON		*o;
	size_t		 i = 0, tries = 0;
	int		 rc;

	while (i < len && tries < LW_VERDICT_MAX_OBJECTS) {
		if ((p = memchr(s + i, '{', len - i)) == NULL)
			break;
		i = (size_t)(p - s);
		tries++;
		end = NULL;
		o = cJSON_ParseWithLengthOpts(p, len - i, &end, 0);
		if (o == NULL) {
			i++;
			continue;
		}
		if ((hit = find_status(o, 0)) != NULL) {
			rc = json_verdict(hit, v);
			cJSON_Delete(o);
			return rc;
		}
		cJSON_Delete(o);
		/* Its inner objects were searched: go past it. */
		i = end != NULL && end > p ? (size_t)(end - s) : i + 1;
	}
	return 1;
}

/* ---- text form ---------------------------------------------------------- */

/* Strips Markdown decoration and bullets around a line. */
static void
strip_line(const char **sp, size_t *np)
{
	const char	*s = *sp;
	size_t		 n = *np;
	int		 again = 1;

	while (again) {
		again = 0;
		while (n > 0 && (isspace((unsigned char)*s) || *s == '*' ||
		    *s == '_' || *s == '#' || *s == '>' || *s == '`')) {
			s++;
			n--;
		}
		if (n >= 2 && (*s == '-' || *s == '+') && s[1] == ' ') {
			s += 2;
			n -= 2;
			again = 1;
		} else if (n >= 3 && memcmp(s, "\xe2\x80\xa2", 3) == 0) {
			s += 3;			/* • */
			n -= 3;
			again = 1;
		} else if (n >= 3 && isdigit((unsigned char)s[0]) &&
		    (s[1] == '.' || s[1] == ')') && s[2] == ' ') {
			s += 3;
			n -= 3;
			again = 1;
		}
	}
	while (n > 0 && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '*' ||
	    s[n - 1] == '`'))
		n--;
	*sp = s;
	*np = n;
}

/* Length of word w at the start of s (any case), or 0. */
static size_t
word_at(const char *s, size_t n, const char *w)
{
	size_t	 l = strlen(w);

	if (n < l || strncasecmp(s, w, l) != 0)
		return 0;
	if (n > l && (isalnum((unsigned char)s[l]) || s[l] == '_'))
		return 0;
	return l;
}

/*
 * After a key: optional '*' and blanks, then a separator (':', '=', or a
 * '-', en or em dash followed by a blank).  Returns the bytes taken, or
 * 0 when there is no separator (then it was a word, not a key).
 */
static size_t
key_sep(const char *s, size_t n)
{
	size_t	 i = 0, d = 0;

	while (i < n && (s[i] == '*' || s[i] == ' ' || s[i] == '\t' ||
	    s[i] == '_'))
		i++;
	if (i < n && (s[i] == ':' || s[i] == '='))
		d = 1;
	else if (i < n && s[i] == '-')
		d = 1;
	else if (n - i >= 3 && (memcmp(s + i, "\xe2\x80\x93", 3) == 0 ||
	    memcmp(s + i, "\xe2\x80\x94", 3) == 0))
		d = 3;
	if (d == 0)
		return 0;
	if (s[i] != ':' && s[i] != '=' && i + d < n && s[i + d] != ' ')
		return 0;
	i += d;
	while (i < n && (s[i] == '*' || s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* Which key the line starts with; *vp, *vn: its value. */
static enum field
key_line(const char *s, size_t n, const char **vp, size_t *vn)
{
	static const struct {
		const char	*w;
		enum field	 f;
	} keys[] = {
		{ "issue", F_ISSUE }, { "problem", F_ISSUE },
		{ "impact", F_IMPACT },
		{ "action", F_ACTION }, { "recommended action", F_ACTION },
		{ "severity", F_SEVERITY }
	};
	size_t	 i, l, sep;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((l = word_at(s, n, keys[i].w)) == 0)
			continue;
		if ((sep = key_sep(s + l, n - l)) == 0)
			continue;
		*vp = s + l + sep;
		*vn = n - l - sep;
		return keys[i].f;
	}
	return F_NONE;
}

/* Appends a continuation line to a field, one space between. */
static void
field_append(char **f, const char *s, size_t n)
{
	size_t	 old = strlen(*f), add;
	char	*p;

	if (old >= LW_VERDICT_FIELD_MAX)
		return;
	add = n < LW_VERDICT_FIELD_MAX - old ? n : LW_VERDICT_FIELD_MAX - old;
	p = xmalloc(old + 1 + add + 1);
	memcpy(p, *f, old);
	p[old] = ' ';
	memcpy(p + old + 1, s, add);
	p[old + 1 + add] = '\0';
	free(*f);
	*f = field_dup(p, old + 1 + add);
	free(p);
}

static int
verdict_text(const char *s, size_t len, struct lw_verdict *v)
{
	const char	*line, *nl, *p, *val;
	size_t		 n, vn, w, lines = 0;
	enum field	 cur = F_NONE, k;
	char		**dst;
	int		 found = 0, sevword = 0, keys = 0;

	for (line = s; line < s + len && lines < 4096; line = nl + 1) {
		lines++;
		nl = memchr(line, '\n', (size_t)(s + len - line));
		if (nl == NULL)
			nl = s + len;
		p = line;
		n = (size_t)(nl - line);
		strip_line(&p, &n);
		if (!found) {
			/* "Verdict: ALERT" and "Status: NORMAL" too */
			if ((w = word_at(p, n, "verdict")) != 0 ||
			    (w = word_at(p, n, "status")) != 0) {
				if (key_sep(p + w, n - w) != 0) {
					vn = key_sep(p + w, n - w);
					p += w + vn;
					n -= w + vn;
				}
			}
			if (word_at(p, n, "normal") != 0) {
				v->alert = 0;
				return 0;
			}
			if ((w = word_at(p, n, "alert")) == 0)
				continue;
			found = 1;
			v->alert = 1;
			v->severity = LW_SEV_WARNING;
			v->issue = xstrdup("");
			v->impact = xstrdup("");
			v->action = xstrdup("");
			p += w;
			n -= w;
			while (n > 0 && (ispunct((unsigned char)*p) ||
			    isspace((unsigned char)*p))) {
				p++;
				n--;
			}
			sevword = sev_word(p, n, &v->severity);
			continue;
		}
		if (n == 0) {
			cur = F_NONE;	/* a blank line ends a field */
			continue;
		}
		if ((k = key_line(p, n, &val, &vn)) != F_NONE) {
			cur = k;
			if (k == F_SEVERITY) {
				if (!sevword)
					sevword = sev_word(val, vn,
					    &v->severity);
				cur = F_NONE;
				continue;
			}
			keys++;
			dst = k == F_ISSUE ? &v->issue : k == F_IMPACT ?
			    &v->impact : &v->action;
			if ((*dst)[0] == '\0') {
				free(*dst);
				*dst = field_dup(val, vn);
			} else
				field_append(dst, val, vn);
			continue;
		}
		if (cur != F_NONE) {
			dst = cur == F_ISSUE ? &v->issue : cur == F_IMPACT ?
			    &v->impact : &v->action;
			field_append(dst, p, n);
		}
	}
	/* A bare "Alert:" in prose is not a verdict. */
	if (found && (sevword || keys > 0))
		return 0;
	return -1;
}

int
lw_llm_parse_verdict(const char *content, size_t len, struct lw_verdict *v)
{
	int	 rc;

	memset(v, 0, sizeof(*v));
	if (content == NULL || len == 0)
		return -1;
	if (len > LW_VERDICT_MAX_INPUT)
		len = lw_utf8_cut(content, LW_VERDICT_MAX_INPUT);
	if ((rc = verdict_json(content, len, v)) == 1)
		rc = verdict_text(content, len, v);
	if (rc != 0) {
		lw_verdict_free(v);
		memset(v, 0, sizeof(*v));
		return -1;
	}
	return 0;
}
