/*
 * lw-gen: writes a deterministic trading-bot log (lib/gen) for the
 * benchmark.  The count is of physical lines; the last record's
 * traceback may carry it a few lines past.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "gen.h"
#include "log.h"

#define GEN_FLUSH_AT	(1024 * 1024)	/* bytes gathered per write(2) */
#define GEN_BUF_MAX	(GEN_FLUSH_AT + 2 * LW_GEN_RECORD_MAX)
/* 2025-03-20 00:00:00 UTC: a fixed default keeps the output fixed. */
#define GEN_START_MS	1742428800000LL

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: lw-gen [-n LINES] [-s SEED] [-r LINES_PER_SEC] "
	    "[-t START_MS] [-o FILE]\n");
	exit(2);
}

/* strtoull with the whole string checked; -1 with errstr on failure. */
static int
gen_number(const char *s, uint64_t max, uint64_t *out, const char **errstr)
{
	char			*end;
	unsigned long long	 v;

	errno = 0;
	if (*s == '-' || *s == '\0') {
		*errstr = "invalid";
		return -1;
	}
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct lw_gen_opts	 o = { 1, GEN_START_MS, LW_GEN_DEFAULT_RATE };
	struct lw_gen		*g = NULL;
	struct buf		 b;
	const char		*path = NULL, *errstr;
	uint64_t		 lines = 1000000, done = 0, v;
	size_t			 got;
	int			 ch, fd = STDOUT_FILENO, rc = 1;

	log_init("lw-gen", 0);
	buf_init(&b, GEN_BUF_MAX);
	while ((ch = getopt(argc, argv, "n:o:r:s:t:")) != -1) {
		switch (ch) {
		case 'n':
			if (gen_number(optarg, UINT64_MAX / 2, &lines,
			    &errstr) == -1) {
				log_warnx("-n %s: %s", optarg, errstr);
				usage();
			}
			break;
		case 'o':
			path = optarg;
			break;
		case 'r':
			if (gen_number(optarg, (uint64_t)LW_GEN_MAX_RATE, &v,
			    &errstr) == -1) {
				log_warnx("-r %s: %s", optarg, errstr);
				usage();
			}
			if (v == 0) {
				log_warnx("-r %s: must be positive", optarg);
				usage();
			}
			o.lines_per_sec = (double)v;
			break;
		case 's':
			if (gen_number(optarg, UINT64_MAX, &o.seed,
			    &errstr) == -1) {
				log_warnx("-s %s: %s", optarg, errstr);
				usage();
			}
			break;
		case 't':
			if (gen_number(optarg, LW_GEN_MAX_MS, &v,
			    &errstr) == -1) {
				log_warnx("-t %s: %s", optarg, errstr);
				usage();
			}
			o.start_ms = (int64_t)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		log_warn("%s", path);
		goto out;
	}
	g = lw_gen_new(&o);
	while (done < lines) {
		if ((got = lw_gen_next(g, &b, -1)) == 0) {
			/* The buffer always has room for a record. */
			log_warnx("generator record did not fit");
			goto out;
		}
		done += got;
		if (b.len >= GEN_FLUSH_AT) {
			if (lw_write_all(fd, b.data, b.len) == -1) {
				log_warn("write %s", path ? path : "stdout");
				goto out;
			}
			buf_reset(&b);
		}
	}
	if (b.len > 0 && lw_write_all(fd, b.data, b.len) == -1) {
		log_warn("write %s", path ? path : "stdout");
		goto out;
	}
	rc = 0;
out:
	/* close() reports delayed write errors, on NFS for one. */
	if (fd != STDOUT_FILENO && fd != -1 && close(fd) == -1 && rc == 0) {
		log_warn("close %s", path);
		rc = 1;
	}
	lw_gen_free(g);
	buf_free(&b);
	return rc;
}
