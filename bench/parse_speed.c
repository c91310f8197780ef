/*
 * lw-parse-speed: nanoseconds per line for the parser on typical header
 * and continuation lines and, when a bot log is given, lines per second
 * through the record assembler over that file (read whole, repeated).
 *
 *   lw-parse-speed [-n iterations] [file]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "record.h"
#include "xmalloc.h"

#define MAX_FILE	(64u << 20)	/* bench input is read whole */

static const struct {
	const char	*name;
	const char	*line;
} samples[] = {
	{ "seed", "2025-03-20 09:15:23.145 [ERROR] Exchange - Order "
	    "placement failed: Insufficient funds" },
	{ "freqtrade", "2023-03-18 01:35:37,004 - freqtrade.strategy."
	    "interface - WARNING - Outdated history for pair BTC/USDT. Last "
	    "tick is 35 minutes old" },
	{ "hummingbot", "2022-11-09 05:57:19,259 - 8631 - hummingbot."
	    "connector.client_order_tracker - INFO - Created LIMIT_MAKER SELL "
	    "order SEGBC5ed03545394b63702cf33c8a169b70e1bda for 599979.7803 "
	    "EDG-BTC." },
	{ "octobot", "2021-12-27 20:50:33 WARNING WebSocketClient - binance "
	    "connection_handler.py:47       BINANCE.ws.8: received no messages "
	    "within timeout, restarting connection" },
	{ "nautilus", "2024-02-03T04:05:06.789123456Z [WRN] TRADER-001."
	    "ExecEngine: reconnecting" },
	{ "frame", "  File \"/freqtrade/freqtrade/worker.py\", line 35, in "
	    "__init__" },
	{ "exception", "socket.gaierror: [Errno -3] Temporary failure in "
	    "name resolution" },
	{ "blank", "" },
};

static double
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*data = NULL;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	data = xmalloc(MAX_FILE);
	n = fread(data, 1, MAX_FILE, f);
	fclose(f);
	*len = n;
	return data;
}

int
main(int argc, char **argv)
{
	struct lw_parser	*p;
	struct lw_parsed	 out;
	struct lw_asm		*a;
	struct lw_record	 rec;
	const char		*path = NULL;
	char			*data, *s, *e, *nl;
	size_t			 i, len, nlines, nrec;
	long			 iters = 2000000, k, reps;
	double			 t0, t1;
	volatile size_t		 sink = 0;
	int			 ch;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n')
			goto usage;
		iters = strtol(optarg, NULL, 10);
		if (iters <= 0)
			goto usage;
	}
	if (optind < argc)
		path = argv[optind];

	p = lw_parser_new();
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		len = strlen(samples[i].line);
		t0 = now_ns();
		for (k = 0; k < iters; k++) {
			lw_parse_line(p, samples[i].line, len, &out);
			sink += out.message.len;
		}
		t1 = now_ns();
		printf("%-10s %-6s %6.1f ns/line\n", samples[i].name,
		    out.is_header ? "header" : "cont", (t1 - t0) / iters);
	}
	lw_parser_free(p);

	if (path == NULL)
		return sink == 0;
	if ((data = slurp(path, &len)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	a = lw_asm_new(64 * 1024, 1000);
	reps = iters / 2000 > 0 ? iters / 2000 : 1;
	nlines = nrec = 0;
	t0 = now_ns();
	for (k = 0; k < reps; k++) {
		for (s = data, e = data + len; s < e; s = nl + 1) {
			if ((nl = memchr(s, '\n', (size_t)(e - s))) == NULL)
				nl = e;
			nrec += (size_t)lw_asm_feed(a, s, (size_t)(nl - s), &rec);
			nlines++;
		}
	}
	nrec += (size_t)lw_asm_flush(a, &rec);
	t1 = now_ns();
	printf("assembler  %zu lines, %zu records: %.1f ns/line, %.2f M "
	    "lines/s\n", nlines, nrec, (t1 - t0) / (double)nlines,
	    (double)nlines / (t1 - t0) * 1e3);
	lw_asm_free(a);
	free(data);
	return sink == 0;
usage:
	fprintf(stderr, "usage: lw-parse-speed [-n iterations] [file]\n");
	return 2;
}
