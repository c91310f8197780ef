/*
 * sdnotify: the sd_notify(3) protocol without libsystemd: datagrams to
 * $NOTIFY_SOCKET ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1",
 * "STATUS=...").  Silent no-ops when not run by systemd.
 */
#ifndef LW_SDNOTIFY_H
#define LW_SDNOTIFY_H

#include <stdint.h>

/* Returns 0 when sent or when there is no NOTIFY_SOCKET, -1 on error. */
int	sdnotify(const char *msg);
/* The watchdog interval asked for by systemd, in microseconds; 0 if none. */
uint64_t sdnotify_watchdog_usec(void);

#endif
