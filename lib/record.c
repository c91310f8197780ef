/*
 * record: multi-line record assembly over the line parser.
 *
 * Two slots take turns: the one being filled and the one last handed
 * out.  The header's component, message and key=value spans point into
 * the line (or the parser's scratch), which the next call overwrites, so
 * they are copied into the slot's 'meta' buffer and resolved to pointers
 * only when the record is handed out (the buffer may move while growing).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "record.h"
#include "utf8.h"
#include "xmalloc.h"

#define COMP_MAX	256	/* component names longer than this are cut */
#define KV_MAX		256	/* copied JSON keys and values, each */

struct off {
	size_t	 o, len;
};

struct slot {
	struct buf	 text;		/* max: max_record_bytes */
	struct buf	 meta;		/* component, message, copied kv */
	char		 last[LW_RECORD_LAST_MAX];
	size_t		 lastlen;
	struct off	 comp, msg, kkey[LW_MAX_KV], kval[LW_MAX_KV];
	struct lw_record rec;		/* spans set in slot_emit only */
};

struct lw_asm {
	struct lw_parser *p;
	size_t		 max_bytes;
	unsigned	 max_lines;
	struct slot	 s[2];
	int		 cur;		/* slot being filled */
	int		 pending;	/* s[cur] holds a record */
	/* The record handed out last, for inheritance and late lines;
	 * level and traceback are those of the whole logical record. */
	int		 have_prev;
	int		 prev_has_time;
	int64_t		 prev_time;
	enum lw_level	 prev_level;
	int		 prev_tb;
};

static const char	tb_head[] = "Traceback (most recent call last):";
#define TB_HEAD_LEN	(sizeof(tb_head) - 1)

static int
starts(const char *s, size_t n, const char *pfx, size_t plen)
{
	return n >= plen && memcmp(s, pfx, plen) == 0;
}

/* A line that opens a Python traceback or chains one to another. */
static int
is_tb_line(const char *s, size_t n)
{
	static const char during[] = "During handling of the above exception";
	static const char cause[] = "The above exception was the direct cause";
	size_t	i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	s += i;
	n -= i;
	if (n == 0)
		return 0;
	if (s[0] == 'T')
		return starts(s, n, tb_head, TB_HEAD_LEN) ||
		    starts(s, n, cause, sizeof(cause) - 1);
	if (s[0] == 'D')
		return starts(s, n, during, sizeof(during) - 1);
	return 0;
}

/* jesse and binance-trade-bot log the traceback as the message text. */
static int
msg_opens_tb(const struct lw_span *m)
{
	return m->len >= TB_HEAD_LEN &&
	    memcmp(m->p + m->len - TB_HEAD_LEN, tb_head, TB_HEAD_LEN) == 0;
}

static int
is_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Copy up to max bytes (cut at a UTF-8 boundary) into meta; a copy that
 * does not fit comes back empty, which only loses a field. */
static struct off
meta_put(struct slot *sl, const char *p, size_t len, size_t max)
{
	struct off	o = { 0, 0 };

	if (len > max)
		len = lw_utf8_cut(p, max);
	o.o = sl->meta.len;
	if (buf_add(&sl->meta, p, len) == 0)
		o.len = len;
	return o;
}

static void
slot_reset(struct slot *sl)
{
	buf_reset(&sl->text);
	buf_reset(&sl->meta);
	sl->lastlen = 0;
	memset(&sl->rec, 0, sizeof(sl->rec));
	memset(&sl->comp, 0, sizeof(sl->comp));
	memset(&sl->msg, 0, sizeof(sl->msg));
}

static void
raise_tb(struct lw_asm *a, struct slot *sl)
{
	struct lw_record	*r = &sl->rec;

	if (r->has_traceback)
		return;
	r->has_traceback = 1;
	if (r->level < LW_LVL_ERROR) {
		r->level = LW_LVL_ERROR;
		/* a late traceback raises the record that was handed out */
		if (r->late && !a->prev_tb)
			r->escalated = 1;
	}
}

/* Append one physical line to the text, within the record's bounds.
 * hdr: the header line, which is never the 'last' line. */
static void
slot_add_line(struct lw_asm *a, struct slot *sl, const char *s, size_t n,
    int hdr)
{
	struct lw_record	*r = &sl->rec;
	size_t			 room, sep = r->nlines > 0 ? 1 : 0;

	r->nlines++;
	if (!hdr && !is_blank(s, n)) {
		sl->lastlen = n > sizeof(sl->last) ?
		    lw_utf8_cut(s, sizeof(sl->last)) : n;
		memcpy(sl->last, s, sl->lastlen);
	}
	if (r->cut)
		return;
	if (r->nlines > a->max_lines) {
		r->cut = 1;
		return;
	}
	if (sl->text.len + sep + n <= a->max_bytes) {
		if (sep)
			buf_addc(&sl->text, '\n');
		buf_add(&sl->text, s, n);
		return;
	}
	/* the first line that does not fit: keep what fits of it */
	r->cut = 1;
	room = a->max_bytes - sl->text.len;
	if (room <= sep)
		return;
	if (sep)
		buf_addc(&sl->text, '\n');
	buf_add(&sl->text, s, lw_utf8_cut(s, room - sep));
}

/* Start a record with a header line. */
static void
slot_start_header(struct lw_asm *a, struct slot *sl,
    const struct lw_parsed *pr)
{
	struct lw_record	*r = &sl->rec;
	const char		*mp = pr->message.p;
	size_t			 mlen, i;
	int			 n = 0;

	slot_reset(sl);
	if (pr->has_time) {
		r->has_time = 1;
		r->time_ms = pr->time_ms;
	} else if (a->have_prev && a->prev_has_time) {
		r->has_time = r->inherited_time = 1;
		r->time_ms = a->prev_time;
	}
	r->level = r->header_level = pr->level;
	sl->comp = meta_put(sl, pr->component.p, pr->component.len, COMP_MAX);
	sl->msg = meta_put(sl, mp, pr->message.len, a->max_bytes);
	mlen = sl->msg.len;
	/* kv inside the (possibly cut) message point into its copy */
	for (i = 0; i < (size_t)pr->nkv; i++) {
		const struct lw_kv *kv = &pr->kv[i];

		if (kv->key.p >= mp && kv->val.p >= mp &&
		    kv->key.p + kv->key.len <= mp + mlen &&
		    kv->val.p + kv->val.len <= mp + mlen) {
			sl->kkey[n].o = sl->msg.o + (size_t)(kv->key.p - mp);
			sl->kkey[n].len = kv->key.len;
			sl->kval[n].o = sl->msg.o + (size_t)(kv->val.p - mp);
			sl->kval[n].len = kv->val.len;
		} else if (kv->key.p < mp || kv->key.p >= mp + pr->message.len) {
			/* JSON fields live outside the message */
			sl->kkey[n] = meta_put(sl, kv->key.p, kv->key.len,
			    KV_MAX);
			sl->kval[n] = meta_put(sl, kv->val.p, kv->val.len,
			    KV_MAX);
			if (sl->kkey[n].len == 0)
				continue;
		} else
			continue;	/* cut away with the message */
		n++;
	}
	r->nkv = n;
	slot_add_line(a, sl, pr->line.p, pr->line.len, 1);
	if (msg_opens_tb(&pr->message))
		raise_tb(a, sl);
}

/* Start a record with a line that is not a header. */
static void
slot_start_orphan(struct lw_asm *a, struct slot *sl,
    const struct lw_parsed *pr)
{
	struct lw_record	*r = &sl->rec;

	slot_reset(sl);
	if (a->have_prev) {
		/* lines after a flush: the rest of the record handed out */
		r->late = 1;
		r->level = r->header_level = a->prev_level;
		if (a->prev_has_time) {
			r->has_time = r->inherited_time = 1;
			r->time_ms = a->prev_time;
		}
	}
	sl->msg = meta_put(sl, pr->message.p, pr->message.len, a->max_bytes);
	slot_add_line(a, sl, pr->line.p, pr->line.len, 0);
	if (is_tb_line(pr->line.p, pr->line.len))
		raise_tb(a, sl);
}

/* Hand the slot's record out and remember it for what follows. */
static void
slot_emit(struct lw_asm *a, struct slot *sl, struct lw_record *out)
{
	struct lw_record	*r = &sl->rec;
	const char		*m = buf_str(&sl->meta);
	const char		*t = buf_str(&sl->text);
	size_t			 tl = sl->text.len;
	int			 i;

	while (tl > 0 && t[tl - 1] == '\n')
		tl--;
	r->text.p = t;
	r->text.len = tl;
	r->component.p = m + sl->comp.o;
	r->component.len = sl->comp.len;
	r->message.p = m + sl->msg.o;
	r->message.len = sl->msg.len;
	r->last.p = sl->last;
	r->last.len = sl->lastlen;
	for (i = 0; i < r->nkv; i++) {
		r->kv[i].key.p = m + sl->kkey[i].o;
		r->kv[i].key.len = sl->kkey[i].len;
		r->kv[i].val.p = m + sl->kval[i].o;
		r->kv[i].val.len = sl->kval[i].len;
	}
	if (r->late)
		a->prev_tb |= r->has_traceback;
	else {
		a->prev_has_time = r->has_time;
		a->prev_time = r->time_ms;
		a->prev_tb = r->has_traceback;
	}
	a->prev_level = r->level;
	a->have_prev = 1;
	*out = *r;
}

struct lw_asm *
lw_asm_new(size_t max_record_bytes, unsigned max_record_lines)
{
	struct lw_asm	*a;
	int		 i;

	if (max_record_bytes < LW_RECORD_MIN_BYTES)
		max_record_bytes = LW_RECORD_MIN_BYTES;
	if (max_record_lines < LW_RECORD_MIN_LINES)
		max_record_lines = LW_RECORD_MIN_LINES;
	a = xcalloc(1, sizeof(*a));
	a->p = lw_parser_new();
	a->max_bytes = max_record_bytes;
	a->max_lines = max_record_lines;
	for (i = 0; i < 2; i++) {
		buf_init(&a->s[i].text, max_record_bytes);
		buf_init(&a->s[i].meta, max_record_bytes + COMP_MAX +
		    2 * KV_MAX * LW_MAX_KV);
	}
	return a;
}

void
lw_asm_free(struct lw_asm *a)
{
	int	i;

	if (a == NULL)
		return;
	for (i = 0; i < 2; i++) {
		buf_free(&a->s[i].text);
		buf_free(&a->s[i].meta);
	}
	lw_parser_free(a->p);
	free(a);
}

int
lw_asm_feed(struct lw_asm *a, const char *line, size_t len,
    struct lw_record *out)
{
	struct lw_parsed	 pr;
	struct slot		*sl = &a->s[a->cur];
	int			 ret = 0;

	lw_parse_line(a->p, line, len, &pr);
	if (pr.is_header) {
		if (a->pending) {
			slot_emit(a, sl, out);
			a->cur ^= 1;
			sl = &a->s[a->cur];
			ret = 1;
		}
		slot_start_header(a, sl, &pr);
		a->pending = 1;
		return ret;
	}
	if (!a->pending) {
		slot_start_orphan(a, sl, &pr);
		a->pending = 1;
		return 0;
	}
	slot_add_line(a, sl, pr.line.p, pr.line.len, 0);
	if (is_tb_line(pr.line.p, pr.line.len))
		raise_tb(a, sl);
	return 0;
}

int
lw_asm_flush(struct lw_asm *a, struct lw_record *out)
{
	if (!a->pending)
		return 0;
	slot_emit(a, &a->s[a->cur], out);
	a->cur ^= 1;
	a->pending = 0;
	return 1;
}

int
lw_asm_pending(const struct lw_asm *a)
{
	return a->pending;
}
