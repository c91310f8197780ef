/*
 * gen: the trading-bot log generator.  A weighted template table, a
 * splitmix64 stream and hand-written number formatting; each record is
 * built in a stack array and appended to the caller's buffer in one go,
 * so the benchmark can write ten million lines in a few seconds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "level.h"
#include "xmalloc.h"

/* A record's template: level, logger name, relative weight (records per
 * 100,000), traceback kind (0: none) and the message with placeholders. */
struct gen_tmpl {
	enum lw_level	 level;
	const char	*comp;
	uint32_t	 weight;
	uint8_t		 tb;
	uint8_t		 tb_always;
	const char	*text;
};

/*
 * Placeholders (gen_expand):
 *   %S symbol  %Q quote asset  %p price (random walk)
 *   %a, %z price a few ticks above, below the last %p
 *   %k price within a tick of the last %p  %q quantity
 *   %O new order id  %o a recent order id  %x buy/sell
 *   %n 1-20  %N 100-99999  %w 10-1190  %r 1-5  %t uptime seconds
 *   %l latency ms, one decimal  %L latency ms, integer
 *   %M slow latency 500-1500 ms  %H spike latency 800-3000 ms
 *   %P signed amount, 2 decimals  %u percent, 1 decimal
 *   %b balance, 2 decimals  %f fee, 4 decimals  %h 12 hex digits  %% %
 */
static const struct gen_tmpl gen_tmpls[] = {
	/* INFO: market data and the strategy's steady chatter. */
	{ LW_LVL_INFO, "MarketData", 9000, 0, 0,
	    "Ticker %S bid=%p ask=%a" },
	{ LW_LVL_INFO, "MarketData", 7000, 0, 0,
	    "Order book updated %S: best_bid=%p best_ask=%a depth=%n" },
	{ LW_LVL_INFO, "MarketData", 3500, 0, 0,
	    "Candle closed %S 1m o=%p h=%a l=%z c=%k v=%q" },
	{ LW_LVL_INFO, "MarketData", 600, 0, 0,
	    "Ticker 24h %S last=%p change_pct=%P volume=%N" },
	{ LW_LVL_INFO, "WebSocket", 8000, 0, 0,
	    "Received trade update %S price=%p qty=%q" },
	{ LW_LVL_INFO, "WebSocket", 2000, 0, 0,
	    "Ping sent, pong received in %Lms" },
	{ LW_LVL_INFO, "WebSocket", 500, 0, 0,
	    "Stream %S@trade message rate %n msg/s" },
	{ LW_LVL_INFO, "WebSocket", 200, 0, 0,
	    "Subscribed to %S@depth20 stream" },
	{ LW_LVL_INFO, "WebSocket", 100, 0, 0,
	    "Listen key refreshed, next refresh in 1800s" },
	{ LW_LVL_INFO, "Strategy", 8000, 0, 0,
	    "Signal evaluated for %S: rsi=%u ema_fast=%p ema_slow=%p "
	    "decision=hold" },
	{ LW_LVL_INFO, "Strategy", 1500, 0, 0,
	    "Signal evaluated for %S: rsi=%u decision=%x" },
	{ LW_LVL_INFO, "Strategy", 800, 0, 0,
	    "Trade closed %S side=%x entry=%p exit=%p pnl=%P roi=%u%%" },
	{ LW_LVL_INFO, "Strategy", 600, 0, 0,
	    "Trailing stop moved for %S to %p" },
	{ LW_LVL_INFO, "Strategy", 50, 0, 0,
	    "Indicators warmed up for %S (%N candles)" },
	/* INFO: the order life cycle, sharing order ids across records. */
	{ LW_LVL_INFO, "OrderManager", 4000, 0, 0,
	    "Order placed | id=%O | symbol=%S | side=%x | type=limit | "
	    "price=%p | qty=%q |" },
	{ LW_LVL_INFO, "OrderManager", 3000, 0, 0,
	    "Order filled | id=%o | symbol=%S | side=%x | price=%p | "
	    "qty=%q | fee=%f %Q |" },
	{ LW_LVL_INFO, "OrderManager", 1200, 0, 0,
	    "Order partially filled: id=%o filled=%q remaining=%q" },
	{ LW_LVL_INFO, "OrderManager", 1500, 0, 0,
	    "Order cancelled: id=%o reason=timeout" },
	{ LW_LVL_INFO, "OrderManager", 1200, 0, 0,
	    "Order cancelled: id=%o reason=replaced" },
	{ LW_LVL_INFO, "OrderManager", 400, 0, 0,
	    "Order amended | id=%o | new_price=%p |" },
	{ LW_LVL_INFO, "OrderManager", 1000, 0, 0,
	    "Open orders: %n (buy=%n sell=%n)" },
	{ LW_LVL_INFO, "OrderManager", 300, 0, 0,
	    "Market order executed: side=%x qty=%q symbol=%S avg_price=%p "
	    "slippage_bps=%n" },
	/* INFO: exchange round trips, where the latency metrics live. */
	{ LW_LVL_INFO, "Exchange", 3000, 0, 0,
	    "Order latency: %Lms" },
	{ LW_LVL_INFO, "Exchange", 6000, 0, 0,
	    "REST request completed method=GET path=/api/v3/ticker/price "
	    "status=200 latency_ms=%l" },
	{ LW_LVL_INFO, "Exchange", 3000, 0, 0,
	    "REST request completed method=POST path=/api/v3/order "
	    "status=200 latency_ms=%l" },
	{ LW_LVL_INFO, "Exchange", 1200, 0, 0,
	    "REST request completed method=DELETE path=/api/v3/order "
	    "status=200 latency_ms=%l" },
	{ LW_LVL_INFO, "Exchange", 1000, 0, 0,
	    "REST request completed method=GET path=/api/v3/account "
	    "status=200 latency_ms=%l" },
	{ LW_LVL_INFO, "Exchange", 1500, 0, 0,
	    "Rate limit usage: weight=%w/1200" },
	{ LW_LVL_INFO, "Exchange", 100, 0, 0,
	    "Markets refreshed: %N symbols loaded" },
	{ LW_LVL_INFO, "Exchange", 100, 0, 0,
	    "Server time synced, offset=%Lms" },
	/* INFO: bookkeeping. */
	{ LW_LVL_INFO, "Heartbeat", 4000, 0, 0,
	    "Heartbeat OK | uptime_s=%t | open_orders=%n | ws=connected |" },
	{ LW_LVL_INFO, "Heartbeat", 2500, 0, 0,
	    "event=heartbeat uptime_s=%t loop_ms=%L queue=%n "
	    "latency_ms=%l" },
	{ LW_LVL_INFO, "Portfolio", 1500, 0, 0,
	    "Balance update | asset=USDT | free=%b | locked=%b |" },
	{ LW_LVL_INFO, "Portfolio", 2500, 0, 0,
	    "Position %S: size=%q entry=%p mark=%p unrealized_pnl=%P" },
	{ LW_LVL_INFO, "Portfolio", 1000, 0, 0,
	    "Equity snapshot equity=%b available=%b margin_ratio=%u" },
	{ LW_LVL_INFO, "Portfolio", 150, 0, 0,
	    "Funding fee applied on %S: %P USDT" },
	{ LW_LVL_INFO, "RiskManager", 3000, 0, 0,
	    "Risk check passed for %S: exposure=%u%% limit=25.0%%" },
	{ LW_LVL_INFO, "RiskManager", 300, 0, 0,
	    "Daily PnL: %P USDT (trades=%N)" },
	{ LW_LVL_INFO, "RiskManager", 200, 0, 0,
	    "Order size capped for %S: requested=%q max=%q" },
	{ LW_LVL_INFO, "Main", 3000, 0, 0,
	    "Tick processed in %Lms: %n symbols, %n signals" },
	{ LW_LVL_INFO, "Main", 20, 0, 0,
	    "Config reloaded, %n strategies active" },
	{ LW_LVL_INFO, "Database", 1000, 0, 0,
	    "Trade persisted id=%o in %Lms" },
	{ LW_LVL_INFO, "Telegram", 300, 0, 0,
	    "Notification sent: order %o filled" },
	{ LW_LVL_INFO, "Scheduler", 100, 0, 0,
	    "Running job refresh_markets (next run in 60s)" },

	/* WARNING */
	{ LW_LVL_WARNING, "Exchange", 600, 0, 0,
	    "Rate limit approaching: used_weight=%w limit=1200" },
	{ LW_LVL_WARNING, "WebSocket", 300, 0, 0,
	    "WebSocket disconnected (code=1006), reconnecting in %ns" },
	{ LW_LVL_WARNING, "WebSocket", 300, 0, 0,
	    "WebSocket reconnected after %Lms, resubscribed to %n streams" },
	{ LW_LVL_WARNING, "Exchange", 400, 0, 0,
	    "Slow response from exchange | endpoint=/api/v3/order | "
	    "latency_ms=%M |" },
	{ LW_LVL_WARNING, "OrderManager", 500, 0, 0,
	    "Order %o not filled after %ns, repricing" },
	{ LW_LVL_WARNING, "RiskManager", 300, 0, 0,
	    "Exposure for %S at %u%% of limit" },
	{ LW_LVL_WARNING, "MarketData", 300, 0, 0,
	    "Stale order book for %S: last update %Lms ago" },
	{ LW_LVL_WARNING, "Exchange", 400, 0, 0,
	    "Request timeout on GET /api/v3/depth, retry %r/5" },
	{ LW_LVL_WARNING, "Strategy", 300, 0, 0,
	    "Spread too wide on %S (%n bps), skipping entry" },
	{ LW_LVL_WARNING, "Portfolio", 100, 0, 0,
	    "Balance low: USDT free=%b below reserve 500.00" },
	{ LW_LVL_WARNING, "Main", 100, 0, 0,
	    "Clock drift detected: %Lms vs exchange server time" },
	{ LW_LVL_WARNING, "Telegram", 100, 0, 0,
	    "Telegram API slow: sendMessage took %Lms" },

	/* ERROR; the traceback kinds are in gen_tracebacks below. */
	{ LW_LVL_ERROR, "Exchange", 200, 6, 0,
	    "Order placement failed: Insufficient funds" },
	{ LW_LVL_ERROR, "Exchange", 100, 0, 0,
	    "Order placement failed: %S qty=%q price=%p rejected "
	    "(code=-2010) Account has insufficient balance" },
	{ LW_LVL_ERROR, "Exchange", 150, 1, 0,
	    "Exchange timeout after 10000ms on POST /api/v3/order" },
	{ LW_LVL_ERROR, "Exchange", 150, 0, 0,
	    "Rate limit exceeded (HTTP 429), backing off %ns" },
	{ LW_LVL_ERROR, "OrderManager", 120, 0, 0,
	    "Cancel failed for order %o: Unknown order sent (code=-2011)" },
	{ LW_LVL_ERROR, "WebSocket", 100, 2, 0,
	    "WebSocket connection lost: ConnectionResetError "
	    "[Errno 104] Connection reset by peer" },
	{ LW_LVL_ERROR, "Exchange", 80, 0, 0,
	    "REST request failed method=GET path=/api/v3/account "
	    "status=503 latency_ms=%l" },
	{ LW_LVL_ERROR, "Strategy", 50, 3, 1,
	    "Error in strategy callback for %S: division by zero" },
	{ LW_LVL_ERROR, "Database", 50, 7, 0,
	    "Failed to persist trade %o: database is locked" },
	{ LW_LVL_ERROR, "Telegram", 50, 0, 0,
	    "Failed to send notification: HTTP 502 Bad Gateway" },
	{ LW_LVL_ERROR, "MarketData", 50, 4, 0,
	    "Failed to fetch candles for %S: NetworkError" },
	{ LW_LVL_ERROR, "Main", 30, 5, 1,
	    "Unhandled exception in main loop" },

	/* CRITICAL */
	{ LW_LVL_CRITICAL, "RiskManager", 10, 0, 0,
	    "Max drawdown exceeded: %u%% > 15.0%%, halting trading" },
	{ LW_LVL_CRITICAL, "Exchange", 8, 0, 0,
	    "API key rejected (code=-2015): Invalid API-key, IP, or "
	    "permissions for action" },
	{ LW_LVL_CRITICAL, "Main", 8, 0, 0,
	    "Trading engine stopped: too many consecutive errors (%n)" },
	{ LW_LVL_CRITICAL, "Portfolio", 4, 0, 0,
	    "Balance mismatch: local=%b exchange=%b" },
};
#define GEN_NTMPL	(sizeof(gen_tmpls) / sizeof(gen_tmpls[0]))

/* Errors the normal mix never writes, for LW_GEN_NEW_ERROR. */
static const struct gen_tmpl gen_novel[] = {
	{ LW_LVL_ERROR, "Exchange", 0, 0, 0,
	    "Margin is insufficient for %S (code=-2019)" },
	{ LW_LVL_ERROR, "OrderManager", 0, 0, 0,
	    "Position side does not match user setting (code=-4061)" },
	{ LW_LVL_ERROR, "Exchange", 0, 0, 0,
	    "Timestamp for this request is outside of the recvWindow "
	    "(code=-1021)" },
	{ LW_LVL_ERROR, "WebSocket", 0, 0, 0,
	    "TLS handshake failed: certificate has expired" },
	{ LW_LVL_ERROR, "Exchange", 0, 0, 0,
	    "Symbol %S is in break status, trading suspended" },
	{ LW_LVL_ERROR, "Database", 0, 7, 1,
	    "Disk quota exceeded while writing trades.sqlite" },
	{ LW_LVL_ERROR, "RiskManager", 0, 0, 0,
	    "Kill switch engaged: order rate above 50/s" },
	{ LW_LVL_ERROR, "Exchange", 0, 0, 0,
	    "Withdrawal address not whitelisted for %Q" },
};
#define GEN_NNOVEL	(sizeof(gen_novel) / sizeof(gen_novel[0]))

/* What LW_GEN_LATENCY_SPIKE writes, alternately. */
static const struct gen_tmpl gen_spike[] = {
	{ LW_LVL_WARNING, "Exchange", 0, 0, 0,
	    "Slow response from exchange | endpoint=/api/v3/order | "
	    "latency_ms=%H |" },
	{ LW_LVL_INFO, "Exchange", 0, 0, 0,
	    "REST request completed method=POST path=/api/v3/order "
	    "status=200 latency_ms=%H" },
};

/*
 * Tracebacks, indexed by gen_tmpl.tb.  Frames and paths are invented but
 * shaped like CPython's: two-space "File" lines, four-space source lines,
 * a chained exception with its empty line.
 */
static const char *const gen_tracebacks[] = {
	NULL,
	/* 1: exchange timeout */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/exchange/client.py\", line 214, in create_order\n"
	"    resp = await self._request(\"POST\", \"/api/v3/order\", params)\n"
	"  File \"/opt/tradebot/bot/exchange/client.py\", line 131, in _request\n"
	"    async with self._session.request(method, url, data=body) as r:\n"
	"  File \"/opt/tradebot/.venv/lib/python3.11/site-packages/aiohttp/client.py\", line 605, in _request\n"
	"    await resp.start(conn)\n"
	"asyncio.exceptions.TimeoutError\n",
	/* 2: websocket reset */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/ws/stream.py\", line 88, in run\n"
	"    msg = await self._ws.recv()\n"
	"  File \"/opt/tradebot/.venv/lib/python3.11/site-packages/websockets/legacy/protocol.py\", line 568, in recv\n"
	"    await self.ensure_open()\n"
	"websockets.exceptions.ConnectionClosedError: no close frame received or sent\n",
	/* 3: strategy bug */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/strategy/runner.py\", line 57, in on_candle\n"
	"    signal = self.strategy.evaluate(candles)\n"
	"  File \"/opt/tradebot/strategies/mean_reversion.py\", line 42, in evaluate\n"
	"    z = (price - mean) / std\n"
	"ZeroDivisionError: float division by zero\n",
	/* 4: DNS failure, chained */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/data/candles.py\", line 73, in fetch\n"
	"    raw = await self.exchange.fetch_ohlcv(symbol, \"1m\", limit=500)\n"
	"  File \"/opt/tradebot/bot/exchange/client.py\", line 131, in _request\n"
	"    async with self._session.request(method, url, data=body) as r:\n"
	"aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host api.binance.com:443 ssl:default [Temporary failure in name resolution]\n"
	"\n"
	"During handling of the above exception, another exception occurred:\n"
	"\n"
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/data/candles.py\", line 79, in fetch\n"
	"    raise NetworkError(\"fetch_ohlcv failed\") from exc\n"
	"bot.errors.NetworkError: fetch_ohlcv failed after 3 retries\n",
	/* 5: main loop */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/main.py\", line 122, in main_loop\n"
	"    await engine.tick()\n"
	"  File \"/opt/tradebot/bot/engine.py\", line 301, in tick\n"
	"    pos = self.positions[order.symbol]\n"
	"KeyError: 'SOL/USDT'\n",
	/* 6: insufficient funds */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/orders/manager.py\", line 166, in place\n"
	"    order = await self.client.create_order(**req)\n"
	"  File \"/opt/tradebot/bot/exchange/client.py\", line 228, in create_order\n"
	"    raise InsufficientFunds(data[\"msg\"])\n"
	"bot.errors.InsufficientFunds: Account has insufficient balance for requested action.\n",
	/* 7: database */
	"Traceback (most recent call last):\n"
	"  File \"/opt/tradebot/bot/store/trades.py\", line 64, in save\n"
	"    self.db.execute(INSERT_TRADE, row)\n"
	"sqlite3.OperationalError: database is locked\n",
};
#define GEN_NTB		(sizeof(gen_tracebacks) / sizeof(gen_tracebacks[0]))

/* Prices and quantities are fixed-point integers: value * 10^dec. */
struct gen_sym {
	const char	*name;
	const char	*base;
	const char	*quote;
	int64_t		 price0;
	unsigned	 pdec;
	int64_t		 qmin, qmax;
	unsigned	 qdec;
};

static const struct gen_sym gen_syms[] = {
	{ "BTC/USDT", "BTC", "USDT", 6743215, 2, 10, 50000, 5 },
	{ "ETH/USDT", "ETH", "USDT", 352147, 2, 10, 80000, 4 },
	{ "SOL/USDT", "SOL", "USDT", 15123, 2, 10, 50000, 2 },
	{ "BNB/USDT", "BNB", "USDT", 5812, 1, 10, 20000, 3 },
	{ "XRP/USDT", "XRP", "USDT", 5234, 4, 100, 500000, 1 },
	{ "DOGE/USDT", "DOGE", "USDT", 15234, 5, 100, 900000, 0 },
	{ "ADA/USDT", "ADA", "USDT", 4512, 4, 100, 300000, 1 },
	{ "AVAX/USDT", "AVAX", "USDT", 3512, 2, 10, 30000, 2 },
	{ "LINK/USDT", "LINK", "USDT", 14234, 3, 10, 50000, 2 },
	{ "ETH/BTC", "ETH", "BTC", 5234, 5, 10, 50000, 4 },
};
#define GEN_NSYM	(sizeof(gen_syms) / sizeof(gen_syms[0]))

/* BTC and ETH are what most bots trade most. */
static const uint8_t gen_sym_pick[16] = {
	0, 0, 0, 0, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0
};

static const char *const gen_level_word[LW_LVL_COUNT] = {
	"INFO", "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"
};

struct lw_gen {
	uint64_t	 state;		/* splitmix64 */
	int64_t		 start_ms;
	int64_t		 clock_us;	/* log clock */
	uint64_t	 gap_span;	/* gaps are uniform in [0, gap_span] us */

	int64_t		 ts_sec;	/* second that ts_text shows */
	char		 ts_text[20];	/* "YYYY-MM-DD HH:MM:SS" */

	uint32_t	 cum[GEN_NTMPL];	/* cumulative weights */
	uint32_t	 total;
	uint16_t	 err_idx[GEN_NTMPL];	/* the ERROR templates */
	unsigned	 nerr;

	int64_t		 price[GEN_NSYM];
	uint64_t	 order_id;
	int		 sym;		/* this record's symbol, -1: none yet */

	enum lw_gen_incident inc_kind;
	unsigned	 inc_left;
	const struct gen_tmpl *inc_tmpl;	/* REPEAT, NEW_ERROR */
	unsigned	 novel_next;
};

/* A bounded writer over the record's stack array. */
struct gen_w {
	char	*p;
	char	*end;
};

static uint64_t
gen_rand(struct lw_gen *g)
{
	uint64_t	z;

	z = (g->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi] for spans below 2^32, by multiply-shift: no
 * division, and the same result on every platform. */
static int64_t
gen_range(struct lw_gen *g, int64_t lo, int64_t hi)
{
	uint64_t	n = (uint64_t)(hi - lo) + 1;

	return lo + (int64_t)(((gen_rand(g) >> 32) * n) >> 32);
}

static void
w_add(struct gen_w *w, const char *s, size_t n)
{
	if (n > (size_t)(w->end - w->p))
		n = (size_t)(w->end - w->p);
	memcpy(w->p, s, n);
	w->p += n;
}

static void
w_adds(struct gen_w *w, const char *s)
{
	w_add(w, s, strlen(s));
}

static void
w_u64(struct gen_w *w, uint64_t v)
{
	char	tmp[20], *q = tmp + sizeof(tmp);

	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	w_add(w, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* v / 10^dec with exactly dec decimals. */
static void
w_fixed(struct gen_w *w, int64_t v, unsigned dec)
{
	char		tmp[24], *q = tmp + sizeof(tmp);
	uint64_t	u;
	unsigned	i;

	u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	for (i = 0; i < dec; i++) {
		*--q = (char)('0' + u % 10);
		u /= 10;
	}
	if (dec > 0)
		*--q = '.';
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--q = '-';
	w_add(w, q, (size_t)(tmp + sizeof(tmp) - q));
}

static void
put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD HH:MM:SS" in UTC, recomputed only when the second changes
 * (Hinnant's civil_from_days).  The clock stays within years 1970-9999. */
static void
gen_ts_update(struct lw_gen *g, int64_t sec)
{
	int64_t		days = sec / 86400, z, era, y;
	unsigned	sod = (unsigned)(sec % 86400), doe, yoe, doy, mp, d, m;
	char		*t = g->ts_text;

	z = days + 719468;
	era = z / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	put2(t, (unsigned)(y / 100));
	put2(t + 2, (unsigned)(y % 100));
	t[4] = '-';
	put2(t + 5, m);
	t[7] = '-';
	put2(t + 8, d);
	t[10] = ' ';
	put2(t + 11, sod / 3600);
	t[13] = ':';
	put2(t + 14, sod / 60 % 60);
	t[16] = ':';
	put2(t + 17, sod % 60);
	t[19] = '\0';
	g->ts_sec = sec;
}

static void
gen_timestamp(struct lw_gen *g, struct gen_w *w, int64_t ms)
{
	char	frac[4];

	if (ms / 1000 != g->ts_sec)
		gen_ts_update(g, ms / 1000);
	w_add(w, g->ts_text, 19);
	frac[0] = '.';
	frac[1] = (char)('0' + ms / 100 % 10);
	frac[2] = (char)('0' + ms / 10 % 10);
	frac[3] = (char)('0' + ms % 10);
	w_add(w, frac, 4);
}

static const struct gen_sym *
gen_sym(struct lw_gen *g)
{
	if (g->sym < 0)
		g->sym = gen_sym_pick[gen_rand(g) >> 60];
	return &gen_syms[g->sym];
}

/* The symbol's price takes a small random step, held within half and
 * twice its starting value so that a long run stays plausible. */
static int64_t
gen_price(struct lw_gen *g)
{
	const struct gen_sym	*s = gen_sym(g);
	int64_t			*p = &g->price[g->sym], step;

	step = *p / 4000 + 1;
	*p += gen_range(g, -step, step);
	if (*p < s->price0 / 2)
		*p = s->price0 / 2;
	if (*p > s->price0 * 2)
		*p = s->price0 * 2;
	return *p;
}

/* Mostly tens of milliseconds, with one in fifty in a long tail. */
static int64_t
gen_latency_tenths(struct lw_gen *g)
{
	int64_t	v = gen_range(g, 15, 400);

	if ((gen_rand(g) & 63) == 0)
		v += gen_range(g, 0, 3000);
	return v;
}

static void
gen_expand(struct lw_gen *g, struct gen_w *w, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	const struct gen_sym	*sym;
	const char		*pct;
	char			 h[12];
	uint64_t		 r;
	int64_t			 up;
	unsigned		 i;

	for (;;) {
		if ((pct = strchr(s, '%')) == NULL) {
			w_adds(w, s);
			return;
		}
		w_add(w, s, (size_t)(pct - s));
		s = pct + 1;
		if (*s == '\0')
			return;
		switch (*s++) {
		case 'S':
			w_adds(w, gen_sym(g)->name);
			break;
		case 'Q':
			w_adds(w, gen_sym(g)->quote);
			break;
		case 'p':
			w_fixed(w, gen_price(g), gen_sym(g)->pdec);
			break;
		case 'a':
			sym = gen_sym(g);
			w_fixed(w, g->price[g->sym] + gen_range(g, 1, 5),
			    sym->pdec);
			break;
		case 'z':
			sym = gen_sym(g);
			w_fixed(w, g->price[g->sym] - gen_range(g, 1, 5),
			    sym->pdec);
			break;
		case 'k':
			sym = gen_sym(g);
			w_fixed(w, g->price[g->sym] + gen_range(g, -1, 1),
			    sym->pdec);
			break;
		case 'q':
			sym = gen_sym(g);
			w_fixed(w, gen_range(g, sym->qmin, sym->qmax),
			    sym->qdec);
			break;
		case 'O':
			g->order_id += (uint64_t)gen_range(g, 1, 9);
			w_u64(w, g->order_id);
			break;
		case 'o':
			w_u64(w, g->order_id - (uint64_t)gen_range(g, 0, 40));
			break;
		case 'x':
			w_adds(w, gen_rand(g) >> 63 ? "buy" : "sell");
			break;
		case 'n':
			w_u64(w, (uint64_t)gen_range(g, 1, 20));
			break;
		case 'N':
			w_u64(w, (uint64_t)gen_range(g, 100, 99999));
			break;
		case 'w':
			w_u64(w, (uint64_t)gen_range(g, 10, 1190));
			break;
		case 'r':
			w_u64(w, (uint64_t)gen_range(g, 1, 5));
			break;
		case 't':
			/* A demo clock may sit before start_ms. */
			up = g->clock_us / 1000 - g->start_ms;
			w_u64(w, up > 0 ? (uint64_t)up / 1000 : 0);
			break;
		case 'l':
			w_fixed(w, gen_latency_tenths(g), 1);
			break;
		case 'L':
			w_u64(w, (uint64_t)(gen_latency_tenths(g) + 5) / 10);
			break;
		case 'M':
			w_fixed(w, gen_range(g, 5000, 15000), 1);
			break;
		case 'H':
			w_fixed(w, gen_range(g, 8000, 30000), 1);
			break;
		case 'P':
			w_fixed(w, gen_range(g, -50000, 50000), 2);
			break;
		case 'u':
			w_fixed(w, gen_range(g, 0, 1000), 1);
			break;
		case 'b':
			w_fixed(w, gen_range(g, 100000, 5000000), 2);
			break;
		case 'f':
			w_fixed(w, gen_range(g, 1, 50000), 4);
			break;
		case 'h':
			r = gen_rand(g);
			for (i = 0; i < sizeof(h); i++, r >>= 4)
				h[i] = hex[r & 15];
			w_add(w, h, sizeof(h));
			break;
		default:	/* '%' and, defensively, anything unknown */
			w_add(w, s - 1, 1);
			break;
		}
	}
}

struct lw_gen *
lw_gen_new(const struct lw_gen_opts *opts)
{
	struct lw_gen	*g;
	double		 rate = LW_GEN_DEFAULT_RATE;
	uint32_t	 sum = 0;
	size_t		 i;

	g = xcalloc(1, sizeof(*g));
	if (opts != NULL) {
		/* Mixed so that seeds 0, 1, 2 ... do not start alike. */
		g->state = opts->seed ^ 0x6c6f677761726465ULL;
		g->start_ms = opts->start_ms > 0 ? opts->start_ms : 0;
		if (g->start_ms > LW_GEN_MAX_MS)
			g->start_ms = LW_GEN_MAX_MS;
		if (opts->lines_per_sec > 0)
			rate = opts->lines_per_sec;
	}
	if (rate > LW_GEN_MAX_RATE)
		rate = LW_GEN_MAX_RATE;
	if (rate < 0.001)
		rate = 0.001;
	/* Uniform gaps in [0, 2 * mean] keep the mean rate exact. */
	g->gap_span = (uint64_t)(2e6 / rate);
	g->clock_us = g->start_ms * 1000;
	g->ts_sec = -1;

	for (i = 0; i < GEN_NTMPL; i++) {
		sum += gen_tmpls[i].weight;
		g->cum[i] = sum;
		if (gen_tmpls[i].level == LW_LVL_ERROR)
			g->err_idx[g->nerr++] = (uint16_t)i;
	}
	g->total = sum;
	for (i = 0; i < GEN_NSYM; i++)
		g->price[i] = gen_syms[i].price0;
	/* Exchange order ids are large and only grow. */
	g->order_id = 8000000000ULL + (gen_rand(g) >> 40);
	return g;
}

void
lw_gen_free(struct lw_gen *g)
{
	free(g);
}

void
lw_gen_incident(struct lw_gen *g, enum lw_gen_incident kind,
    unsigned nrecords)
{
	g->inc_kind = kind;
	g->inc_left = nrecords;
	g->inc_tmpl = NULL;
	if (nrecords == 0)
		return;
	switch (kind) {
	case LW_GEN_REPEAT:
		g->inc_tmpl = &gen_tmpls[g->err_idx[gen_range(g, 0,
		    (int64_t)g->nerr - 1)]];
		break;
	case LW_GEN_NEW_ERROR:
		g->inc_tmpl = &gen_novel[g->novel_next++ % GEN_NNOVEL];
		break;
	case LW_GEN_ERROR_BURST:
	case LW_GEN_LATENCY_SPIKE:
		break;
	}
}

unsigned
lw_gen_incident_left(const struct lw_gen *g)
{
	return g->inc_left;
}

static const struct gen_tmpl *
gen_pick(struct lw_gen *g)
{
	uint32_t	r;
	size_t		lo = 0, hi = GEN_NTMPL - 1, mid;

	if (g->inc_left > 0) {
		g->inc_left--;
		switch (g->inc_kind) {
		case LW_GEN_ERROR_BURST:
			return &gen_tmpls[g->err_idx[gen_range(g, 0,
			    (int64_t)g->nerr - 1)]];
		case LW_GEN_LATENCY_SPIKE:
			return &gen_spike[g->inc_left & 1];
		case LW_GEN_REPEAT:
		case LW_GEN_NEW_ERROR:
			return g->inc_tmpl;
		}
	}
	/* The first template whose cumulative weight passes r. */
	r = (uint32_t)gen_range(g, 0, (int64_t)g->total - 1);
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (g->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &gen_tmpls[lo];
}

size_t
lw_gen_next(struct lw_gen *g, struct buf *out, int64_t now_ms)
{
	char			 rec[LW_GEN_RECORD_MAX];
	struct gen_w		 w = { rec, rec + sizeof(rec) };
	const struct gen_tmpl	*t;
	const char		*tb, *p;
	size_t			 nlines = 1;

	if (now_ms >= 0)
		g->clock_us = (now_ms < LW_GEN_MAX_MS ? now_ms : LW_GEN_MAX_MS) *
		    1000;
	else {
		g->clock_us += gen_range(g, 0, (int64_t)g->gap_span);
		if (g->clock_us > LW_GEN_MAX_MS * 1000)
			g->clock_us = LW_GEN_MAX_MS * 1000;
	}
	t = gen_pick(g);
	g->sym = -1;

	gen_timestamp(g, &w, g->clock_us / 1000);
	w_add(&w, " [", 2);
	w_adds(&w, gen_level_word[t->level]);
	w_add(&w, "] ", 2);
	w_adds(&w, t->comp);
	w_add(&w, " - ", 3);
	gen_expand(g, &w, t->text);
	/* Room for the newline is kept back by the traceback's bound. */
	if (w.p == w.end)
		w.p--;
	*w.p++ = '\n';

	if (t->tb != 0 && t->tb < GEN_NTB &&
	    (t->tb_always || (gen_rand(g) >> 63) != 0)) {
		tb = gen_tracebacks[t->tb];
		for (p = tb; *p != '\0'; p++)
			nlines += *p == '\n';
		w_adds(&w, tb);
		if (w.p == w.end)	/* cannot happen with these tables */
			return 0;
	}
	if (buf_add(out, rec, (size_t)(w.p - rec)) == -1)
		return 0;
	return nlines;
}
