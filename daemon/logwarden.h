/*
 * logwarden.h: the daemon's shared declarations, grouped by file.
 */
#ifndef LOGWARDEN_H
#define LOGWARDEN_H

/* version.c */
const char	*lw_version(void);

#endif
