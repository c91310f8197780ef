/*
 * categories: the critical-issue table of the daily report.  Matching is
 * a case-blind substring scan, run once per template (not per line), so
 * a plain loop is fast enough and needs no regex.
 */
#include <stddef.h>
#include <string.h>

#include "categories.h"

/* Order matters: the specific money categories come before the generic
 * "failed"/"error" wording of the exchange and connectivity ones. */
static const struct lw_category builtin[] = {
	{ "insufficient_funds", LW_IMPACT_MONEY, {
	    "insufficient funds", "insufficient balance",
	    "insufficient margin", "margin is insufficient",
	    "not enough balance", "not enough funds", "balance is too low",
	    NULL }, 0 },
	{ "order_failed", LW_IMPACT_MONEY, {
	    "order placement failed", "order failed", "order rejected",
	    "rejected order", "order was rejected", "failed to submit",
	    "error submitting", "failed to place", "failed to create order",
	    "cancel failed", "failed to cancel", "could not place",
	    "unknown order", "invalidorder", NULL }, 0 },
	{ "risk_limit", LW_IMPACT_HALT, {
	    "drawdown", "kill switch", "risk limit", "position limit",
	    "max exposure", "halting trading", "trading halted",
	    "trading engine stopped", "stoploss guard", "circuit breaker",
	    NULL }, 0 },
	{ "auth", LW_IMPACT_HALT, {
	    "api key rejected", "invalid api", "api-key", "invalid signature",
	    "signature for this request", "permission denied",
	    "unauthorized", NULL }, 0 },
	{ "exception", LW_IMPACT_HALT, {
	    "traceback", "exception", "unhandled", "segmentation fault",
	    NULL }, 1 },
	{ "exchange_error", LW_IMPACT_DEGRADED, {
	    "exchange timeout", "exchangeerror", "exchange error",
	    "rate limit exceeded", "too many requests", "http 429",
	    "status=5", "http 5", "503", "502 bad gateway", "maintenance",
	    "ddosprotection", "request timeout", "recvwindow", NULL }, 0 },
	{ "connectivity", LW_IMPACT_DEGRADED, {
	    "disconnect", "connection lost", "connection reset",
	    "connection refused", "connection closed", "connectionerror",
	    "networkerror", "network error", "tls handshake",
	    "name resolution", "timed out", NULL }, 0 },
};

const char *
lw_impact_name(enum lw_impact i)
{
	switch (i) {
	case LW_IMPACT_MONEY:
		return "money";
	case LW_IMPACT_HALT:
		return "halt";
	case LW_IMPACT_DEGRADED:
		return "degraded";
	}
	return "degraded";
}

const struct lw_category *
lw_categories_builtin(size_t *n)
{
	*n = sizeof(builtin) / sizeof(builtin[0]);
	return builtin;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

int
lw_categories_has(const char *s, size_t len, const char *needle)
{
	const unsigned char	*u = (const unsigned char *)s;
	const unsigned char	*nd = (const unsigned char *)needle;
	size_t			 nl = strlen(needle), i, j;

	if (nl == 0 || nl > len)
		return nl == 0;
	for (i = 0; i + nl <= len; i++) {
		if (lower(u[i]) != nd[0])
			continue;
		for (j = 1; j < nl && lower(u[i + j]) == nd[j]; j++)
			;
		if (j == nl)
			return 1;
	}
	return 0;
}

int
lw_categories_match(const struct lw_category *tab, size_t n,
    const char *text, size_t len, int has_traceback)
{
	size_t	i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < LW_CATEGORY_MAX_NEEDLES &&
		    tab[i].needles[k] != NULL; k++)
			if (lw_categories_has(text, len, tab[i].needles[k]))
				return (int)i;
	if (has_traceback)
		for (i = 0; i < n; i++)
			if (tab[i].traceback)
				return (int)i;
	return -1;
}
