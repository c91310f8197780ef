/*
 * tgfmt: what the Telegram sink says and how it reads the answer, with no
 * I/O: an alert (or a group of alerts) as one sendMessage text in
 * Telegram's HTML, the JSON request body, and the classification of the
 * Bot API's reply into sent / try again / give up.
 */
#ifndef LW_TGFMT_H
#define LW_TGFMT_H

#include <stddef.h>

#include "alert.h"
#include "buf.h"

/*
 * Telegram's limit, in UTF-16 code units of the text after its entities
 * (tags, &lt; ...) are parsed.
 */
#define LW_TG_TEXT_MAX		4096
/* Most bytes lw_tg_render appends (4096 characters of at most six bytes,
 * "&quot;", plus tags) with room to spare; size out's maximum to this. */
#define LW_TG_RENDER_MAX	(64 * 1024)
/* Most bytes of a request body from lw_tg_body. */
#define LW_TG_BODY_MAX		(128 * 1024)
#define LW_TG_DESC_MAX		256

/*
 * Appends to out one message for alerts[0..n), n >= 1: per alert a
 * severity mark, the title, host and log, rule, count and template, the
 * detail (the model's issue/impact/action when present) and the evidence
 * lines in <pre>; several alerts are introduced by "N alerts on HOST".
 * Every string from the alert is repaired to valid UTF-8 and escaped, so
 * the text holds only <b>, <i>, <code>, <pre> and the entities &lt; &gt;
 * &amp; &quot;.
 *
 * The text never passes LW_TG_TEXT_MAX as Telegram counts it: long parts
 * are cut at character boundaries ending in "…", evidence loses lines and
 * length first, and the message says so.  When the alerts do not all fit,
 * the first *used of them are rendered and the caller sends the rest, in
 * order, in another message; a single alert always fits, so *used >= 1.
 *
 * A scheduled report (lw_alert_is_report) is always a message of its
 * own: its title, host and compact summary (detail, line breaks kept);
 * a group stops before one.
 *
 * Returns 0, or -1 when n is 0 or out's maximum was hit (out unchanged).
 */
int	 lw_tg_render(const struct lw_alert *const *alerts, size_t n,
	    size_t *used, struct buf *out);

/* Length of an HTML text as Telegram counts it: UTF-16 code units of the
 * text after tags are removed and each entity became one character. */
size_t	 lw_tg_text_length(const char *html, size_t len);

/*
 * Appends the JSON body of a sendMessage request: chat_id (a number when
 * it is an integer such as -1001234567890, else a string such as
 * "@channel"), text, parse_mode "HTML", link previews off,
 * disable_notification when silent, message_thread_id when thread_id is
 * not NULL.  text is repaired to valid UTF-8.  Returns 0, or -1 when
 * chat_id is empty, thread_id is not a positive integer, or out's maximum
 * was hit (out unchanged).
 */
int	 lw_tg_body(const char *chat_id, const char *text, int silent,
	    const char *thread_id, struct buf *out);

enum lw_tg_class {
	LW_TG_OK = 0,		/* delivered */
	LW_TG_RETRY,		/* 429, 408, 5xx, network, garbled answer */
	LW_TG_FATAL		/* 3xx, 400, 401, 403, 404...: configuration */
};

struct lw_tg_reply {
	enum lw_tg_class kind;
	int		 ok;		/* the answer's "ok" */
	long		 http_status;	/* as given; 0: no answer */
	long		 error_code;	/* the answer's, else http_status */
	long		 retry_after;	/* parameters.retry_after; -1 absent */
	long long	 migrate_to;	/* parameters.migrate_to_chat_id; 0 */
	/*
	 * Telegram's description, or a note on what came instead ("HTTP
	 * 502: <html>..."), escaped with lw_vis and cut: safe to log.
	 */
	char		 description[LW_TG_DESC_MAX];
};

/*
 * Reads Telegram's answer body[0..len) (NULL with len 0 when there was
 * none) to a request that ended with http_status (0: network error).
 * Fills every field of r.  Returns 0 when the body was a Bot API answer,
 * -1 when it was not (r is still filled and classified).
 */
int	 lw_tg_parse_reply(const char *body, size_t len, long http_status,
	    struct lw_tg_reply *r);

#endif
