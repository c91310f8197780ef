/*
 * cluster: merges masked templates that differ in one token position.
 *
 * Each group's template is cut at single spaces into tokens.  For every
 * position p a group has a "class key": the hash of its length, p and all
 * tokens but the one at p.  Groups sharing a class key differ at p only.
 * A class is merged into one group, with the values at p generalised,
 * when it holds LW_CLUSTER_MINVALS distinct values (a word that takes many
 * values is a variable: user names, node names), or when one value has a
 * "<*>" that matches every other value (an already generalised group
 * absorbing a new value, or "()" joining "(<*>)").  Two values never
 * merge a class on their own: "opened" and "closed" are different events.
 * The first token only varies when every value holds a digit, as Drain's
 * tree keeps first tokens apart, and the rest must keep LW_CLUSTER_MINLIT
 * literal tokens, so that short templates are not folded into "<*>".
 *
 * The hot path is one hash of the masked text and one probe of a cache;
 * tokenising, class counting and merging run once per new masked text.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "miner.h"
#include "xmalloc.h"

#define NIL		UINT32_MAX
#define HOPS_MAX	16	/* forwarders followed before giving up */
#define SETTLE_MAX	(4 * LW_CLUSTER_MAXTOK)	/* merges per new text */
#define POLY_B		0x100000001b3ULL

enum { ST_FREE, ST_LIVE, ST_FWD };

struct grp {
	uint64_t	 id;		/* stable: the birth template's id */
	uint64_t	 tid;		/* lw_tmpl_id of text */
	uint64_t	 born;		/* creation order: the oldest survives */
	uint64_t	 sum;		/* polynomial hash of the token hashes */
	char		*text;
	size_t		 len;
	uint64_t	*th;		/* token hashes */
	uint16_t	*off;		/* token starts; off[ntok] = len + 1 */
	uint16_t	 ntok;		/* 0: too long to cluster */
	uint16_t	 nlit;		/* tokens without "<*>" */
	uint32_t	 gen;		/* bumped when the slot is freed */
	uint32_t	 fwd;		/* ST_FWD: the group it went into */
	uint32_t	 fgen;
	uint32_t	 hnext;		/* template-id chain */
	uint32_t	 prev, next;	/* LRU, head is the newest */
	uint8_t		 state;
};

struct centry {			/* masked text id -> slot */
	uint64_t	 mid;		/* 0: empty */
	uint32_t	 slot;
	uint32_t	 gen;
};

struct cls {			/* a class key and its member counts */
	uint64_t	 key;
	uint32_t	 count;
	uint32_t	 wild;		/* members with "<*>" at the position */
	struct cls	*next;
};

struct lw_cluster {
	struct grp	*g;
	uint32_t	 nslots;	/* allocated */
	uint32_t	 maxslots;	/* 2 * max: live groups plus forwarders */
	uint32_t	*freel;		/* free slot stack */
	uint32_t	 nfree;
	uint32_t	*gtab;		/* template id -> chain of slots */
	size_t		 gmask;
	struct centry	*cache;
	size_t		 cmask;
	size_t		 ccount;
	struct cls	**ctab;
	size_t		 ctmask;
	uint32_t	 head, tail;
	size_t		 live, fwds, max;
	uint64_t	 born, evictions, merges;
	uint64_t	 pw[LW_CLUSTER_MAXTOK];
	lw_cluster_merge_cb cb;
	void		*cbarg;
	uint32_t	*members;	/* scratch for merges, max entries */
};

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

static size_t
pow2_at_least(size_t n)
{
	size_t	p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

struct lw_cluster *
lw_cluster_new(size_t max)
{
	struct lw_cluster	*c;
	size_t			 i;

	if (max < 1)
		max = 1;
	if (max > LW_CLUSTER_LIMIT)
		max = LW_CLUSTER_LIMIT;
	c = xcalloc(1, sizeof(*c));
	c->max = max;
	c->maxslots = (uint32_t)(2 * max);
	c->gmask = pow2_at_least(max) - 1;
	c->gtab = xreallocarray(NULL, c->gmask + 1, sizeof(*c->gtab));
	memset(c->gtab, 0xff, (c->gmask + 1) * sizeof(*c->gtab));
	c->cmask = pow2_at_least(4 * max) - 1;
	c->cache = xcalloc(c->cmask + 1, sizeof(*c->cache));
	c->ctmask = pow2_at_least(4 * max) - 1;
	c->ctab = xcalloc(c->ctmask + 1, sizeof(*c->ctab));
	c->freel = xreallocarray(NULL, c->maxslots, sizeof(*c->freel));
	c->members = xreallocarray(NULL, max, sizeof(*c->members));
	c->head = c->tail = NIL;
	c->pw[0] = 1;
	for (i = 1; i < LW_CLUSTER_MAXTOK; i++)
		c->pw[i] = c->pw[i - 1] * POLY_B;
	return c;
}

static void
grp_release(struct grp *g)
{
	free(g->text);
	free(g->th);
	free(g->off);
	g->text = NULL;
	g->th = NULL;
	g->off = NULL;
}

void
lw_cluster_free(struct lw_cluster *c)
{
	struct cls	*n, *next;
	size_t		 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nslots; i++)
		grp_release(&c->g[i]);
	for (i = 0; i <= c->ctmask; i++)
		for (n = c->ctab[i]; n != NULL; n = next) {
			next = n->next;
			free(n);
		}
	free(c->g);
	free(c->freel);
	free(c->gtab);
	free(c->cache);
	free(c->ctab);
	free(c->members);
	free(c);
}

void
lw_cluster_set_merge_cb(struct lw_cluster *c, lw_cluster_merge_cb cb,
    void *arg)
{
	c->cb = cb;
	c->cbarg = arg;
}

size_t
lw_cluster_count(const struct lw_cluster *c)
{
	return c == NULL ? 0 : c->live;
}

uint64_t
lw_cluster_evictions(const struct lw_cluster *c)
{
	return c == NULL ? 0 : c->evictions;
}

uint64_t
lw_cluster_merges(const struct lw_cluster *c)
{
	return c == NULL ? 0 : c->merges;
}

/* Token i of g. */
static const char *
tok(const struct grp *g, size_t i, size_t *n)
{
	*n = (size_t)g->off[i + 1] - 1 - g->off[i];
	return g->text + g->off[i];
}

static int
has_var(const char *s, size_t n)
{
	return memmem(s, n, LW_TMPL_VAR, 3) != NULL;
}

/*
 * Sets g's text (taking ownership of text) and cuts it into tokens.  A
 * text with too many tokens, or too long for 16-bit offsets, gets ntok 0
 * and is never clustered.
 */
static void
grp_settext(struct lw_cluster *c, struct grp *g, char *text, size_t len)
{
	size_t	i, n = 1, k, s;

	grp_release(g);
	g->text = text;
	g->len = len;
	g->tid = lw_tmpl_id(text, len);
	g->ntok = g->nlit = 0;
	g->sum = 0;
	for (i = 0; i < len; i++)
		n += text[i] == ' ';
	if (len == 0 || n > LW_CLUSTER_MAXTOK || len >= UINT16_MAX)
		return;
	g->th = xreallocarray(NULL, n, sizeof(*g->th));
	g->off = xreallocarray(NULL, n + 1, sizeof(*g->off));
	for (i = 0, k = 0, s = 0; i <= len; i++) {
		if (i < len && text[i] != ' ')
			continue;
		g->off[k] = (uint16_t)s;
		g->th[k] = lw_tmpl_id(text + s, i - s);
		g->sum += g->th[k] * c->pw[k];
		if (!has_var(text + s, i - s))
			g->nlit++;
		k++;
		s = i + 1;
	}
	g->off[n] = (uint16_t)(len + 1);
	g->ntok = (uint16_t)n;
}

static uint64_t
class_key(const struct lw_cluster *c, const struct grp *g, size_t p)
{
	return mix(g->sum - g->th[p] * c->pw[p] +
	    (((uint64_t)g->ntok << 8 | p) * 0x9e3779b97f4a7c15ULL));
}

static struct cls *
cls_find(struct lw_cluster *c, uint64_t key, int create)
{
	struct cls	*n, **pp = &c->ctab[key & c->ctmask];

	for (n = *pp; n != NULL; n = n->next)
		if (n->key == key)
			return n;
	if (!create)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	n->key = key;
	n->next = *pp;
	*pp = n;
	return n;
}

/* Adds (dir 1) or removes (dir -1) g's class memberships. */
static void
grp_classes(struct lw_cluster *c, struct grp *g, int dir)
{
	struct cls	*n, **pp;
	const char	*t;
	size_t		 p, tl;
	uint64_t	 key;
	int		 w;

	for (p = 0; p < g->ntok; p++) {
		key = class_key(c, g, p);
		t = tok(g, p, &tl);
		w = has_var(t, tl);
		if (dir > 0) {
			n = cls_find(c, key, 1);
			n->count++;
			n->wild += (uint32_t)w;
			continue;
		}
		for (pp = &c->ctab[key & c->ctmask]; *pp != NULL;
		    pp = &(*pp)->next)
			if ((*pp)->key == key)
				break;
		if ((n = *pp) == NULL)
			continue;
		n->count--;
		n->wild -= (uint32_t)w;
		if (n->count == 0) {
			*pp = n->next;
			free(n);
		}
	}
}

static void
gmap_add(struct lw_cluster *c, uint32_t s)
{
	size_t	b = c->g[s].tid & c->gmask;

	c->g[s].hnext = c->gtab[b];
	c->gtab[b] = s;
}

static void
gmap_del(struct lw_cluster *c, uint32_t s)
{
	uint32_t	*pp = &c->gtab[c->g[s].tid & c->gmask];

	while (*pp != NIL && *pp != s)
		pp = &c->g[*pp].hnext;
	if (*pp == s)
		*pp = c->g[s].hnext;
}

static uint32_t
gmap_find(struct lw_cluster *c, uint64_t tid, const char *text, size_t len)
{
	uint32_t	s;

	for (s = c->gtab[tid & c->gmask]; s != NIL; s = c->g[s].hnext)
		if (c->g[s].tid == tid && c->g[s].len == len &&
		    memcmp(c->g[s].text, text, len) == 0)
			return s;
	return NIL;
}

static void
lru_unlink(struct lw_cluster *c, uint32_t s)
{
	struct grp	*g = &c->g[s];

	if (g->prev != NIL)
		c->g[g->prev].next = g->next;
	else
		c->head = g->next;
	if (g->next != NIL)
		c->g[g->next].prev = g->prev;
	else
		c->tail = g->prev;
	g->prev = g->next = NIL;
}

static void
lru_push(struct lw_cluster *c, uint32_t s)
{
	struct grp	*g = &c->g[s];

	g->prev = NIL;
	g->next = c->head;
	if (c->head != NIL)
		c->g[c->head].prev = s;
	c->head = s;
	if (c->tail == NIL)
		c->tail = s;
}

static void
slot_free(struct lw_cluster *c, uint32_t s)
{
	grp_release(&c->g[s]);
	c->g[s].state = ST_FREE;
	c->g[s].gen++;
	c->freel[c->nfree++] = s;
}

/* Takes a live group out of every index; its slot is not freed. */
static void
grp_detach(struct lw_cluster *c, uint32_t s)
{
	grp_classes(c, &c->g[s], -1);
	gmap_del(c, s);
	lru_unlink(c, s);
	c->live--;
}

/*
 * Forgets every cached masked text, which frees every forwarder: only
 * cache entries lead to them.
 */
static void
cache_clear(struct lw_cluster *c)
{
	uint32_t	s;

	memset(c->cache, 0, (c->cmask + 1) * sizeof(*c->cache));
	c->ccount = 0;
	for (s = 0; s < c->nslots; s++)
		if (c->g[s].state == ST_FWD)
			slot_free(c, s);
	c->fwds = 0;
}

static uint32_t
slot_alloc(struct lw_cluster *c)
{
	uint32_t	s;

	if (c->live >= c->max) {
		s = c->tail;
		grp_detach(c, s);
		slot_free(c, s);
		c->evictions++;
	}
	if (c->nfree == 0 && c->nslots == c->maxslots)
		cache_clear(c);
	if (c->nfree > 0)
		s = c->freel[--c->nfree];
	else {
		if (c->nslots == 0 || (c->nslots & (c->nslots - 1)) == 0)
			c->g = xreallocarray(c->g, c->nslots == 0 ? 16 :
			    2 * (size_t)c->nslots, sizeof(*c->g));
		s = c->nslots++;
		memset(&c->g[s], 0, sizeof(c->g[s]));
	}
	c->g[s].state = ST_LIVE;
	c->g[s].prev = c->g[s].next = c->g[s].hnext = NIL;
	return s;
}

/* Does pattern pat ("<*>" matches any run, even empty) match s? */
static int
wmatch(const char *pat, size_t pn, const char *s, size_t sn)
{
	size_t	p = 0, i = 0, star = SIZE_MAX, mark = 0;

	while (i < sn) {
		if (p + 3 <= pn && memcmp(pat + p, LW_TMPL_VAR, 3) == 0) {
			star = p += 3;
			mark = i;
		} else if (p < pn && pat[p] == s[i]) {
			p++;
			i++;
		} else if (star != SIZE_MAX) {
			p = star;
			i = ++mark;
		} else
			return 0;
	}
	while (p + 3 <= pn && memcmp(pat + p, LW_TMPL_VAR, 3) == 0)
		p += 3;
	return p == pn;
}

static int
is_punct(char ch)
{
	return ch != '\0' && strchr("[](){}<>,;:=\"'", ch) != NULL;
}

static int
has_digit(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

/* Are a and b equal but at position p? */
static int
same_but(const struct grp *a, const struct grp *b, size_t p)
{
	const char	*x, *y;
	size_t		 i, xn, yn;

	if (a->ntok != b->ntok)
		return 0;
	for (i = 0; i < a->ntok; i++) {
		if (i == p)
			continue;
		x = tok(a, i, &xn);
		y = tok(b, i, &yn);
		if (xn != yn || memcmp(x, y, xn) != 0)
			return 0;
	}
	return 1;
}

/*
 * The token replacing the values at p of the m members: a member's value
 * whose "<*>" matches all the others, else "<*>" inside the punctuation
 * all values share at both ends ("[Thunderbird_A8]" -> "[<*>]").  Writes
 * it to out (cap bytes); returns its length, or 0 to refuse the merge.
 */
static size_t
merged_token(struct lw_cluster *c, size_t m, size_t p, char *out, size_t cap)
{
	const char	*v, *w, *f;
	size_t		 i, k, vn, wn, fn, pre, suf;
	int		 ok;

	for (i = 0; i < m; i++) {
		v = tok(&c->g[c->members[i]], p, &vn);
		if (!has_var(v, vn))
			continue;
		for (ok = 1, k = 0; k < m && ok; k++) {
			w = tok(&c->g[c->members[k]], p, &wn);
			ok = k == i || wmatch(v, vn, w, wn);
		}
		if (ok && vn < cap) {
			memcpy(out, v, vn);
			return vn;
		}
	}
	if (m < LW_CLUSTER_MINVALS)
		return 0;
	f = tok(&c->g[c->members[0]], p, &fn);
	for (pre = 0; pre < fn && is_punct(f[pre]); pre++)
		;
	for (suf = 0; suf < fn - pre && is_punct(f[fn - 1 - suf]); suf++)
		;
	for (i = 1; i < m; i++) {
		v = tok(&c->g[c->members[i]], p, &vn);
		for (k = 0; k < pre && k < vn && v[k] == f[k]; k++)
			;
		pre = k;
		for (k = 0; k < suf && k < vn - pre && v[vn - 1 - k] ==
		    f[fn - 1 - k]; k++)
			;
		suf = k;
	}
	if (pre + suf + 3 > cap)
		return 0;
	memcpy(out, f, pre);
	memcpy(out + pre, LW_TMPL_VAR, 3);
	memcpy(out + pre + 3, f + fn - suf, suf);
	return pre + 3 + suf;
}

/* Turns live group s into a forwarder to live group into. */
static void
grp_forward(struct lw_cluster *c, uint32_t s, uint32_t into)
{
	struct grp	*g = &c->g[s];

	if (c->cb != NULL)
		c->cb(g->id, c->g[into].id, c->cbarg);
	grp_release(g);
	g->state = ST_FWD;
	g->fwd = into;
	g->fgen = c->g[into].gen;
	c->fwds++;
	c->merges++;
}

/*
 * Merges the class of group s at position p if the rules allow; returns
 * the surviving group, or NIL when nothing was merged.
 */
static uint32_t
try_merge(struct lw_cluster *c, uint32_t s, size_t p)
{
	struct grp	*g = &c->g[s], *h;
	char		 tokbuf[LW_TMPL_BUFSZ], *text;
	const char	*v;
	size_t		 m = 0, i, tn, vn, len;
	uint32_t	 t, surv = s, e;

	for (t = c->head; t != NIL; t = c->g[t].next)
		if (c->g[t].ntok == g->ntok && same_but(&c->g[t], g, p))
			c->members[m++] = t;
	if (m < 2)
		return NIL;
	for (i = 0; i < m; i++) {
		v = tok(&c->g[c->members[i]], p, &vn);
		if (p == 0 && !has_digit(v, vn) && !has_var(v, vn))
			return NIL;
		if (c->g[c->members[i]].born < c->g[surv].born)
			surv = c->members[i];
	}
	if ((tn = merged_token(c, m, p, tokbuf, sizeof(tokbuf))) == 0)
		return NIL;
	h = &c->g[surv];
	v = tok(h, p, &vn);
	len = h->len - vn + tn;
	if (len > LW_TMPL_MAX)
		return NIL;
	text = xmalloc(len + 1);
	memcpy(text, h->text, h->off[p]);
	memcpy(text + h->off[p], tokbuf, tn);
	memcpy(text + h->off[p] + tn, v + vn, h->len - (h->off[p] + vn));
	text[len] = '\0';

	for (i = 0; i < m; i++)
		grp_detach(c, c->members[i]);
	for (i = 0; i < m; i++)
		if (c->members[i] != surv)
			grp_forward(c, c->members[i], surv);
	grp_settext(c, h, text, len);
	/* The new text may be one a group already has: that one joins. */
	if ((e = gmap_find(c, h->tid, h->text, h->len)) != NIL) {
		grp_detach(c, e);
		if (c->g[e].born < h->born) {
			grp_forward(c, surv, e);
			surv = e;
		} else
			grp_forward(c, e, surv);
	}
	c->live++;
	grp_classes(c, &c->g[surv], 1);
	gmap_add(c, surv);
	lru_push(c, surv);
	return surv;
}

/* Runs the merges that group s makes possible, cascading. */
static uint32_t
settle(struct lw_cluster *c, uint32_t s)
{
	struct cls	*n;
	struct grp	*g;
	const char	*t;
	size_t		 p, tl, rounds = 0;
	uint32_t	 r;

again:
	g = &c->g[s];
	for (p = 0; p < g->ntok && rounds < SETTLE_MAX; p++) {
		t = tok(g, p, &tl);
		if (g->nlit - !has_var(t, tl) < LW_CLUSTER_MINLIT)
			continue;
		n = cls_find(c, class_key(c, g, p), 0);
		if (n == NULL || n->count < 2 ||
		    (n->count < LW_CLUSTER_MINVALS && n->wild == 0))
			continue;
		rounds++;
		if ((r = try_merge(c, s, p)) != NIL) {
			s = r;
			goto again;
		}
	}
	return s;
}

/* The live slot masked text mid leads to, or NIL; *ce its cache entry. */
static uint32_t
cache_get(struct lw_cluster *c, uint64_t mid, struct centry **ce)
{
	struct centry	*e;
	size_t		 b = mid & c->cmask;
	uint32_t	 s, gen, hops;

	for (;; b = (b + 1) & c->cmask) {
		e = &c->cache[b];
		if (e->mid == 0) {
			*ce = e;
			return NIL;
		}
		if (e->mid == mid)
			break;
	}
	*ce = e;
	s = e->slot;
	gen = e->gen;
	for (hops = 0; hops < HOPS_MAX; hops++) {
		if (c->g[s].gen != gen || c->g[s].state == ST_FREE)
			return NIL;
		if (c->g[s].state == ST_LIVE) {
			/* Shorten the chain for next time. */
			e->slot = s;
			e->gen = gen;
			return s;
		}
		gen = c->g[s].fgen;
		s = c->g[s].fwd;
	}
	return NIL;
}

static void
cache_put(struct lw_cluster *c, struct centry *e, uint64_t mid, uint32_t s)
{
	if (e->mid == 0) {
		if (2 * (c->ccount + 1) > c->cmask + 1) {
			cache_clear(c);
			cache_get(c, mid, &e);
		}
		c->ccount++;
	}
	e->mid = mid;
	e->slot = s;
	e->gen = c->g[s].gen;
}

static uint64_t
masked_id(const char *masked, size_t len)
{
	uint64_t	mid = lw_tmpl_id(masked, len);

	return mid == 0 ? 1 : mid;
}

/*
 * The live group of masked text masked[0..*len) (*len cut to
 * LW_TMPL_MAX, *mid its id, *e its cache entry), or NIL when unknown:
 * what add and lookup both ask first.
 */
static uint32_t
cluster_find(struct lw_cluster *c, const char *masked, size_t *len,
    uint64_t *mid, struct centry **e)
{
	uint32_t	s;

	if (masked == NULL)
		*len = 0;
	if (*len > LW_TMPL_MAX)
		*len = LW_TMPL_MAX;
	*mid = masked_id(masked, *len);
	if ((s = cache_get(c, *mid, e)) == NIL)
		s = gmap_find(c, *mid, masked, *len);
	return s;
}

/* lw_cluster_add, and lw_cluster_seed when id is not 0; *isnew (may be
 * NULL) says whether the masked text was unknown before. */
static uint64_t
cluster_add(struct lw_cluster *c, uint64_t id, const char *masked,
    size_t len, const char **tmpl, size_t *tlen, int *isnew)
{
	struct centry	*e;
	uint64_t	 mid;
	uint32_t	 s;

	s = cluster_find(c, masked, &len, &mid, &e);
	if (isnew != NULL)
		*isnew = s == NIL;
	if (s == NIL) {
		if (isnew != NULL)
			*isnew = 1;
		s = slot_alloc(c);
		/* slot_alloc may have cleared the cache. */
		cache_get(c, mid, &e);
		c->g[s].id = id != 0 ? id : mid;
		c->g[s].born = c->born++;
		grp_settext(c, &c->g[s], xmemdup(len > 0 ? masked : "", len),
		    len);
		c->live++;
		grp_classes(c, &c->g[s], 1);
		gmap_add(c, s);
		lru_push(c, s);
		s = settle(c, s);
		cache_get(c, mid, &e);
	} else if (c->head != s) {
		lru_unlink(c, s);
		lru_push(c, s);
	}
	if (e->mid == 0 || e->slot != s)
		cache_put(c, e, mid, s);
	if (tmpl != NULL)
		*tmpl = c->g[s].text;
	if (tlen != NULL)
		*tlen = c->g[s].len;
	return c->g[s].id;
}

uint64_t
lw_cluster_add(struct lw_cluster *c, const char *masked, size_t len,
    const char **tmpl, size_t *tlen)
{
	return cluster_add(c, 0, masked, len, tmpl, tlen, NULL);
}

uint64_t
lw_cluster_add_new(struct lw_cluster *c, const char *masked, size_t len,
    const char **tmpl, size_t *tlen, int *isnew)
{
	return cluster_add(c, 0, masked, len, tmpl, tlen, isnew);
}

uint64_t
lw_cluster_seed(struct lw_cluster *c, uint64_t id, const char *tmpl,
    size_t len)
{
	return cluster_add(c, id == 0 ? 1 : id, tmpl, len, NULL, NULL, NULL);
}

int
lw_cluster_lookup(struct lw_cluster *c, const char *masked, size_t len,
    uint64_t *id, const char **tmpl, size_t *tlen)
{
	struct centry	*e;
	uint64_t	 mid;
	uint32_t	 s;

	if ((s = cluster_find(c, masked, &len, &mid, &e)) == NIL)
		return -1;
	if (id != NULL)
		*id = c->g[s].id;
	if (tmpl != NULL)
		*tmpl = c->g[s].text;
	if (tlen != NULL)
		*tlen = c->g[s].len;
	return 0;
}
