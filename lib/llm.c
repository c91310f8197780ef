/*
 * llm: the chat-completions request body and the reading of a response.
 * Only the fields we use are read; servers differ in the rest (Ollama and
 * llama.cpp omit usage, llama.cpp sends a numeric error code, Ollama a
 * bare error string), so every field is optional and typed on read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "llm.h"
#include "log.h"
#include "utf8.h"
#include "xmalloc.h"

/* Bytes of an unreadable body quoted in err_message. */
#define QUOTE_BYTES	120

static cJSON *
message(const char *role, const struct buf *content)
{
	cJSON	*m;

	if ((m = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(m, "role", role) == NULL ||
	    cJSON_AddStringToObject(m, "content", buf_str(content)) == NULL) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

int
lw_llm_request(const char *model, const struct lw_llm_prompt *p,
    int json_mode, struct buf *out)
{
	cJSON	*root = NULL, *msgs, *m, *fmt;
	char	*s = NULL;
	int	 rc = -1;

	/* cJSON fails only on allocation; that is fatal like xmalloc. */
	if ((root = cJSON_CreateObject()) == NULL)
		fatalx("%s: out of memory", __func__);
	if (cJSON_AddStringToObject(root, "model", model ? model : "") == NULL ||
	    (msgs = cJSON_AddArrayToObject(root, "messages")) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((m = message("system", &p->system)) == NULL ||
	    !cJSON_AddItemToArray(msgs, m))
		fatalx("%s: out of memory", __func__);
	if ((m = message("user", &p->user)) == NULL ||
	    !cJSON_AddItemToArray(msgs, m))
		fatalx("%s: out of memory", __func__);
	if (cJSON_AddNumberToObject(root, "temperature", 0) == NULL ||
	    cJSON_AddNumberToObject(root, "max_tokens",
	    LW_LLM_ANSWER_TOKENS) == NULL)
		fatalx("%s: out of memory", __func__);
	if (json_mode) {
		if ((fmt = cJSON_AddObjectToObject(root,
		    "response_format")) == NULL ||
		    cJSON_AddStringToObject(fmt, "type", "json_object") == NULL)
			fatalx("%s: out of memory", __func__);
	}
	if ((s = cJSON_PrintUnformatted(root)) == NULL)
		fatalx("%s: out of memory", __func__);
	if (buf_adds(out, s) == -1)
		goto out;
	rc = 0;
out:
	free(s);
	cJSON_Delete(root);
	return rc;
}

void
lw_llm_response_free(struct lw_llm_response *r)
{
	if (r == NULL)
		return;
	free(r->content);
	r->content = NULL;
}

/* Copies a JSON string or number into a fixed field, escaped. */
static void
copy_field(char *dst, size_t dstsz, const cJSON *it)
{
	struct buf	 b;
	const char	*s;
	size_t		 n;

	dst[0] = '\0';
	if (cJSON_IsNumber(it)) {
		snprintf(dst, dstsz, "%.0f", cJSON_GetNumberValue(it));
		return;
	}
	if (!cJSON_IsString(it) || (s = cJSON_GetStringValue(it)) == NULL)
		return;
	/* Error text comes from the network: escape it for our logs. */
	buf_init(&b, dstsz * 4);
	(void)lw_vis(&b, s, strnlen(s, dstsz * 2));
	n = lw_utf8_cut(buf_str(&b), b.len < dstsz - 1 ? b.len : dstsz - 1);
	memcpy(dst, buf_str(&b), n);
	dst[n] = '\0';
	buf_free(&b);
}

static long
usage_num(const cJSON *usage, const char *name)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(usage, name);
	double		 d;

	if (!cJSON_IsNumber(it))
		return -1;
	d = cJSON_GetNumberValue(it);
	if (d < 0 || d > 1e12)
		return -1;
	return (long)d;
}

/* Codes that mean "slow down", by provider. */
static int
is_rate_code(const char *s)
{
	return strcmp(s, "rate_limit_exceeded") == 0 ||
	    strcmp(s, "rate_limit_error") == 0 ||
	    strcmp(s, "tokens") == 0 || strcmp(s, "requests") == 0 ||
	    strcmp(s, "429") == 0;
}

static void
read_error(const cJSON *err, struct lw_llm_response *r)
{
	r->ok = 0;
	if (cJSON_IsString(err)) {
		copy_field(r->err_message, sizeof(r->err_message), err);
		return;
	}
	copy_field(r->err_message, sizeof(r->err_message),
	    cJSON_GetObjectItemCaseSensitive(err, "message"));
	copy_field(r->err_type, sizeof(r->err_type),
	    cJSON_GetObjectItemCaseSensitive(err, "type"));
	copy_field(r->err_code, sizeof(r->err_code),
	    cJSON_GetObjectItemCaseSensitive(err, "code"));
	r->quota = strcmp(r->err_code, "insufficient_quota") == 0 ||
	    strcmp(r->err_type, "insufficient_quota") == 0;
	r->rate_limited = !r->quota && (is_rate_code(r->err_code) ||
	    is_rate_code(r->err_type));
}

/* The body could not be read: say why, quoting its start. */
static void
unreadable(struct lw_llm_response *r, const char *why, const char *body,
    size_t len)
{
	struct buf	 b;

	buf_init(&b, QUOTE_BYTES * 4 + 1);
	(void)lw_vis(&b, body, len < QUOTE_BYTES ? len : QUOTE_BYTES);
	snprintf(r->err_message, sizeof(r->err_message), "%s: \"%s\"%s",
	    why, buf_str(&b), len > QUOTE_BYTES ? "..." : "");
	buf_free(&b);
}

int
lw_llm_parse_response(const char *body, size_t len,
    struct lw_llm_response *r)
{
	cJSON		*root = NULL;
	const cJSON	*err, *choices, *c0, *msg, *content, *fin, *usage;
	const char	*s;
	size_t		 n;
	int		 rc = -1;

	memset(r, 0, sizeof(*r));
	r->prompt_tokens = r->completion_tokens = -1;
	if (body == NULL || len == 0) {
		snprintf(r->err_message, sizeof(r->err_message), "empty body");
		goto out;
	}
	if (len > LW_LLM_RESPONSE_MAX) {
		snprintf(r->err_message, sizeof(r->err_message),
		    "body of %zu bytes is too long", len);
		goto out;
	}
	if ((root = cJSON_ParseWithLength(body, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		unreadable(r, "not a JSON object", body, len);
		goto out;
	}
	usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	if (cJSON_IsObject(usage)) {
		r->prompt_tokens = usage_num(usage, "prompt_tokens");
		r->completion_tokens = usage_num(usage, "completion_tokens");
	}
	err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (err != NULL && (cJSON_IsObject(err) || cJSON_IsString(err))) {
		read_error(err, r);
		rc = 0;
		goto out;
	}
	choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	if (!cJSON_IsArray(choices)) {
		unreadable(r, "neither choices nor error", body, len);
		goto out;
	}
	c0 = cJSON_GetArrayItem(choices, 0);
	msg = cJSON_GetObjectItemCaseSensitive(c0, "message");
	content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	fin = cJSON_GetObjectItemCaseSensitive(c0, "finish_reason");
	if (cJSON_IsString(fin))
		copy_field(r->finish_reason, sizeof(r->finish_reason), fin);
	rc = 0;
	if (!cJSON_IsString(content) ||
	    (s = cJSON_GetStringValue(content)) == NULL) {
		/* A refusal, a tool call, or no choice at all. */
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(msg,
		    "refusal"))) {
			snprintf(r->err_type, sizeof(r->err_type), "refusal");
			copy_field(r->err_message, sizeof(r->err_message),
			    cJSON_GetObjectItemCaseSensitive(msg, "refusal"));
		} else
			snprintf(r->err_type, sizeof(r->err_type),
			    "no_content");
		goto out;
	}
	n = strlen(s);
	if (n > LW_LLM_CONTENT_MAX)
		n = lw_utf8_cut(s, LW_LLM_CONTENT_MAX);
	r->content = xmemdup(s, n);
	r->ok = 1;
out:
	cJSON_Delete(root);
	return rc;
}
