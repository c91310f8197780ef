/*
 * tlprompt: the timeline prompt of `search --llm`, the lines of a search
 * timeline fitted to a token budget together with the four questions.
 *
 * The caller adds the timeline's lines as it prints them; each is kept
 * redacted, escaped and cut, with its token estimate, so nothing of the
 * raw log stays in memory.  Building then keeps lines by priority, the
 * matches first, then the lines nearest a match, ties to the earlier
 * line, strictly in that order until one does not fit, and writes the
 * kept ones back in timeline order between LOGDATA-BEGIN and
 * LOGDATA-END.  Every line of the data block starts with our mark ('>',
 * '~' or ' ') and a space, so a log line can never start a line of the
 * prompt.  Pure: no I/O, no config.
 */
#ifndef LW_TLPROMPT_H
#define LW_TLPROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "redact.h"

/* Bytes of a line that are looked at; the rest is ignored. */
#define LW_TLPROMPT_LINE_IN	(64 * 1024)

struct lw_tlprompt;

/*
 * A store for at most max_lines lines, each cut to line_bytes bytes of
 * escaped text (plus " [cut]").  r redacts lines and the query; it may
 * be NULL (built-in rules only) and must outlive the store, which
 * borrows it.  Caller frees with lw_tlprompt_free.
 */
struct lw_tlprompt *lw_tlprompt_new(const struct lw_redactor *r,
	    size_t max_lines, size_t line_bytes);
void	 lw_tlprompt_free(struct lw_tlprompt *);	/* accepts NULL */

/*
 * Adds timeline line number idx, marked mark ('>' a match, '~' shares
 * an identifier, ' ' context), dist lines from the nearest match (0 for
 * a match), text line[0..len) without its line break.  Lines come in
 * timeline order and are written back in the order they came.
 * Returns 0, or -1 when the store is full: the line is then only
 * counted, and shows as left out.  Nothing of line is kept.
 */
int	 lw_tlprompt_add(struct lw_tlprompt *, uint64_t idx, char mark,
	    uint64_t dist, const char *line, size_t len);

/*
 * The two messages.  system is static text; user is owned by the
 * caller (lw_tlprompt_msgs_free).  tokens is the estimate of both
 * messages with LW_LLM_MSG_OVERHEAD (llm_prompt.h), never above budget.
 */
struct lw_tlprompt_msgs {
	const char	*system;
	char		*user;
	size_t		 budget;	/* max_tokens after clamping */
	size_t		 tokens;
	uint64_t	 total;		/* lines added, also past the cap */
	uint64_t	 kept;		/* of them, in user */
};

/*
 * Builds the messages for the timeline around query (a regular
 * expression if regex, else a text) within max_tokens, clamped to
 * [LW_LLM_MIN_TOKENS, LW_LLM_MAX_TOKENS].  out need not be initialised;
 * on return it always is (budget and total set), and must be freed.
 * Returns 0, or -1 when the instructions alone do not fit the budget
 * (user is then NULL).
 */
int	 lw_tlprompt_build(const struct lw_tlprompt *, const char *query,
	    int regex, size_t max_tokens, struct lw_tlprompt_msgs *out);
void	 lw_tlprompt_msgs_free(struct lw_tlprompt_msgs *);	/* NULL ok */

#endif
