/*
 * llm: the OpenAI chat-completions wire format, without the network.
 * lw_llm_request writes the request body for a prompt (llm_prompt.h);
 * lw_llm_parse_response reads a response body, success or error, as
 * OpenAI, Ollama, llama.cpp and vLLM send them.  The verdict inside the
 * answer's text is read by llm_verdict.h.  Including this header is
 * enough for all three.
 */
#ifndef LW_LLM_H
#define LW_LLM_H

#include <stddef.h>

#include "buf.h"
#include "llm_prompt.h"
#include "llm_verdict.h"

/* Tokens the model may spend on its answer (a verdict is short). */
#define LW_LLM_ANSWER_TOKENS	400
/* Longest content kept from a response; longer is cut. */
#define LW_LLM_CONTENT_MAX	(64 * 1024)
/* Response bodies longer than this are not parsed. */
#define LW_LLM_RESPONSE_MAX	(4 * 1024 * 1024)

/*
 * Appends the request body to out: model, messages [system, user],
 * temperature 0, max_tokens LW_LLM_ANSWER_TOKENS and, when json_mode,
 * response_format {"type":"json_object"} (OpenAI's JSON mode; some
 * local servers reject it, hence the switch).  Returns 0, or -1 when
 * out's maximum was hit (out is then left as it was).
 */
int	 lw_llm_request(const char *model, const struct lw_llm_prompt *,
	    int json_mode, struct buf *out);

/*
 * A parsed response.  ok = 1: content holds choices[0].message.content
 * (cut to LW_LLM_CONTENT_MAX at a UTF-8 boundary).  ok = 0: err_* say
 * why, from the error object ({"error":{"message","type","code"}}, or
 * {"error":"text"} as Ollama writes it; a numeric code is printed), or a
 * reply without content (err_type "no_content", "refusal").  quota is
 * set for insufficient_quota (billing: retrying will not help), and
 * rate_limited for rate_limit_exceeded-like codes.  Token counts are -1
 * when the body has no usage.  Ownership: content belongs to the
 * response; lw_llm_response_free releases it.
 */
struct lw_llm_response {
	int		 ok;
	char		*content;
	long		 prompt_tokens, completion_tokens;
	char		 finish_reason[32];	/* "stop", "length", or "" */
	char		 err_type[64], err_code[64], err_message[256];
	int		 quota;
	int		 rate_limited;
};

/*
 * Fills r (need not be initialised).  Returns 0 when the body is a
 * chat completion or an error object (see ok), -1 when it is neither:
 * not JSON, too long, or of another shape; err_message then holds the
 * reason and the body's start, escaped.
 */
int	 lw_llm_parse_response(const char *body, size_t len,
	    struct lw_llm_response *r);
void	 lw_llm_response_free(struct lw_llm_response *);	/* NULL ok */

#endif
