/*
 * buf: a growable byte buffer with a hard maximum fixed at init (curl's
 * dynbuf, OpenBSD's ibuf).  An append that would pass the maximum fails
 * with -1 and leaves the buffer as it was, so every caller has to decide
 * what a too-big input means for it.  The content is always NUL-terminated.
 */
#ifndef LW_BUF_H
#define LW_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated; NULL until first append */
	size_t	 len;
	size_t	 cap;		/* allocated, including the NUL */
	size_t	 max;		/* most bytes len may reach */
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);		/* accepts a zeroed buf */
void	 buf_reset(struct buf *);		/* len = 0, memory kept */
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addc(struct buf *, char);
int	 buf_adds(struct buf *, const char *);
int	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Returns the string and leaves the buffer empty; caller frees. */
char	*buf_take(struct buf *);
const char *buf_str(const struct buf *);	/* "" when empty */

#endif
