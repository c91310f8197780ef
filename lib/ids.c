/*
 * ids: a hand-written scan; a token is an identifier when it is written
 * as one ("#12345", a value after a key named like an order/trade/client
 * id) or looks like a trading pair (two upper-case codes joined by '/'
 * or '-', optionally ":SETTLE").
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ids.h"

static int
idchar(int c)
{
	return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static void
ids_add(struct lw_ids *ids, const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n >= LW_ID_LEN || ids->n >= LW_IDS_MAX)
		return;
	for (i = 0; i < ids->n; i++)
		if (strlen(ids->v[i]) == n && memcmp(ids->v[i], p, n) == 0)
			return;
	memcpy(ids->v[ids->n], p, n);
	ids->v[ids->n][n] = '\0';
	ids->n++;
}

/* Key names whose value identifies an order, a trade or a position. */
static int
idkey(const char *k, size_t n)
{
	static const char *keys[] = { "order_id", "orderid", "order",
	    "client_order_id", "clientorderid", "trade_id", "tradeid",
	    "exchange_order_id", "position_id", "id", NULL };
	size_t	i;

	for (i = 0; keys[i] != NULL; i++)
		if (strlen(keys[i]) == n && strncasecmp(keys[i], k, n) == 0)
			return 1;
	return 0;
}

/* An upper-case code of 2..10 letters or digits, at least one letter. */
static size_t
code_len(const char *s, size_t len)
{
	size_t	i;
	int	letter = 0;

	for (i = 0; i < len && i < 11 && (isupper((unsigned char)s[i]) ||
	    isdigit((unsigned char)s[i])); i++)
		letter |= isupper((unsigned char)s[i]) != 0;
	return i >= 2 && i <= 10 && letter ? i : 0;
}

/* The quote side of a pair: "TCP/IP" and "API-KEY" are not pairs. */
static int
quote_ok(const char *q, size_t n)
{
	static const char *quotes[] = { "USDT", "USDC", "BUSD", "FDUSD",
	    "TUSD", "DAI", "USD", "EUR", "GBP", "JPY", "TRY", "BRL", "BTC",
	    "ETH", "BNB", "SOL", "XBT", NULL };
	size_t	i;

	for (i = 0; quotes[i] != NULL; i++)
		if (strlen(quotes[i]) == n && memcmp(quotes[i], q, n) == 0)
			return 1;
	return 0;
}

void
lw_ids_extract(const char *s, size_t len, struct lw_ids *ids)
{
	size_t	i = 0, j, a, b, k, we;

	ids->n = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		/* "#12345" */
		if (c == '#' && i + 1 < len && isalnum((unsigned char)s[i + 1])) {
			for (j = i + 1; j < len && idchar((unsigned char)s[j]);
			    j++)
				;
			ids_add(ids, s + i + 1, j - i - 1);
			i = j;
			continue;
		}
		/* key=value, key: value, "key": "value" */
		if (isalpha(c) && (i == 0 || !idchar((unsigned char)s[i - 1]))) {
			for (j = i; j < len && (isalnum((unsigned char)s[j]) ||
			    s[j] == '_'); j++)
				;
			we = j;
			if (j < len && s[j] == '"')
				j++;
			while (j < len && s[j] == ' ')
				j++;
			if (j < len && (s[j] == '=' || s[j] == ':') &&
			    idkey(s + i, we - i)) {
				j++;
				while (j < len && (s[j] == ' ' || s[j] == '"' ||
				    s[j] == '\''))
					j++;
				for (a = j; j < len &&
				    idchar((unsigned char)s[j]); j++)
					;
				if (j - a >= 3)
					ids_add(ids, s + a, j - a);
				i = j;
				continue;
			}
			/* BTC/USDT, ETH-USDT, BTC/USDT:USDT */
			if ((a = code_len(s + i, len - i)) > 0 && i + a < len &&
			    (s[i + a] == '/' || s[i + a] == '-') &&
			    (b = code_len(s + i + a + 1, len - i - a - 1)) > 0 &&
			    quote_ok(s + i + a + 1, b)) {
				j = i + a + 1 + b;
				/* A settle currency only when one follows:
				 * "SOL/USDT: margin" is the pair SOL/USDT. */
				if (j < len && s[j] == ':' && (k = code_len(s +
				    j + 1, len - j - 1)) > 0)
					j += 1 + k;
				if (j >= len || !idchar((unsigned char)s[j]))
					ids_add(ids, s + i, j - i);
			}
			i = we > i ? we : i + 1;
			continue;
		}
		i++;
	}
}

int
lw_ids_contains(const char *s, size_t len, const char *id)
{
	size_t		 n = strlen(id);
	const char	*p = s, *end = s + len;

	if (n == 0)
		return 0;
	while ((p = memmem(p, (size_t)(end - p), id, n)) != NULL) {
		int before = p == s || !idchar((unsigned char)p[-1]);
		int after = p + n == end || !idchar((unsigned char)p[n]);

		if (before && after)
			return 1;
		p++;
	}
	return 0;
}
