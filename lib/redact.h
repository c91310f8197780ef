/*
 * redact: remove secrets from text before it leaves the machine (webhook,
 * alerts.jsonl, Telegram, email, LLM prompt).  The secret part is replaced
 * with "[REDACTED]"; the name in front of it stays readable
 * ("api_key=[REDACTED]", "Authorization: Bearer [REDACTED]").
 *
 * Built-in rules, all hand-written scans (no regex):
 *  - values of keys whose name ends like password, passwd, passphrase,
 *    secret, token, api_key/apikey/api-key, access_key, private_key,
 *    secret_key, listenKey, signature (case, '_', '-' and '.' ignored), in
 *    key=value, key: value, "key": "value", 'key': 'value', ?key=v&, and
 *    JSON escaped inside a string (\"key\": \"v\").  Code such as
 *    token=self._config['token'] and the words null/None/true/false are
 *    left alone; Authorization keeps its scheme word;
 *  - "Bearer xyz": the token after the word Bearer;
 *  - API keys sk-... / sk_... with at least 20 characters after the prefix
 *    (covers sk-proj-..., sk-ant-..., Stripe sk_live_...); "sk-" stays;
 *  - JWTs: eyJ... with three dot-separated base64url parts;
 *  - Telegram bot tokens: 123456:ABC... anywhere, and the path segment
 *    after /bot in a Bot API URL (/bot<token>/getMe);
 *  - Binance user-data stream URLs: the 40+ character word after /ws/;
 *  - runs of 32 or more hex digits forming a whole word (0x kept);
 *  - base64/base64url runs of 40 or more characters that look random:
 *    at least 1/6 upper case, 1/6 lower case, a digit, and frequent
 *    changes of character class, not mostly lower-case words.  Ids such as
 *    SEGBC5ecfa912a4fb33702cf33c8a169b70e1bda (upper prefix + hex) and
 *    CamelCase identifiers do not qualify.
 * Kept on purpose: UUIDs (8-4-4-4-12 hex: the dashes split them into short
 * runs; operators need order UUIDs), order ids, prices, pairs, timestamps,
 * IP addresses.
 *
 * Extra patterns (PCRE2, from the config) are compiled once, in UTF mode
 * tolerant of invalid input.  A pattern with a capture group has group 1
 * replaced (so "(?i)apikey ([a-z0-9]+)" keeps the word "apikey"), one
 * without has its whole match replaced.  Empty matches are ignored.
 *
 * Replacements never split a UTF-8 sequence, so valid UTF-8 stays valid.
 * Output grows by at most 9 bytes per redaction and out's own maximum is
 * a hard limit.
 */
#ifndef LW_REDACT_H
#define LW_REDACT_H

#include <stddef.h>

#include "buf.h"

#define LW_REDACTED		"[REDACTED]"
#define LW_REDACT_MAX_PATTERNS	64

struct lw_redactor;

/*
 * Compiles the extra patterns (n may be 0, patterns NULL).  Returns NULL
 * on a bad pattern with the reason (pattern index, offset, PCRE2 message)
 * in err.  The redactor is immutable afterwards and may be shared.
 */
struct lw_redactor *lw_redactor_new(const char *const *extra_patterns,
	    size_t n, char *err, size_t errsz);
void	 lw_redactor_free(struct lw_redactor *);	/* accepts NULL */

/*
 * Appends the redacted copy of s[0..len) to out; returns the number of
 * redactions, or -1 when out's maximum was hit, in which case out is left
 * as it was before the call (nothing unredacted is ever left behind).
 * A NULL redactor applies the built-in rules only.
 */
int	 lw_redact(const struct lw_redactor *, const char *s, size_t len,
	    struct buf *out);

#endif
