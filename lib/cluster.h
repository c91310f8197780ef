/*
 * cluster: the second stage of template mining.  lw_mask replaces what
 * looks variable token by token; cluster merges masked templates that
 * differ in one token position into one group whose template has "<*>"
 * there, so that "session opened for user cyrus" and "... user news"
 * become "session opened for user <*>" once enough values were seen.
 *
 * Online and incremental: each masked template is added once (a cache
 * maps masked text to its group, so a line already seen costs one hash
 * lookup), and merges cascade as templates generalise.  One general
 * configuration; nothing is tuned to a data set.
 *
 * Stable ids: a group is named by the lw_tmpl_id of the first masked
 * template that created it, and keeps that id however its template
 * generalises.  When groups merge, the oldest one survives with its id;
 * the others' ids are reported through the merge callback.
 *
 * Bounded: at most max_groups live groups; the least recently seen is
 * evicted (and counted) to make room.
 */
#ifndef LW_CLUSTER_H
#define LW_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/* Hard cap on lw_cluster_new's max_groups. */
#define LW_CLUSTER_LIMIT	(1u << 20)
/* Templates with more tokens than this are kept as they are. */
#define LW_CLUSTER_MAXTOK	64
/* Distinct values at one position that make it a variable. */
#define LW_CLUSTER_MINVALS	4
/* Literal tokens a generalised template must keep besides "<*>". */
#define LW_CLUSTER_MINLIT	2

struct lw_cluster;

/* Called when group "from" is merged into group "into" (both stable ids). */
typedef void	(*lw_cluster_merge_cb)(uint64_t from, uint64_t into, void *arg);

/* max_groups is clamped to 1..LW_CLUSTER_LIMIT. */
struct lw_cluster *lw_cluster_new(size_t max_groups);
void		 lw_cluster_free(struct lw_cluster *);	/* NULL ok */
/* cb (may be NULL) hears of every merge; it must not call into c. */
void		 lw_cluster_set_merge_cb(struct lw_cluster *c,
		    lw_cluster_merge_cb cb, void *arg);

/*
 * Counts one sighting of the masked template masked[0..len) (what
 * lw_mask wrote; cut at LW_TMPL_MAX) and returns its group's stable id.
 * *tmpl and *tlen (either may be NULL) get the group's current template:
 * NUL-terminated, owned by c, valid until the next call that adds.
 * Never fails.
 */
uint64_t	 lw_cluster_add(struct lw_cluster *c, const char *masked,
		    size_t len, const char **tmpl, size_t *tlen);
/* The same; *isnew is 1 when the masked text was not known before (as
 * lw_cluster_lookup would have said), without hashing it twice. */
uint64_t	 lw_cluster_add_new(struct lw_cluster *c, const char *masked,
		    size_t len, const char **tmpl, size_t *tlen, int *isnew);
/*
 * Restores a group remembered from before a restart: the template tmpl
 * (which may hold "<*>" where it generalised) under its stable id, as if
 * a masked template had made it.  Seed the oldest first: when seeds
 * merge, the oldest keeps its id.  A text already known stays in its
 * group.  Returns the id of the group it is in now.
 */
uint64_t	 lw_cluster_seed(struct lw_cluster *c, uint64_t id,
		    const char *tmpl, size_t len);
/*
 * The current template of the group masked[0..len) belongs to, without
 * counting a sighting; -1 if it is not known: never added, evicted, or
 * merged away and forgotten by the cache of masked texts (which holds
 * about 2 * max_groups texts; lw_cluster_add finds such a text's group
 * again).
 */
int		 lw_cluster_lookup(struct lw_cluster *c, const char *masked,
		    size_t len, uint64_t *id, const char **tmpl, size_t *tlen);

size_t		 lw_cluster_count(const struct lw_cluster *);	/* live groups */
uint64_t	 lw_cluster_evictions(const struct lw_cluster *);
uint64_t	 lw_cluster_merges(const struct lw_cluster *);

#endif
