/*
 * severity: how urgent an alert is.  Ordered, so min_severity filters are
 * a comparison.
 */
#ifndef LW_SEVERITY_H
#define LW_SEVERITY_H

enum lw_sev {
	LW_SEV_INFO = 0,
	LW_SEV_WARNING,
	LW_SEV_CRITICAL
};

const char	*lw_sev_name(enum lw_sev);		/* "info", ... */
int		 lw_sev_parse(const char *, enum lw_sev *);	/* 0 or -1 */

#endif
