/*
 * xmalloc: allocation that cannot return NULL.  Running out of memory is
 * one of the few conditions where logwarden gives up (fatal), as tmux and
 * OpenSSH do; every size computation is overflow-checked.
 * Ownership: the caller owns and frees whatever these return.
 */
#ifndef LW_XMALLOC_H
#define LW_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xmemdup(const void *, size_t);	/* adds a NUL after the copy */
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
