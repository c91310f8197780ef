/*
 * llm_prompt: the summary of a window that is sent to the LLM, built to
 * fit a token budget (llm.max_prompt_tokens).
 *
 * Rather than the last N lines, the prompt carries what matters, in this
 * order of priority when space is short:
 *   1. the window's counters, the reason for the call and the local rules
 *      that fired (newest kept);
 *   2. every error/warning template with its counts, first/last sighting,
 *      an earlier verdict and one example line: the template the trigger
 *      is about first, then the busiest; examples are shortened, then
 *      dropped, before any template is;
 *   3. metric statistics;
 *   4. the most recent ring-buffer lines, each cut to a few hundred
 *      bytes, the newest kept.
 * The order is strict: once something was left out, nothing that ranks
 * below it is sent, even if a small piece would still fit.
 *
 * Every string that came from the log (templates, examples, lines, rule
 * titles, the trigger, earlier verdicts) is redacted with lw_redact,
 * repaired to valid UTF-8 with control bytes escaped, and written on a
 * line of its own that starts with a tag of ours ("LINE| ...") inside one
 * block fenced by "<<<LOGDATA-<nonce>" and ">>>END-LOGDATA-<nonce>".
 * A log line can therefore never start a line of the prompt, and any
 * copy of the nonce in log text is replaced, so the fence cannot be
 * closed from inside.  The system message says that the block is
 * untrusted data.
 */
#ifndef LW_LLM_PROMPT_H
#define LW_LLM_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "level.h"
#include "redact.h"

/* Budgets outside [MIN, MAX] are clamped; below MIN a prompt can hold
 * little more than the instructions. */
#define LW_LLM_MIN_TOKENS	200
#define LW_LLM_MAX_TOKENS	1000000
/* Tokens a chat API adds around two messages (role markers, priming). */
#define LW_LLM_MSG_OVERHEAD	12
/* Inputs beyond these counts are ignored (and counted as left out). */
#define LW_LLM_MAX_TMPLS	2000
#define LW_LLM_MAX_RECENT	5000
#define LW_LLM_MAX_FIRED	20
#define LW_LLM_MAX_METRICS	64
/* Byte caps for one log-derived string, after redaction. */
#define LW_LLM_TMPL_BYTES	400
#define LW_LLM_EXAMPLE_BYTES	400	/* shortened to LW_LLM_EXAMPLE_SHORT */
#define LW_LLM_EXAMPLE_SHORT	120
#define LW_LLM_LINE_BYTES	400
#define LW_LLM_TEXT_BYTES	300	/* trigger, rule title, verdict */

struct lw_llm_tmpl {
	uint64_t	 id;
	const char	*text;		/* the template, "<*>" for variables */
	int		 level;		/* enum lw_level */
	uint64_t	 count;		/* in the window */
	uint64_t	 total;		/* ever (state DB); 0: unknown */
	int64_t		 first_ms;	/* first sighting ever, 0: unknown */
	int64_t		 last_ms;	/* last sighting, 0: unknown */
	const char	*example;	/* one raw log line, may be NULL */
	const char	*verdict;	/* an earlier verdict's issue, or NULL */
};

struct lw_llm_metric {
	const char	*name;		/* from the config */
	size_t		 n;		/* samples in the window */
	double		 avg, max, p95;
};

struct lw_llm_fired {
	const char	*rule;		/* "errors", "repeat", "metric:lat" */
	const char	*title;		/* the alert's title; log-derived */
	int64_t		 time_ms;	/* wall clock */
};

/*
 * What the caller knows about the window.  Nothing is copied or kept:
 * every pointer need only stay valid during lw_llm_build.
 */
struct lw_llm_input {
	const char	*host, *log;	/* NULL: left out */
	int64_t		 now_ms;	/* wall clock; ages are relative to it */
	unsigned	 window;	/* seconds */
	uint64_t	 lines;		/* records in the window */
	uint64_t	 per_level[LW_LVL_COUNT];
	const struct lw_llm_tmpl *tmpls;	/* busiest first */
	size_t		 ntmpls;
	const struct lw_llm_metric *metrics;
	size_t		 nmetrics;
	const struct lw_llm_fired *fired;	/* oldest first */
	size_t		 nfired;
	const char *const *recent;	/* ring lines, oldest first */
	size_t		 nrecent;
	const char	*trigger;	/* NULL: periodic; else why we ask now */
	uint64_t	 trigger_tmpl;	/* template the trigger is about, 0 */
	uint64_t	 nonce;		/* fence nonce; 0: a random one */
};

/*
 * The two messages.  Ownership: the prompt owns both buffers; release
 * them with lw_llm_prompt_free.  tokens is the estimate for both messages
 * with LW_LLM_MSG_OVERHEAD, never above the budget; the counts tell what
 * was left out.  fence is the marker the data block uses.
 */
struct lw_llm_prompt {
	struct buf	 system, user;
	size_t		 tokens;
	size_t		 tmpls_in, tmpls_out;	/* given, shown */
	size_t		 examples_out;		/* examples shown (any length) */
	size_t		 lines_in, lines_out;
	size_t		 fired_in, fired_out;
	size_t		 metrics_out;
	char		 fence[32];		/* "LOGDATA-<16 hex>" */
};

/*
 * Builds the prompt for in within max_tokens (clamped to
 * [LW_LLM_MIN_TOKENS, LW_LLM_MAX_TOKENS]).  r may be NULL (built-in
 * redaction rules only).  out need not be initialised; on return it
 * always is, and must be freed.  Returns 0, or -1 when even the
 * instructions and counters do not fit (out is then empty).
 */
int	 lw_llm_build(const struct lw_llm_input *in,
	    const struct lw_redactor *r, unsigned max_tokens,
	    struct lw_llm_prompt *out);
void	 lw_llm_prompt_free(struct lw_llm_prompt *);	/* accepts NULL */

/*
 * The token estimate, meant to err high on log text, which tokenizes far
 * worse than prose: numbers, ids and punctuation split into many tokens.
 * Counted per character class: a run of letters is 1 token per 6
 * letters (started), a run of digits 1 per 3, a run of punctuation 1 per
 * 2, a line break, tab or control byte 1, a space 0 (it merges with the
 * next word), a 2-byte UTF-8 character 1, a 3- or 4-byte one 2, an
 * invalid byte 1.  A lower-to-upper case change (camelCase, random ids)
 * starts a new run.  The estimate of a concatenation never exceeds the
 * sum of the parts', so pieces can be budgeted one by one.
 */
size_t	 lw_llm_tokens(const char *s, size_t len);

#endif
