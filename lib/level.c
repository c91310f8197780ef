/*
 * level: names of the normalised severities.
 */
#include "level.h"

const char *
lw_level_name(enum lw_level l)
{
	static const char *names[LW_LVL_COUNT] = {
		"unknown", "trace", "debug", "info", "warning", "error",
		"critical"
	};

	if ((unsigned)l >= LW_LVL_COUNT)
		return "unknown";
	return names[l];
}
