/*
 * tail: follows one log file by name, with inotify on its directory
 * driven by libev, and a once-a-second stat() as a safety net (missed
 * events, a directory that does not exist yet, an inotify queue overflow).
 *
 * It reads bytes and hands them to its owner; it knows files, not lines.
 * Rotation by rename: the old file is read until it has been quiet for
 * rotate_wait seconds (a writer that has not reopened yet still writes
 * to it), then the new one from 0; in `run --once` at once.  A size smaller than the read position (copytruncate): read
 * again from 0.  A deleted file: wait for it to come back.
 */
#ifndef LW_TAIL_H
#define LW_TAIL_H

#include <sys/types.h>

#include <stdint.h>

#include <ev.h>

enum tail_event {
	TAIL_OPENED,		/* a file is open at the given offset */
	TAIL_ROTATED,		/* the old file ended; a new one follows */
	TAIL_TRUNCATED,		/* the file shrank; reading from 0 */
	TAIL_VANISHED,		/* the name is gone; waiting for it */
	TAIL_EOF		/* all available bytes were delivered */
};

struct tail_ops {
	/* Bytes read at file offset off of the current file. */
	void	(*data)(const char *buf, size_t n, uint64_t off, void *arg);
	void	(*event)(enum tail_event, uint64_t dev, uint64_t ino,
		    uint64_t off, void *arg);
};

struct tail;

/* Where to start when the file is first opened: the owner's saved
 * position if its identity matches, else start_end ? size : 0. */
struct tail_start {
	int		 have_saved;
	uint64_t	 dev, ino, offset;
	int		 start_end;
};

struct tail	*tail_new(struct ev_loop *, const char *path,
		    const struct tail_start *, const struct tail_ops *,
		    void *arg);
void		 tail_free(struct tail *);
/* Read everything available now (also used by `run --once`). */
void		 tail_poll(struct tail *);
/* Seconds the old file of a rename rotation is still read; 0: none. */
void		 tail_set_rotate_wait(struct tail *, double secs);
int		 tail_is_open(const struct tail *);
uint64_t	 tail_offset(const struct tail *);
void		 tail_identity(const struct tail *, uint64_t *dev,
		    uint64_t *ino);
const char	*tail_path(const struct tail *);

#endif
