/*
 * logfile: reading a whole log file for the batch commands (`analyze`,
 * `search`), plain or gzip-compressed alike (zlib passes plain files
 * through): the first timestamp it holds, which puts rotated files in
 * time order, and its whole lines a block at a time.
 */
#ifndef LW_LOGFILE_H
#define LW_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define LW_LOGFILE_PROBE	(64 * 1024)	/* bytes looked at for a time */

/*
 * The log time of the first header line with a time among the first
 * LW_LOGFILE_PROBE bytes of path (a line cut at that limit proves
 * nothing).  1 found (*ms set), 0 none, -1 the file cannot be read
 * (err says why, with the path).
 */
int	lw_logfile_first_time(struct lw_parser *, const char *path,
	    int64_t *ms, char *err, size_t errsz);

/* Whole lines block[0..len), each ending in '\n' but perhaps the last. */
typedef void (*lw_logfile_fn)(const char *block, size_t len, void *arg);

/*
 * Reads path into buf (bufsz bytes, the caller's) and gives fn its whole
 * lines, as many at a time as fit.  A line longer than bufsz is cut: its
 * first bufsz bytes stand for it and the rest is skipped.  Returns 0, or
 * -1 with err set (cannot open, a read error, a truncated .gz) after
 * everything readable was given to fn.
 */
int	lw_logfile_blocks(const char *path, char *buf, size_t bufsz,
	    lw_logfile_fn fn, void *arg, char *err, size_t errsz);

#endif
