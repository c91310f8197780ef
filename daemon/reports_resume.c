/*
 * reports_resume: a scheduled report's period survives a restart.
 *
 * When a period begins, where the log stood is written to the state
 * DB's meta table (the period's start, the file's identity and offset,
 * and since when the report saw it).  When the daemon starts again
 * within the same period, the bytes between that offset and where
 * reading resumes are read once more into the period's report (never
 * into the engine: they were alerted on before), so the report covers
 * the whole period instead of the time since the restart.
 *
 * Bounded: at most RESUME_MAX_BYTES are read again, synchronously at
 * start (about a second); a longer stretch, a rotated or replaced file,
 * or no checkpoint leaves the report partial, as it says.
 *
 * The same reader makes `logwarden test-report`'s report from the end
 * of the log.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "log.h"
#include "logwarden.h"
#include "record.h"
#include "report.h"
#include "tail.h"
#include "xmalloc.h"

#define RESUME_MAX_BYTES	(256ull << 20)
#define RESUME_CHUNK		(1u << 20)

static const char *const ckpt_fields[] = {
	"start", "seen", "dev", "ino", "off"
};
#define NFIELDS	(sizeof(ckpt_fields) / sizeof(ckpt_fields[0]))

static void
ckpt_key(char *buf, size_t sz, const char *kind, size_t field)
{
	snprintf(buf, sz, "sched.%s.%s", kind, ckpt_fields[field]);
}

void
reports_checkpoint(struct lw_daemon *d, const char *kind,
    const struct reports_ckpt *c)
{
	int64_t	v[NFIELDS];
	char	key[64];
	size_t	i;

	if (d->st == NULL)
		return;
	v[0] = c->start_ms;
	v[1] = c->seen_ms;
	v[2] = (int64_t)c->dev;
	v[3] = (int64_t)c->ino;
	v[4] = (int64_t)c->off;
	for (i = 0; i < NFIELDS; i++) {
		ckpt_key(key, sizeof(key), kind, i);
		if (lw_state_meta_put(d->st, key, v[i]) == -1)
			return;
	}
}

int
reports_checkpoint_get(struct lw_daemon *d, const char *kind,
    struct reports_ckpt *c)
{
	int64_t	v[NFIELDS];
	char	key[64];
	size_t	i;

	if (d->st == NULL)
		return 0;
	for (i = 0; i < NFIELDS; i++) {
		ckpt_key(key, sizeof(key), kind, i);
		if (lw_state_meta_get(d->st, key, &v[i]) != 1)
			return 0;
	}
	c->start_ms = v[0];
	c->seen_ms = v[1];
	c->dev = (uint64_t)v[2];
	c->ino = (uint64_t)v[3];
	c->off = (uint64_t)v[4];
	return 1;
}

/* Where the log stands now: the tail's position, or before the tail is
 * open the offset saved by the last run.  0 when unknown. */
int
reports_position(struct lw_daemon *d, uint64_t *dev, uint64_t *ino,
    uint64_t *off)
{
	struct lw_offset	o;

	if (d->tail != NULL && tail_is_open(d->tail)) {
		tail_identity(d->tail, dev, ino);
		*off = tail_offset(d->tail);
		return 1;
	}
	if (d->st == NULL || lw_state_get_offset(d->st, d->cfg->source.path,
	    &o) != 1)
		return 0;
	*dev = o.dev;
	*ino = o.ino;
	*off = o.offset;
	return 1;
}

struct resume_ctx {
	struct lw_asm		*as;
	struct lw_report	*rep;
	uint64_t		 records;
};

static void
resume_line(const char *line, size_t len, size_t cut, uint64_t start,
    uint64_t end, void *arg)
{
	struct resume_ctx	*c = arg;
	struct lw_record	 rec;

	(void)cut;
	(void)start;
	(void)end;
	if (lw_asm_feed(c->as, line, len, &rec)) {
		lw_report_add(c->rep, &rec);
		c->records++;
	}
}

/*
 * Feeds rep the records of bytes [from, to) of fd (path for messages);
 * when skip_first, the bytes up to the first line break are a line's
 * tail and left out.  0 (*records counted) or -1 with err.
 */
static int
read_range(int fd, const char *path, uint64_t from, uint64_t to,
    int skip_first, size_t line_max, struct lw_report *rep,
    uint64_t *records, char *err, size_t errsz)
{
	struct resume_ctx	 ctx;
	struct lw_lines		 ls;
	struct lw_record	 rec;
	char			*buf, *nl;
	uint64_t		 at;
	ssize_t			 n;
	size_t			 off;
	int			 rc = -1;

	memset(&ctx, 0, sizeof(ctx));
	buf = xmalloc(RESUME_CHUNK);
	ctx.rep = rep;
	ctx.as = lw_asm_new(LW_ASM_RECORD_BYTES, LW_ASM_RECORD_LINES);
	lw_lines_init(&ls, line_max, from);
	for (at = from; at < to; at += (uint64_t)n) {
		size_t want = to - at < RESUME_CHUNK ? (size_t)(to - at) :
		    RESUME_CHUNK;

		n = pread(fd, buf, want, (off_t)at);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			snprintf(err, errsz, "%s: %s", path, n == 0 ?
			    "shorter than expected" : strerror(errno));
			goto out;
		}
		off = 0;
		if (skip_first) {
			if ((nl = memchr(buf, '\n', (size_t)n)) == NULL)
				continue;
			skip_first = 0;
			off = (size_t)(nl + 1 - buf);
		}
		lw_lines_feed(&ls, buf + off, (size_t)n - off, resume_line,
		    &ctx);
	}
	/* Only whole lines: the live reading takes over at `to`. */
	if (lw_asm_flush(ctx.as, &rec)) {
		lw_report_add(rep, &rec);
		ctx.records++;
	}
	*records = ctx.records;
	rc = 0;
out:
	lw_lines_free(&ls);
	lw_asm_free(ctx.as);
	free(buf);
	return rc;
}

int
reports_resume(struct lw_daemon *d, const struct reports_ckpt *c,
    struct lw_report *rep, char *err, size_t errsz)
{
	struct stat		 st;
	uint64_t		 dev, ino, to, records;
	int			 fd = -1, rc = -1;

	if (!reports_position(d, &dev, &ino, &to)) {
		snprintf(err, errsz, "no saved position");
		return -1;
	}
	if (dev != c->dev || ino != c->ino || to < c->off) {
		snprintf(err, errsz, "the log was rotated or replaced since");
		return -1;
	}
	if (to - c->off > RESUME_MAX_BYTES) {
		snprintf(err, errsz, "%llu MiB to read again, more than %llu",
		    (unsigned long long)((to - c->off) >> 20),
		    RESUME_MAX_BYTES >> 20);
		return -1;
	}
	if ((fd = open(d->cfg->source.path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", d->cfg->source.path,
		    strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_dev != c->dev || (uint64_t)st.st_ino != c->ino ||
	    (uint64_t)st.st_size < to) {
		snprintf(err, errsz, "the log was rotated or replaced since");
		goto out;
	}
	if (read_range(fd, d->cfg->source.path, c->off, to, 0,
	    d->cfg->source.max_line_bytes, rep, &records, err, errsz) == -1)
		goto out;
	log_info("reports: read %llu records (%llu KiB) again for the period "
	    "begun before the restart", (unsigned long long)records,
	    (unsigned long long)((to - c->off) >> 10));
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

int
reports_read_tail(struct lw_daemon *d, uint64_t max, struct lw_report *rep,
    uint64_t *bytes, char *err, size_t errsz)
{
	struct stat	st;
	uint64_t	from, records;
	char		c;
	int		fd, rc = -1, skip;

	if ((fd = open(d->cfg->source.path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", d->cfg->source.path,
		    strerror(errno));
		goto out;
	}
	from = (uint64_t)st.st_size > max ? (uint64_t)st.st_size - max : 0;
	*bytes = (uint64_t)st.st_size - from;
	/* Begun inside a line: its tail is left out, a whole line not. */
	skip = from > 0 && (pread(fd, &c, 1, (off_t)(from - 1)) != 1 ||
	    c != '\n');
	rc = read_range(fd, d->cfg->source.path, from, (uint64_t)st.st_size,
	    skip, d->cfg->source.max_line_bytes, rep, &records, err, errsz);
out:
	if (fd != -1)
		close(fd);
	return rc;
}
