/*
 * log: diagnostics to stderr with journald priority prefixes ("<3>...").
 *
 * Modelled on the OpenBSD daemons' log.c: log_warn appends strerror(errno),
 * log_warnx does not; fatal/fatalx exit(1) and are only for start-up
 * failures, out-of-memory and broken invariants.  Every function keeps
 * errno as it found it.  Untrusted text must be escaped by the caller
 * (see lw_vis in util.h) before it is logged.
 */
#ifndef LW_LOG_H
#define LW_LOG_H

#include <stdarg.h>

#define LW_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* prefix: printed after the priority marker, e.g. "logwarden"; may be NULL.
 * verbose: 0 hides log_debug. */
void	log_init(const char *prefix, int verbose);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *fmt, ...) LW_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) LW_PRINTF(1, 2);
void	log_err(const char *fmt, ...) LW_PRINTF(1, 2);	/* error, no errno */
void	log_notice(const char *fmt, ...) LW_PRINTF(1, 2);
void	log_info(const char *fmt, ...) LW_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) LW_PRINTF(1, 2);
void	fatal(const char *fmt, ...) LW_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *fmt, ...) LW_PRINTF(1, 2) __attribute__((noreturn));

#endif
