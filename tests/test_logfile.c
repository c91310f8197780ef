/*
 * test_logfile: whole log files for the batch commands: the first
 * timestamp of plain and gzip files (and none, and a missing file), and
 * the block reader: whole lines only, an over-long line cut to the
 * buffer, a last line without '\n', a truncated .gz reported after its
 * good part.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <zlib.h>

#include "buf.h"
#include "logfile.h"
#include "lwtime.h"
#include "parse.h"

static char	dir[] = "/tmp/lw-test-logfile.XXXXXX";

static const char *
path(const char *name)
{
	static char	p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void
put(const char *name, const char *data, size_t len, int gz)
{
	FILE	*f;
	gzFile	 g;

	if (gz) {
		g = gzopen(path(name), "wb");
		assert_non_null(g);
		assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
		assert_int_equal(gzclose(g), Z_OK);
		return;
	}
	f = fopen(path(name), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static const char LOG[] =
    "no header here\n"
    "2025-03-20 09:15:20.000 [INFO] Exchange - first\n"
    "2025-03-20 09:15:21.000 [ERROR] Exchange - second\n";

static void
test_first_time(void **state)
{
	struct lw_parser	*p = lw_parser_new();
	int64_t			 ms = 0, want;
	char			 err[256];

	(void)state;
	want = lw_days_from_civil(2025, 3, 20) * 86400000LL +
	    (9 * 3600 + 15 * 60 + 20) * 1000LL;
	put("a.log", LOG, strlen(LOG), 0);
	put("a.log.1.gz", LOG, strlen(LOG), 1);
	put("none.log", "just text\nmore text\n", 20, 0);
	assert_int_equal(lw_logfile_first_time(p, path("a.log"), &ms, err,
	    sizeof(err)), 1);
	assert_true(ms == want);
	ms = 0;
	assert_int_equal(lw_logfile_first_time(p, path("a.log.1.gz"), &ms,
	    err, sizeof(err)), 1);
	assert_true(ms == want);
	assert_int_equal(lw_logfile_first_time(p, path("none.log"), &ms, err,
	    sizeof(err)), 0);
	assert_int_equal(lw_logfile_first_time(p, path("missing.log"), &ms,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "missing.log"));
	lw_parser_free(p);
}

struct got {
	struct buf	all;
	size_t		calls;
};

static void
on_block(const char *b, size_t len, void *arg)
{
	struct got	*g = arg;

	assert_true(len > 0);
	g->calls++;
	buf_add(&g->all, b, len);
	buf_addc(&g->all, '|');
}

static void
test_blocks(void **state)
{
	struct got	 g, h;
	struct buf	 in, want;
	char		 buf[64], err[256];
	int		 i;

	(void)state;
	buf_init(&in, 1 << 20);
	buf_init(&want, 1 << 20);
	for (i = 0; i < 20; i++)
		buf_addf(&in, "line %02d\n", i);
	/* 100 bytes: cut to the buffer's 64, the rest skipped. */
	for (i = 0; i < 100; i++)
		buf_addc(&in, 'L');
	buf_adds(&in, "\nafter the long one\nno newline at the end");
	put("b.log", in.data, in.len, 0);
	put("b.log.gz", in.data, in.len, 1);

	/* 8 lines of 8 bytes fill a block; the long line is a block of its
	 * own, cut; the last line comes alone, without its '\n'. */
	for (i = 0; i < 20; i++)
		buf_addf(&want, "line %02d\n%s", i, i % 8 == 7 || i == 19 ?
		    "|" : "");
	for (i = 0; i < 64; i++)
		buf_addc(&want, 'L');
	buf_adds(&want, "|after the long one\n|no newline at the end|");

	memset(&g, 0, sizeof(g));
	buf_init(&g.all, 1 << 20);
	assert_int_equal(lw_logfile_blocks(path("b.log"), buf, sizeof(buf),
	    on_block, &g, err, sizeof(err)), 0);
	assert_string_equal(buf_str(&g.all), buf_str(&want));

	/* The gzip file reads the same. */
	memset(&h, 0, sizeof(h));
	buf_init(&h.all, 1 << 20);
	assert_int_equal(lw_logfile_blocks(path("b.log.gz"), buf, sizeof(buf),
	    on_block, &h, err, sizeof(err)), 0);
	assert_string_equal(buf_str(&h.all), buf_str(&want));
	buf_free(&g.all);
	buf_free(&h.all);
	buf_free(&want);
	buf_free(&in);
}

static void
test_truncated_gz(void **state)
{
	struct got	 g;
	struct buf	 in;
	FILE		*f;
	long		 size;
	char		 buf[4096], err[256];
	int		 i;

	(void)state;
	buf_init(&in, 1 << 20);
	for (i = 0; i < 5000; i++)
		buf_addf(&in, "2025-03-20 09:00:00.000 [INFO] X - line %d\n", i);
	put("t.log.gz", in.data, in.len, 1);
	f = fopen(path("t.log.gz"), "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(truncate(path("t.log.gz"), size / 2), 0);

	memset(&g, 0, sizeof(g));
	buf_init(&g.all, 1 << 20);
	assert_int_equal(lw_logfile_blocks(path("t.log.gz"), buf, sizeof(buf),
	    on_block, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.log.gz"));
	/* What could be read was given first. */
	assert_non_null(strstr(buf_str(&g.all), "line 100\n"));
	assert_int_equal(lw_logfile_blocks(path("nope.gz"), buf, sizeof(buf),
	    on_block, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nope.gz"));
	buf_free(&g.all);
	buf_free(&in);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_time),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_truncated_gz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
