/*
 * alert: construction, JSON (cJSON) and terminal rendering of an alert.
 * Untrusted text (log lines, LLM output) reaches an alert through its
 * setters and evidence, so every renderer treats every string as raw
 * bytes: JSON repairs to valid UTF-8 first (cJSON copies bytes as they
 * are), the terminal form escapes whatever could move the cursor or
 * recolour the operator's screen.
 */
#include <sys/random.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "log.h"
#include "lwtime.h"
#include "utf8.h"
#include "xmalloc.h"

#define CUT_MARK_MAX	40	/* "…[cut N bytes]" with any size_t N */
#define EVIDENCE_IN_MAX	(64 * 1024)	/* input looked at per line */
#define REDACT_OUT_MAX	(1024 * 1024)

static const char EVIDENCE_WITHHELD[] = "[evidence withheld: too long to redact]";

/* splitmix64: only for when getrandom cannot answer. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Time first so that ids sort by time; 64 random bits so that two
 * daemons (or a restarted one) never collide within a millisecond.
 */
static void
make_id(char *id, size_t sz, int64_t ms)
{
	uint64_t	rnd;
	struct timespec	ts;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = mix64((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		    ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)id);
	}
	snprintf(id, sz, "%012" PRIx64 "-%016" PRIx64, (uint64_t)ms, rnd);
}

void
lw_alert_init(struct lw_alert *a)
{
	memset(a, 0, sizeof(*a));
	a->time_ms = lw_wall_ms();
	make_id(a->id, sizeof(a->id), a->time_ms);
}

void
lw_alert_clear(struct lw_alert *a)
{
	size_t	i;

	if (a == NULL)
		return;
	free(a->rule);
	free(a->title);
	free(a->detail);
	free(a->host);
	free(a->log);
	free(a->tmpl);
	free(a->key);
	free(a->report_text);
	free(a->report_json);
	for (i = 0; i < a->nevidence; i++)
		free(a->evidence[i]);
	memset(a, 0, sizeof(*a));
}

struct lw_alert *
lw_alert_new(void)
{
	struct lw_alert	*a;

	a = xmalloc(sizeof(*a));
	lw_alert_init(a);
	return a;
}

void
lw_alert_free(struct lw_alert *a)
{
	if (a == NULL)
		return;
	lw_alert_clear(a);
	free(a);
}

/* Copy of s cut to at most max bytes without splitting a character. */
static char *
copy_cut(const char *s, size_t max)
{
	size_t	n;

	if (s == NULL)
		return NULL;
	n = strnlen(s, max + 1);
	if (n > max)
		n = lw_utf8_cut(s, max);
	return xmemdup(s, n);
}

static void
replace(char **field, const char *s, size_t max)
{
	free(*field);
	*field = copy_cut(s, max);
}

void
lw_alert_set_rule(struct lw_alert *a, const char *s)
{
	replace(&a->rule, s, LW_ALERT_TITLE_MAX);
}

void
lw_alert_set_report_text(struct lw_alert *a, const char *s)
{
	replace(&a->report_text, s, LW_ALERT_REPORT_TEXT_MAX);
}

int
lw_alert_set_report_json(struct lw_alert *a, const char *s)
{
	struct buf	 b;
	cJSON		*o;
	size_t		 len = strnlen(s, LW_ALERT_REPORT_JSON_MAX + 1);
	int		 rc = -1;

	if (len > LW_ALERT_REPORT_JSON_MAX)
		return -1;
	/* cJSON passes any bytes through: repair them (they can only be
	 * inside strings of a JSON text that parses). */
	buf_init(&b, 3 * len + 1);
	if (lw_utf8_clean(&b, s, len) == -1)
		fatalx("%s: repair buffer", __func__);
	if (b.len > LW_ALERT_REPORT_JSON_MAX)
		goto out;
	o = cJSON_ParseWithLength(buf_str(&b), b.len);
	if (o != NULL && cJSON_IsObject(o)) {
		replace(&a->report_json, buf_str(&b), b.len);
		rc = 0;
	}
	cJSON_Delete(o);
out:
	buf_free(&b);
	return rc;
}

int
lw_alert_is_report(const struct lw_alert *a)
{
	return a->rule != NULL && strncmp(a->rule, "report.", 7) == 0;
}

void
lw_alert_set_title(struct lw_alert *a, const char *s)
{
	char	*p;

	replace(&a->title, s, LW_ALERT_TITLE_MAX);
	/* A title is one line in every sink (email subject, Telegram). */
	for (p = a->title; p != NULL && *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void
lw_alert_set_detail(struct lw_alert *a, const char *s)
{
	replace(&a->detail, s, LW_ALERT_TEXT_MAX);
}

void
lw_alert_set_host(struct lw_alert *a, const char *s)
{
	replace(&a->host, s, LW_ALERT_TITLE_MAX);
}

void
lw_alert_set_log(struct lw_alert *a, const char *s)
{
	replace(&a->log, s, LW_ALERT_TEXT_MAX);
}

void
lw_alert_set_template(struct lw_alert *a, const char *s)
{
	replace(&a->tmpl, s, LW_ALERT_TEXT_MAX);
}

void
lw_alert_set_key(struct lw_alert *a, const char *s)
{
	replace(&a->key, s, LW_ALERT_TEXT_MAX);
}

void
lw_alert_set_count(struct lw_alert *a, long long n)
{
	a->has_count = 1;
	a->count = n;
}

int
lw_alert_add_evidence(struct lw_alert *a, const struct lw_redactor *r,
    const char *line, size_t len)
{
	struct buf	red, clean;
	size_t		dropped = 0, keep;
	int		rc = -1;

	buf_init(&red, REDACT_OUT_MAX);
	buf_init(&clean, 3 * REDACT_OUT_MAX);
	if (a->nevidence >= LW_ALERT_MAX_EVIDENCE)
		goto out;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	/*
	 * Redact before cutting, so a secret straddling the cut cannot leave
	 * an unrecognisable, unredacted prefix behind.  Only a line longer
	 * than any max_line_bytes is shortened first.
	 */
	if (len > EVIDENCE_IN_MAX) {
		dropped = len - EVIDENCE_IN_MAX;
		len = EVIDENCE_IN_MAX;
	}
	if (lw_redact(r, line, len, &red) == -1) {
		a->evidence[a->nevidence++] = xstrdup(EVIDENCE_WITHHELD);
		rc = 0;
		goto out;
	}
	if (lw_utf8_clean(&clean, buf_str(&red), red.len) == -1)
		fatalx("%s: repair buffer too small", __func__);
	if (clean.len + dropped > LW_ALERT_EVIDENCE_MAX) {
		keep = clean.len;
		if (keep > LW_ALERT_EVIDENCE_MAX - CUT_MARK_MAX)
			keep = lw_utf8_cut(clean.data,
			    LW_ALERT_EVIDENCE_MAX - CUT_MARK_MAX);
		dropped += clean.len - keep;
		if (clean.data != NULL) {
			clean.len = keep;
			clean.data[keep] = '\0';
		}
		if (buf_addf(&clean, "\xe2\x80\xa6[cut %zu bytes]", dropped) == -1)
			fatalx("%s: cut marker", __func__);
	}
	a->evidence[a->nevidence++] = buf_take(&clean);
	rc = 0;
out:
	buf_free(&red);
	buf_free(&clean);
	return rc;
}

/* Redacts *field in place; returns the number of redactions. */
static int
redact_field(char **field, const struct lw_redactor *r, size_t max)
{
	struct buf	b;
	int		n;

	if (*field == NULL)
		return 0;
	buf_init(&b, REDACT_OUT_MAX);
	n = lw_redact(r, *field, strlen(*field), &b);
	if (n == -1) {
		/* Too big to redact: keep nothing rather than a secret. */
		free(*field);
		*field = xstrdup("[withheld: too long to redact]");
		n = 1;
	} else if (n > 0) {
		free(*field);
		*field = copy_cut(buf_str(&b), max);
	}
	buf_free(&b);
	return n;
}

int
lw_alert_redact(struct lw_alert *a, const struct lw_redactor *r)
{
	int	n = 0;

	n += redact_field(&a->title, r, LW_ALERT_TITLE_MAX);
	n += redact_field(&a->detail, r, LW_ALERT_TEXT_MAX);
	n += redact_field(&a->tmpl, r, LW_ALERT_TEXT_MAX);
	n += redact_field(&a->report_text, r, LW_ALERT_REPORT_TEXT_MAX);
	return n;
}

/* Adds s, repaired to valid UTF-8, as a JSON string. */
static void
json_add_string(cJSON *o, const char *name, const char *s)
{
	struct buf	b;
	cJSON		*item;
	size_t		 n;

	if (s == NULL)
		s = "";
	n = strlen(s);
	buf_init(&b, 3 * n + 1);
	if (lw_utf8_clean(&b, s, n) == -1)
		fatalx("%s: repair buffer too small", __func__);
	if ((item = cJSON_CreateString(buf_str(&b))) == NULL)
		fatalx("%s: out of memory", __func__);
	if (!cJSON_AddItemToObject(o, name, item))
		fatalx("%s: out of memory", __func__);
	buf_free(&b);
}

char *
lw_alert_to_json(const struct lw_alert *a)
{
	cJSON	*o, *arr;
	char	 t[LW_ISO8601_LEN + 8], num[32], *s;
	size_t	 i;

	if ((o = cJSON_CreateObject()) == NULL)
		fatalx("%s: out of memory", __func__);
	lw_iso8601(a->time_ms, t, sizeof(t));
	json_add_string(o, "id", a->id);
	json_add_string(o, "time", t);
	json_add_string(o, "severity", lw_sev_name(a->severity));
	json_add_string(o, "source", a->source_llm ? "llm" : "rule");
	json_add_string(o, "rule", a->rule);
	json_add_string(o, "title", a->title);
	json_add_string(o, "detail", a->detail);
	json_add_string(o, "host", a->host);
	json_add_string(o, "log", a->log);
	if (a->has_count) {
		/* Raw, so that counts past 2^53 stay exact. */
		snprintf(num, sizeof(num), "%lld", a->count);
		if (cJSON_AddRawToObject(o, "count", num) == NULL)
			fatalx("%s: out of memory", __func__);
	}
	if (a->tmpl != NULL)
		json_add_string(o, "template", a->tmpl);
	if (a->nevidence > 0) {
		if ((arr = cJSON_AddArrayToObject(o, "evidence")) == NULL)
			fatalx("%s: out of memory", __func__);
		for (i = 0; i < a->nevidence && i < LW_ALERT_MAX_EVIDENCE; i++) {
			struct buf	 b;
			const char	*e = a->evidence[i] ? a->evidence[i] : "";
			cJSON		*item;

			buf_init(&b, 3 * strlen(e) + 1);
			if (lw_utf8_clean(&b, e, strlen(e)) == -1)
				fatalx("%s: repair buffer", __func__);
			if ((item = cJSON_CreateString(buf_str(&b))) == NULL)
				fatalx("%s: out of memory", __func__);
			if (!cJSON_AddItemToArray(arr, item))
				fatalx("%s: cJSON array", __func__);
			buf_free(&b);
		}
	}
	if (a->report_text != NULL)
		json_add_string(o, "report_text", a->report_text);
	if (a->report_json != NULL) {
		cJSON *r = cJSON_Parse(a->report_json);

		/* Checked by the setter; only a bug could fail here. */
		if (r == NULL || !cJSON_AddItemToObject(o, "report", r))
			fatalx("%s: report JSON", __func__);
	}
	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		fatalx("%s: out of memory", __func__);
	cJSON_Delete(o);
	return s;
}

/* Reads n decimal digits at s. */
static int
digits(const char *s, int n, int *out)
{
	int	v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The inverse of lw_iso8601: "2025-03-20T14:35:12.345Z". */
static int
parse_time(const char *s, int64_t *ms)
{
	int	y, mo, d, h, mi, se, f;

	if (strlen(s) != LW_ISO8601_LEN - 1 || s[4] != '-' || s[7] != '-' ||
	    s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
	    s[23] != 'Z')
		return -1;
	if (digits(s, 4, &y) == -1 || digits(s + 5, 2, &mo) == -1 ||
	    digits(s + 8, 2, &d) == -1 || digits(s + 11, 2, &h) == -1 ||
	    digits(s + 14, 2, &mi) == -1 || digits(s + 17, 2, &se) == -1 ||
	    digits(s + 20, 3, &f) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return -1;
	*ms = ((lw_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + se) * 1000) + f;
	return 0;
}

/* String member name of o, or NULL; *bad set when present but no string. */
static const char *
json_str(const cJSON *o, const char *name, int *bad)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(o, name);

	if (it == NULL || cJSON_IsNull(it))
		return NULL;
	if (!cJSON_IsString(it) || it->valuestring == NULL) {
		*bad = 1;
		return NULL;
	}
	return it->valuestring;
}

struct lw_alert *
lw_alert_from_json(const char *s, size_t len)
{
	cJSON		*o = NULL;
	const cJSON	*it, *e;
	struct lw_alert	*a = NULL;
	const char	*id, *t, *sev, *src, *rule, *title, *v, *end = NULL;
	int		 bad = 0;
	double		 d;

	if (len > LW_ALERT_JSON_MAX)
		goto fail;
	o = cJSON_ParseWithLengthOpts(s, len, &end, 0);
	if (o == NULL || !cJSON_IsObject(o))
		goto fail;
	/* One object and nothing after it but white space or NULs. */
	while (end < s + len && (*end == ' ' || *end == '\n' ||
	    *end == '\r' || *end == '\t' || *end == '\0'))
		end++;
	if (end != s + len)
		goto fail;
	id = json_str(o, "id", &bad);
	t = json_str(o, "time", &bad);
	sev = json_str(o, "severity", &bad);
	src = json_str(o, "source", &bad);
	rule = json_str(o, "rule", &bad);
	title = json_str(o, "title", &bad);
	if (bad || id == NULL || t == NULL || sev == NULL || src == NULL ||
	    rule == NULL || title == NULL || strlen(id) >= sizeof(a->id))
		goto fail;

	a = xcalloc(1, sizeof(*a));
	memcpy(a->id, id, strlen(id) + 1);
	if (parse_time(t, &a->time_ms) == -1 ||
	    lw_sev_parse(sev, &a->severity) == -1)
		goto fail;
	if (strcmp(src, "llm") == 0)
		a->source_llm = 1;
	else if (strcmp(src, "rule") != 0)
		goto fail;
	lw_alert_set_rule(a, rule);
	lw_alert_set_title(a, title);
	if ((v = json_str(o, "detail", &bad)) != NULL)
		lw_alert_set_detail(a, v);
	if ((v = json_str(o, "host", &bad)) != NULL)
		lw_alert_set_host(a, v);
	if ((v = json_str(o, "log", &bad)) != NULL)
		lw_alert_set_log(a, v);
	if ((v = json_str(o, "template", &bad)) != NULL)
		lw_alert_set_template(a, v);
	if ((v = json_str(o, "report_text", &bad)) != NULL)
		lw_alert_set_report_text(a, v);
	if (bad)
		goto fail;
	if ((it = cJSON_GetObjectItemCaseSensitive(o, "report")) != NULL) {
		char	*r;
		int	 ok;

		if (!cJSON_IsObject(it))
			goto fail;
		if ((r = cJSON_PrintUnformatted(it)) == NULL)
			fatalx("%s: out of memory", __func__);
		ok = lw_alert_set_report_json(a, r) == 0;
		free(r);
		if (!ok)
			goto fail;
	}

	if ((it = cJSON_GetObjectItemCaseSensitive(o, "count")) != NULL) {
		if (!cJSON_IsNumber(it))
			goto fail;
		d = it->valuedouble;
		/* 2^63 as a double; anything at or past it does not fit. */
		if (d != d || d >= 9223372036854775808.0 ||
		    d < -9223372036854775808.0)
			goto fail;
		lw_alert_set_count(a, (long long)d);
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(o, "evidence")) != NULL) {
		if (!cJSON_IsArray(it) ||
		    cJSON_GetArraySize(it) > LW_ALERT_MAX_EVIDENCE)
			goto fail;
		cJSON_ArrayForEach(e, it) {
			if (!cJSON_IsString(e) || e->valuestring == NULL)
				goto fail;
			a->evidence[a->nevidence++] = xstrdup(e->valuestring);
		}
	}
	cJSON_Delete(o);
	return a;
fail:
	cJSON_Delete(o);
	lw_alert_free(a);
	return NULL;
}

/*
 * Code points a terminal must not receive raw: C1 controls (U+009B is a
 * one-byte CSI on some terminals), line separators and the bidirectional
 * controls that can make text read differently from what it is.
 */
static int
cp_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Escapes s[0..len), which must be valid UTF-8 without NUL. */
static int
escape_valid(struct buf *out, const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, run, n;
	uint32_t		 cp;

	while (i < len) {
		for (run = i; run < len && u[run] >= 0x20 && u[run] < 0x7f &&
		    u[run] != '\\'; run++)
			;
		if (run > i && buf_add(out, s + i, run - i) == -1)
			return -1;
		if ((i = run) >= len)
			break;
		if (u[i] == '\\') {
			if (buf_add(out, "\\\\", 2) == -1)
				return -1;
			i++;
			continue;
		}
		if (u[i] < 0x80) {
			if (buf_addf(out, "\\x%02x", u[i]) == -1)
				return -1;
			i++;
			continue;
		}
		/* A valid sequence: its length follows from the lead byte. */
		if (u[i] >= 0xf0) {
			n = 4;
			cp = u[i] & 0x07;
		} else if (u[i] >= 0xe0) {
			n = 3;
			cp = u[i] & 0x0f;
		} else {
			n = 2;
			cp = u[i] & 0x1f;
		}
		if (n > len - i)
			n = len - i;
		for (run = 1; run < n; run++)
			cp = (cp << 6) | (u[i + run] & 0x3f);
		if (cp_unsafe(cp)) {
			if (buf_addf(out, "\\u{%04" PRIx32 "}", cp) == -1)
				return -1;
		} else if (buf_add(out, s + i, n) == -1)
			return -1;
		i += n;
	}
	return 0;
}

/* Escapes arbitrary bytes for a terminal: repair, then escape. */
static int
escape(struct buf *out, const char *s, size_t len)
{
	struct buf	clean;
	int		rc;

	if (s == NULL)
		return 0;
	buf_init(&clean, 3 * len + 1);
	if (lw_utf8_clean(&clean, s, len) == -1)
		fatalx("%s: repair buffer too small", __func__);
	rc = escape_valid(out, buf_str(&clean), clean.len);
	buf_free(&clean);
	return rc;
}

static int
escape_str(struct buf *out, const char *s)
{
	return s == NULL ? 0 : escape(out, s, strlen(s));
}

static const char *
sev_color(enum lw_sev s)
{
	switch (s) {
	case LW_SEV_CRITICAL:
		return "\033[1;31m";
	case LW_SEV_WARNING:
		return "\033[1;33m";
	default:
		return "\033[1;36m";
	}
}

int
lw_alert_render_terminal(const struct lw_alert *a, int color,
    struct buf *out)
{
	char		 t[LW_ISO8601_LEN + 8], sev[16];
	const char	*p, *nl, *reset = color ? "\033[0m" : "";
	size_t		 i, start = out->len, k;
	int		 rc = -1;

	lw_iso8601(a->time_ms, t, sizeof(t));
	/* Upper-case severity: "CRITICAL" stands out even without colour. */
	p = lw_sev_name(a->severity);
	for (k = 0; p[k] != '\0' && k < sizeof(sev) - 1; k++)
		sev[k] = (char)(p[k] >= 'a' && p[k] <= 'z' ? p[k] - 32 : p[k]);
	sev[k] = '\0';

	if (buf_addf(out, "%s %s%-8s%s ", t, color ? sev_color(a->severity) :
	    "", sev, reset) == -1 || escape_str(out, a->title) == -1 ||
	    buf_addc(out, '\n') == -1)
		goto out;

	if (buf_adds(out, "    rule ") == -1 || escape_str(out, a->rule) == -1)
		goto out;
	if (a->source_llm && buf_adds(out, " (llm)") == -1)
		goto out;
	if (a->has_count && buf_addf(out, "  count %lld", a->count) == -1)
		goto out;
	if (a->tmpl != NULL && (buf_adds(out, "  template ") == -1 ||
	    escape_str(out, a->tmpl) == -1))
		goto out;
	if (buf_addc(out, '\n') == -1)
		goto out;
	if ((a->host != NULL || a->log != NULL) &&
	    (buf_adds(out, "    on ") == -1 || escape_str(out, a->host) == -1 ||
	    buf_adds(out, " ") == -1 || escape_str(out, a->log) == -1 ||
	    buf_addc(out, '\n') == -1))
		goto out;

	/* Detail keeps its own line breaks, each line indented. */
	for (p = a->detail; p != NULL && *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (buf_adds(out, "    ") == -1 ||
		    escape(out, p, (size_t)(nl - p)) == -1 ||
		    buf_addc(out, '\n') == -1)
			goto out;
		if (*nl == '\0')
			break;
	}
	for (i = 0; i < a->nevidence; i++) {
		if (buf_adds(out, "      | ") == -1 ||
		    escape_str(out, a->evidence[i]) == -1 ||
		    buf_addc(out, '\n') == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	return rc;
}
