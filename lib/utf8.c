/*
 * utf8: validation and repair of untrusted byte strings.  A strict decoder
 * (no overlongs, no surrogates, nothing above U+10FFFF), written here
 * because none of our dependencies exposes one; it is small and fuzzed by
 * the unit tests.
 */
#include <string.h>

#include "utf8.h"

static const char REPL[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Length of the valid sequence starting at s (1..4), or 0 if invalid. */
static size_t
seqlen(const unsigned char *s, size_t avail)
{
	unsigned char	c = s[0];

	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (avail >= 2 && (s[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (avail < 3 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;	/* overlong */
		if (c == 0xed && s[1] > 0x9f)
			return 0;	/* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (avail < 4 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

size_t
lw_utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, n;

	while (i < len) {
		if (u[i] >= 0x20 && u[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = seqlen(u + i, len - i)) == 0)
			break;
		i += n;
	}
	return i;
}

size_t
lw_utf8_cut(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = len;

	/*
	 * Step back over at most three continuation bytes to the start of
	 * a sequence.  Counted as len - i so that a len below 4 cannot
	 * wrap around and let a split sequence through.
	 */
	while (i > 0 && len - i < 3 && (u[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && u[i - 1] >= 0xc0) {
		size_t	 start = i - 1;
		size_t	 want = u[start] >= 0xf0 ? 4 : u[start] >= 0xe0 ? 3 : 2;

		if (len - start < want)
			return start;
	}
	return len;
}

int
lw_utf8_clean(struct buf *dst, const char *src, size_t len)
{
	const unsigned char	*u = (const unsigned char *)src;
	size_t			 i = 0, run, n;

	while (i < len) {
		run = i;
		while (run < len) {
			if (u[run] >= 0x20 && u[run] < 0x80) {
				run++;
				continue;
			}
			if ((n = seqlen(u + run, len - run)) == 0)
				break;
			run += n;
		}
		if (run > i && buf_add(dst, src + i, run - i) == -1)
			return -1;
		if (run == len)
			break;
		if (buf_add(dst, REPL, 3) == -1)
			return -1;
		i = run + 1;
	}
	return 0;
}

int
lw_vis(struct buf *dst, const char *src, size_t len)
{
	const unsigned char	*u = (const unsigned char *)src;
	size_t			 i, n;

	for (i = 0; i < len; ) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			if (buf_addc(dst, (char)u[i]) == -1)
				return -1;
			i++;
		} else if (u[i] >= 0x80 && (n = seqlen(u + i, len - i)) > 0) {
			if (buf_add(dst, src + i, n) == -1)
				return -1;
			i += n;
		} else {
			if (buf_addf(dst, "\\x%02x", u[i]) == -1)
				return -1;
			i++;
		}
	}
	return 0;
}

int
lw_vis_lines(struct buf *dst, const char *s)
{
	const char	*nl;

	while ((nl = strchr(s, '\n')) != NULL) {
		if (lw_vis(dst, s, (size_t)(nl - s)) == -1 ||
		    buf_addc(dst, '\n') == -1)
			return -1;
		s = nl + 1;
	}
	return lw_vis(dst, s, strlen(s));
}
