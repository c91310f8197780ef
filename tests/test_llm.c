/*
 * test_llm: the chat-completions request body parses back with the right
 * model, messages and response_format; real response bodies are read:
 * OpenAI success with usage, 429 rate limit, 429 insufficient_quota, 401,
 * 500, Ollama's and llama.cpp's error shapes, a refusal, non-JSON.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include "llm.h"

static void
make_prompt(struct lw_llm_prompt *p)
{
	const char		*recent[] = { "line \"quoted\" \\ and \xc3\xa9",
	    "token=abcdefghijklmnop" };
	struct lw_llm_input	 in;

	memset(&in, 0, sizeof(in));
	in.window = 60;
	in.recent = recent;
	in.nrecent = 2;
	assert_int_equal(lw_llm_build(&in, NULL, 4000, p), 0);
}

static void
test_request(void **state)
{
	struct lw_llm_prompt	 p;
	struct buf		 out;
	cJSON			*j;
	const cJSON		*m;

	(void)state;
	make_prompt(&p);
	buf_init(&out, 1 << 20);
	assert_int_equal(lw_llm_request("gpt-4o-mini", &p, 1, &out), 0);
	assert_non_null(j = cJSON_Parse(out.data));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "model")), "gpt-4o-mini");
	m = cJSON_GetObjectItem(j, "messages");
	assert_int_equal(cJSON_GetArraySize(m), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(m, 0), "role")), "system");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(m, 0), "content")), p.system.data);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(m, 1), "role")), "user");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(m, 1), "content")), p.user.data);
	assert_non_null(strstr(p.user.data, "LINE| line \"quoted\" \\ and "
	    "\xc3\xa9\n"));
	assert_non_null(strstr(p.user.data, "token=" LW_REDACTED));
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j,
	    "temperature")) == 0);
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(j,
	    "max_tokens")) == LW_LLM_ANSWER_TOKENS);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "response_format"), "type")),
	    "json_object");
	cJSON_Delete(j);

	/* Without JSON mode (some local servers refuse it). */
	buf_reset(&out);
	assert_int_equal(lw_llm_request("llama3", &p, 0, &out), 0);
	assert_non_null(j = cJSON_Parse(out.data));
	assert_null(cJSON_GetObjectItem(j, "response_format"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "model")), "llama3");
	cJSON_Delete(j);
	buf_free(&out);

	/* Too small a buffer: -1, and what it held is untouched. */
	buf_init(&out, 100);
	assert_int_equal(buf_adds(&out, "keep"), 0);
	assert_int_equal(lw_llm_request("gpt-4o-mini", &p, 1, &out), -1);
	assert_string_equal(out.data, "keep");
	buf_free(&out);
	lw_llm_prompt_free(&p);
}

static void
parse(const char *body, struct lw_llm_response *r, int want)
{
	assert_int_equal(lw_llm_parse_response(body, strlen(body), r), want);
}

static void
test_success(void **state)
{
	struct lw_llm_response	 r;

	(void)state;
	parse("{\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":"
	    "\"chat.completion\",\"created\":1741569952,\"model\":"
	    "\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":"
	    "{\"role\":\"assistant\",\"content\":\"{\\\"status\\\":\\\"alert\\\","
	    "\\\"severity\\\":\\\"critical\\\",\\\"issue\\\":\\\"Orders "
	    "failing\\\"}\",\"refusal\":null,\"annotations\":[]},\"logprobs\":"
	    "null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
	    "1843,\"completion_tokens\":27,\"total_tokens\":1870,"
	    "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":"
	    "0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},"
	    "\"service_tier\":\"default\",\"system_fingerprint\":"
	    "\"fp_06737a9306\"}", &r, 0);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.content, "{\"status\":\"alert\",\"severity\":"
	    "\"critical\",\"issue\":\"Orders failing\"}");
	assert_int_equal(r.prompt_tokens, 1843);
	assert_int_equal(r.completion_tokens, 27);
	assert_string_equal(r.finish_reason, "stop");
	assert_int_equal(r.quota, 0);
	lw_llm_response_free(&r);
	assert_null(r.content);

	/* Ollama: no usage, extra fields. */
	parse("{\"id\":\"chatcmpl-5\",\"object\":\"chat.completion\",\"created\":"
	    "1,\"model\":\"llama3\",\"system_fingerprint\":\"fp_ollama\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"NORMAL\"},\"finish_reason\":\"stop\"}]}", &r, 0);
	assert_int_equal(r.ok, 1);
	assert_string_equal(r.content, "NORMAL");
	assert_int_equal(r.prompt_tokens, -1);
	assert_int_equal(r.completion_tokens, -1);
	lw_llm_response_free(&r);

	/* A refusal and an empty choice list are answers without content. */
	parse("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":null,\"refusal\":\"I can't help with that.\"},"
	    "\"finish_reason\":\"stop\"}]}", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_type, "refusal");
	assert_string_equal(r.err_message, "I can't help with that.");
	lw_llm_response_free(&r);
	parse("{\"choices\":[]}", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_type, "no_content");
	lw_llm_response_free(&r);
}

static void
test_errors(void **state)
{
	struct lw_llm_response	 r;

	(void)state;
	/* 429: too many tokens per minute */
	parse("{\"error\":{\"message\":\"Rate limit reached for gpt-4o-mini in "
	    "organization org-abc on tokens per min (TPM): Limit 200000, Used "
	    "199000, Requested 2000. Please try again in 300ms. Visit https://"
	    "platform.openai.com/account/rate-limits to learn more.\",\"type\":"
	    "\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}",
	    &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_code, "rate_limit_exceeded");
	assert_string_equal(r.err_type, "tokens");
	assert_int_equal(r.rate_limited, 1);
	assert_int_equal(r.quota, 0);
	assert_int_equal(strncmp(r.err_message, "Rate limit reached", 18), 0);
	lw_llm_response_free(&r);

	/* 429: out of credit, retrying will not help */
	parse("{\n    \"error\": {\n        \"message\": \"You exceeded your "
	    "current quota, please check your plan and billing details. For "
	    "more information on this error, read the docs: https://platform."
	    "openai.com/docs/guides/error-codes/api-errors.\",\n        "
	    "\"type\": \"insufficient_quota\",\n        \"param\": null,\n"
	    "        \"code\": \"insufficient_quota\"\n    }\n}\n", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_int_equal(r.quota, 1);
	assert_int_equal(r.rate_limited, 0);
	assert_string_equal(r.err_code, "insufficient_quota");
	lw_llm_response_free(&r);

	/* 401 */
	parse("{\"error\":{\"message\":\"Incorrect API key provided: sk-abc12"
	    "***************************xyz9. You can find your API key at "
	    "https://platform.openai.com/account/api-keys.\",\"type\":"
	    "\"invalid_request_error\",\"param\":null,\"code\":"
	    "\"invalid_api_key\"}}", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_code, "invalid_api_key");
	assert_string_equal(r.err_type, "invalid_request_error");
	assert_int_equal(r.quota + r.rate_limited, 0);
	lw_llm_response_free(&r);

	/* 500, code null */
	parse("{\"error\":{\"message\":\"The server had an error while "
	    "processing your request. Sorry about that!\",\"type\":"
	    "\"server_error\",\"param\":null,\"code\":null}}", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_type, "server_error");
	assert_string_equal(r.err_code, "");
	lw_llm_response_free(&r);

	/* Ollama: a bare string; llama.cpp: a numeric code */
	parse("{\"error\":\"model \\\"llama3\\\" not found, try pulling it "
	    "first\"}", &r, 0);
	assert_int_equal(r.ok, 0);
	assert_string_equal(r.err_message, "model \"llama3\" not found, try "
	    "pulling it first");
	lw_llm_response_free(&r);
	parse("{\"error\":{\"code\":503,\"message\":\"Loading model\","
	    "\"type\":\"unavailable_error\"}}", &r, 0);
	assert_string_equal(r.err_code, "503");
	assert_string_equal(r.err_type, "unavailable_error");
	lw_llm_response_free(&r);

	/* Control bytes in an error message are escaped for our logs. */
	parse("{\"error\":{\"message\":\"bad\\u001b[31m\\nthing\"}}", &r, 0);
	assert_string_equal(r.err_message, "bad\\x1b[31m\\x0athing");
	lw_llm_response_free(&r);
}

static void
test_unreadable(void **state)
{
	struct lw_llm_response	 r;

	(void)state;
	parse("fail\n", &r, -1);
	assert_int_equal(r.ok, 0);
	assert_non_null(strstr(r.err_message, "not a JSON object"));
	assert_non_null(strstr(r.err_message, "fail\\x0a"));
	parse("<html><body>502 Bad Gateway</body></html>", &r, -1);
	assert_non_null(strstr(r.err_message, "502 Bad Gateway"));
	parse("[1,2]", &r, -1);
	parse("{\"object\":\"list\"}", &r, -1);
	assert_non_null(strstr(r.err_message, "neither choices nor error"));
	assert_int_equal(lw_llm_parse_response("", 0, &r), -1);
	assert_int_equal(lw_llm_parse_response(NULL, 0, &r), -1);
	lw_llm_response_free(&r);
	lw_llm_response_free(NULL);
}

/* Content beyond LW_LLM_CONTENT_MAX is cut on a UTF-8 boundary. */
static void
test_long_content(void **state)
{
	struct lw_llm_response	 r;
	char			*body;
	size_t			 n = LW_LLM_CONTENT_MAX + 1000, i, off;

	(void)state;
	body = malloc(n + 100);
	assert_non_null(body);
	off = (size_t)snprintf(body, 100, "{\"choices\":[{\"message\":"
	    "{\"content\":\"");
	for (i = 0; i < n; i += 2)
		memcpy(body + off + i, "\xc3\xa9", 2);
	off += n;
	memcpy(body + off, "\"}}]}", 6);
	assert_int_equal(lw_llm_parse_response(body, strlen(body), &r), 0);
	assert_int_equal(r.ok, 1);
	assert_int_equal(strlen(r.content), LW_LLM_CONTENT_MAX);
	lw_llm_response_free(&r);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_long_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
