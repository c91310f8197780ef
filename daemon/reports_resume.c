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

int
reports_resume(struct lw_daemon *d, const struct reports_ckpt *c,
    struct lw_report *rep, char *err, size_t errsz)
{
	struct resume_ctx	 ctx;
	struct lw_lines		 ls;
	struct lw_record	 rec;
	struct stat		 st;
	uint64_t		 dev, ino, to, at;
	char			*buf = NULL;
	ssize_t			 n;
	int			 fd = -1, rc = -1;

	memset(&ctx, 0, sizeof(ctx));
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
	buf = xmalloc(RESUME_CHUNK);
	ctx.rep = rep;
	ctx.as = lw_asm_new(LW_ASM_RECORD_BYTES, LW_ASM_RECORD_LINES);
	lw_lines_init(&ls, d->cfg->source.max_line_bytes, c->off);
	for (at = c->off; at < to; at += (uint64_t)n) {
		size_t want = to - at < RESUME_CHUNK ? (size_t)(to - at) :
		    RESUME_CHUNK;

		n = pread(fd, buf, want, (off_t)at);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			snprintf(err, errsz, "%s: %s", d->cfg->source.path,
			    n == 0 ? "shorter than expected" :
			    strerror(errno));
			lw_lines_free(&ls);
			goto out;
		}
		lw_lines_feed(&ls, buf, (size_t)n, resume_line, &ctx);
	}
	/* Only whole lines: the live reading takes over at `to`. */
	lw_lines_free(&ls);
	if (lw_asm_flush(ctx.as, &rec)) {
		lw_report_add(rep, &rec);
		ctx.records++;
	}
	log_info("reports: read %llu records (%llu KiB) again for the period "
	    "begun before the restart", (unsigned long long)ctx.records,
	    (unsigned long long)((to - c->off) >> 10));
	rc = 0;
out:
	lw_asm_free(ctx.as);
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}
