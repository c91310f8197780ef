/*
 * cmd_templates: `logwarden templates [--raw]`: one template per stdin
 * line, in order.  Without --raw each line's header (time, level, logger)
 * is parsed off first and only the message is mined.
 *
 * Two passes, as SPEC allows: every line is masked and fed to the
 * clustering stage first, and only then is each line's group looked up,
 * so that a line gets the final template of its group, not the one the
 * group had when the line came in.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cluster.h"
#include "log.h"
#include "logwarden.h"
#include "miner.h"
#include "parse.h"
#include "xmalloc.h"

#define TEMPLATES_MAX_LINE	(1u << 20)	/* longer lines are cut */
#define TEMPLATES_MAX_BYTES	(1ul << 31)	/* masked text kept, in all */
#define TEMPLATES_MAX_LINES	(1ul << 27)
#define TEMPLATES_GROUPS	100000		/* clustering cap */

struct tline {
	size_t		 off;		/* masked text in the arena */
	size_t		 len;
};

int
cmd_templates(int raw)
{
	struct lw_parser	*p = raw ? NULL : lw_parser_new();
	struct lw_cluster	*cl = lw_cluster_new(TEMPLATES_GROUPS);
	struct lw_parsed	 pl;
	struct tline		*tl = NULL;
	struct buf		 arena;
	const char		*t, *base;
	char			*line = NULL, out[LW_TMPL_BUFSZ];
	size_t			 cap = 0, len, tlen, nl = 0, ncap = 0, i;
	ssize_t			 n;
	int			 rc = 1;

	buf_init(&arena, TEMPLATES_MAX_BYTES);
	while ((n = getline(&line, &cap, stdin)) != -1) {
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > TEMPLATES_MAX_LINE)
			len = TEMPLATES_MAX_LINE;
		if (raw)
			tlen = lw_mask(line, len, out, sizeof(out));
		else {
			lw_parse_line(p, line, len, &pl);
			tlen = lw_mask(pl.message.p, pl.message.len, out,
			    sizeof(out));
		}
		lw_cluster_add(cl, out, tlen, NULL, NULL);
		if (nl == ncap) {
			if (ncap >= TEMPLATES_MAX_LINES) {
				log_warnx("more than %lu lines",
				    TEMPLATES_MAX_LINES);
				goto out;
			}
			ncap = ncap == 0 ? 4096 : 2 * ncap;
			tl = xreallocarray(tl, ncap, sizeof(*tl));
		}
		tl[nl].off = arena.len;
		tl[nl].len = tlen;
		if (buf_add(&arena, out, tlen) == -1) {
			log_warnx("more than %lu bytes of templates",
			    TEMPLATES_MAX_BYTES);
			goto out;
		}
		nl++;
	}
	if (ferror(stdin)) {
		log_warn("stdin");
		goto out;
	}

	base = buf_str(&arena);
	for (i = 0; i < nl; i++) {
		/* An evicted group's lines keep their masked text. */
		if (lw_cluster_lookup(cl, base + tl[i].off, tl[i].len, NULL,
		    &t, &tlen) == -1) {
			t = base + tl[i].off;
			tlen = tl[i].len;
		}
		if (fwrite(t, 1, tlen, stdout) != tlen ||
		    putchar('\n') == EOF) {
			log_warn("stdout");
			goto out;
		}
	}
	if (fflush(stdout) == EOF) {
		log_warn("stdout");
		goto out;
	}
	rc = 0;
out:
	free(tl);
	buf_free(&arena);
	free(line);
	lw_cluster_free(cl);
	lw_parser_free(p);
	return rc;
}
