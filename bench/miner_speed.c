/*
 * lw-miner-speed: the template miner from the command line.
 *
 *   lw-miner-speed --raw            one message per stdin line, prints its
 *                                   template (what loghub_eval.py feeds on)
 *   lw-miner-speed --extract        one log line per stdin line; prints the
 *                                   message part (lw_parse_line) of every
 *                                   record header, skips other lines: the
 *                                   miner's real input, for --bench
 *   lw-miner-speed --bench FILE [--cap N] [--cluster]
 *                                   times lw_mask + lw_tmpl_id + store touch
 *                                   over every line of FILE, 5 runs, median;
 *                                   with --cluster, lw_mask + lw_cluster_add
 *                                   (the clustering stage, cap N groups)
 *                                   + store touch of the group's stable id
 *
 * Kept apart from the daemon so that the masking can be measured and
 * scored before the `templates` command exists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "miner.h"
#include "parse.h"
#include "xmalloc.h"

#define LINE_MAX_BYTES	(1u << 20)	/* longer lines are cut */
#define FILE_MAX_BYTES	(1ul << 30)	/* --bench reads at most this */
#define RUNS		5

static void
usage(void)
{
	fprintf(stderr, "usage: lw-miner-speed --raw | --extract\n"
	    "       lw-miner-speed --bench FILE [--cap N] [--cluster]\n");
	exit(2);
}

/* Strips the line end, CRLF included. */
static size_t
chomp(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

static int
raw(void)
{
	char	*line, tmpl[LW_TMPL_BUFSZ];
	size_t	 n, tl;
	int	 c, rc = 1;

	line = xmalloc(LINE_MAX_BYTES);
	for (;;) {
		n = 0;
		while ((c = getchar()) != EOF && c != '\n')
			if (n < LINE_MAX_BYTES)
				line[n++] = (char)c;
		if (c == EOF && n == 0)
			break;
		tl = lw_mask(line, chomp(line, n), tmpl, sizeof(tmpl));
		fwrite(tmpl, 1, tl, stdout);
		putchar('\n');
		if (c == EOF)
			break;
	}
	if (ferror(stdin) || fflush(stdout) != 0) {
		perror("lw-miner-speed");
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/*
 * Header lines' messages, one per line: what the daemon hands the miner
 * (it mines only warning-or-worse records; the bench times every record
 * so that the figure does not depend on the level mix).
 */
static int
extract(void)
{
	struct lw_parser	*ps;
	struct lw_parsed	 pl;
	char			*line;
	size_t			 n;
	int			 c, rc = 1;

	ps = lw_parser_new();
	line = xmalloc(LINE_MAX_BYTES);
	for (;;) {
		n = 0;
		while ((c = getchar()) != EOF && c != '\n')
			if (n < LINE_MAX_BYTES)
				line[n++] = (char)c;
		if (c == EOF && n == 0)
			break;
		lw_parse_line(ps, line, n, &pl);
		if (pl.is_header) {
			fwrite(pl.message.p, 1, pl.message.len, stdout);
			putchar('\n');
		}
		if (c == EOF)
			break;
	}
	if (ferror(stdin) || fflush(stdout) != 0) {
		perror("lw-miner-speed");
		goto out;
	}
	rc = 0;
out:
	free(line);
	lw_parser_free(ps);
	return rc;
}

/* Reads all of path into *buf; 0 or -1 with the reason on stderr. */
static int
slurp(const char *path, char **buf, size_t *len)
{
	FILE	*f;
	char	*p = NULL;
	size_t	 cap = 0, n = 0, r;
	int	 rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= FILE_MAX_BYTES) {
				fprintf(stderr, "%s: larger than %lu bytes\n",
				    path, FILE_MAX_BYTES);
				goto out;
			}
			cap = cap == 0 ? 1 << 20 : cap * 2;
			p = xreallocarray(p, cap, 1);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	fclose(f);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench(const char *path, size_t cap, int cluster)
{
	struct lw_tmpl_store	*ts = NULL;
	struct lw_cluster	*cl = NULL;
	const char		*ct;
	size_t			 ctl, ngroups = 0;
	uint64_t		 merges = 0;
	char			*data = NULL, tmpl[LW_TMPL_BUFSZ];
	size_t			 len, off, n, tl, lines = 0, ntmpl = 0;
	double			 secs[RUNS], t0;
	uint64_t		 sink = 0, ev = 0;
	const char		*nl;
	int			 run, is_new;

	if (slurp(path, &data, &len) == -1)
		return 1;
	for (run = 0; run < RUNS; run++) {
		ts = lw_tmpl_store_new(cap);
		cl = cluster ? lw_cluster_new(cap) : NULL;
		lines = 0;
		t0 = now_s();
		for (off = 0; off < len; off += n + 1) {
			nl = memchr(data + off, '\n', len - off);
			n = nl == NULL ? len - off : (size_t)(nl - (data + off));
			tl = lw_mask(data + off, chomp(data + off, n), tmpl,
			    sizeof(tmpl));
			if (cl != NULL)
				lw_tmpl_store_touch(ts, lw_cluster_add(cl, tmpl,
				    tl, &ct, &ctl), ct, ctl, (int64_t)lines, 5,
				    &is_new);
			else
				lw_tmpl_store_touch(ts, lw_tmpl_id(tmpl, tl),
				    tmpl, tl, (int64_t)lines, 5, &is_new);
			sink += (uint64_t)is_new;
			lines++;
		}
		secs[run] = now_s() - t0;
		ntmpl = lw_tmpl_store_count(ts);
		ev = lw_tmpl_store_evictions(ts);
		ngroups = lw_cluster_count(cl);
		merges = lw_cluster_merges(cl);
		lw_tmpl_store_free(ts);
		lw_cluster_free(cl);
	}
	qsort(secs, RUNS, sizeof(secs[0]), cmp_double);
	printf("file %s: %zu lines, %zu bytes, %zu templates in store "
	    "(cap %zu, %llu evictions, %llu first sightings)\n", path, lines,
	    len, ntmpl, cap, (unsigned long long)ev,
	    (unsigned long long)(sink / RUNS));
	if (cluster)
		printf("clustering: %zu groups, %llu merges\n", ngroups,
		    (unsigned long long)merges);
	printf("median of %d runs: %.3f s, %.0f messages/s, %.1f MB/s, "
	    "%.0f ns/message\n", RUNS, secs[RUNS / 2],
	    (double)lines / secs[RUNS / 2],
	    (double)len / secs[RUNS / 2] / 1e6,
	    secs[RUNS / 2] * 1e9 / (double)(lines ? lines : 1));
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*errstr = NULL;
	char		*end;
	unsigned long	 cap = 10000;
	int		 cluster = 0;

	if (argc == 2 && strcmp(argv[1], "--raw") == 0)
		return raw();
	if (argc == 2 && strcmp(argv[1], "--extract") == 0)
		return extract();
	if (argc >= 4 && strcmp(argv[argc - 1], "--cluster") == 0) {
		cluster = 1;
		argc--;
	}
	if (argc != 3 && argc != 5)
		usage();
	if (strcmp(argv[1], "--bench") != 0)
		usage();
	if (argc == 5) {
		if (strcmp(argv[3], "--cap") != 0)
			usage();
		errno = 0;
		cap = strtoul(argv[4], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[4] || cap == 0 ||
		    cap > LW_TMPL_STORE_LIMIT)
			errstr = "invalid --cap";
	}
	if (errstr != NULL) {
		fprintf(stderr, "lw-miner-speed: %s\n", errstr);
		return 2;
	}
	return bench(argv[2], (size_t)cap, cluster);
}
