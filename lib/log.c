/*
 * log: stderr diagnostics with sd-daemon(3) priority prefixes, so that the
 * journal files each line at the right priority when we run under systemd
 * and a person reading a terminal still sees plain text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char	*log_prefix;
static int		 log_verbose;

void
log_init(const char *prefix, int verbose)
{
	log_prefix = prefix;
	log_verbose = verbose;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* pri is a syslog priority 0..7; with_errno appends ": strerror". */
static void
vlog(int pri, int with_errno, const char *fmt, va_list ap)
{
	int	 saved = errno;
	char	 msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		fprintf(stderr, "<%d>%s%s%s: %s\n", pri,
		    log_prefix ? log_prefix : "", log_prefix ? ": " : "",
		    msg, strerror(saved));
	else
		fprintf(stderr, "<%d>%s%s%s\n", pri,
		    log_prefix ? log_prefix : "", log_prefix ? ": " : "", msg);
	fflush(stderr);
	errno = saved;
}

#define LOGFN(name, pri, err, cond)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
	if (!(cond))						\
		return;						\
	va_start(ap, fmt);					\
	vlog(pri, err, fmt, ap);				\
	va_end(ap);						\
}

LOGFN(log_warn, 4, 1, 1)
LOGFN(log_warnx, 4, 0, 1)
LOGFN(log_err, 3, 0, 1)
LOGFN(log_notice, 5, 0, 1)
LOGFN(log_info, 6, 0, 1)
LOGFN(log_debug, 7, 0, log_verbose > 0)

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(2, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(2, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
