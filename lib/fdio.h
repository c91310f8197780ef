/*
 * fdio: whole writes to a file descriptor.  write(2) may write less than
 * asked or be interrupted; every caller wants "all of it, or an error".
 */
#ifndef LW_FDIO_H
#define LW_FDIO_H

#include <stddef.h>

/* 0 when all n bytes were written, -1 with errno set otherwise. */
int	lw_write_all(int fd, const void *p, size_t n);

#endif
