/*
 * miner: message masking, template ids and the bounded template store.
 *
 * lw_mask runs on every error and warning line, so it is one pass of
 * hand-written scanning over a byte-class table: no regex, no allocation.
 * A message is cut into white space, delimiters ()[]{},;=|<>, quoted
 * strings and tokens (everything else); each token is judged on its own
 * bytes, plus two bits of context: a value right after '=' and a value
 * after "key:" inside braces are variables whatever they look like.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "miner.h"
#include "utf8.h"
#include "xmalloc.h"

/* Byte classes. */
#define C_SP	0x01	/* white space or a control byte: a separator */
#define C_DL	0x02	/* a delimiter: ()[]{},;=|<>"' */
#define C_DG	0x04	/* 0-9 */
#define C_HX	0x08	/* 0-9a-fA-F */
#define C_UP	0x10	/* A-Z */
#define C_LO	0x20	/* a-z */
#define C_TP	0x40	/* .:!? ending a token stay literal after it */
#define C_NS	0x80	/* .:/-@#=+ a digit next to one makes a variable */
#define C_PA	0x100	/* /@\ paths, addresses */
#define C_SY	0x200	/* A-Z 0-9 / - : what trading symbols are made of */
#define C_CO	0x400	/* : */
#define C_NH	0x800	/* a letter that is not a hex digit */
#define C_HI	0x1000	/* >= 0x80: part of a UTF-8 sequence, maybe invalid */

static const uint16_t cls[256] = {
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x040, 0x002, 0x080, 0x000, 0x000, 0x000, 0x002,
	0x002, 0x002, 0x000, 0x080, 0x002, 0x280, 0x0c0, 0x380,
	0x20c, 0x20c, 0x20c, 0x20c, 0x20c, 0x20c, 0x20c, 0x20c,
	0x20c, 0x20c, 0x6c0, 0x002, 0x002, 0x082, 0x002, 0x040,
	0x180, 0x218, 0x218, 0x218, 0x218, 0x218, 0x218, 0xa10,
	0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10,
	0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10, 0xa10,
	0xa10, 0xa10, 0xa10, 0x002, 0x100, 0x002, 0x000, 0x000,
	0x000, 0x028, 0x028, 0x028, 0x028, 0x028, 0x028, 0x820,
	0x820, 0x820, 0x820, 0x820, 0x820, 0x820, 0x820, 0x820,
	0x820, 0x820, 0x820, 0x820, 0x820, 0x820, 0x820, 0x820,
	0x820, 0x820, 0x820, 0x002, 0x002, 0x002, 0x000, 0x001,
	/* Bytes >= 0x80 are letters of some script: part of a token. */
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
	0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000, 0x1000,
};

#define CL(c)	(cls[(unsigned char)(c)])

/*
 * How far a quote looks for its closing quote.  Bounds the work per line
 * (a line of lone apostrophes costs len * QUOTE_MAX at worst) and keeps a
 * stray quote from swallowing the rest of a long line.
 */
#define QUOTE_MAX	512
/* Brackets tracked for JSON-like context; deeper ones are only counted. */
#define NEST_MAX	32

/* Quote currencies: BTC/USDT, ETH-PERP, BTC/USDT:USDT. */
static const char *const quotes[] = {
	"USDT", "USDC", "BUSD", "TUSD", "FDUSD", "USDE", "DAI", "USD", "EUR",
	"GBP", "JPY", "TRY", "BTC", "ETH", "BNB", "PERP", "SWAP", NULL
};
/*
 * Glued pairs (ETHUSDT) are recognised by these suffixes only: fiat codes
 * and PERP/SWAP would turn ordinary capitals words into variables.
 */
static const char *const glued[] = {
	"USDT", "USDC", "BUSD", "TUSD", "FDUSD", "USD", "BTC", "ETH", "BNB",
	NULL
};

static const char REPL[] = "\xef\xbf\xbd";	/* U+FFFD */

struct mout {
	char	*p;
	size_t	 n;
	size_t	 cap;		/* bytes available, NUL excluded */
	int	 space;		/* a separator is pending */
	int	 full;		/* cut: nothing more goes in */
};

struct mctx {
	unsigned char	 nest[NEST_MAX];	/* open brackets, innermost last */
	size_t		 depth;
	size_t		 deep;		/* levels beyond NEST_MAX */
	int		 eq;		/* right after '=' */
	int		 colon;		/* after "key:" inside braces */
	int		 date;		/* the last <*> was a date part (D_*) */
	size_t		 qfail[2];	/* no closing ' / " before this offset */
};

/* The separator owed before the next piece, if it fits with need bytes. */
static inline int
mo_room(struct mout *o, size_t need)
{
	size_t	sp = (o->space && o->n > 0) ? 1 : 0;

	if (o->full)
		return 0;
	if (o->cap - o->n < sp + need)
		return 0;
	if (sp)
		o->p[o->n++] = ' ';
	o->space = 0;
	return 1;
}

static void
mo_var(struct mout *o)
{
	/*
	 * "<*><*>" says no more than "<*>", and a list glued with commas
	 * (yarn,curi or 10.0.0.1,10.0.0.2) is one value of any length.
	 */
	if (!o->space && o->n >= 3 && o->p[o->n - 1] == '>' &&
	    o->p[o->n - 2] == '*' && o->p[o->n - 3] == '<')
		return;
	if (!o->space && o->n >= 4 && o->p[o->n - 1] == ',' &&
	    o->p[o->n - 2] == '>' && o->p[o->n - 3] == '*' &&
	    o->p[o->n - 4] == '<') {
		o->n--;
		return;
	}
	if (!mo_room(o, 3)) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->n, "<*>", 3);
	o->n += 3;
}

/*
 * Where to cut s, longer than room, so that no UTF-8 sequence is split:
 * back from s[room] to the first byte that is not a continuation byte.
 */
static size_t
utf8_cut_at(const char *s, size_t room)
{
	size_t	k = room;

	while (k > 0 && room - k < 3 && ((unsigned char)s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

/* Copies n bytes that are valid UTF-8, cutting at a sequence boundary. */
static void
mo_put(struct mout *o, const char *s, size_t n)
{
	size_t	room = o->cap - o->n;

	if (n > room) {
		n = utf8_cut_at(s, room);
		o->full = 1;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

/*
 * Copies literal bytes known to be ASCII (no C_HI byte): nothing to
 * validate, and any byte is a place to cut.  Same output as mo_lit.
 */
static inline void
mo_ascii(struct mout *o, const char *s, size_t n)
{
	size_t	room;

	if (!mo_room(o, 1)) {
		o->full = 1;
		return;
	}
	room = o->cap - o->n;
	if (n > room) {
		n = room;
		o->full = 1;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

/* Copies literal bytes, replacing invalid UTF-8 with U+FFFD. */
static void
mo_lit(struct mout *o, const char *s, size_t n)
{
	size_t	v;

	if (n == 0)
		return;
	if (!mo_room(o, 1)) {
		o->full = 1;
		return;
	}
	while (n > 0 && !o->full) {
		for (v = 0; v < n && (unsigned char)s[v] < 0x80; v++)
			;
		if (v < n)
			v += lw_utf8_valid_prefix(s + v, n - v);
		mo_put(o, s, v);
		s += v;
		n -= v;
		if (n > 0 && !o->full) {
			if (o->cap - o->n < 3) {
				o->full = 1;
				break;
			}
			mo_put(o, REPL, 3);
			s++;
			n--;
		}
	}
}

static int
has_suffix(const char *s, size_t n, const char *suf, size_t *sl)
{
	size_t	l = strlen(suf);

	*sl = l;
	return n >= l && memcmp(s + n - l, suf, l) == 0;
}

static int
is_quote_ccy(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; quotes[i] != NULL; i++)
		if (strlen(quotes[i]) == n && memcmp(s, quotes[i], n) == 0)
			return 1;
	return 0;
}

/*
 * A trading pair: BTC/USDT, BTC-USDT, BTC-USD-SWAP, BTC/USDT:USDT, 1000PEPE/USDT,
 * or glued ETHUSDT.  Capitals and digits only, so "TCP/IP" and "API-key" stay.
 */
static int
is_symbol(const char *s, size_t n)
{
	size_t	i, start = 0, parts = 0, sl;
	int	ccy = 0, upper = 0;

	if (n < 5 || n > 32)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && (CL(s[i]) & (C_UP | C_DG))) {
			upper |= (CL(s[i]) & C_UP) != 0;
			continue;
		}
		if (i < n && s[i] != '/' && s[i] != '-' && s[i] != ':')
			return 0;
		if (i - start < 2 || i - start > 12 || !upper)
			return 0;
		if (is_quote_ccy(s + start, i - start))
			ccy = 1;
		parts++;
		/* The settlement currency after ':' ends the symbol. */
		if (i < n && s[i] == ':' && parts < 2)
			return 0;
		start = i + 1;
		upper = 0;
	}
	if (parts >= 2 && parts <= 4)
		return ccy;
	/* One part: glued base and quote. */
	for (i = 0; glued[i] != NULL; i++)
		if (has_suffix(s, n, glued[i], &sl) && n - sl >= 2)
			return 1;
	return 0;
}

/* Does the token s[0..n) (trailing punctuation already cut) vary? */
static int
is_var(const char *s, size_t n)
{
	size_t		 i, ndig = 0, run = 0, maxrun = 0, nhex = 0;
	size_t		 lastslash = n;
	int		 signdig = 0, nsdig = 0, at = 0, back = 0, upper = 1;
	uint16_t	 c, prev = 0;

	c = CL(s[0]);
	if (c & C_DG)
		return 1;		/* numbers, times, ips, sizes, 35ms */
	/* -2014, +1.5, #12345, .5, @0x7fe, ~1 */
	if (n > 1 && (CL(s[1]) & C_DG) && strchr("-+#.@~$", s[0]) != NULL)
		return 1;
	for (i = 0; i < n; i++) {
		c = CL(s[i]);
		if (c & C_DG) {
			ndig++;
			if (++run > maxrun)
				maxrun = run;
			if ((prev & C_NS) || (i > 0 && s[i - 1] == '_'))
				signdig = 1;	/* v1.2, host:80, rdd_2 */
		} else {
			run = 0;
			if ((c & C_NS) && i > 0 && (prev & C_DG))
				nsdig = 1;
		}
		if (c & C_HX)
			nhex++;
		if (!(c & (C_UP | C_DG)) && s[i] != '/' && s[i] != '-' &&
		    s[i] != ':')
			upper = 0;
		if (s[i] == '/')
			lastslash = i;
		else if (s[i] == '@' && i > 0 && i + 1 < n)
			at = 1;
		else if (s[i] == '\\')
			back = 1;
		prev = c;
	}
	if (ndig > 0) {
		/*
		 * Ids glue long digit runs to letters (blk_3858, t761); a
		 * digit next to . : / - marks versions, host:port, ws.6.  One
		 * or two loose digits are names: ssh2, SOCKS5, jk2_init.
		 */
		if (maxrun >= 3 || signdig || nsdig)
			return 1;
		if (nhex == n && n >= 6)
			return 1;	/* short hex ids: ab3f1c2 */
	}
	if (nhex == n && n >= 8)
		return 1;		/* digitless hex: deadbeef */
	if (s[0] == '/' && n > 1)
		return 1;		/* absolute path */
	if (n > 2 && (s[0] == '~' || s[0] == '.') && memchr(s, '/', n) != NULL)
		return 1;		/* ~/x, ./x, ../x */
	if (back && n > 2)
		return 1;		/* C:\Windows\x */
	if (lastslash < n && memchr(s + lastslash, '.', n - lastslash) != NULL &&
	    s[n - 1] != '.')
		return 1;		/* relative path with a file name */
	if (at)
		return 1;		/* user@host */
	if (upper && is_symbol(s, n))
		return 1;
	return 0;
}

/* Can the quote at s[i] open a quoted string (not an apostrophe)? */
static int
quote_opens(const char *s, size_t i)
{
	if (i == 0 || (CL(s[i - 1]) & C_SP))
		return 1;
	return strchr("([{=:,|<", s[i - 1]) != NULL;
}

/* Offset of the quote closing the one at s[i], or 0. */
static size_t
quote_close(struct mctx *x, const char *s, size_t len, size_t i)
{
	size_t	 k, end, *fail = &x->qfail[s[i] == '"'];
	char	 q = s[i];

	end = len - i > QUOTE_MAX ? i + QUOTE_MAX : len;
	k = i + 1 > *fail ? i + 1 : *fail;
	for (; k < end; k++) {
		if (s[k] == '\\') {
			k++;
			continue;
		}
		if (s[k] != q)
			continue;
		if (k + 1 == len || (CL(s[k + 1]) & (C_SP | C_DL | C_TP)))
			return k;
	}
	/* Later quotes need not search this stretch again. */
	if (end > *fail)
		*fail = end;
	return 0;
}

static unsigned char
nest_top(const struct mctx *x)
{
	if (x->deep > 0 || x->depth == 0)
		return x->deep > 0 ? '?' : 0;
	return x->nest[x->depth - 1];
}

static void
nest_open(struct mctx *x, char c)
{
	if (x->depth < NEST_MAX && x->deep == 0)
		x->nest[x->depth++] = (unsigned char)c;
	else
		x->deep++;
}

static void
nest_close(struct mctx *x, char c)
{
	char	open = c == ')' ? '(' : c == ']' ? '[' : '{';
	size_t	i;

	if (x->deep > 0) {
		x->deep--;
		return;
	}
	/* A stray closer is ignored; one that skips levels closes them. */
	for (i = x->depth; i > 0; i--) {
		if (x->nest[i - 1] == (unsigned char)open) {
			x->depth = i - 1;
			return;
		}
	}
}

/*
 * A quoted string s[i..j].  Keys of a dict stay; values inside braces or
 * brackets, after '=' or "key:", and single words are masked with their
 * quotes kept; a quoted sentence is masked word by word like the rest.
 * Returns where the main loop goes on.
 */
static size_t
mask_quoted(struct mout *o, struct mctx *x, const char *s, size_t len,
    size_t i, size_t j)
{
	unsigned char	 top = nest_top(x);
	size_t		 k;
	int		 words = 0;

	for (k = i + 1; k < j; k++)
		if (CL(s[k]) & C_SP) {
			words = 1;
			break;
		}
	/* A key is one word: mo_lit must never see a separator byte. */
	if (top == '{' && !words) {
		for (k = j + 1; k < len && (CL(s[k]) & C_SP); k++)
			;
		if (k < len && s[k] == ':') {
			mo_lit(o, s + i, j + 1 - i);
			goto done;
		}
	}
	if (j == i + 1) {
		mo_lit(o, s + i, 2);
		goto done;
	}
	if (x->eq || x->colon || top == '{' || top == '[' || !words) {
		mo_lit(o, s + i, 1);
		o->space = 0;
		mo_var(o);
		mo_lit(o, s + j, 1);
		goto done;
	}
	mo_lit(o, s + i, 1);
	x->eq = x->colon = x->date = 0;
	return i + 1;
done:
	x->eq = x->colon = x->date = 0;
	return j + 1;
}

/* Parts of a written-out date, so that "Sun Jul  3 10:05:25 2005" is one <*>. */
enum { D_NONE, D_NAME, D_DAY, D_YEAR, D_ZONE, D_TIME, D_DATE };

static int
date_kind(const char *s, size_t n)
{
	static const char	 names[] = "MonTueWedThuFriSatSunJanFebMar"
	    "AprMayJunJulAugSepOctNovDec";
	size_t			 i, d;

	if (n == 3 && (CL(s[0]) & C_UP)) {
		for (i = 0; i + 3 <= sizeof(names) - 1; i += 3)
			if (memcmp(s, names + i, 3) == 0)
				return D_NAME;
		return D_NONE;
	}
	if ((s[0] == '+' || s[0] == '-') && n == 5)
		d = 1;			/* +0000 */
	else
		d = 0;
	for (i = d; i < n && (CL(s[i]) & C_DG); i++)
		;
	if (i == n)
		return d ? (n == 5 ? D_ZONE : D_NONE) :
		    n <= 2 ? D_DAY : n == 4 ? D_YEAR : D_NONE;
	if (d)
		return D_NONE;
	if ((i == 1 || i == 2) && s[i] == ':' && n >= i + 3 &&
	    (CL(s[i + 1]) & C_DG) && (CL(s[i + 2]) & C_DG))
		return D_TIME;		/* 10:05, 10:05:25.123 */
	if (i == 4 && (s[4] == '-' || s[4] == '/') && n >= 8 &&
	    (CL(s[5]) & C_DG))
		return D_DATE;		/* 2017-05-16, 2016/9/27, ...T10:00Z */
	return D_NONE;
}

/* Does the token after s[j] go on a date: a digit, or "Jul" after "Sun"? */
static int
next_datey(const char *s, size_t len, size_t j)
{
	while (j < len && (CL(s[j]) & C_SP))
		j++;
	if (j < len && (CL(s[j]) & C_DG))
		return 1;
	return len - j >= 4 && (CL(s[j + 3]) & C_SP) &&
	    date_kind(s + j, 3) == D_NAME;
}

/*
 * Source files keep their name in file:line; other dotted names before
 * a port are hosts.
 */
static int
is_srcfile(const char *s, size_t n)
{
	static const char *const ext[] = { "c", "h", "cc", "cpp", "hpp", "py",
	    "pyx", "java", "go", "rs", "js", "ts", "rb", "php", "cs", "kt",
	    "scala", "swift", "m", NULL };
	const char	*dot;
	size_t		 i, l;

	if ((dot = memrchr(s, '.', n)) == NULL)
		return 0;
	l = n - (size_t)(dot + 1 - s);
	for (i = 0; ext[i] != NULL; i++)
		if (strlen(ext[i]) == l && memcmp(dot + 1, ext[i], l) == 0)
			return 1;
	return 0;
}

/*
 * key:value with a literal key and a variable value keeps the key
 * (network-vif-plugged:<*>, file.c:<*>); host:port is one variable.
 * Returns the length of the key to keep, 0 to judge the whole token,
 * or (size_t)-1 for a whole variable.
 */
static size_t
split_colon(const char *s, size_t n)
{
	const char	*p;
	size_t		 k, i;

	if ((p = memchr(s, ':', n)) == NULL)
		return 0;
	k = (size_t)(p - s);
	if (k < 2 || k + 1 >= n)
		return 0;
	for (i = 0; i < k; i++)
		if (CL(s[i]) & C_DG)
			return 0;
	for (i = k + 1; i < n && (CL(s[i]) & C_DG); i++)
		;
	if (i < n && !is_var(s + k + 1, n - k - 1))
		return 0;
	if ((k == 9 && memcmp(s, "localhost", 9) == 0) ||
	    (memchr(s, '.', k) != NULL && !is_srcfile(s, k)))
		return (size_t)-1;
	return k;
}

/*
 * name.123 and "instruction......0": a counter glued to a plain word with
 * dots.  Returns the length to keep (word and dots), or 0.
 */
static size_t
split_dots(const char *s, size_t n)
{
	size_t	t = n, d, i;

	while (t > 0 && (CL(s[t - 1]) & C_DG))
		t--;
	if (t == n || t == 0 || s[t - 1] != '.')
		return 0;
	for (d = t; d > 0 && s[d - 1] == '.'; d--)
		;
	if (d < 2)
		return 0;
	for (i = 0; i < d; i++)
		if (CL(s[i]) & (C_DG | C_TP))
			return 0;
	return t;
}

/* Emits a date part, merged into the <*> of the part before it. */
static void
date_var(struct mout *o, struct mctx *x, int kind)
{
	if (x->date != D_NONE && !o->full) {
		o->space = 0;		/* already covered by the last <*> */
	} else
		mo_var(o);
	x->date = kind;
}

/*
 * A token msg[i..j): no separators, no delimiters.  Leading colons and
 * trailing sentence punctuation stay literal around the judged core.
 */
static void
mask_token(struct mout *o, struct mctx *x, const char *msg, size_t len,
    size_t i, size_t j)
{
	const char	*s = msg + i;
	size_t		 b = 0, e, n = j - i, k;
	int		 kind, prev = x->date;

	x->date = D_NONE;
	/* "key":value and ::name: leading colons stay, and mark a value. */
	while (b < n && s[b] == ':')
		b++;
	if (b > 0) {
		mo_lit(o, s, b);
		x->eq = 0;
		x->colon = nest_top(x) == '{';
		if (b == n)
			return;
		s += b;
		n -= b;
		prev = D_NONE;
	}
	e = n;
	while (e > 0 && (CL(s[e - 1]) & C_TP))
		e--;
	if (e == 0) {
		mo_lit(o, s, n);
		goto out;
	}
	if (x->eq || x->colon) {
		mo_var(o);
		goto punct;
	}
	kind = date_kind(s, e);
	if (kind == D_NAME && prev == D_NONE && !next_datey(msg, len, j))
		kind = D_NONE;
	if (kind == D_DAY && prev != D_NAME)
		kind = D_NONE;
	if ((kind == D_YEAR || kind == D_ZONE) && prev == D_NONE)
		kind = D_NONE;
	if (kind != D_NONE) {
		x->date = prev;
		date_var(o, x, kind);
		if (e < n)
			x->date = D_NONE;
		goto punct;
	}
	if ((k = split_dots(s, e)) > 0) {
		mo_lit(o, s, k);
		mo_var(o);
		goto punct;
	}
	k = split_colon(s, e);
	if (k == (size_t)-1 || (k == 0 && is_var(s, e)))
		mo_var(o);
	else if (k > 0) {
		mo_lit(o, s, k + 1);
		mo_var(o);
	} else
		mo_lit(o, s, e);
punct:
	mo_lit(o, s + e, n - e);
out:
	x->eq = 0;
	x->colon = nest_top(x) == '{' && s[n - 1] == ':';
}

/* End of a URL starting at s[i] (scheme included), trailing punctuation cut. */
static size_t
url_end(const char *s, size_t len, size_t i)
{
	size_t	j = i;

	while (j < len && !(CL(s[j]) & C_SP) &&
	    strchr("\"'<>()[]{}|", s[j]) == NULL)
		j++;
	while (j > i && (CL(s[j - 1]) & C_TP || s[j - 1] == ',' ||
	    s[j - 1] == ';'))
		j--;
	return j;
}

size_t
lw_mask(const char *msg, size_t len, char *out, size_t outsz)
{
	struct mout	 o;
	struct mctx	 x;
	const char	*cp;
	size_t		 i = 0, j, colon;
	uint16_t	 c, any;

	if (outsz == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	memset(&x, 0, sizeof(x));
	o.p = out;
	o.cap = outsz - 1;
	if (msg == NULL)
		len = 0;

	while (i < len && !o.full) {
		c = CL(msg[i]);
		if (!(c & (C_SP | C_DL)))
			goto token;
		if (c & C_SP) {
			o.space = 1;
			x.eq = 0;
			while (++i < len && (CL(msg[i]) & C_SP))
				;
			continue;
		}
		if (msg[i] == '"' || msg[i] == '\'') {
			if (quote_opens(msg, i) &&
			    (j = quote_close(&x, msg, len, i)) != 0) {
				i = mask_quoted(&o, &x, msg, len, i, j);
				continue;
			}
			mo_lit(&o, msg + i, 1);
			x.eq = x.colon = x.date = 0;
			i++;
			continue;
		}
		if (c & C_DL) {
			switch (msg[i]) {
			case '(': case '[': case '{':
				nest_open(&x, msg[i]);
				break;
			case ')': case ']': case '}':
				nest_close(&x, msg[i]);
				break;
			}
			mo_lit(&o, msg + i, 1);
			x.eq = msg[i] == '=';
			x.date = 0;
			if (msg[i] != '=')
				x.colon = 0;
			i++;
			continue;
		}
token:
		any = 0;
		for (j = i; j < len && !((c = CL(msg[j])) & (C_SP | C_DL)); j++)
			any |= c;
		/*
		 * The common case, a plain word: no digit, no path or colon,
		 * a letter that no hex number has, a lower-case letter that
		 * no symbol has, not a month name.  is_var would say no.
		 */
		if (!(any & (C_DG | C_PA | C_CO)) && (any & C_LO) &&
		    (any & C_NH) && !x.eq && !x.colon &&
		    !(j - i == 3 && (CL(msg[i]) & C_UP))) {
			if (any & C_HI)
				mo_lit(&o, msg + i, j - i);
			else
				mo_ascii(&o, msg + i, j - i);
			x.date = 0;
			i = j;
			continue;
		}
		/* scheme://...: a URL runs over '=' and friends. */
		colon = 0;
		if (any & C_CO) {
			/* The first colon; one at offset 0 is not a scheme's. */
			colon = (size_t)((const char *)memchr(msg + i, ':',
			    j - i) - msg);
			if (colon == 0) {
				cp = memchr(msg + 1, ':', j - 1);
				colon = cp == NULL ? 0 : (size_t)(cp - msg);
			}
		}
		if (colon > i && len - colon > 2 && msg[colon + 1] == '/' &&
		    msg[colon + 2] == '/') {
			j = url_end(msg, len, i);
			if (j > colon + 3) {
				mo_var(&o);
				x.eq = x.colon = x.date = 0;
				i = j;
				continue;
			}
			j = colon + 3;
		}
		mask_token(&o, &x, msg, len, i, j);
		i = j;
	}
	/* A cut may leave the separator owed to a piece that did not fit. */
	while (o.n > 0 && out[o.n - 1] == ' ')
		o.n--;
	out[o.n] = '\0';
	return o.n;
}

/*
 * The template hash.  Written out here rather than borrowed so that it can
 * never change under us: 8-byte little-endian words folded with the 64-bit
 * golden-ratio and xxhash primes, then the splitmix64 finaliser.  Ids are
 * persisted, so any change to this function is a change of file format.
 */
#define H_P1	0x9e3779b185ebca87ULL
#define H_P2	0xc2b2ae3d27d4eb4fULL
#define H_P3	0x165667b19e3779f9ULL

static uint64_t
rotl64(uint64_t v, int r)
{
	return (v << r) | (v >> (64 - r));
}

static uint64_t
h_round(uint64_t h, uint64_t w)
{
	h ^= rotl64(w * H_P2, 31) * H_P1;
	return rotl64(h, 27) * H_P1 + H_P3;
}

uint64_t
lw_tmpl_id(const char *tmpl, size_t len)
{
	const unsigned char	*u = (const unsigned char *)tmpl;
	uint64_t		 h, w;
	size_t			 i, k;

	h = H_P3 ^ ((uint64_t)len * H_P1);
	for (i = 0; i + 8 <= len; i += 8) {
		/* A little-endian load whatever the host's byte order. */
		memcpy(&w, u + i, 8);
		h = h_round(h, le64toh(w));
	}
	if (i < len) {
		w = 0;
		for (k = 0; i + k < len; k++)
			w |= (uint64_t)u[i + k] << (8 * k);
		h = h_round(h, w);
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

void
lw_tmpl_idstr(uint64_t id, char out[LW_TMPL_IDSTR_LEN])
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	for (i = 15; i >= 0; i--) {
		out[i] = hex[id & 0xf];
		id >>= 4;
	}
	out[16] = '\0';
}

int
lw_tmpl_idparse(const char *s, uint64_t *id)
{
	uint64_t	v = 0;
	int		i, d;

	if (s == NULL)
		return -1;
	for (i = 0; i < 16; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = (v << 4) | (uint64_t)d;
	}
	if (s[16] != '\0')
		return -1;
	*id = v;
	return 0;
}

/* The store.  Nodes embed the public struct; LRU head is the newest. */
struct tnode {
	struct lw_tmpl	 t;
	struct tnode	*hnext;		/* hash chain */
	struct tnode	*prev;		/* towards the head */
	struct tnode	*next;		/* towards the tail */
};

struct lw_tmpl_store {
	struct tnode	**tab;
	size_t		  mask;		/* buckets - 1, a power of two */
	struct tnode	 *head;
	struct tnode	 *tail;
	size_t		  count;
	size_t		  max;
	uint64_t	  evictions;
};

static size_t
bucket(const struct lw_tmpl_store *ts, uint64_t id)
{
	/* Ids come out of a finaliser: their low bits are already mixed. */
	return (size_t)(id ^ (id >> 32)) & ts->mask;
}

struct lw_tmpl_store *
lw_tmpl_store_new(size_t max_templates)
{
	struct lw_tmpl_store	*ts;
	size_t			 nb = 16;

	if (max_templates < 1)
		max_templates = 1;
	if (max_templates > LW_TMPL_STORE_LIMIT)
		max_templates = LW_TMPL_STORE_LIMIT;
	while (nb < max_templates)
		nb <<= 1;
	ts = xcalloc(1, sizeof(*ts));
	ts->tab = xcalloc(nb, sizeof(*ts->tab));
	ts->mask = nb - 1;
	ts->max = max_templates;
	return ts;
}

void
lw_tmpl_store_free(struct lw_tmpl_store *ts)
{
	struct tnode	*n, *next;

	if (ts == NULL)
		return;
	for (n = ts->head; n != NULL; n = next) {
		next = n->next;
		free(n->t.text);
		free(n);
	}
	free(ts->tab);
	free(ts);
}

static void
lru_unlink(struct lw_tmpl_store *ts, struct tnode *n)
{
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		ts->head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		ts->tail = n->prev;
	n->prev = n->next = NULL;
}

static void
lru_push(struct lw_tmpl_store *ts, struct tnode *n)
{
	n->prev = NULL;
	n->next = ts->head;
	if (ts->head != NULL)
		ts->head->prev = n;
	ts->head = n;
	if (ts->tail == NULL)
		ts->tail = n;
}

static struct tnode *
find(struct lw_tmpl_store *ts, uint64_t id)
{
	struct tnode	*n;

	for (n = ts->tab[bucket(ts, id)]; n != NULL; n = n->hnext)
		if (n->t.id == id)
			return n;
	return NULL;
}

/* Takes the least recently touched node out of the table and the list. */
static struct tnode *
evict(struct lw_tmpl_store *ts)
{
	struct tnode	*n = ts->tail, **pp;

	for (pp = &ts->tab[bucket(ts, n->t.id)]; *pp != n; pp = &(*pp)->hnext)
		;
	*pp = n->hnext;
	lru_unlink(ts, n);
	ts->count--;
	ts->evictions++;
	return n;
}

struct lw_tmpl *
lw_tmpl_store_touch(struct lw_tmpl_store *ts, uint64_t id, const char *text,
    size_t len, int64_t when_ms, int level, int *is_new)
{
	struct tnode	*n;
	char		*copy;
	size_t		 b;

	if ((n = find(ts, id)) != NULL) {
		if (ts->head != n) {
			lru_unlink(ts, n);
			lru_push(ts, n);
		}
		if (is_new != NULL)
			*is_new = 0;
		goto count;
	}

	/* Copy first: text may point into the node about to be evicted. */
	if (text == NULL)
		len = 0;
	if (len > LW_TMPL_MAX)
		len = utf8_cut_at(text, LW_TMPL_MAX);
	copy = xmemdup(len > 0 ? text : "", len);
	if (ts->count >= ts->max) {
		n = evict(ts);
		free(n->t.text);
		memset(n, 0, sizeof(*n));
	} else
		n = xcalloc(1, sizeof(*n));
	n->t.id = id;
	n->t.text = copy;
	n->t.len = len;
	n->t.first_ms = n->t.last_ms = when_ms;
	b = bucket(ts, id);
	n->hnext = ts->tab[b];
	ts->tab[b] = n;
	lru_push(ts, n);
	ts->count++;
	if (is_new != NULL)
		*is_new = 1;

count:
	n->t.count++;
	/* A backlog may arrive slightly out of order: keep the extremes. */
	if (when_ms < n->t.first_ms)
		n->t.first_ms = when_ms;
	if (when_ms > n->t.last_ms)
		n->t.last_ms = when_ms;
	if (level > n->t.level)
		n->t.level = level;
	return &n->t;
}

void
lw_tmpl_store_retext(struct lw_tmpl_store *ts, struct lw_tmpl *t,
    const char *text, size_t len)
{
	char	*copy;

	(void)ts;
	if (len > LW_TMPL_MAX)
		len = utf8_cut_at(text, LW_TMPL_MAX);
	copy = xmemdup(text, len);
	free(t->text);
	t->text = copy;
	t->len = len;
}

struct lw_tmpl *
lw_tmpl_store_get(struct lw_tmpl_store *ts, uint64_t id)
{
	struct tnode	*n;

	if (ts == NULL || (n = find(ts, id)) == NULL)
		return NULL;
	return &n->t;
}

size_t
lw_tmpl_store_count(const struct lw_tmpl_store *ts)
{
	return ts == NULL ? 0 : ts->count;
}

size_t
lw_tmpl_store_max(const struct lw_tmpl_store *ts)
{
	return ts == NULL ? 0 : ts->max;
}

uint64_t
lw_tmpl_store_evictions(const struct lw_tmpl_store *ts)
{
	return ts == NULL ? 0 : ts->evictions;
}

void
lw_tmpl_store_foreach(struct lw_tmpl_store *ts,
    void (*fn)(struct lw_tmpl *, void *), void *arg)
{
	struct tnode	*n, *next;

	if (ts == NULL)
		return;
	for (n = ts->head; n != NULL; n = next) {
		next = n->next;
		fn(&n->t, arg);
	}
}
