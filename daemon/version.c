/*
 * version: the one place that knows the program's version string.
 */
#include "logwarden.h"

const char *
lw_version(void)
{
	return LW_VERSION;
}
