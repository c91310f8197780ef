/*
 * logfile: whole log files for the batch commands, through zlib's gzread
 * so that bot.log.2.gz and bot.log read the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "logfile.h"
#include "xmalloc.h"

static void
gz_error(gzFile gz, const char *path, char *err, size_t errsz)
{
	const char	*msg;
	int		 e;

	msg = gzerror(gz, &e);
	/* zlib's own messages start with the path. */
	if (e == Z_ERRNO || e == Z_OK)
		snprintf(err, errsz, "%s: %s", path, e == Z_ERRNO ?
		    strerror(errno) : "read error");
	else
		snprintf(err, errsz, "%s", msg);
}

int
lw_logfile_first_time(struct lw_parser *parser, const char *path,
    int64_t *ms, char *err, size_t errsz)
{
	struct lw_parsed	 pl;
	gzFile			 gz;
	char			*buf = xmalloc(LW_LOGFILE_PROBE), *s, *nl;
	size_t			 len;
	int			 n, rc = -1;

	errno = 0;
	if ((gz = gzopen(path, "rb")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, errno ? strerror(errno) :
		    "cannot open");
		goto out;
	}
	if ((n = gzread(gz, buf, LW_LOGFILE_PROBE)) < 0) {
		gz_error(gz, path, err, errsz);
		goto out;
	}
	rc = 0;
	for (s = buf, len = (size_t)n; len > 0; ) {
		nl = memchr(s, '\n', len);
		if (nl == NULL && (size_t)n == LW_LOGFILE_PROBE)
			break;		/* a cut line proves nothing */
		lw_parse_line(parser, s, nl ? (size_t)(nl - s) : len, &pl);
		if (pl.is_header && pl.has_time) {
			*ms = pl.time_ms;
			rc = 1;
			break;
		}
		if (nl == NULL)
			break;
		len -= (size_t)(nl - s) + 1;
		s = nl + 1;
	}
out:
	if (gz != NULL)
		gzclose(gz);
	free(buf);
	return rc;
}

int
lw_logfile_blocks(const char *path, char *buf, size_t bufsz,
    lw_logfile_fn fn, void *arg, char *err, size_t errsz)
{
	char		*nl;
	size_t		 have = 0, want, rlen;
	int		 n, e, eof, skip = 0, rc = -1;
	gzFile		 gz;

	errno = 0;
	if ((gz = gzopen(path, "rb")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, errno ? strerror(errno) :
		    "cannot open");
		return -1;
	}
	(void)gzbuffer(gz, 256 * 1024);
	for (;;) {
		want = bufsz - have;
		if ((n = gzread(gz, buf + have, (unsigned)want)) < 0)
			break;
		/* gzread fills the buffer unless the file ends. */
		eof = (size_t)n < want;
		have += (size_t)n;
		if (skip && have > 0) {
			if ((nl = memchr(buf, '\n', have)) == NULL)
				have = 0;
			else {
				skip = 0;
				have -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, have);
			}
		}
		if (eof)
			rlen = have;
		else if ((nl = memrchr(buf, '\n', have)) != NULL)
			rlen = (size_t)(nl - buf) + 1;
		else if (have == bufsz) {
			rlen = have;		/* an over-long line */
			skip = 1;
		} else
			rlen = 0;		/* the rest of it comes next */
		if (rlen > 0)
			fn(buf, rlen, arg);
		have -= rlen;
		memmove(buf, buf + rlen, have);
		if (eof) {
			rc = 0;
			break;
		}
	}
	/* A truncated .gz ends with an error after its last good byte. */
	(void)gzerror(gz, &e);
	if (e != Z_OK || rc == -1) {
		gz_error(gz, path, err, errsz);
		rc = -1;
	}
	gzclose(gz);
	return rc;
}
