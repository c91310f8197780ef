/*
 * mailfmt: the bytes of an alert e-mail (RFC 5322 + MIME), which the
 * daemon hands to libcurl's SMTP upload as they are, and the bare
 * addresses for its MAIL FROM / RCPT TO.  Pure: the clock, the time zone
 * and the Message-ID host are parameters, so the output is exact.
 */
#ifndef LW_MAILFMT_H
#define LW_MAILFMT_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"

#define LW_MAIL_MAX		(4 * 1024 * 1024) /* whole message; out's max */
#define LW_MAIL_TEXT_MAX	(2 * 1024 * 1024) /* body text before base64 */
#define LW_MAIL_ADDR_MAX	320		/* bare address, with the NUL */
#define LW_MAIL_HEADER_VALUE_MAX 900		/* one From or To entry */

/*
 * Appends one complete message to out, CRLF line endings throughout:
 *
 *   Date: Fri, 04 Dec 2026 15:04:05 +0000   (now_ms shifted by
 *                                            tz_offset_min, -1439..1439)
 *   Message-ID: <...@msgid_host>            (a function of the alerts'
 *                                            ids: a retry of the same
 *                                            group is the same message)
 *   From, To (every recipient, folded)
 *   Subject: [logwarden] CRITICAL: title (host)
 *            [logwarden] CRITICAL: 3 alerts: first title (host)
 *   MIME-Version, Content-Type: text/plain; charset=UTF-8,
 *   Content-Transfer-Encoding: base64
 *
 * The group's subject carries its highest severity and its first alert's
 * title and host.  A subject that is not plain printable ASCII (or holds
 * "=?" or a word too long to fold) is sent as RFC 2047 UTF-8 B
 * encoded-words of at most 75 characters; header lines stay within 78
 * characters except for an address longer than that.  Control
 * characters in a title become spaces, so no title can start a header.
 * Display names that are not ASCII are encoded the same way.
 *
 * The body lists, per alert: severity, title, time, host, log, rule,
 * count, template, detail, evidence and id, with invalid UTF-8 repaired
 * and control characters shown as \xNN.  Alerts that would take the text
 * past LW_MAIL_TEXT_MAX are summarised as "N more alerts not shown".
 *
 * from and every to[i] are "a@b" or "Name <a@b>" (see lw_mail_addr).
 * msgid_host that is NULL, empty or not a plain host name is replaced by
 * "localhost".  Nothing is kept: the caller owns every argument.
 *
 * Returns 0, or -1 with out unchanged when n or nto is 0, an address is
 * invalid or holds a control character (CR/LF: header injection), the
 * offset is out of range, or out's maximum (LW_MAIL_MAX is enough) is hit.
 */
int	lw_mail_build(const struct lw_alert *const *alerts, size_t n,
	    const char *from, const char *const *to, size_t nto,
	    const char *msgid_host, int64_t now_ms, int tz_offset_min,
	    struct buf *out);

/*
 * Writes the bare address of s ("Name <a@b>", "<a@b>" or "a@b", spaces
 * around allowed) into out as a string.  Returns 0, or -1 when s is not
 * one of those forms, the address is not local@domain of printable ASCII
 * without spaces, quotes, brackets, commas or control characters, or it
 * does not fit outsz (LW_MAIL_ADDR_MAX always does for a valid one).
 */
int	lw_mail_addr(const char *s, char *out, size_t outsz);

#endif
