/*
 * redact: one left-to-right pass over the text.  Three kinds of position
 * can start a secret: a '=' or ':' (look back for a secret-sounding key,
 * then take the value after it), the start of an alphanumeric word (sk-
 * keys, JWTs, Bearer, Telegram tokens, long hex) and the start of a
 * base64 run.  Whatever is found is emitted as [REDACTED] and the scan
 * resumes after it, so spans never overlap and the output is built in
 * order without a second pass.  Only the configured PCRE2 patterns need
 * a pass of their own, over the result of the first.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "redact.h"
#include "xmalloc.h"

#define KEY_MAX		64	/* longest key name looked at */
#define SK_MIN		20	/* characters after "sk-" */
#define HEX_MIN		32
#define B64_MIN		40
#define TG_TOKEN_MIN	30	/* characters after "123456:" */
#define REDACTED_LEN	(sizeof(LW_REDACTED) - 1)

struct lw_redactor {
	pcre2_code	**re;
	uint32_t	 *ngroups;
	size_t		  n;
};

/* State of one lw_redact pass. */
struct scan {
	const char	*s;
	size_t		 len;
	size_t		 done;		/* s[0..done) is already in out */
	struct buf	*out;
	int		 count;
	int		 full;		/* out's maximum was hit */
};

/*
 * Endings of key names whose values are secrets, normalised to lower case
 * with '_', '-' and '.' removed, so "API-Key", "api_key" and "apiKey" all
 * read "apikey".  Matching the ending catches "binance_api_secret" and
 * "bot_token" while leaving "token_id" or "max_tokens" alone.
 */
static const char *const secret_keys[] = {
	"password", "passwd", "passphrase", "secret", "secretkey", "token",
	"apikey", "accesskey", "privatekey", "listenkey", "signature",
	"authorization"
};

static inline int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline int
is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static inline int
is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static inline int
is_alpha(unsigned char c)
{
	return is_upper(c) || is_lower(c);
}

static inline int
is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static inline int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The base64 and base64url alphabets together, without the '=' padding. */
static inline int
is_b64(unsigned char c)
{
	return is_alnum(c) || c == '+' || c == '/' || c == '-' || c == '_';
}

/* Characters of a bare token such as a Bearer credential. */
static inline int
is_tokc(unsigned char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

static inline int
is_keyc(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* Where an unquoted value ends. */
static inline int
is_term(unsigned char c)
{
	switch (c) {
	case ' ': case '\t': case '\r': case '\n': case ',': case ';':
	case '&': case '"': case '\'': case ')': case ']': case '}':
	case '<': case '>': case '\\': case '|': case '\0':
		return 1;
	}
	return 0;
}

static inline int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static void
truncate_to(struct buf *b, size_t len)
{
	if (b->data != NULL && len <= b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Copies what precedes [a,b), then the marker in place of [a,b). */
static void
emit(struct scan *sc, size_t a, size_t b)
{
	if (sc->full)
		return;
	if (buf_add(sc->out, sc->s + sc->done, a - sc->done) == -1 ||
	    buf_add(sc->out, LW_REDACTED, REDACTED_LEN) == -1) {
		sc->full = 1;
		return;
	}
	sc->done = b;
	sc->count++;
}

static int
key_is_secret(const char *k, size_t n)
{
	char	norm[KEY_MAX];
	size_t	i, m = 0, sl;

	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)k[i];

		if (is_upper(c))
			norm[m++] = (char)(c - 'A' + 'a');
		else if (is_alnum(c))
			norm[m++] = (char)c;
	}
	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		sl = strlen(secret_keys[i]);
		if (m >= sl && memcmp(norm + m - sl, secret_keys[i], sl) == 0)
			return 1;
	}
	return 0;
}

static int
word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

/*
 * An unquoted value that is really code, as in a traceback's source line
 * "Updater(token=self._config['telegram']['token'])": a dotted name
 * followed by a call or a subscript.
 */
static int
looks_like_code(const char *s, size_t i, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;

	for (;;) {
		if (i >= len || !(is_alpha(u[i]) || u[i] == '_'))
			return 0;
		while (i < len && (is_alnum(u[i]) || u[i] == '_'))
			i++;
		if (i < len && (u[i] == '(' || u[i] == '['))
			return 1;
		if (i >= len || u[i] != '.')
			return 0;
		i++;
	}
}

/* Index of the closing quote q from i (a backslash escapes), or len. */
static size_t
find_quote(const char *s, size_t i, size_t len, char q, int escaped)
{
	for (; i < len; i++) {
		if (escaped) {
			if (s[i] == '\\' && i + 1 < len && s[i + 1] == q)
				return i;
		} else if (s[i] == '\\')
			i++;
		else if (s[i] == q)
			return i;
	}
	return len;
}

/*
 * s[p] is '=' or ':'.  Returns where to resume after a redaction, 0 when
 * nothing was redacted.
 */
static size_t
try_kv(struct scan *sc, size_t p)
{
	const char	*s = sc->s;
	size_t		 len = sc->len, k = p, ke, ks, v, start, end, w;
	int		 auth, quoted = 0;

	if (p + 1 < len && (s[p + 1] == '=' || s[p + 1] == '/'))
		return 0;		/* "==" or "://" */
	while (k > 0 && p - k < 4 && is_space((unsigned char)s[k - 1]))
		k--;
	if (k > 0 && (s[k - 1] == '"' || s[k - 1] == '\'')) {
		k--;
		if (k > 0 && s[k - 1] == '\\')
			k--;
	}
	ke = k;
	while (k > 0 && ke - k < KEY_MAX && is_keyc((unsigned char)s[k - 1]))
		k--;
	ks = k;
	if (ks == ke || !key_is_secret(s + ks, ke - ks))
		return 0;
	auth = ke - ks >= 13 &&
	    strncasecmp(s + ke - 13, "authorization", 13) == 0;

	for (v = p + 1; v < len && is_space((unsigned char)s[v]); v++)
		;
	if (v >= len)
		return 0;
	if (s[v] == '\\' && v + 1 < len && (s[v + 1] == '"' || s[v + 1] == '\'')) {
		start = v + 2;
		end = find_quote(s, start, len, s[v + 1], 1);
		quoted = 1;
	} else if (s[v] == '"' || s[v] == '\'') {
		start = v + 1;
		end = find_quote(s, start, len, s[v], 0);
		quoted = 1;
	} else {
		if (s[v] == '[' || s[v] == '{' || s[v] == '(' ||
		    looks_like_code(s, v, len))
			return 0;
		start = v;
		for (end = v; end < len && !is_term((unsigned char)s[end]); end++)
			;
		if (word_is(s + start, end - start, "null") ||
		    word_is(s + start, end - start, "none") ||
		    word_is(s + start, end - start, "true") ||
		    word_is(s + start, end - start, "false") ||
		    word_is(s + start, end - start, "nil"))
			return 0;
	}
	if (auth) {
		/* Keep the scheme: "Authorization: Bearer [REDACTED]". */
		for (w = start; w < end && is_alpha((unsigned char)s[w]); w++)
			;
		if (w > start && w < len && is_space((unsigned char)s[w])) {
			while (w < len && is_space((unsigned char)s[w]))
				w++;
			start = w;
			if (!quoted)
				for (end = w; end < len &&
				    !is_term((unsigned char)s[end]); end++)
					;
		}
	}
	if (end <= start)
		return 0;
	emit(sc, start, end);
	return end;
}

/* Does s[a..b) look like random base64 rather than a word or an id? */
static int
looks_random(const char *s, size_t a, size_t b)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 n = b - a, up = 0, lo = 0, dg = 0, runs = 0, i;
	size_t			 lrun = 0, wordy = 0;
	int			 cls, prev = -1;

	if (n < B64_MIN)
		return 0;
	for (i = a; i < b; i++) {
		if (is_upper(u[i])) {
			up++;
			cls = 0;
		} else if (is_lower(u[i])) {
			lo++;
			cls = 1;
		} else if (is_digit(u[i])) {
			dg++;
			cls = 2;
		} else
			cls = 3;
		if (cls != prev)
			runs++;
		prev = cls;
		/* Letters in lower-case runs of 4 or more, as in words. */
		lrun = cls == 1 ? lrun + 1 : 0;
		if (lrun == 4)
			wordy += 4;
		else if (lrun > 4)
			wordy++;
	}
	/*
	 * Random base64 has ~40% of each case, changes class about every 1.5
	 * characters and rarely has long lower-case runs (in 50,000 random
	 * 40-character keys, never more than half the length).  "PREFIX+hex"
	 * order ids, CamelCase names and Windows package names such as
	 * Microsoft-Windows-PlatformUpdate-Win7-SRV08R2-Package-TopLevel fail
	 * one of these tests.
	 */
	return up * 6 >= n && lo * 6 >= n && dg > 0 && runs * 5 >= n * 2 &&
	    wordy * 2 <= n;
}

/* A Telegram Bot API method name: getMe, sendMessage, setWebhook. */
static int
is_tg_method(const char *s, size_t i, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 st = i;

	while (i < len && is_lower(u[i]))
		i++;
	if (i == st || i >= len || !is_upper(u[i]))
		return 0;
	while (i < len && is_alpha(u[i]))
		i++;
	return i >= len || !is_alnum(u[i]);
}

/* s[i] starts an alphanumeric word.  Same return as try_kv. */
static size_t
try_word(struct scan *sc, size_t i)
{
	const char		*s = sc->s;
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = sc->len, j, e, h, dots, first, seg;
	int			 letters = 0, digits = 0;

	for (j = i; j < len && is_alnum(u[j]); j++)
		;

	/* sk-... and sk_... API keys. */
	if (j - i == 2 && u[i] == 's' && u[i + 1] == 'k' && j < len &&
	    (u[j] == '-' || u[j] == '_')) {
		for (e = j + 1; e < len && is_tokc(u[e]); e++)
			;
		if (e - (j + 1) >= SK_MIN) {
			emit(sc, j + 1, e);
			return e;
		}
	}

	/* JWT: header.payload.signature, the header always "eyJ". */
	if (len - i > 3 && memcmp(s + i, "eyJ", 3) == 0) {
		for (e = i; e < len && is_tokc(u[e]); e++)
			;
		first = e - i;
		dots = 0;
		while (e < len && u[e] == '.' && dots < 2) {
			dots++;
			for (e++; e < len && is_tokc(u[e]); e++)
				;
		}
		if (dots == 2 && first >= 10) {
			emit(sc, i, e);
			return e;
		}
	}

	/* "Bearer <token>" */
	if (j - i == 6 && strncasecmp(s + i, "bearer", 6) == 0 && j < len &&
	    is_space(u[j])) {
		for (h = j; h < len && is_space(u[h]); h++)
			;
		for (e = h; e < len && !is_term(u[e]); e++)
			;
		if (e > h) {
			emit(sc, h, e);
			return e;
		}
	}

	/* Telegram: /bot<token>/method in a Bot API URL. */
	if (i > 0 && u[i - 1] == '/' && j - i >= 3 &&
	    memcmp(s + i, "bot", 3) == 0 && j - i > 3) {
		h = i + 3;
		for (e = h; e < len && u[e] != '/' && u[e] != '?' &&
		    u[e] != '#' && !is_term(u[e]); e++)
			;
		seg = e - h;
		if (seg > 0 && ((is_digit(u[h]) && memchr(s + h, ':', seg)) ||
		    (e < len && u[e] == '/' && is_tg_method(s, e + 1, len)))) {
			emit(sc, h, e);
			return e;
		}
	}

	/* Telegram: a bare bot token, 123456789:AA... */
	if (j - i >= 6 && j - i <= 12 && j < len && u[j] == ':') {
		for (h = i; h < j && is_digit(u[h]); h++)
			;
		if (h == j) {
			int	up = 0, lo = 0;

			for (e = j + 1; e < len && is_tokc(u[e]); e++) {
				up |= is_upper(u[e]);
				lo |= is_lower(u[e]);
			}
			/* The secret half is random: both cases occur. */
			if (e - (j + 1) >= TG_TOKEN_MIN && up && lo &&
			    (e >= len || !is_b64(u[e]))) {
				emit(sc, i, e);
				return e;
			}
		}
	}

	/*
	 * Binance user-data stream: wss://.../ws/<listenKey>.  Market streams
	 * there are short names with '@' ("btcusdt@trade"), never 40+ bytes
	 * of letters and digits.
	 */
	if (j - i >= B64_MIN && i >= 4 && memcmp(s + i - 4, "/ws/", 4) == 0 &&
	    (j >= len || !is_b64(u[j]))) {
		emit(sc, i, j);
		return j;
	}

	/* A whole word of hex digits, optionally 0x-prefixed. */
	h = i;
	if (j - i > 2 && u[i] == '0' && (u[i + 1] == 'x' || u[i + 1] == 'X'))
		h = i + 2;
	if (j - h >= HEX_MIN) {
		for (e = h; e < j && is_hex(u[e]); e++) {
			if (is_digit(u[e]))
				digits = 1;
			else
				letters = 1;
		}
		if (e == j && digits && letters) {
			emit(sc, h, j);
			return j;
		}
	}
	return 0;
}

/* s[i] starts a run of base64 characters.  Same return as try_kv. */
static size_t
try_b64(struct scan *sc, size_t i)
{
	const char		*s = sc->s;
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 len = sc->len, j, e, a, b, resume = 0;

	for (j = i; j < len && is_b64(u[j]); j++)
		;
	if (j - i < B64_MIN)
		return 0;
	/* '=' is padding only at the end of the token, not "key=value". */
	for (e = j; e < len && u[e] == '=' && e - j < 2; e++)
		;
	if (e < len && is_b64(u[e]))
		e = j;

	if (u[i] != '/' && looks_random(s, i, j)) {
		emit(sc, i, e);
		return e;
	}
	if (memchr(s + i, '/', j - i) == NULL)
		return 0;
	/* A path: judge each segment, so "/ws/<listenKey>" keeps "/ws/". */
	for (a = i; a < j; a = b + 1) {
		for (b = a; b < j && u[b] != '/'; b++)
			;
		if (looks_random(s, a, b)) {
			resume = b == j ? e : b;
			emit(sc, a, resume);
		}
	}
	return resume;
}

static void
scan_builtin(struct scan *sc)
{
	const unsigned char	*u = (const unsigned char *)sc->s;
	size_t			 i = 0, e;
	unsigned char		 c;

	while (i < sc->len && !sc->full) {
		c = u[i];
		e = 0;
		if (c == '=' || c == ':')
			e = try_kv(sc, i);
		else if (is_alnum(c) && (i == 0 || !is_alnum(u[i - 1])))
			e = try_word(sc, i);
		if (e == 0 && is_b64(c) && (i == 0 || !is_b64(u[i - 1])))
			e = try_b64(sc, i);
		i = e > i ? e : i + 1;
	}
	if (!sc->full && buf_add(sc->out, sc->s + sc->done,
	    sc->len - sc->done) == -1)
		sc->full = 1;
}

/*
 * Applies one configured pattern to src, appending to dst.  Returns the
 * number of replacements or -1 if dst is full.
 */
static int
apply_pattern(const pcre2_code *re, uint32_t ngroups, pcre2_match_data *md,
    const char *src, size_t n, struct buf *dst)
{
	PCRE2_SIZE	*ov;
	size_t		 off = 0, prev = 0, a, b;
	int		 rc, count = 0;

	while (off <= n) {
		rc = pcre2_match(re, (PCRE2_SPTR)src, n, off, 0, md, NULL);
		if (rc < 0)
			break;		/* no match, or a match limit: done */
		ov = pcre2_get_ovector_pointer(md);
		a = ov[0];
		b = ov[1];
		/* rc 0: the two-pair ovector is full, group 1 is in it. */
		if (ngroups > 0 && (rc == 0 || rc >= 2) &&
		    ov[2] != PCRE2_UNSET) {
			a = ov[2];
			b = ov[3];
		}
		if (b > a && a >= prev) {
			if (buf_add(dst, src + prev, a - prev) == -1 ||
			    buf_add(dst, LW_REDACTED, REDACTED_LEN) == -1)
				return -1;
			prev = b;
			count++;
		}
		if (ov[1] > ov[0])
			off = ov[1];
		else {
			/* Empty match: step over one whole character. */
			off = ov[1] + 1;
			while (off < n && ((unsigned char)src[off] & 0xc0) == 0x80)
				off++;
		}
	}
	if (buf_add(dst, src + prev, n - prev) == -1)
		return -1;
	return count;
}

int
lw_redact(const struct lw_redactor *r, const char *s, size_t len,
    struct buf *out)
{
	struct scan		 sc;
	struct buf		 a, b, *src, *dst, *t;
	pcre2_match_data	*md = NULL;
	size_t			 start = out->len, k;
	int			 rc = -1, n;

	buf_init(&a, out->max);
	buf_init(&b, out->max);
	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	sc.len = len;
	sc.out = out;
	scan_builtin(&sc);
	if (sc.full)
		goto out;
	if (r == NULL || r->n == 0) {
		rc = sc.count;
		goto out;
	}

	/* Configured patterns, each over the previous one's result. */
	md = pcre2_match_data_create(2, NULL);	/* match and group 1 */
	if (md == NULL)
		fatalx("%s: out of memory", __func__);
	if (buf_add(&a, out->data + start, out->len - start) == -1)
		goto out;
	src = &a;
	dst = &b;
	for (k = 0; k < r->n; k++) {
		buf_reset(dst);
		n = apply_pattern(r->re[k], r->ngroups[k], md,
		    buf_str(src), src->len, dst);
		if (n == -1)
			goto out;
		sc.count += n;
		t = src;
		src = dst;
		dst = t;
	}
	truncate_to(out, start);
	if (buf_add(out, buf_str(src), src->len) == -1)
		goto out;
	rc = sc.count;
out:
	if (rc == -1)
		truncate_to(out, start);
	pcre2_match_data_free(md);
	buf_free(&a);
	buf_free(&b);
	return rc;
}

struct lw_redactor *
lw_redactor_new(const char *const *pats, size_t n, char *err, size_t errsz)
{
	struct lw_redactor	*r;
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 erroff;
	int			 ecode;
	size_t			 k;

	if (n > LW_REDACT_MAX_PATTERNS) {
		snprintf(err, errsz, "too many redact patterns (%zu, max %d)",
		    n, LW_REDACT_MAX_PATTERNS);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	if (n == 0)
		return r;
	r->re = xcalloc(n, sizeof(*r->re));
	r->ngroups = xcalloc(n, sizeof(*r->ngroups));
	for (k = 0; k < n; k++) {
		/*
		 * UTF mode so that a match never splits a character; invalid
		 * bytes in a log line must not make matching fail.
		 */
		r->re[k] = pcre2_compile((PCRE2_SPTR)pats[k],
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
		    &ecode, &erroff, NULL);
		r->n = k + 1;
		if (r->re[k] == NULL) {
			pcre2_get_error_message(ecode, msg, sizeof(msg));
			snprintf(err, errsz, "redact pattern %zu at offset %zu: "
			    "%s", k + 1, (size_t)erroff, (const char *)msg);
			goto fail;
		}
		if (pcre2_pattern_info(r->re[k], PCRE2_INFO_CAPTURECOUNT,
		    &r->ngroups[k]) != 0)
			r->ngroups[k] = 0;
		(void)pcre2_jit_compile(r->re[k], PCRE2_JIT_COMPLETE);
	}
	return r;
fail:
	lw_redactor_free(r);
	return NULL;
}

void
lw_redactor_free(struct lw_redactor *r)
{
	size_t	k;

	if (r == NULL)
		return;
	for (k = 0; k < r->n; k++)
		pcre2_code_free(r->re[k]);
	free(r->re);
	free(r->ngroups);
	free(r);
}
