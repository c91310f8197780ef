/*
 * mailfmt: renders alerts as one RFC 5322 message with a base64 UTF-8
 * text/plain body.  Everything that reaches a header from outside (alert
 * titles and hosts, config addresses) goes through a small folding
 * writer that either writes plain words or RFC 2047 encoded-words, never
 * a raw line break, so a log line cannot add a Bcc: to our mail.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lwtime.h"
#include "mailfmt.h"
#include "utf8.h"

#define LINE_MAX_COLS	78	/* RFC 5322 2.1.1 "SHOULD" */
#define EWORD_MAX	75	/* RFC 2047 2: one encoded-word */
#define EWORD_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */
#define PLAIN_WORD_MAX	70	/* longer words are encoded to be foldable */
#define B64_LINE_BYTES	57	/* 76 base64 characters per body line */
#define SHORT_FIELD_MAX	4096	/* input looked at per one-line body field */
#define SUBJECT_HOST_MAX 255
#define SCRATCH_MAX	(1024 * 1024)
#define TRAILER_RESERVE	256	/* room kept for the "not shown" line */

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char *DAYS[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri",
    "Sat" };
static const char *MONTHS[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* A header being written: where its current line stands. */
struct hdr {
	struct buf	*out;
	size_t		 col;	/* characters on the current line */
	int		 words;	/* words on it; the name does not count */
};

static int
b64_add(struct buf *out, const unsigned char *p, size_t len)
{
	char		 q[4];
	uint32_t	 v;
	size_t		 i;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = B64[v >> 18];
		q[1] = B64[(v >> 12) & 63];
		q[2] = B64[(v >> 6) & 63];
		q[3] = B64[v & 63];
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		q[0] = B64[v >> 18];
		q[1] = B64[(v >> 12) & 63];
		q[2] = i + 1 < len ? B64[(v >> 6) & 63] : '=';
		q[3] = '=';
		if (buf_add(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

static int
hdr_begin(struct hdr *h, struct buf *out, const char *name)
{
	h->out = out;
	h->col = strlen(name) + 1;
	h->words = 0;
	if (buf_adds(out, name) == -1 || buf_addc(out, ':') == -1)
		return -1;
	return 0;
}

static int
hdr_fold(struct hdr *h)
{
	h->col = 0;
	h->words = 0;
	return buf_add(h->out, "\r\n", 2);
}

static int
hdr_end(struct hdr *h)
{
	return buf_add(h->out, "\r\n", 2);
}

/*
 * One word preceded by a space, or by a fold when it would not fit; the
 * space is the folding white space, so unfolding gives the text back.
 */
static int
hdr_word(struct hdr *h, const char *s, size_t len)
{
	if (h->words > 0 && h->col + 1 + len > LINE_MAX_COLS &&
	    hdr_fold(h) == -1)
		return -1;
	if (buf_addc(h->out, ' ') == -1 || buf_add(h->out, s, len) == -1)
		return -1;
	h->col += 1 + len;
	h->words++;
	return 0;
}

/* Plain text split at single spaces, so runs of spaces survive. */
static int
hdr_words(struct hdr *h, const char *s, size_t len)
{
	const char	*sp;
	size_t		 n;

	for (;;) {
		sp = memchr(s, ' ', len);
		n = sp != NULL ? (size_t)(sp - s) : len;
		if (hdr_word(h, s, n) == -1)
			return -1;
		if (sp == NULL)
			return 0;
		s += n + 1;
		len -= n + 1;
	}
}

/*
 * Valid UTF-8 text as encoded-words: each as long as the line allows, up
 * to 75 characters, and cut between characters (RFC 2047 6.3 wants every
 * word to decode on its own).  The white space between two encoded-words
 * is not displayed, so the text comes back exactly.
 */
static int
hdr_encoded(struct hdr *h, const char *s, size_t len)
{
	size_t	 room, take, k;

	while (len > 0) {
		room = 0;
		if (h->col + 1 + EWORD_OVERHEAD < LINE_MAX_COLS)
			room = LINE_MAX_COLS - h->col - 1 - EWORD_OVERHEAD;
		if (room > EWORD_MAX - EWORD_OVERHEAD)
			room = EWORD_MAX - EWORD_OVERHEAD;
		take = room / 4 * 3;
		k = take >= len ? len : lw_utf8_cut(s, take);
		/* Rather fold than leave a sliver of a word at a line's end. */
		if (h->words > 0 && (k == 0 || (k < len && k < 9))) {
			if (hdr_fold(h) == -1)
				return -1;
			continue;
		}
		if (k == 0)
			return -1;	/* cannot happen on a fresh line */
		if (buf_adds(h->out, " =?UTF-8?B?") == -1 ||
		    b64_add(h->out, (const unsigned char *)s, k) == -1 ||
		    buf_add(h->out, "?=", 2) == -1)
			return -1;
		h->col += 1 + EWORD_OVERHEAD + (k + 2) / 3 * 4;
		h->words++;
		s += k;
		len -= k;
	}
	return 0;
}

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	}
	return 0;
}

static int
is_ascii(const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	}
	return 1;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Printable ASCII that may stand in an unquoted address. */
static int
addr_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("\"<>()[],;:\\@", c) == NULL;
}

int
lw_mail_addr(const char *s, char *out, size_t outsz)
{
	const char	*a, *lt, *gt, *at;
	size_t		 len, i;

	if (s == NULL || outsz == 0)
		return -1;
	len = strlen(s);
	a = s;
	trim(&a, &len);
	if ((lt = memchr(a, '<', len)) != NULL) {
		/* The last '<' opens the address: a quoted name may hold one. */
		while ((gt = memchr(lt + 1, '<', len - (size_t)(lt + 1 - a))) !=
		    NULL)
			lt = gt;
		if (a[len - 1] != '>')
			return -1;
		gt = a + len - 1;
		a = lt + 1;
		len = (size_t)(gt - a);
	}
	if (len == 0 || len >= outsz || len >= LW_MAIL_ADDR_MAX)
		return -1;
	if ((at = memchr(a, '@', len)) == NULL || at == a ||
	    at == a + len - 1 || at - a > 64)
		return -1;
	for (i = 0; i < len; i++) {
		if (a + i != at && !addr_char((unsigned char)a[i]))
			return -1;
	}
	memcpy(out, a, len);
	out[len] = '\0';
	return 0;
}

/*
 * One From/To entry: the address as it stands, a display name that is
 * not ASCII as encoded-words (quotes dropped, they cannot hold them).
 * comma: a ',' follows, part of the last word so that it never starts a
 * continuation line.
 */
static int
put_addr(struct hdr *h, struct buf *tmp, const char *s, int comma)
{
	char		 bare[LW_MAIL_ADDR_MAX];
	const char	*name, *lt;
	size_t		 len, nlen;

	if (strlen(s) > LW_MAIL_HEADER_VALUE_MAX || has_ctl(s) ||
	    lw_mail_addr(s, bare, sizeof(bare)) == -1)
		return -1;
	buf_reset(tmp);
	len = strlen(s);
	name = s;
	trim(&name, &len);
	if ((lt = strrchr(s, '<')) != NULL && !is_ascii(s, strlen(s))) {
		nlen = (size_t)(lt - name);
		trim(&name, &nlen);
		if (nlen >= 2 && name[0] == '"' && name[nlen - 1] == '"') {
			name++;
			nlen -= 2;
		}
		if (nlen > 0 && (lw_utf8_clean(tmp, name, nlen) == -1 ||
		    hdr_encoded(h, tmp->data, tmp->len) == -1))
			return -1;
		buf_reset(tmp);
		if (buf_addf(tmp, "<%s>%s", bare, comma ? "," : "") == -1)
			return -1;
		return hdr_word(h, tmp->data, tmp->len);
	}
	if (!is_ascii(s, strlen(s)))
		return -1;	/* a bare address must be ASCII */
	if (buf_add(tmp, name, len) == -1 || (comma && buf_addc(tmp, ',') ==
	    -1))
		return -1;
	return hdr_words(h, tmp->data, tmp->len);
}

static const char *
sev_upper(enum lw_sev s)
{
	switch (s) {
	case LW_SEV_CRITICAL:
		return "CRITICAL";
	case LW_SEV_WARNING:
		return "WARNING";
	default:
		return "INFO";
	}
}

static int
put_date(struct buf *out, int64_t now_ms, int tz_offset_min)
{
	struct tm	 tm;
	time_t		 t;
	int64_t		 secs;
	int		 off;

	secs = now_ms / 1000;
	if (now_ms % 1000 < 0)
		secs--;
	t = (time_t)(secs + (int64_t)tz_offset_min * 60);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	off = tz_offset_min < 0 ? -tz_offset_min : tz_offset_min;
	return buf_addf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02d%02d"
	    "\r\n", DAYS[tm.tm_wday], tm.tm_mday, MONTHS[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tz_offset_min < 0 ? '-' : '+', off / 60, off % 60);
}

/* FNV-1a, 64 bits; two bases make the 128 bits of a group's id. */
static uint64_t
fnv1a(uint64_t h, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
id_plain(const char *id)
{
	size_t	i;

	for (i = 0; id[i] != '\0'; i++) {
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	}
	return i > 0;
}

static int
host_plain(const char *h)
{
	size_t	i;

	if (h == NULL || *h == '\0' || *h == '.' || strlen(h) > 253)
		return 0;
	for (i = 0; h[i] != '\0'; i++) {
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
		    (h[i] == '.' && h[i + 1] != '.' && h[i + 1] != '\0')))
			return 0;
	}
	return 1;
}

/*
 * The same alerts give the same Message-ID, so a retried delivery is
 * recognisably one message.  One alert: its id as it is; a group: the
 * first id (for grepping) and a hash of all of them in order.
 */
static int
put_msgid(struct buf *out, const struct lw_alert *const *alerts, size_t n,
    const char *host)
{
	uint64_t	 h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
	const char	*first = alerts[0]->id;
	size_t		 i;

	if (!host_plain(host))
		host = "localhost";
	if (n == 1 && id_plain(first))
		return buf_addf(out, "Message-ID: <lw.%s@%s>\r\n", first, host);
	for (i = 0; i < n; i++) {
		/* The NUL separates ids: ("ab","c") is not ("a","bc"). */
		h1 = fnv1a(h1, alerts[i]->id, strlen(alerts[i]->id) + 1);
		h2 = fnv1a(h2, alerts[i]->id, strlen(alerts[i]->id) + 1);
	}
	return buf_addf(out, "Message-ID: <lw.%s%sg%zu.%016" PRIx64 "%016"
	    PRIx64 "@%s>\r\n", id_plain(first) ? first : "",
	    id_plain(first) ? "." : "", n, h1, h2, host);
}

/*
 * The subject: "[logwarden] SEV: [N alerts: ]title (host)".  The fixed
 * part stays plain so that filters can match it; the rest is encoded
 * unless it is printable ASCII that a reader cannot mistake for an
 * encoded-word and that folds.
 */
static int
put_subject(struct buf *out, struct buf *tmp,
    const struct lw_alert *const *alerts, size_t n)
{
	struct hdr		 h;
	const struct lw_alert	*a = alerts[0];
	enum lw_sev		 sev = a->severity;
	const char		*title = a->title ? a->title : "";
	const char		*host = a->host ? a->host : "";
	char			 num[32];
	size_t			 i, tlen, hlen, word = 0;
	int			 encode = 0;

	for (i = 1; i < n; i++) {
		if (alerts[i]->severity > sev)
			sev = alerts[i]->severity;
	}
	tlen = lw_utf8_cut(title, strnlen(title, LW_ALERT_TITLE_MAX));
	hlen = lw_utf8_cut(host, strnlen(host, SUBJECT_HOST_MAX));
	buf_reset(tmp);
	if (lw_utf8_clean(tmp, title, tlen) == -1)
		return -1;
	if (hlen > 0 && (buf_add(tmp, " (", 2) == -1 ||
	    lw_utf8_clean(tmp, host, hlen) == -1 || buf_addc(tmp, ')') == -1))
		return -1;
	for (i = 0; i < tmp->len; i++) {
		unsigned char	c = (unsigned char)tmp->data[i];

		if (c < 0x20 || c == 0x7f) {
			tmp->data[i] = ' ';
			encode = 1;
		} else if (c >= 0x80)
			encode = 1;
		else if (c == '=' && i + 1 < tmp->len && tmp->data[i + 1] == '?')
			encode = 1;
		word = c == ' ' ? 0 : word + 1;
		if (word > PLAIN_WORD_MAX)
			encode = 1;
	}

	if (hdr_begin(&h, out, "Subject") == -1 ||
	    hdr_word(&h, "[logwarden]", 11) == -1)
		return -1;
	/* "[logwarden] REPORT: Hourly report ..." for a scheduled report. */
	snprintf(num, sizeof(num), "%s:", lw_alert_is_report(a) ? "REPORT" :
	    sev_upper(sev));
	if (hdr_word(&h, num, strlen(num)) == -1)
		return -1;
	if (n > 1) {
		snprintf(num, sizeof(num), "%zu", n);
		if (hdr_word(&h, num, strlen(num)) == -1 ||
		    hdr_word(&h, "alerts:", 7) == -1)
			return -1;
	}
	if (tmp->len > 0) {
		if (encode && hdr_encoded(&h, tmp->data, tmp->len) == -1)
			return -1;
		if (!encode && hdr_words(&h, tmp->data, tmp->len) == -1)
			return -1;
	}
	return hdr_end(&h);
}

/* A one-line value: repaired, cut, control characters as \xNN. */
static int
put_text(struct buf *body, struct buf *tmp, const char *s, size_t max)
{
	size_t	len;

	if (s == NULL)
		return 0;
	len = lw_utf8_cut(s, strnlen(s, max));
	buf_reset(tmp);
	if (lw_utf8_clean(tmp, s, len) == -1)
		return -1;
	return lw_vis(body, buf_str(tmp), tmp->len);
}

/* "Label:   value", or nothing for an unset value. */
static int
put_field(struct buf *body, struct buf *tmp, const char *label,
    const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	if (buf_addf(body, "%-10s", label) == -1 ||
	    put_text(body, tmp, s, SHORT_FIELD_MAX) == -1)
		return -1;
	return buf_add(body, "\r\n", 2);
}

/* Multi-line text, each line indented; CR LF or LF both end a line. */
static int
put_block(struct buf *body, struct buf *tmp, const char *label,
    const char *s, size_t max)
{
	const char	*nl;
	size_t		 len, n, k;

	if (s == NULL || *s == '\0')
		return 0;
	if (buf_addf(body, "\r\n%s:\r\n", label) == -1)
		return -1;
	len = lw_utf8_cut(s, strnlen(s, max));
	while (len > 0) {
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) : len;
		k = n > 0 && s[n - 1] == '\r' ? n - 1 : n;
		buf_reset(tmp);
		if (buf_add(body, "  ", 2) == -1 ||
		    lw_utf8_clean(tmp, s, k) == -1 ||
		    lw_vis(body, buf_str(tmp), tmp->len) == -1 ||
		    buf_add(body, "\r\n", 2) == -1)
			return -1;
		if (nl == NULL)
			break;
		s += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* A scheduled report: its summary, then the full report. */
static int
put_report(struct buf *one, struct buf *tmp, const struct lw_alert *a,
    const char *when)
{
	if (put_text(one, tmp, a->title, LW_ALERT_TITLE_MAX) == -1 ||
	    buf_add(one, "\r\n\r\n", 4) == -1 ||
	    buf_addf(one, "%-10s%s\r\n", "Made:", when) == -1 ||
	    put_field(one, tmp, "Host:", a->host) == -1 ||
	    put_field(one, tmp, "Log:", a->log) == -1 ||
	    put_block(one, tmp, "Summary", a->detail, LW_ALERT_TEXT_MAX) == -1 ||
	    put_block(one, tmp, "Report", a->report_text,
	    LW_ALERT_REPORT_TEXT_MAX) == -1)
		return -1;
	return buf_addf(one, "\r\nReport id: %s\r\n", a->id);
}

static int
put_alert(struct buf *one, struct buf *tmp, const struct lw_alert *a)
{
	char	 when[LW_ISO8601_LEN + 1];
	size_t	 i;

	lw_iso8601(a->time_ms, when, sizeof(when));
	if (lw_alert_is_report(a))
		return put_report(one, tmp, a, when);
	if (buf_addf(one, "%s: ", sev_upper(a->severity)) == -1 ||
	    put_text(one, tmp, a->title, LW_ALERT_TITLE_MAX) == -1 ||
	    buf_add(one, "\r\n\r\n", 4) == -1 ||
	    buf_addf(one, "%-10s%s\r\n", "Time:", when) == -1 ||
	    put_field(one, tmp, "Host:", a->host) == -1 ||
	    put_field(one, tmp, "Log:", a->log) == -1 ||
	    buf_addf(one, "%-10s", "Rule:") == -1 ||
	    put_text(one, tmp, a->rule ? a->rule : "?", SHORT_FIELD_MAX) ==
	    -1 || buf_addf(one, " (source: %s)\r\n", a->source_llm ? "llm" :
	    "rule") == -1)
		return -1;
	if (a->has_count && buf_addf(one, "%-10s%lld\r\n", "Count:",
	    a->count) == -1)
		return -1;
	if (a->tmpl != NULL && put_field(one, tmp, "Template:", a->tmpl) == -1)
		return -1;
	if (put_block(one, tmp, "Detail", a->detail, LW_ALERT_TEXT_MAX) == -1)
		return -1;
	if (a->nevidence > 0 && buf_adds(one, "\r\nEvidence:\r\n") == -1)
		return -1;
	for (i = 0; i < a->nevidence && i < LW_ALERT_MAX_EVIDENCE; i++) {
		if (buf_add(one, "  ", 2) == -1 ||
		    put_text(one, tmp, a->evidence[i], SHORT_FIELD_MAX) == -1 ||
		    buf_add(one, "\r\n", 2) == -1)
			return -1;
	}
	return buf_addf(one, "\r\nAlert id: %s\r\n", a->id);
}

/*
 * The text of the body.  Alerts are rendered one at a time so that a
 * group too big for one mail loses its tail, not the whole mail.
 */
static int
put_body_text(struct buf *body, const struct lw_alert *const *alerts,
    size_t n)
{
	struct buf	 one, tmp;
	enum lw_sev	 sev = LW_SEV_INFO;
	size_t		 i, shown = 0;
	int		 rc = -1;

	buf_init(&one, SCRATCH_MAX);
	buf_init(&tmp, SCRATCH_MAX);
	for (i = 0; i < n; i++) {
		if (alerts[i]->severity > sev)
			sev = alerts[i]->severity;
	}
	if (n > 1 && buf_addf(body, "%zu alerts, the highest %s.\r\n\r\n", n,
	    sev_upper(sev)) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(&one);
		if (i > 0 && buf_adds(&one, "\r\n------------------------------"
		    "----------\r\n\r\n") == -1)
			goto out;
		if (put_alert(&one, &tmp, alerts[i]) == -1)
			break;
		if (body->len + one.len + TRAILER_RESERVE > body->max)
			break;
		if (buf_add(body, one.data, one.len) == -1)
			goto out;
		shown++;
	}
	if (shown == 0)
		goto out;
	if (shown < n && buf_addf(body, "\r\n[%zu more alert%s not shown: "
	    "too long for one mail]\r\n", n - shown, n - shown == 1 ? "" : "s")
	    == -1)
		goto out;
	if (buf_adds(body, "\r\n-- \r\nlogwarden\r\n") == -1)
		goto out;
	rc = 0;
out:
	buf_free(&one);
	buf_free(&tmp);
	return rc;
}

static int
put_body(struct buf *out, const struct lw_alert *const *alerts, size_t n)
{
	struct buf	 text;
	size_t		 i, k;
	int		 rc = -1;

	buf_init(&text, LW_MAIL_TEXT_MAX);
	if (put_body_text(&text, alerts, n) == -1)
		goto out;
	for (i = 0; i < text.len; i += k) {
		k = text.len - i < B64_LINE_BYTES ? text.len - i :
		    B64_LINE_BYTES;
		if (b64_add(out, (const unsigned char *)text.data + i, k) ==
		    -1 || buf_add(out, "\r\n", 2) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_free(&text);
	return rc;
}

int
lw_mail_build(const struct lw_alert *const *alerts, size_t n,
    const char *from, const char *const *to, size_t nto,
    const char *msgid_host, int64_t now_ms, int tz_offset_min,
    struct buf *out)
{
	struct hdr	 h;
	struct buf	 tmp;
	size_t		 start = out->len, i;
	int		 rc = -1;

	buf_init(&tmp, SCRATCH_MAX);
	if (n == 0 || nto == 0 || alerts == NULL || to == NULL ||
	    from == NULL || tz_offset_min < -1439 || tz_offset_min > 1439)
		goto out;
	for (i = 0; i < n; i++) {
		if (alerts[i] == NULL)
			goto out;
	}
	if (put_date(out, now_ms, tz_offset_min) == -1 ||
	    put_msgid(out, alerts, n, msgid_host) == -1)
		goto out;
	if (hdr_begin(&h, out, "From") == -1 ||
	    put_addr(&h, &tmp, from, 0) == -1 || hdr_end(&h) == -1)
		goto out;
	if (hdr_begin(&h, out, "To") == -1)
		goto out;
	for (i = 0; i < nto; i++) {
		if (to[i] == NULL || put_addr(&h, &tmp, to[i], i + 1 < nto) == -1)
			goto out;
	}
	if (hdr_end(&h) == -1 || put_subject(out, &tmp, alerts, n) == -1)
		goto out;
	if (buf_adds(out, "Auto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n") == -1 ||
	    put_body(out, alerts, n) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && out->data != NULL) {
		out->len = start;
		out->data[start] = '\0';
	}
	buf_free(&tmp);
	return rc;
}
