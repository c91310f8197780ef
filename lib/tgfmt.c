/*
 * tgfmt: Telegram message text, sendMessage body and reply classification.
 *
 * Telegram rejects a whole message for one stray '<' or for one character
 * past 4096, so everything here is built to make both impossible: each
 * string from an alert passes through esc(), which repairs, escapes and
 * cuts it, and every length decision is taken on the rendered HTML with
 * lw_tg_text_length, the same count Telegram applies, rather than on
 * arithmetic that could drift from what was written.
 *
 * Space is shared in two steps.  Head parts (title, host, template,
 * detail...) have fixed caps whose sum leaves room for a group header and
 * an evidence note, which is why a single alert always fits.  Evidence
 * gets what is left: first every alert its minimum, then the rest spread
 * evenly, each alert's lines cut to a common length before any line is
 * dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "lwtime.h"
#include "tgfmt.h"
#include "utf8.h"
#include "xmalloc.h"

/* Caps in Telegram characters; their sum stays far below 4096. */
#define CAP_TITLE	256
#define CAP_HOST	64
#define CAP_LOG		200
#define CAP_RULE	64
#define CAP_TMPL	512
#define CAP_DETAIL	1536
#define CAP_REPORT	3600	/* a scheduled report's summary */
#define CAP_LINE_MIN	80	/* evidence is cut no shorter than this */
#define CAP_LINE_MAX	LW_ALERT_EVIDENCE_MAX

/*
 * Input read of any one string: 16 KiB hold more than 4096 characters
 * whatever they are, so reading more could not change the cut text.
 * Repair may triple it; rendering full evidence may take six bytes
 * ("&quot;") per character of ten lines of CAP_LINE_MAX.
 */
#define INPUT_MAX	(16 * 1024)
#define CLEAN_MAX	(3 * INPUT_MAX)
#define SCRATCH_MAX	(256 * 1024)

#define ESC_NL		0x1	/* keep line breaks (detail) */

static const char ELLIPSIS[] = "\xe2\x80\xa6";	/* U+2026, one unit */
static const char REPL[] = "\xef\xbf\xbd";	/* U+FFFD, one unit */

/* How one evidence block is shown: the first lines, each cut to cap. */
struct evfit {
	size_t	lines;
	size_t	cap;
};

/* UTF-16 units of the character led by byte c; 0 for a continuation. */
static size_t
units(unsigned char c)
{
	if ((c & 0xc0) == 0x80)
		return 0;
	return c >= 0xf0 ? 2 : 1;
}

size_t
lw_tg_text_length(const char *html, size_t len)
{
	const unsigned char	*u = (const unsigned char *)html;
	size_t			 i = 0, n = 0;

	while (i < len) {
		if (u[i] == '<') {
			while (i < len && u[i] != '>')
				i++;
			i++;
		} else if (u[i] == '&') {
			while (i < len && u[i] != ';')
				i++;
			i++;
			n++;
		} else
			n += units(u[i++]);
	}
	return n;
}

/* Length of the sequence led by c, for text already known valid. */
static size_t
seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	return c >= 0xe0 ? 3 : 2;
}

/*
 * Appends s repaired, escaped and cut to cap units (ending in "…" when
 * cut, *cut set).  Control characters and the bidirectional overrides a
 * hostile line could use to disguise itself become U+FFFD, line breaks a
 * space unless ESC_NL; each replacement is one unit, like what it
 * replaces, so the count taken before escaping stays true.
 */
static int
esc(struct buf *dst, const char *s, size_t cap, int flags, int *cut)
{
	struct buf		 clean;
	const unsigned char	*u;
	size_t			 i, n, total = 0, end, used;
	int			 rv = -1;

	buf_init(&clean, CLEAN_MAX);
	if (s == NULL)
		s = "";
	if (lw_utf8_clean(&clean, s, strnlen(s, INPUT_MAX)) == -1)
		goto out;
	u = (const unsigned char *)buf_str(&clean);
	for (i = 0; i < clean.len; i++)
		total += units(u[i]);

	/* Where to stop: everything, or cap - 1 units and the ellipsis. */
	end = clean.len;
	if (total > cap) {
		used = 0;
		for (i = 0; i < clean.len; i += seqlen(u[i])) {
			if (used + units(u[i]) > cap - 1)
				break;
			used += units(u[i]);
		}
		end = i;
		if (cut != NULL)
			*cut = 1;
	}

	for (i = 0; i < end; i += n) {
		const char	*rep = NULL;

		n = seqlen(u[i]);
		switch (u[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\n': rep = (flags & ESC_NL) ? "\n" : " "; break;
		case '\t': rep = " "; break;
		default:
			if (u[i] < 0x20 || u[i] == 0x7f)
				rep = REPL;
			/* U+202A..U+202E, U+2066..U+2069 */
			else if (n == 3 && u[i] == 0xe2 &&
			    ((u[i + 1] == 0x80 && u[i + 2] >= 0xaa &&
			    u[i + 2] <= 0xae) || (u[i + 1] == 0x81 &&
			    u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9)))
				rep = REPL;
			break;
		}
		if (rep != NULL) {
			if (buf_adds(dst, rep) == -1)
				goto out;
		} else if (buf_add(dst, u + i, n) == -1)
			goto out;
	}
	if (end < clean.len && buf_adds(dst, ELLIPSIS) == -1)
		goto out;
	rv = 0;
out:
	buf_free(&clean);
	return rv;
}

static const char *
mark(enum lw_sev s)
{
	switch (s) {
	case LW_SEV_CRITICAL:
		return "\xf0\x9f\x94\xb4 CRITICAL";	/* red circle */
	case LW_SEV_WARNING:
		return "\xf0\x9f\x9f\xa0 WARNING";	/* orange circle */
	default:
		return "\xf0\x9f\x94\xb5 INFO";		/* blue circle */
	}
}

static int
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Everything of an alert but its evidence, each line ending in \n. */
static int
render_head(const struct lw_alert *a, struct buf *o)
{
	char	iso[LW_ISO8601_LEN + 1];

	if (buf_adds(o, mark(a->severity)) == -1 ||
	    buf_adds(o, " \xc2\xb7 <b>") == -1 ||
	    esc(o, nonempty(a->title) ? a->title : "(no title)", CAP_TITLE,
	    0, NULL) == -1 || buf_adds(o, "</b>\n") == -1)
		return -1;

	/* "2025-03-20T14:35:12.345Z" shown as "2025-03-20 14:35:12Z". */
	lw_iso8601(a->time_ms, iso, sizeof(iso));
	iso[10] = ' ';
	iso[19] = 'Z';
	iso[20] = '\0';
	if (nonempty(a->host) && (buf_adds(o, "host <code>") == -1 ||
	    esc(o, a->host, CAP_HOST, 0, NULL) == -1 ||
	    buf_adds(o, "</code> \xc2\xb7 ") == -1))
		return -1;
	if (nonempty(a->log) && (buf_adds(o, "log <code>") == -1 ||
	    esc(o, a->log, CAP_LOG, 0, NULL) == -1 ||
	    buf_adds(o, "</code> \xc2\xb7 ") == -1))
		return -1;
	if (buf_addf(o, "%s\n", iso) == -1)
		return -1;

	if (buf_adds(o, "rule <code>") == -1 ||
	    esc(o, nonempty(a->rule) ? a->rule : "?", CAP_RULE, 0,
	    NULL) == -1 || buf_adds(o, "</code>") == -1)
		return -1;
	if (a->has_count && buf_addf(o, " \xc2\xb7 count <b>%lld</b>",
	    a->count) == -1)
		return -1;
	if (a->source_llm && buf_adds(o, " \xc2\xb7 from the model") == -1)
		return -1;
	/* The id ties the message to alerts.jsonl and the webhook. */
	if (buf_adds(o, " \xc2\xb7 id <code>") == -1 ||
	    esc(o, a->id, sizeof(a->id), 0, NULL) == -1 ||
	    buf_adds(o, "</code>") == -1)
		return -1;
	if (buf_addc(o, '\n') == -1)
		return -1;

	if (nonempty(a->tmpl) && (buf_adds(o, "template <code>") == -1 ||
	    esc(o, a->tmpl, CAP_TMPL, 0, NULL) == -1 ||
	    buf_adds(o, "</code>\n") == -1))
		return -1;
	if (nonempty(a->detail) && (esc(o, a->detail, CAP_DETAIL, ESC_NL,
	    NULL) == -1 || buf_addc(o, '\n') == -1))
		return -1;
	return 0;
}

/*
 * A scheduled report is a message of its own: a chart mark, the title,
 * host, and the compact summary (detail) with its line breaks; the caps
 * keep it within one message.
 */
static int
render_report(const struct lw_alert *a, struct buf *o)
{
	if (buf_adds(o, "\xf0\x9f\x93\x8a <b>") == -1 ||	/* bar chart */
	    esc(o, nonempty(a->title) ? a->title : "Report", CAP_TITLE, 0,
	    NULL) == -1 || buf_adds(o, "</b>\n") == -1)
		return -1;
	if (nonempty(a->host) && (buf_adds(o, "host <code>") == -1 ||
	    esc(o, a->host, CAP_HOST, 0, NULL) == -1 ||
	    buf_adds(o, "</code>\n") == -1))
		return -1;
	if (nonempty(a->detail) && (esc(o, a->detail, CAP_REPORT, ESC_NL,
	    NULL) == -1 || buf_addc(o, '\n') == -1))
		return -1;
	return 0;
}

/* The evidence block for fit f, and a note on whatever it leaves out. */
static int
render_ev(const struct lw_alert *a, struct evfit f, struct buf *o)
{
	size_t	i, hidden;
	int	cut = 0;

	if (a->nevidence == 0)
		return 0;
	if (f.lines > a->nevidence)
		f.lines = a->nevidence;
	if (f.lines > 0) {
		if (buf_adds(o, "<pre>") == -1)
			return -1;
		for (i = 0; i < f.lines; i++) {
			if ((i > 0 && buf_addc(o, '\n') == -1) ||
			    esc(o, a->evidence[i], f.cap, 0, &cut) == -1)
				return -1;
		}
		if (buf_adds(o, "</pre>\n") == -1)
			return -1;
	}
	hidden = a->nevidence - f.lines;
	if (hidden > 0 && buf_addf(o, "<i>\xe2\x80\xa6 %zu evidence line%s "
	    "not shown%s</i>\n", hidden, hidden == 1 ? "" : "s",
	    cut ? ", long lines shortened" : "") == -1)
		return -1;
	if (hidden == 0 && cut &&
	    buf_adds(o, "<i>long evidence lines shortened</i>\n") == -1)
		return -1;
	return 0;
}

/* Telegram length of render_ev(a, f); SIZE_MAX if it cannot render. */
static size_t
ev_length(const struct lw_alert *a, struct evfit f, struct buf *tmp)
{
	buf_reset(tmp);
	if (render_ev(a, f, tmp) == -1)
		return SIZE_MAX;
	return lw_tg_text_length(buf_str(tmp), tmp->len);
}

/*
 * The most evidence of a within budget units: as many lines as possible,
 * cut to the longest common length not under CAP_LINE_MIN (found by
 * bisection); at worst no line and the note alone.
 */
static struct evfit
fit_ev(const struct lw_alert *a, size_t budget, struct buf *tmp)
{
	struct evfit	f, t;
	size_t		lo, hi, mid;

	f.lines = a->nevidence;
	f.cap = CAP_LINE_MAX;
	if (ev_length(a, f, tmp) <= budget)
		return f;
	for (f.lines = a->nevidence; f.lines > 0; f.lines--) {
		t.lines = f.lines;
		t.cap = CAP_LINE_MIN;
		if (ev_length(a, t, tmp) > budget)
			continue;
		lo = CAP_LINE_MIN;		/* fits */
		hi = CAP_LINE_MAX;		/* does not */
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			t.cap = mid;
			if (ev_length(a, t, tmp) <= budget)
				lo = mid;
			else
				hi = mid;
		}
		f.cap = lo;
		return f;
	}
	f.cap = CAP_LINE_MIN;
	return f;
}

static int
render_group_header(const struct lw_alert *a, size_t n, size_t k,
    struct buf *o)
{
	if (buf_addf(o, "<b>%zu alerts", n) == -1)
		return -1;
	if (nonempty(a->host) && (buf_adds(o, " on ") == -1 ||
	    esc(o, a->host, CAP_HOST, 0, NULL) == -1))
		return -1;
	if (buf_adds(o, "</b>") == -1)
		return -1;
	if (k < n && buf_addf(o, " (%zu in this message, the rest follow)",
	    k) == -1)
		return -1;
	return buf_adds(o, "\n\n");
}

/* Renders alerts[0..k) with evidence fits fits[] into msg. */
static int
render_all(const struct lw_alert *const *alerts, size_t n, size_t k,
    const struct evfit *fits, struct buf *msg)
{
	size_t	i;

	buf_reset(msg);
	if (n > 1 && render_group_header(alerts[0], n, k, msg) == -1)
		return -1;
	for (i = 0; i < k; i++) {
		if ((i > 0 && buf_addc(msg, '\n') == -1) ||
		    render_head(alerts[i], msg) == -1 ||
		    render_ev(alerts[i], fits[i], msg) == -1)
			return -1;
	}
	/* Telegram strips it anyway; keep the count honest. */
	if (msg->len > 0 && msg->data[msg->len - 1] == '\n')
		msg->data[--msg->len] = '\0';
	return 0;
}

/*
 * Extra evidence room per alert beyond its minimum: the largest level w
 * such that giving each alert min(want[i], w) stays within room.
 */
static size_t
water_level(const size_t *want, size_t k, size_t room)
{
	size_t	lo = 0, hi = 0, mid, i, sum;

	for (i = 0; i < k; i++)
		if (want[i] > hi)
			hi = want[i];
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		for (sum = 0, i = 0; i < k && sum <= room; i++)
			sum += want[i] < mid ? want[i] : mid;
		if (sum <= room)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int
lw_tg_render(const struct lw_alert *const *alerts, size_t n, size_t *used,
    struct buf *out)
{
	struct buf	 msg, tmp;
	struct evfit	*fits = NULL, f;
	size_t		*head = NULL, *full = NULL, *least = NULL, *extra = NULL;
	size_t		 i, k, reserve = 0, budget, room, sum_head, sum_least;
	size_t		 level;
	int		 rv = -1;

	buf_init(&msg, LW_TG_RENDER_MAX);
	buf_init(&tmp, SCRATCH_MAX);
	*used = 0;
	if (n == 0)
		goto out;
	if (lw_alert_is_report(alerts[0])) {
		if (render_report(alerts[0], &msg) == -1 ||
		    buf_add(out, msg.data, msg.len) == -1)
			goto out;
		*used = 1;
		rv = 0;
		goto out;
	}
	/* Reports go alone: the group ends before the first one. */
	for (i = 1; i < n; i++)
		if (lw_alert_is_report(alerts[i]))
			n = i;
	head = xcalloc(n, sizeof(*head));
	full = xcalloc(n, sizeof(*full));
	least = xcalloc(n, sizeof(*least));
	extra = xcalloc(n, sizeof(*extra));
	fits = xcalloc(n, sizeof(*fits));

	/* The longest header this group can get: with "the rest follow". */
	if (n > 1) {
		if (render_group_header(alerts[0], n, n - 1, &tmp) == -1)
			goto out;
		reserve = lw_tg_text_length(buf_str(&tmp), tmp.len);
	}
	budget = LW_TG_TEXT_MAX - reserve;

	/*
	 * Take alerts while their heads and minimal evidence (one line of
	 * CAP_LINE_MIN and the note) fit; the first is always taken and
	 * its evidence squeezed into whatever is left.
	 */
	sum_head = sum_least = 0;
	for (k = 0; k < n; k++) {
		buf_reset(&tmp);
		if (render_head(alerts[k], &tmp) == -1)
			goto out;
		head[k] = lw_tg_text_length(buf_str(&tmp), tmp.len) +
		    (k > 0 ? 1 : 0);
		f.lines = LW_ALERT_MAX_EVIDENCE;
		f.cap = CAP_LINE_MAX;
		full[k] = ev_length(alerts[k], f, &tmp);
		f.lines = 1;
		f.cap = CAP_LINE_MIN;
		least[k] = ev_length(alerts[k], f, &tmp);
		if (full[k] == SIZE_MAX || least[k] == SIZE_MAX)
			goto out;
		if (least[k] > full[k])
			least[k] = full[k];
		if (k > 0 && sum_head + sum_least + head[k] + least[k] > budget)
			break;
		sum_head += head[k];
		sum_least += least[k];
	}

	for (;;) {
		/* Evidence room: minimums first, the rest evened out. */
		room = budget > sum_head ? budget - sum_head : 0;
		if (room < sum_least) {
			/* Only the first alert: it gets what there is. */
			fits[0] = fit_ev(alerts[0], room, &tmp);
		} else {
			for (i = 0; i < k; i++)
				extra[i] = full[i] - least[i];
			level = water_level(extra, k, room - sum_least);
			for (i = 0; i < k; i++)
				fits[i] = fit_ev(alerts[i], least[i] +
				    (extra[i] < level ? extra[i] : level), &tmp);
		}
		if (render_all(alerts, n, k, fits, &msg) == -1)
			goto out;
		if (lw_tg_text_length(buf_str(&msg), msg.len) <= LW_TG_TEXT_MAX)
			break;
		/* Cannot happen with the caps above; never send too much. */
		log_warnx("%s: message of %zu alerts too long, retrying",
		    __func__, k);
		if (k == 1) {
			fits[0].lines = 0;
			if (render_all(alerts, n, k, fits, &msg) == -1 ||
			    lw_tg_text_length(buf_str(&msg), msg.len) >
			    LW_TG_TEXT_MAX)
				goto out;
			break;
		}
		k--;
		sum_head -= head[k];
		sum_least -= least[k];
	}

	if (buf_add(out, msg.data, msg.len) == -1)
		goto out;
	*used = k;
	rv = 0;
out:
	free(head);
	free(full);
	free(least);
	free(extra);
	free(fits);
	buf_free(&msg);
	buf_free(&tmp);
	return rv;
}

/* An integer Telegram would take as a number: -?[1-9][0-9]{0,17}. */
static int
is_integer(const char *s, int allow_minus)
{
	size_t	i = 0, digits;

	if (allow_minus && s[0] == '-')
		i++;
	if (s[i] < '1' || s[i] > '9')
		return 0;
	for (digits = 0; s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	return s[i] == '\0' && digits <= 18;
}

int
lw_tg_body(const char *chat_id, const char *text, int silent,
    const char *thread_id, struct buf *out)
{
	cJSON		*o = NULL, *lp;
	struct buf	 clean;
	char		*s = NULL;
	int		 rv = -1;

	buf_init(&clean, LW_TG_BODY_MAX);
	if (chat_id == NULL || *chat_id == '\0')
		goto out;
	if (thread_id != NULL && !is_integer(thread_id, 0))
		goto out;
	if (lw_utf8_clean(&clean, text != NULL ? text : "",
	    text != NULL ? strlen(text) : 0) == -1)
		goto out;

	/* Integers go out as raw digits: exact, unlike a double. */
	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	if ((is_integer(chat_id, 1) ?
	    cJSON_AddRawToObject(o, "chat_id", chat_id) :
	    cJSON_AddStringToObject(o, "chat_id", chat_id)) == NULL)
		goto out;
	if (cJSON_AddStringToObject(o, "text", buf_str(&clean)) == NULL ||
	    cJSON_AddStringToObject(o, "parse_mode", "HTML") == NULL)
		goto out;
	if ((lp = cJSON_AddObjectToObject(o, "link_preview_options")) == NULL ||
	    cJSON_AddTrueToObject(lp, "is_disabled") == NULL)
		goto out;
	if (silent && cJSON_AddTrueToObject(o, "disable_notification") == NULL)
		goto out;
	if (thread_id != NULL &&
	    cJSON_AddRawToObject(o, "message_thread_id", thread_id) == NULL)
		goto out;
	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	if (buf_adds(out, s) == -1)
		goto out;
	rv = 0;
out:
	cJSON_free(s);
	cJSON_Delete(o);
	buf_free(&clean);
	return rv;
}

/* What a status alone says. */
static enum lw_tg_class
classify(long code)
{
	if (code == 408 || code == 429 || code >= 500)
		return LW_TG_RETRY;
	if (code >= 300 && code < 500)
		return LW_TG_FATAL;
	return LW_TG_RETRY;
}

/* Sets r->description to prefix and s[0..len) escaped, cut to fit. */
static void
describe(struct lw_tg_reply *r, const char *prefix, const char *s,
    size_t len)
{
	struct buf	b;

	buf_init(&b, sizeof(r->description) - 1);
	/* Both fail only at the maximum and keep what fitted. */
	(void)buf_adds(&b, prefix);
	if (len > 4 * sizeof(r->description))
		len = 4 * sizeof(r->description);
	(void)lw_vis(&b, s, len);
	memcpy(r->description, buf_str(&b), strlen(buf_str(&b)) + 1);
	buf_free(&b);
}

int
lw_tg_parse_reply(const char *body, size_t len, long http_status,
    struct lw_tg_reply *r)
{
	cJSON		*o = NULL, *it, *p;
	char		 prefix[64];
	int		 is_tg = 0;

	memset(r, 0, sizeof(*r));
	r->http_status = http_status;
	r->error_code = http_status;
	r->retry_after = -1;
	if (body == NULL)
		len = 0;

	if (len > 0 && (o = cJSON_ParseWithLength(body, len)) != NULL &&
	    cJSON_IsObject(o) && cJSON_IsBool(it = cJSON_GetObjectItem(o,
	    "ok"))) {
		is_tg = 1;
		r->ok = cJSON_IsTrue(it);
		it = cJSON_GetObjectItem(o, "error_code");
		if (cJSON_IsNumber(it) && it->valuedouble >= 0 &&
		    it->valuedouble < 1000)
			r->error_code = (long)it->valuedouble;
		it = cJSON_GetObjectItem(o, "description");
		if (cJSON_IsString(it))
			describe(r, "", it->valuestring,
			    strlen(it->valuestring));
		p = cJSON_GetObjectItem(o, "parameters");
		it = cJSON_GetObjectItem(p, "retry_after");
		/* A day at most: a bigger value is not to be waited out. */
		if (cJSON_IsNumber(it) && it->valuedouble >= 0)
			r->retry_after = it->valuedouble > 86400 ? 86400 :
			    (long)it->valuedouble;
		it = cJSON_GetObjectItem(p, "migrate_to_chat_id");
		if (cJSON_IsNumber(it) && it->valuedouble > -1e17 &&
		    it->valuedouble < 1e17)
			r->migrate_to = (long long)it->valuedouble;
	}

	if (http_status == 0) {
		r->kind = LW_TG_RETRY;
		if (r->description[0] == '\0')
			describe(r, "no answer from the Bot API", "", 0);
	} else if (http_status >= 200 && http_status < 300) {
		/* An unreadable 200 is no confirmation: at least once. */
		if (is_tg && r->ok)
			r->kind = LW_TG_OK;
		else if (is_tg)
			r->kind = classify(r->error_code);
		else
			r->kind = LW_TG_RETRY;
	} else
		r->kind = classify(http_status);

	if (!is_tg && http_status != 0) {
		snprintf(prefix, sizeof(prefix), "HTTP %ld%s", http_status,
		    len > 0 ? ": " : ", empty answer");
		describe(r, prefix, body, len);
	}
	cJSON_Delete(o);
	return is_tg ? 0 : -1;
}
