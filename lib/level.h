/*
 * level: the severity of a log record, normalised from whatever word the
 * bot used (WARN, Warning, ERR, FATAL, ...).  Ordered, so that
 * "level >= LW_LVL_WARNING" reads as "warning or worse".
 */
#ifndef LW_LEVEL_H
#define LW_LEVEL_H

enum lw_level {
	LW_LVL_UNKNOWN = 0,	/* no level word found */
	LW_LVL_TRACE,
	LW_LVL_DEBUG,
	LW_LVL_INFO,		/* also NOTICE, hummingbot NETWORK/EVENT_LOG */
	LW_LVL_WARNING,		/* WARN, WARNING, WRN */
	LW_LVL_ERROR,		/* ERR, ERROR */
	LW_LVL_CRITICAL,	/* CRITICAL, FATAL, CRIT, ALERT, EMERG */
	LW_LVL_COUNT
};

/* "unknown", "trace", "debug", "info", "warning", "error", "critical" */
const char	*lw_level_name(enum lw_level);

#endif
