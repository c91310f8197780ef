/*
 * llm_verdict: what the model answered, read from the text of its reply
 * (SPEC "What the LLM must answer").  Two forms are accepted:
 *
 *   JSON  {"status":"normal"} or {"status":"alert","severity":"critical",
 *         "issue":"...","impact":"...","action":"..."}: the first JSON
 *         object that has a "status" (or holds one that has), wherever it
 *         sits: alone, in a ``` or ```json fence, after or before prose.
 *         Extra keys are ignored; key and value case does not matter.
 *   text  a line starting NORMAL, or ALERT: CRITICAL / ALERT: WARNING
 *         followed by Issue:, Impact: and Action: lines.  Markdown
 *         emphasis, bullets, headings and "Issue - ..." are tolerated;
 *         lines that follow a field without a key of their own continue
 *         it.
 *
 * A missing or unknown severity reads as warning.  Rejected: no object
 * with a status and no NORMAL/ALERT line, a status other than normal or
 * alert, empty text.  Only the first LW_VERDICT_MAX_INPUT bytes are
 * looked at; each field is cut to LW_VERDICT_FIELD_MAX bytes and is
 * valid UTF-8 (a model can emit anything).
 */
#ifndef LW_LLM_VERDICT_H
#define LW_LLM_VERDICT_H

#include <stddef.h>

#include "severity.h"

#define LW_VERDICT_MAX_INPUT	(64 * 1024)
#define LW_VERDICT_FIELD_MAX	2048
/* JSON objects tried before giving up on the JSON form. */
#define LW_VERDICT_MAX_OBJECTS	64

/*
 * Ownership: issue, impact and action belong to the verdict and are
 * released by lw_verdict_free.  For an alert they are never NULL (""
 * when the model gave none); for a normal verdict all three are NULL.
 */
struct lw_verdict {
	int		 alert;		/* 0: normal */
	enum lw_sev	 severity;	/* warning or critical when alert */
	char		*issue, *impact, *action;
};

/* Fills v (need not be initialised).  Returns 0, or -1 when the text
 * holds no verdict (v is then zeroed). */
int	 lw_llm_parse_verdict(const char *content, size_t len,
	    struct lw_verdict *v);
void	 lw_verdict_free(struct lw_verdict *);	/* accepts NULL */

#endif
