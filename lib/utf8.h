/*
 * utf8: make untrusted bytes safe to put into JSON, HTML or a terminal.
 * lw_utf8_clean copies src into a buf replacing every invalid UTF-8
 * sequence and every NUL with U+FFFD, so the result is valid UTF-8 whatever
 * the log held.  lw_vis additionally escapes control characters (C0, DEL)
 * as \xNN for our own diagnostics, after tmux's stravis.
 */
#ifndef LW_UTF8_H
#define LW_UTF8_H

#include <stddef.h>

#include "buf.h"

/* Returns 0, or -1 if dst's maximum was reached (dst holds a prefix). */
int	lw_utf8_clean(struct buf *dst, const char *src, size_t len);
int	lw_vis(struct buf *dst, const char *src, size_t len);
/* lw_vis of a NUL-terminated text that keeps its line breaks (the
 * model's answers on a terminal). */
int	lw_vis_lines(struct buf *dst, const char *s);
/* Length of the longest valid-UTF-8 prefix of s[0..len). */
size_t	lw_utf8_valid_prefix(const char *s, size_t len);
/* Largest n <= len that does not split a UTF-8 sequence in s. */
size_t	lw_utf8_cut(const char *s, size_t len);

#endif
