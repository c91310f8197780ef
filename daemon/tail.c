/*
 * tail: follow a file by name.  libev's ev_stat is not used: it polls or
 * watches only the path, while rotation needs the directory's events and
 * our own fd's identity.  One inotify watch on the directory tells us
 * about writes, creations, renames and deletions of the name; a 1 s timer
 * covers whatever inotify cannot (see tail.h).
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tail.h"
#include "xmalloc.h"

#define TAIL_READSZ	(1u << 20)	/* one read() */
#define TAIL_BUDGET	(8u << 20)	/* bytes per loop iteration */

struct tail {
	struct ev_loop		*loop;
	char			*path, *dir, *base;
	int			 ifd, wd;
	ev_io			 iw;
	ev_timer		 poll;
	ev_idle			 more;
	int			 fd;
	uint64_t		 dev, ino, off;
	struct tail_start	 start;
	int			 opened_once;
	int			 vanished;	/* reported, waiting */
	int			 unread;	/* data since the last EOF event */
	int			 open_warned;
	double			 rotate_wait;	/* seconds; 0: switch at once */
	double			 rot_since;	/* the name moved on; 0: not */
	double			 rot_grew;	/* the old file last grew */
	const struct tail_ops	*ops;
	void			*arg;
	char			*rbuf;
};

static void	tail_check(struct tail *);

static void
tail_event(struct tail *t, enum tail_event ev)
{
	t->ops->event(ev, t->dev, t->ino, t->off, t->arg);
}

/* Look in the directory for the file we followed before a restart: it
 * may have been rotated to another name while we were down. */
static int
tail_find_inode(struct tail *t, uint64_t dev, uint64_t ino)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 fd = -1, dfd;

	if ((d = opendir(t->dir)) == NULL)
		return -1;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if ((uint64_t)de->d_ino != ino)
			continue;
		if (fstatat(dfd, de->d_name, &st, 0) == -1 ||
		    (uint64_t)st.st_dev != dev || !S_ISREG(st.st_mode))
			continue;
		fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd != -1)
			log_info("%s: reading the rest of %s/%s, rotated while "
			    "logwarden was not running", t->path, t->dir,
			    de->d_name);
		break;
	}
	closedir(d);
	return fd;
}

/* Open the file by name (or its rotated predecessor on the first open). */
static int
tail_open(struct tail *t)
{
	struct stat	st;
	int		fd;
	uint64_t	off = 0;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT && !t->open_warned)
			log_warn("%s: cannot open", t->path);
		t->open_warned = 1;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s: fstat", t->path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		if (!t->open_warned)
			log_warnx("%s: not a regular file", t->path);
		t->open_warned = 1;
		close(fd);
		return -1;
	}
	t->open_warned = 0;
	if (!t->opened_once) {
		struct tail_start *s = &t->start;

		t->opened_once = 1;
		if (s->have_saved && s->dev == (uint64_t)st.st_dev &&
		    s->ino == (uint64_t)st.st_ino) {
			if (s->offset <= (uint64_t)st.st_size)
				off = s->offset;
			else
				log_info("%s: shorter than the saved offset "
				    "(truncated while stopped): reading from "
				    "the start", t->path);
		} else if (s->have_saved) {
			int	ofd = tail_find_inode(t, s->dev, s->ino);

			if (ofd != -1 && fstat(ofd, &st) == 0 &&
			    s->offset <= (uint64_t)st.st_size) {
				close(fd);
				fd = ofd;
				off = s->offset;
			} else if (ofd != -1) {
				close(ofd);
				fstat(fd, &st);
			}
		} else if (s->start_end)
			off = (uint64_t)st.st_size;
	}
	if (off > 0 && lseek(fd, (off_t)off, SEEK_SET) == -1) {
		log_warn("%s: lseek", t->path);
		close(fd);
		return -1;
	}
	t->fd = fd;
	t->dev = (uint64_t)st.st_dev;
	t->ino = (uint64_t)st.st_ino;
	t->off = off;
	t->vanished = 0;
	log_info("following %s (offset %llu)", t->path,
	    (unsigned long long)off);
	tail_event(t, TAIL_OPENED);
	return 0;
}

static void
tail_close(struct tail *t)
{
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
}

/* Read up to budget bytes; 1 when there may be more, 0 at end of file. */
static int
tail_read(struct tail *t, size_t budget)
{
	ssize_t	n;
	size_t	done = 0;

	while (done < budget) {
		n = read(t->fd, t->rbuf, TAIL_READSZ);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("%s: read", t->path);
			return 0;
		}
		if (n == 0)
			return 0;
		t->ops->data(t->rbuf, (size_t)n, t->off, t->arg);
		t->off += (uint64_t)n;
		done += (size_t)n;
		t->unread = 1;
	}
	return 1;
}

static void
tail_drain(struct tail *t)
{
	while (tail_read(t, TAIL_BUDGET))
		;
	if (t->unread) {
		t->unread = 0;
		tail_event(t, TAIL_EOF);
	}
}

static void
tail_watch(struct tail *t)
{
	if (t->ifd == -1 || t->wd != -1)
		return;
	t->wd = inotify_add_watch(t->ifd, t->dir, IN_MODIFY | IN_CREATE |
	    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
	    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
	if (t->wd == -1 && errno != ENOENT && errno != ENOTDIR)
		log_warn("%s: inotify_add_watch", t->dir);
}

/*
 * The name points at a new file, but the writer may not have reopened
 * yet (logrotate's "create" with a postrotate signal): keep reading the
 * old file until it has not grown for rotate_wait seconds, so that lines
 * written to it meanwhile are not lost; the new file waits, unread but
 * whole.  1 while waiting (the 1 s poll comes back), 0 to switch now.
 */
static int
tail_rotate_wait(struct tail *t)
{
	double		now;
	uint64_t	before = t->off;

	if (t->loop == NULL || t->rotate_wait <= 0)
		return 0;
	now = ev_now(t->loop);
	if (t->rot_since == 0) {
		t->rot_since = t->rot_grew = now;
		log_info("%s: rotated; reading the old file until it has been "
		    "quiet for %.0f s", t->path, t->rotate_wait);
	}
	if (tail_read(t, TAIL_BUDGET)) {
		ev_idle_start(t->loop, &t->more);
		t->rot_grew = now;
		return 1;
	}
	if (t->off != before)
		t->rot_grew = now;
	if (t->unread) {
		t->unread = 0;
		tail_event(t, TAIL_EOF);
	}
	return now - t->rot_grew < t->rotate_wait;
}

static void
tail_check(struct tail *t)
{
	struct stat	st;

	tail_watch(t);
	if (t->fd == -1 && tail_open(t) == -1)
		return;
	if (stat(t->path, &st) == -1) {
		/* Gone: what is left of the old file still counts. */
		tail_drain(t);
		if (!t->vanished) {
			log_warnx("%s: the log file is gone; waiting for it "
			    "to come back", t->path);
			t->vanished = 1;
			tail_event(t, TAIL_VANISHED);
		}
		return;
	}
	if ((uint64_t)st.st_ino != t->ino || (uint64_t)st.st_dev != t->dev) {
		if (tail_rotate_wait(t))
			return;
		tail_drain(t);
		log_info("%s: rotated; the old file was read to its end",
		    t->path);
		t->rot_since = 0;
		tail_event(t, TAIL_ROTATED);
		tail_close(t);
		if (tail_open(t) == -1)
			return;
	} else if (fstat(t->fd, &st) == 0 && (uint64_t)st.st_size < t->off) {
		log_info("%s: truncated (size %lld < offset %llu): reading "
		    "from the start", t->path, (long long)st.st_size,
		    (unsigned long long)t->off);
		if (lseek(t->fd, 0, SEEK_SET) == -1) {
			log_warn("%s: lseek", t->path);
			tail_close(t);
			return;
		}
		t->off = 0;
		tail_event(t, TAIL_TRUNCATED);
	}
	if (tail_read(t, TAIL_BUDGET)) {
		if (t->loop == NULL) {
			tail_drain(t);
			return;
		}
		/* More to read: come back after the loop served others. */
		ev_idle_start(t->loop, &t->more);
		return;
	}
	if (t->unread) {
		t->unread = 0;
		tail_event(t, TAIL_EOF);
	}
}

static void
tail_inotify_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tail			*t = w->data;
	char				 buf[16384]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event	*ev;
	ssize_t				 n;
	char				*p;
	int				 relevant = 0;

	(void)loop;
	(void)revents;
	for (;;) {
		n = read(t->ifd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				log_warn("inotify read");
			break;
		}
		if (n <= 0)
			break;
		for (p = buf; p < buf + n;
		    p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED |
			    IN_DELETE_SELF | IN_MOVE_SELF))
				relevant = 1;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				if (t->wd != -1)
					inotify_rm_watch(t->ifd, t->wd);
				t->wd = -1;
			}
			if (ev->len > 0 && strcmp(ev->name, t->base) == 0)
				relevant = 1;
		}
	}
	if (relevant)
		tail_check(t);
}

static void
tail_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	tail_check(w->data);
}

static void
tail_more_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)revents;
	ev_idle_stop(loop, w);
	tail_check(w->data);
}

struct tail *
tail_new(struct ev_loop *loop, const char *path,
    const struct tail_start *start, const struct tail_ops *ops, void *arg)
{
	struct tail	*t;
	char		*tmp;

	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->path = xstrdup(path);
	tmp = xstrdup(path);
	t->dir = xstrdup(dirname(tmp));
	free(tmp);
	tmp = xstrdup(path);
	t->base = xstrdup(basename(tmp));
	free(tmp);
	t->start = *start;
	t->ops = ops;
	t->arg = arg;
	t->fd = -1;
	t->wd = -1;
	t->rbuf = xmalloc(TAIL_READSZ);
	if (loop != NULL) {
		t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (t->ifd == -1)
			log_warn("inotify_init1 (falling back to polling "
			    "once a second)");
		else {
			ev_io_init(&t->iw, tail_inotify_cb, t->ifd, EV_READ);
			t->iw.data = t;
			ev_io_start(loop, &t->iw);
		}
		ev_timer_init(&t->poll, tail_poll_cb, 1.0, 1.0);
		t->poll.data = t;
		ev_timer_start(loop, &t->poll);
		ev_idle_init(&t->more, tail_more_cb);
		t->more.data = t;
	} else
		t->ifd = -1;
	tail_watch(t);
	return t;
}

void
tail_free(struct tail *t)
{
	if (t == NULL)
		return;
	if (t->loop != NULL) {
		if (t->ifd != -1)
			ev_io_stop(t->loop, &t->iw);
		ev_timer_stop(t->loop, &t->poll);
		ev_idle_stop(t->loop, &t->more);
	}
	if (t->ifd != -1)
		close(t->ifd);
	tail_close(t);
	free(t->rbuf);
	free(t->path);
	free(t->dir);
	free(t->base);
	free(t);
}

void
tail_poll(struct tail *t)
{
	/* Without a loop (--once) this reads everything up to the end. */
	tail_check(t);
}

void
tail_set_rotate_wait(struct tail *t, double secs)
{
	t->rotate_wait = secs;
}

int
tail_is_open(const struct tail *t)
{
	return t->fd != -1;
}

uint64_t
tail_offset(const struct tail *t)
{
	return t->off;
}

void
tail_identity(const struct tail *t, uint64_t *dev, uint64_t *ino)
{
	*dev = t->dev;
	*ino = t->ino;
}

const char *
tail_path(const struct tail *t)
{
	return t->path;
}
