/*
 * severity: names of alert severities, as they appear in the alert JSON
 * and in the config's min_severity keys.
 */
#include <strings.h>

#include "severity.h"

static const char *sev_names[] = { "info", "warning", "critical" };

const char *
lw_sev_name(enum lw_sev s)
{
	if ((unsigned)s > LW_SEV_CRITICAL)
		return "info";
	return sev_names[s];
}

int
lw_sev_parse(const char *s, enum lw_sev *out)
{
	unsigned	i;

	for (i = 0; i <= LW_SEV_CRITICAL; i++) {
		if (strcasecmp(s, sev_names[i]) == 0) {
			*out = (enum lw_sev)i;
			return 0;
		}
	}
	return -1;
}
