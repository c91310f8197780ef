/*
 * search: the state of one `logwarden search`, shared by cmd_search.c
 * (options, the two passes over the files, --llm) and search_out.c (the
 * timeline's output: text or JSON, streamed or merged).
 */
#ifndef LW_SEARCH_H
#define LW_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "ids.h"
#include "match.h"
#include "parse.h"
#include "redact.h"
#include "tlmerge.h"
#include "tlprompt.h"

#define SEARCH_LINE_MAX		(64 * 1024)	/* shown; longer lines are cut */
#define SEARCH_BLOCK		(1024 * 1024)	/* read and searched at once */
#define SEARCH_MAX_MATCHES	1000
#define SEARCH_MAX_IDS		32
#define SEARCH_MAX_OUT		2000		/* lines in the timeline */
#define SEARCH_OUT_BYTES	(SEARCH_LINE_MAX * 4 + 4096)	/* escaped */
#define SEARCH_LLM_LINE		500		/* bytes of a line in the prompt */
#define SEARCH_TIME_BACK	64		/* lines looked back for a time */
/*
 * The merged timeline of several files: at most SEARCH_MAX_OUT lines in
 * SEARCH_MERGE_BYTES (renderings and, for --llm, redacted lines of at
 * most SEARCH_LLM_RAW bytes).  A line that does not fit is kept cut to
 * SEARCH_SHORT_LINE bytes of log (SEARCH_SHORT_RAW for --llm), which
 * stays within SEARCH_MERGE_SMALL: 2752 bytes of text or about 4 KiB of
 * JSON at worst, every byte escaped.
 */
#define SEARCH_MERGE_BYTES	(64 * 1024 * 1024)
#define SEARCH_MERGE_SMALL	(8 * 1024)
#define SEARCH_SHORT_LINE	512
#define SEARCH_SHORT_RAW	1024
#define SEARCH_LLM_RAW		(4 * 1024)

/* What a merged line went through, counted when it is printed. */
#define MERGE_CUT		0x1		/* at SEARCH_LINE_MAX */
#define MERGE_SHORT		0x2		/* at SEARCH_SHORT_LINE */

#define COLOR_MATCH		"\033[1;31m"
#define COLOR_ID		"\033[1;36m"
#define COLOR_OFF		"\033[0m"

struct match {
	uint64_t	idx;		/* global line number */
	int64_t		t;		/* log time, ms; INT64_MIN unknown */
};

struct search {
	struct lw_match	*mt;
	const char	*query;
	int		 regex, json, color, llm;
	unsigned	 context;
	int64_t		 window_ms;
	char		**files;
	int		 nfiles;
	uint64_t	*flines;	/* lines per file (pass 1) */
	int		 fi;		/* file being read */
	uint64_t	 fbase;		/* idx of its first line */
	uint64_t	 idx;		/* next line's global number */
	struct match	 m[SEARCH_MAX_MATCHES];
	size_t		 nm;
	uint64_t	 nfound;	/* matching lines, also past the cap */
	int		 capped;
	int64_t		*mtimes;	/* the matches' known times, sorted */
	size_t		 nmtimes;
	size_t		 cursor;	/* first match not yet behind us */
	char		 ids[SEARCH_MAX_IDS][LW_ID_LEN];
	size_t		 nids;
	size_t		 idhit[SEARCH_MAX_IDS];	/* next copy in the block */
	struct lw_parser *parser;
	int64_t		 last_t;
	int64_t		*ftime;		/* first log times; INT64_MAX none */
	int64_t		 last_key;	/* time of its last timeline line */
	uint64_t	 out;		/* timeline lines, also past the cap */
	uint64_t	 printed;	/* of them */
	uint64_t	 cut;		/* of them, cut at SEARCH_LINE_MAX */
	uint64_t	 shortened;	/* of them, cut for SEARCH_MERGE_BYTES */
	struct buf	 line;		/* one escaped line */
	struct buf	 redl;		/* one redacted line (--llm, merged) */
	char		**jfile;	/* --json: "file":"name", per file */
	struct lw_tlmerge *merge;	/* several files: the timeline */
	struct lw_config *cfg;		/* --llm */
	struct lw_redactor *red;
	struct lw_tlprompt *tlp;	/* the timeline kept for the prompt */
};

/* What pass 1 or pass 2 does with a block of whole lines of file fi. */
typedef void (*block_fn)(struct search *, const char *, size_t);

/* cmd_search.c */
/* The log time of the timeline line b[ls..le): its own, else its
 * record's (looked back for), else INT64_MIN. */
int64_t	cmd_search_time_back(struct search *, const char *b, size_t ls,
	    size_t le);
/* The parts of line to highlight: the matches of a match ('>'), the
 * shared identifiers of a related line ('~'); their number. */
size_t	cmd_search_line_spans(struct search *, char why, const char *line,
	    size_t len, struct lw_match_span *sp);

/* search_out.c */
/* One timeline line b[ls..le) of kind why at log time t: printed now,
 * or kept for the merge when there are several files. */
void	search_out_line(struct search *, char why, const char *b, size_t ls,
	    size_t le, int64_t t);
/* The merged timeline, in time order, once every file was read. */
void	search_out_merged(struct search *);
void	search_out_head(struct search *);
void	search_out_tail(struct search *, int asked, const char *answer);
/* The caps that were hit, on stderr. */
void	search_out_caps(struct search *);
/* "file":"name" of --json, the name repaired to UTF-8; caller frees. */
char	*search_out_json_file(const char *name);

#endif
