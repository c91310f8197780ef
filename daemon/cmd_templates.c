/*
 * cmd_templates: `logwarden templates [--raw]`: one template per stdin
 * line, in order.  Without --raw each line's header (time, level, logger)
 * is parsed off first and only the message is masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logwarden.h"
#include "miner.h"
#include "parse.h"

#define TEMPLATES_MAX_LINE	(1u << 20)	/* longer lines are cut */

int
cmd_templates(int raw)
{
	struct lw_parser	*p = raw ? NULL : lw_parser_new();
	struct lw_parsed	 pl;
	char			*line = NULL, out[LW_TMPL_BUFSZ];
	size_t			 cap = 0, len, tlen;
	ssize_t			 n;
	int			 rc = 0;

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
		out[tlen] = '\n';
		if (fwrite(out, 1, tlen + 1, stdout) != tlen + 1) {
			log_warn("stdout");
			rc = 1;
			break;
		}
	}
	if (ferror(stdin)) {
		log_warn("stdin");
		rc = 1;
	}
	if (fflush(stdout) == EOF) {
		log_warn("stdout");
		rc = 1;
	}
	free(line);
	lw_parser_free(p);
	return rc;
}
