/*
 * miner: turns an error or warning message into its template, the message
 * with its variable parts (numbers, ids, prices, symbols, addresses, paths,
 * quoted and key=value values) replaced by "<*>", and keeps the templates
 * seen so far in a bounded store.
 *
 * A template is named by a 64-bit id, a hash of its text that never
 * changes between runs, builds or machines, so that the id can be kept in
 * the state database and "first sighting ever" survives restarts.
 *
 * This first version masks token by token; it does not yet merge templates
 * that differ in a word (the Drain-like stage comes later, on top of it).
 */
#ifndef LW_MINER_H
#define LW_MINER_H

#include <stddef.h>
#include <stdint.h>

/* Longest template kept, in bytes; longer masks are cut (UTF-8 safe). */
#define LW_TMPL_MAX		1024
/* Buffer size that lw_mask never needs to cut a template below. */
#define LW_TMPL_BUFSZ		(LW_TMPL_MAX + 1)
/* Hard cap on lw_tmpl_store_new's max_templates. */
#define LW_TMPL_STORE_LIMIT	(1u << 20)
/* Length of lw_tmpl_idstr's output, including the NUL. */
#define LW_TMPL_IDSTR_LEN	17
/* The placeholder written for a variable part. */
#define LW_TMPL_VAR		"<*>"

/*
 * Masks msg[0..len) into out: runs of white space and control characters
 * become one space, leading and trailing ones go, invalid UTF-8 becomes
 * U+FFFD, variable parts become "<*>".  out is always NUL-terminated and
 * holds at most outsz - 1 bytes, never a split UTF-8 sequence nor a split
 * "<*>".  Returns the template's length.  Pure: no allocation, no state,
 * safe from any thread.  msg need not be NUL-terminated.
 */
size_t		 lw_mask(const char *msg, size_t len, char *out, size_t outsz);

/* The template's id; stable across runs, builds and byte orders. */
uint64_t	 lw_tmpl_id(const char *tmpl, size_t len);
/* The id as 16 lower-case hex digits and a NUL. */
void		 lw_tmpl_idstr(uint64_t id, char out[LW_TMPL_IDSTR_LEN]);
/* Parses what lw_tmpl_idstr wrote: 0, or -1 if s is not 16 hex digits. */
int		 lw_tmpl_idparse(const char *s, uint64_t *id);

/* Bits of lw_tmpl.flags the store itself never touches. */
#define LW_TMPL_F_USER		0xffff

struct lw_tmpl {
	uint64_t	 id;
	char		*text;		/* owned by the store, NUL-terminated */
	size_t		 len;		/* at most LW_TMPL_MAX */
	uint64_t	 count;		/* touches since it entered the store */
	int64_t		 first_ms;	/* when of the first and last touch */
	int64_t		 last_ms;
	int		 level;		/* worst enum lw_level seen */
	int		 flags;		/* the caller's (LW_TMPL_F_USER) */
};

/*
 * A bounded set of templates: a hash table keyed by id plus an LRU list.
 * When the store is full the least recently touched template is evicted
 * (and counted) to make room, so memory stays below roughly
 * max_templates * (LW_TMPL_MAX + 100) bytes whatever the log holds.
 *
 * Ownership: the store owns every struct lw_tmpl and its text.  A pointer
 * returned by touch or get stays valid until the next touch (which may
 * evict it) or the store's free; the caller may change count, first_ms,
 * last_ms, level and flags (e.g. when loading persisted state), never id,
 * text or len.  Two texts with the same id are taken as one template.
 */
struct lw_tmpl_store;

/* max_templates is clamped to 1..LW_TMPL_STORE_LIMIT. */
struct lw_tmpl_store *lw_tmpl_store_new(size_t max_templates);
void		 lw_tmpl_store_free(struct lw_tmpl_store *);	/* NULL ok */

/*
 * Finds the template id or inserts it with a copy of text (cut at
 * LW_TMPL_MAX), then counts one sighting at when_ms with level.  *is_new
 * (may be NULL) is set to 1 when the id was not in the store, else 0.
 * Never fails: a full store evicts its least recently touched template.
 */
struct lw_tmpl	*lw_tmpl_store_touch(struct lw_tmpl_store *, uint64_t id,
		    const char *text, size_t len, int64_t when_ms, int level,
		    int *is_new);
/*
 * Replace t's text (a template that generalised under the same id, see
 * cluster.h): text is copied, cut at LW_TMPL_MAX.  t must come from ts.
 */
void		 lw_tmpl_store_retext(struct lw_tmpl_store *ts,
		    struct lw_tmpl *t, const char *text, size_t len);
/* The template id, or NULL; does not change the LRU order. */
struct lw_tmpl	*lw_tmpl_store_get(struct lw_tmpl_store *, uint64_t id);
size_t		 lw_tmpl_store_count(const struct lw_tmpl_store *);
size_t		 lw_tmpl_store_max(const struct lw_tmpl_store *);
uint64_t	 lw_tmpl_store_evictions(const struct lw_tmpl_store *);
/*
 * Calls fn for every template, most recently touched first.  fn must not
 * touch the store.
 */
void		 lw_tmpl_store_foreach(struct lw_tmpl_store *,
		    void (*fn)(struct lw_tmpl *, void *), void *arg);

#endif
