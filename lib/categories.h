/*
 * categories: the table of critical-issue categories of the daily report,
 * the patterns that can lose money or stop the bot.  A warning-or-worse
 * template belongs to the first category one of whose needles occurs in
 * the raw message of its first record (ASCII case ignored; raw, because
 * masking hides numbers such as "HTTP 429"); a record with a Python
 * traceback whose template matches no category counts as an exception.
 *
 * Built-in table, in match order (see categories.c for every needle):
 *
 *   insufficient_funds  money     insufficient funds/balance/margin
 *   order_failed        money     order placement failed, rejected,
 *                                 failed to submit/cancel an order
 *   risk_limit          halt      drawdown, kill switch, risk or position
 *                                 limit hit, trading halted/stopped
 *   auth                halt      API key rejected, invalid signature,
 *                                 permission denied
 *   exception           halt      exceptions and tracebacks
 *   exchange_error      degraded  exchange error/timeout, HTTP 429/5xx,
 *                                 rate limit exceeded, maintenance
 *   connectivity        degraded  disconnects, connection lost/reset/
 *                                 refused, network errors, TLS failures
 *
 * Impact classes: money (can lose money), halt (can stop the bot),
 * degraded (trading goes on, badly).  A caller may put its own categories
 * in front of the table (report.h, lw_report_opts.extra_categories).
 */
#ifndef LW_CATEGORIES_H
#define LW_CATEGORIES_H

#include <stddef.h>

enum lw_impact {
	LW_IMPACT_MONEY,
	LW_IMPACT_HALT,
	LW_IMPACT_DEGRADED
};

#define LW_CATEGORY_MAX_NEEDLES	16
#define LW_CATEGORY_MAX		64	/* built-in plus extra */

struct lw_category {
	const char	*name;
	enum lw_impact	 impact;
	/* Lower-case ASCII substrings, NULL-terminated. */
	const char	*needles[LW_CATEGORY_MAX_NEEDLES + 1];
	int		 traceback;	/* also any record with a traceback */
};

/* "money", "halt", "degraded" */
const char	*lw_impact_name(enum lw_impact);
/* The built-in table and its length; static storage. */
const struct lw_category *lw_categories_builtin(size_t *n);
/*
 * Index in tab[0..n) of the first category matching text[0..len), or -1.
 * has_traceback lets a category with traceback set match without a
 * needle, after every needle of every category was tried.
 */
int		 lw_categories_match(const struct lw_category *tab, size_t n,
		    const char *text, size_t len, int has_traceback);
/* 1 when needle (lower case) occurs in s[0..len) ignoring ASCII case. */
int		 lw_categories_has(const char *s, size_t len,
		    const char *needle);

#endif
