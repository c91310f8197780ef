/*
 * ids: the identifiers in a log line that tie lines of one story
 * together: order ids ("#12345", "order_id=123", "orderId": "abc"),
 * client and trade ids, and trading symbols ("BTC/USDT", "ETH-USDT").
 * Used by `search` to follow an order or a pair through the log.
 */
#ifndef LW_IDS_H
#define LW_IDS_H

#include <stddef.h>

#define LW_IDS_MAX	8	/* identifiers taken from one line */
#define LW_ID_LEN	64	/* longest identifier kept */

struct lw_ids {
	char	v[LW_IDS_MAX][LW_ID_LEN];
	size_t	n;
};

/* Collects the identifiers of s[0..len) into ids (deduplicated). */
void	lw_ids_extract(const char *s, size_t len, struct lw_ids *ids);
/* 1 when s[0..len) holds id as a whole token. */
int	lw_ids_contains(const char *s, size_t len, const char *id);

#endif
