/*
 * config: load, validate and dump the INI configuration.
 *
 * inih splits "key = value ; comment" lines; everything around it is
 * ours.  Debian's libinih is built with INI_HANDLER_LINENO=0 and
 * INI_MAX_LINE=200, and by default continues a value on an indented line
 * and silently cuts long lines, so all input goes through cfg_reader: it
 * hands inih one physical line per call (which makes its own count the
 * line number the handler needs), strips leading white space (no
 * continuation lines), refuses lines that would not fit instead of letting
 * inih cut them, and parses [section] headers itself so that empty and
 * unknown sections are seen too.  inih only ever sees key lines.
 *
 * One table (opts[]) names every key with its type, range and default;
 * defaults are applied by parsing the default text through the same code
 * as the file, and the dump walks the same table.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "mailfmt.h"
#include "redact.h"
#include "utf8.h"
#include "xmalloc.h"

#if INI_HANDLER_LINENO
#error "cfg_handler expects inih's handler without a line number"
#endif

enum sect {
	S_NONE, S_SOURCE, S_STATE, S_RULES, S_LLM, S_TELEGRAM, S_EMAIL,
	S_WEBHOOK, S_ALERTS, S_REPORTS, S_NFIXED,
	S_METRIC = S_NFIXED, S_CATEGORY, S_BAD
};

static const char *sect_names[S_NFIXED] = {
	NULL, "source", "state", "rules", "llm", "telegram", "email",
	"webhook", "alerts", "reports"
};

enum otype {
	T_STR, T_PATH, T_HTTP, T_SMTP, T_ADDR, T_ADDRS, T_ENV,	/* char * */
	T_BOOL, T_TRIBOOL, T_START,				/* int */
	T_DUR, T_UINT,						/* unsigned */
	T_SIZE, T_DOUBLE, T_SEV,
	T_HHMM							/* int */
};

#define O_REQUIRED	0x1	/* must be set (validated after parsing) */
#define O_NONEMPTY	0x2	/* an empty value is an error, not "unset" */

struct opt {
	enum sect	 sect;
	const char	*name;
	enum otype	 type;
	size_t		 off;
	double		 min, max;
	const char	*def;		/* NULL: unset */
	int		 flags;
};

#define OFF(m)	offsetof(struct lw_config, m)
#define DAY	86400
#define WEEK	(7 * DAY)

static const struct opt opts[] = {
	{ S_SOURCE, "path", T_PATH, OFF(source.path), 0, 0, NULL,
	    O_REQUIRED | O_NONEMPTY },
	{ S_SOURCE, "start", T_START, OFF(source.start_beginning), 0, 0,
	    "end", 0 },
	{ S_SOURCE, "ring_lines", T_UINT, OFF(source.ring_lines), 1, 100000,
	    "200", 0 },
	{ S_SOURCE, "max_line_bytes", T_SIZE, OFF(source.max_line_bytes),
	    256, 16 * 1024 * 1024, "65536", 0 },
	{ S_SOURCE, "rotate_wait", T_DUR, OFF(source.rotate_wait), 0, 600,
	    "2", 0 },
	{ S_STATE, "dir", T_PATH, OFF(state.dir), 0, 0,
	    "/var/lib/logwarden", O_NONEMPTY },
	{ S_RULES, "window", T_DUR, OFF(rules.window), 1, DAY, "300", 0 },
	{ S_RULES, "errors", T_UINT, OFF(rules.errors), 0, 1000000, "20", 0 },
	{ S_RULES, "warnings", T_UINT, OFF(rules.warnings), 0, 1000000,
	    "100", 0 },
	{ S_RULES, "repeat", T_UINT, OFF(rules.repeat), 0, 1000000, "5", 0 },
	{ S_RULES, "silence", T_DUR, OFF(rules.silence), 0, WEEK, "300", 0 },
	{ S_RULES, "new_error", T_BOOL, OFF(rules.new_error), 0, 0, "yes", 0 },
	{ S_RULES, "spike", T_DOUBLE, OFF(rules.spike), 0, 1000, "3.0", 0 },
	{ S_LLM, "enabled", T_BOOL, OFF(llm.enabled), 0, 0, "yes", 0 },
	{ S_LLM, "url", T_HTTP, OFF(llm.url), 0, 0,
	    "https://api.openai.com/v1/chat/completions", O_NONEMPTY },
	{ S_LLM, "model", T_STR, OFF(llm.model), 0, 0, "gpt-4o-mini",
	    O_NONEMPTY },
	{ S_LLM, "api_key_env", T_ENV, OFF(llm.api_key_env), 0, 0,
	    "OPENAI_API_KEY", 0 },
	{ S_LLM, "api_key_file", T_PATH, OFF(llm.api_key_file), 0, 0, NULL,
	    0 },
	{ S_LLM, "interval", T_DUR, OFF(llm.interval), 1, DAY, "300", 0 },
	{ S_LLM, "timeout", T_DUR, OFF(llm.timeout), 1, 3600, "60", 0 },
	{ S_LLM, "max_calls_per_hour", T_UINT, OFF(llm.max_calls_per_hour),
	    1, 3600, "30", 0 },
	{ S_LLM, "max_prompt_tokens", T_UINT, OFF(llm.max_prompt_tokens),
	    256, 2000000, "8000", 0 },
	{ S_LLM, "json_mode", T_BOOL, OFF(llm.json_mode), 0, 0, "no", 0 },
	{ S_TELEGRAM, "bot_token_env", T_ENV, OFF(telegram.bot_token_env),
	    0, 0, "TELEGRAM_BOT_TOKEN", 0 },
	{ S_TELEGRAM, "bot_token_file", T_PATH, OFF(telegram.bot_token_file),
	    0, 0, NULL, 0 },
	{ S_TELEGRAM, "chat_id", T_STR, OFF(telegram.chat_id), 0, 0, NULL, 0 },
	{ S_TELEGRAM, "api_url", T_HTTP, OFF(telegram.api_url), 0, 0,
	    "https://api.telegram.org", O_NONEMPTY },
	{ S_TELEGRAM, "min_severity", T_SEV, OFF(telegram.min_severity), 0, 0,
	    "warning", 0 },
	{ S_TELEGRAM, "timeout", T_DUR, OFF(telegram.timeout), 1, 3600, "10",
	    0 },
	{ S_TELEGRAM, "message_thread_id", T_STR,
	    OFF(telegram.message_thread_id), 0, 0, NULL, 0 },
	{ S_TELEGRAM, "daily_cap", T_UINT, OFF(telegram.daily_cap), 0, 100000,
	    "200", 0 },
	{ S_EMAIL, "url", T_SMTP, OFF(email.url), 0, 0, NULL, 0 },
	{ S_EMAIL, "starttls", T_TRIBOOL, OFF(email.starttls), 0, 0, NULL, 0 },
	{ S_EMAIL, "from", T_ADDR, OFF(email.from), 0, 0, NULL, 0 },
	{ S_EMAIL, "to", T_ADDRS, OFF(email.to), 0, 0, NULL, 0 },
	{ S_EMAIL, "username", T_STR, OFF(email.username), 0, 0, NULL, 0 },
	{ S_EMAIL, "password_env", T_ENV, OFF(email.password_env), 0, 0, NULL,
	    0 },
	{ S_EMAIL, "password_file", T_PATH, OFF(email.password_file), 0, 0,
	    NULL, 0 },
	{ S_EMAIL, "min_severity", T_SEV, OFF(email.min_severity), 0, 0,
	    "critical", 0 },
	{ S_EMAIL, "timeout", T_DUR, OFF(email.timeout), 1, 3600, "30", 0 },
	{ S_EMAIL, "ca_file", T_PATH, OFF(email.ca_file), 0, 0, NULL, 0 },
	{ S_EMAIL, "daily_cap", T_UINT, OFF(email.daily_cap), 0, 100000,
	    "50", 0 },
	{ S_WEBHOOK, "url", T_HTTP, OFF(webhook.url), 0, 0, NULL, 0 },
	{ S_WEBHOOK, "min_severity", T_SEV, OFF(webhook.min_severity), 0, 0,
	    "info", 0 },
	{ S_WEBHOOK, "timeout", T_DUR, OFF(webhook.timeout), 1, 3600, "10", 0 },
	{ S_WEBHOOK, "daily_cap", T_UINT, OFF(webhook.daily_cap), 0, 1000000,
	    "0", 0 },
	{ S_ALERTS, "cooldown", T_DUR, OFF(alerts.cooldown), 0, WEEK, "900", 0 },
	{ S_ALERTS, "group_interval", T_DUR, OFF(alerts.group_interval), 0,
	    3600, "30", 0 },
	{ S_ALERTS, "jsonl", T_PATH, OFF(alerts.jsonl), 0, 0, NULL, 0 },
	{ S_ALERTS, "max_age", T_DUR, OFF(alerts.max_age), 60, 30 * DAY,
	    "86400", 0 },
	{ S_ALERTS, "resolved", T_BOOL, OFF(alerts.resolved), 0, 0, "no", 0 },
	{ S_ALERTS, "redact", T_STR, OFF(alerts.redact), 0, 0, NULL, 0 },
	{ S_REPORTS, "hourly", T_BOOL, OFF(reports.hourly), 0, 0, "no", 0 },
	{ S_REPORTS, "daily", T_HHMM, OFF(reports.daily), 0, 0, "", 0 },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

/* A secret: an environment variable name and a file, the file wins. */
struct secret {
	enum sect	 sect;
	const char	*name;		/* "api_key" */
	const char	*envkey, *filekey;
	size_t		 env_off, file_off, out_off;
};

static const struct secret secrets[] = {
	{ S_LLM, "api_key", "api_key_env", "api_key_file",
	    OFF(llm.api_key_env), OFF(llm.api_key_file), OFF(llm.api_key) },
	{ S_TELEGRAM, "bot_token", "bot_token_env", "bot_token_file",
	    OFF(telegram.bot_token_env), OFF(telegram.bot_token_file),
	    OFF(telegram.bot_token) },
	{ S_EMAIL, "password", "password_env", "password_file",
	    OFF(email.password_env), OFF(email.password_file),
	    OFF(email.password) },
};
#define NSECRETS (sizeof(secrets) / sizeof(secrets[0]))

enum mkey { MK_PATTERN, MK_ABOVE, MK_BELOW, MK_STAT, MK_COUNT };
static const char *mkey_names[MK_COUNT] = { "pattern", "above", "below",
    "stat" };
static const char *stat_names[] = { "avg", "max", "p95", "count" };

/* Parse state, alive for one lw_config_load. */
struct cfgctx {
	struct lw_config	*cfg;
	struct lw_cfgerrs	*errs;
	const char		*file;
	size_t			 nerr0;		/* errs->n before this load */
	const char		*data;
	size_t			 len, pos;
	int			 lineno;	/* of the line inih holds */
	enum sect		 sect;
	size_t			 metric;	/* index when sect is S_METRIC */
	size_t			 category;	/* index when S_CATEGORY */
	struct {
		int	 match, impact;	/* lines they were set on */
		int	 lost;
	}			 cs[LW_CONFIG_MAX_CATEGORIES];
	int			 sect_line[S_NFIXED];
	int			 lost[S_NFIXED]; /* a key line was refused */
	int			 seen[NOPTS];	/* line a key was set on */
	int			 bad[NOPTS];	/* its value was refused */
	struct {
		int	 seen[MK_COUNT];
		int	 lost;
		int	 badlimit;	/* an above/below was refused */
	}			 ms[LW_CONFIG_MAX_METRICS];
};

static void	cerr(struct cfgctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

const char *
lw_stat_name(enum lw_stat s)
{
	if ((unsigned)s > LW_STAT_COUNT)
		return "avg";
	return stat_names[s];
}

/* Escaped copy of untrusted text for a message, cut at 128 bytes. */
static char *
esc(const char *s)
{
	struct buf	 b;
	size_t		 len = strlen(s), n;

	buf_init(&b, 1024);
	n = len > 128 ? lw_utf8_cut(s, 128) : len;
	if (lw_vis(&b, s, n) == -1 || (n < len && buf_adds(&b, "...") == -1))
		fatalx("%s: escape buffer too small", __func__);
	return buf_take(&b);
}

static void
cerr(struct cfgctx *c, int line, const char *fmt, ...)
{
	struct lw_cfgerr	*e;
	va_list			 ap;
	char			*msg;
	size_t			 mine = c->errs->n - c->nerr0;

	if (mine > LW_CONFIG_MAX_ERRORS)
		return;
	if (mine == LW_CONFIG_MAX_ERRORS)
		msg = xstrdup("too many errors, giving up on the rest");
	else {
		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) == -1)
			fatal("%s: vasprintf", __func__);
		va_end(ap);
	}
	c->errs->v = xreallocarray(c->errs->v, c->errs->n + 1,
	    sizeof(*c->errs->v));
	e = &c->errs->v[c->errs->n++];
	e->file = xstrdup(c->file);
	e->line = line;
	e->msg = msg;
}

/* Levenshtein distance of two short strings, for "did you mean". */
static size_t
lev(const char *a, const char *b)
{
	size_t	 row[LW_CONFIG_MAX_NAME + 1], la = strlen(a), lb = strlen(b);
	size_t	 i, j, diag, up;

	if (la > LW_CONFIG_MAX_NAME || lb > LW_CONFIG_MAX_NAME)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* Close enough to be a typo: 1 edit for short names, 2 for longer ones. */
static int
near(const char *typed, const char *name)
{
	size_t	d = lev(typed, name);

	return d <= (strlen(name) >= 5 ? 2u : 1u);
}

static int
opt_find(enum sect s, const char *name)
{
	size_t	i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].sect == s && strcmp(opts[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Digits only, no sign, no overflow past 2^53 (exact in a double). */
static int
parse_whole(const char *s, double *out)
{
	double	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 9007199254740992.0)
			return -1;
	}
	*out = v;
	return 0;
}

/* A finite decimal number; strtod alone would take "inf", "nan", hex. */
static int
parse_double(const char *s, double *out)
{
	const char	*p;
	char		*end;
	double		 v;

	if (*s == '\0' || strlen(s) > 64)
		return -1;
	for (p = s; *p != '\0'; p++)
		if (strchr("0123456789.+-eE", *p) == NULL)
			return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0' || end == s || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* "HH:MM" (one or two hour digits) as a minute of the day; "", "no" or
 * "off" as -1 (none). */
static int
parse_hhmm(const char *s, int *out)
{
	unsigned	h = 0, m;
	size_t		i = 0;

	if (*s == '\0' || strcasecmp(s, "no") == 0 ||
	    strcasecmp(s, "off") == 0) {
		*out = -1;
		return 0;
	}
	while (i < 2 && isdigit((unsigned char)s[i]))
		h = h * 10 + (unsigned)(s[i++] - '0');
	if (i == 0 || s[i] != ':' || !isdigit((unsigned char)s[i + 1]) ||
	    !isdigit((unsigned char)s[i + 2]) || s[i + 3] != '\0')
		return -1;
	m = (unsigned)(s[i + 1] - '0') * 10 + (unsigned)(s[i + 2] - '0');
	if (h > 23 || m > 59)
		return -1;
	*out = (int)(h * 60 + m);
	return 0;
}

/* scheme://host..., scheme compared without case. */
static int
url_ok(const char *s, const char *scheme1, const char *scheme2)
{
	const char	*schemes[2] = { scheme1, scheme2 };
	size_t		 i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(schemes[i]);
		if (strncasecmp(s, schemes[i], n) == 0 &&
		    s[n] != '\0' && s[n] != '/' && strchr(s, ' ') == NULL)
			return 1;
	}
	return 0;
}

/* Enough of an address to catch a swapped key or a typo; the server
 * decides the rest. */
static int
addr_ok(const char *s)
{
	char	bare[LW_MAIL_ADDR_MAX];

	/* "a@b" or "Name <a@b>": the same rules the mail builder uses. */
	return lw_mail_addr(s, bare, sizeof(bare)) == 0;
}

static int
envname_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* email.to: comma-separated, white space around items ignored. */
static int
set_addrs(struct lw_config *cfg, const char *v, char **cause)
{
	char		**to = NULL, *item, *bad;
	size_t		  nto = 0, n;
	const char	 *p = v, *e;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0) {
			item = xmemdup(p, n);
			if (!addr_ok(item) || nto == LW_CONFIG_MAX_TO) {
				bad = esc(item);
				if (nto == LW_CONFIG_MAX_TO)
					xasprintf(cause, "more than %d "
					    "recipients", LW_CONFIG_MAX_TO);
				else
					xasprintf(cause, "\"%s\" is not an "
					    "email address", bad);
				free(bad);
				free(item);
				strv_free(to, nto);
				return -1;
			}
			to = xreallocarray(to, nto + 1, sizeof(*to));
			to[nto++] = item;
		}
		p = *e == ',' ? e + 1 : e;
	}
	strv_free(cfg->email.to, cfg->email.nto);
	cfg->email.to = to;
	cfg->email.nto = nto;
	return 0;
}

/*
 * Sets one option from text.  0, or -1 with *cause allocated; on error
 * the old value stays.
 */
static int
opt_set(struct lw_config *cfg, const struct opt *o, const char *v,
    char **cause)
{
	char		*base = (char *)cfg + o->off, *e = NULL;
	const char	*unit = "";
	double		 d;
	int		 b, rc = -1;
	enum lw_sev	 sev;

	*cause = NULL;
	if (o->type <= T_ENV) {
		if (*v == '\0') {
			if (o->flags & O_NONEMPTY) {
				*cause = xstrdup("must not be empty");
				goto out;
			}
			if (o->type == T_ADDRS)
				return set_addrs(cfg, v, cause);
			free(*(char **)base);
			*(char **)base = NULL;
			return 0;
		}
		if (has_ctrl(v)) {
			*cause = xstrdup("contains a control character");
			goto out;
		}
	}
	e = esc(v);
	switch (o->type) {
	case T_HTTP:
		if (!url_ok(v, "http://", "https://")) {
			xasprintf(cause, "\"%s\" is not an http:// or "
			    "https:// URL", e);
			goto out;
		}
		break;
	case T_SMTP:
		if (!url_ok(v, "smtp://", "smtps://")) {
			xasprintf(cause, "\"%s\" is not an smtp:// or "
			    "smtps:// URL", e);
			goto out;
		}
		break;
	case T_ADDR:
		if (!addr_ok(v)) {
			xasprintf(cause, "\"%s\" is not an email address",
			    e);
			goto out;
		}
		break;
	case T_ADDRS:
		rc = set_addrs(cfg, v, cause);
		goto out;
	case T_ENV:
		if (!envname_ok(v)) {
			xasprintf(cause, "\"%s\" is not an environment "
			    "variable name", e);
			goto out;
		}
		break;
	case T_BOOL:
	case T_TRIBOOL:
		if (o->type == T_TRIBOOL && *v == '\0')
			b = -1;		/* back to "depends on the URL" */
		else if (parse_bool(v, &b) == -1) {
			xasprintf(cause, "\"%s\" is not a boolean (yes/no, "
			    "true/false, on/off, 1/0)", e);
			goto out;
		}
		*(int *)base = b;
		break;
	case T_START:
		if (strcmp(v, "end") != 0 && strcmp(v, "beginning") != 0) {
			xasprintf(cause, "\"%s\" is not \"end\" or "
			    "\"beginning\"", e);
			goto out;
		}
		*(int *)base = strcmp(v, "beginning") == 0;
		break;
	case T_DUR:
	case T_UINT:
	case T_SIZE:
		unit = o->type == T_DUR ? " seconds" :
		    o->type == T_SIZE ? " bytes" : "";
		if (parse_whole(v, &d) == -1) {
			xasprintf(cause, "\"%s\" is not a whole number%s%s",
			    e, *unit ? " of" : "", unit);
			goto out;
		}
		if (d < o->min || d > o->max) {
			xasprintf(cause, "%s is out of range (%.0f to %.0f%s)",
			    e, o->min, o->max, unit);
			goto out;
		}
		if (o->type == T_SIZE)
			*(size_t *)base = (size_t)d;
		else
			*(unsigned *)base = (unsigned)d;
		break;
	case T_DOUBLE:
		if (parse_double(v, &d) == -1) {
			xasprintf(cause, "\"%s\" is not a number", e);
			goto out;
		}
		if (d < o->min || d > o->max) {
			xasprintf(cause, "%s is out of range (%g to %g)", e,
			    o->min, o->max);
			goto out;
		}
		*(double *)base = d;
		break;
	case T_SEV:
		if (lw_sev_parse(v, &sev) == -1) {
			xasprintf(cause, "\"%s\" is not a severity (info, "
			    "warning, critical)", e);
			goto out;
		}
		*(enum lw_sev *)base = sev;
		break;
	case T_HHMM:
		if (parse_hhmm(v, &b) == -1) {
			xasprintf(cause, "\"%s\" is not a time of day HH:MM "
			    "(00:00 to 23:59), or empty for none", e);
			goto out;
		}
		*(int *)base = b;
		break;
	case T_STR:
	case T_PATH:
		break;
	}
	if (o->type <= T_ENV) {
		free(*(char **)base);
		*(char **)base = xstrdup(v);
	}
	rc = 0;
out:
	free(e);
	return rc;
}

static void
cfg_defaults(struct lw_config *cfg)
{
	size_t	 i;
	char	*cause;

	cfg->email.starttls = -1;
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].def == NULL)
			continue;
		if (opt_set(cfg, &opts[i], opts[i].def, &cause) == -1)
			fatalx("%s: default of %s.%s: %s", __func__,
			    sect_names[opts[i].sect], opts[i].name, cause);
	}
}

static struct lw_metric_cfg *
metric_get(struct cfgctx *c, const char *name, size_t len, int line)
{
	struct lw_config	*cfg = c->cfg;
	struct lw_metric_cfg	*m;
	size_t			 i;

	for (i = 0; i < cfg->nmetrics; i++) {
		m = &cfg->metrics[i];
		if (strlen(m->name) == len && memcmp(m->name, name, len) == 0) {
			c->metric = i;
			return m;
		}
	}
	if (cfg->nmetrics == LW_CONFIG_MAX_METRICS)
		return NULL;
	cfg->metrics = xreallocarray(cfg->metrics, cfg->nmetrics + 1,
	    sizeof(*cfg->metrics));
	m = &cfg->metrics[cfg->nmetrics];
	memset(m, 0, sizeof(*m));
	m->name = xmemdup(name, len);
	m->stat = LW_STAT_AVG;
	m->line = line;
	c->metric = cfg->nmetrics++;
	return m;
}

static const char *impact_names[] = { "money", "halt", "degraded" };

/* [category.NAME]: find or add the category; -1 (reported) when the
 * name is bad or there are too many. */
static int
category_get(struct cfgctx *c, const char *name, size_t len, const char *e)
{
	struct lw_config	*cfg = c->cfg;
	struct lw_category_cfg	*k;
	size_t			 i;

	if (len == 0 || len > LW_CONFIG_MAX_NAME) {
		cerr(c, c->lineno, "[%s]: a category name has 1 to %d "
		    "characters", e, LW_CONFIG_MAX_NAME);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-') {
			cerr(c, c->lineno, "[%s]: a category name may only "
			    "have letters, digits, '_' and '-'", e);
			return -1;
		}
	for (i = 0; i < cfg->ncategories; i++)
		if (strlen(cfg->categories[i].name) == len &&
		    memcmp(cfg->categories[i].name, name, len) == 0) {
			c->category = i;
			return 0;
		}
	if (cfg->ncategories == LW_CONFIG_MAX_CATEGORIES) {
		cerr(c, c->lineno, "too many categories (at most %d)",
		    LW_CONFIG_MAX_CATEGORIES);
		return -1;
	}
	cfg->categories = xreallocarray(cfg->categories, cfg->ncategories + 1,
	    sizeof(*cfg->categories));
	k = &cfg->categories[cfg->ncategories];
	memset(k, 0, sizeof(*k));
	k->name = xmemdup(name, len);
	k->line = c->lineno;
	c->category = cfg->ncategories++;
	return 0;
}

/* match = a, b, c (substrings, case ignored); impact = money|halt|degraded */
static void
category_set(struct cfgctx *c, const char *name, const char *v)
{
	struct lw_category_cfg	*k = &c->cfg->categories[c->category];
	const char		*p, *q, *end;
	char			*e = esc(v), *en = esc(name), *w;
	int			 line = c->lineno, *seen, i;

	if (strcmp(name, "match") == 0)
		seen = &c->cs[c->category].match;
	else if (strcmp(name, "impact") == 0)
		seen = &c->cs[c->category].impact;
	else {
		cerr(c, line, "category.%s.%s: unknown key (a category has "
		    "match and impact)", k->name, en);
		goto out;
	}
	if (*seen != 0) {
		cerr(c, line, "category.%s.%s: duplicate key (first set at "
		    "line %d)", k->name, name, *seen);
		goto out;
	}
	*seen = line;
	if (*name == 'i') {
		for (i = 0; i < 3; i++)
			if (strcasecmp(v, impact_names[i]) == 0)
				break;
		if (i == 3) {
			cerr(c, line, "category.%s.impact: \"%s\" is not "
			    "money, halt or degraded", k->name, e);
			goto out;
		}
		k->impact = i;
		goto out;
	}
	if (has_ctrl(v)) {
		cerr(c, line, "category.%s.match: contains a control "
		    "character", k->name);
		goto out;
	}
	for (p = v; *p != '\0'; p = *q ? q + 1 : q) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		end = q;
		while (p < end && isspace((unsigned char)*p))
			p++;
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		if (end == p)
			continue;
		if (k->nneedles == LW_CONFIG_MAX_NEEDLES) {
			cerr(c, line, "category.%s.match: at most %d phrases",
			    k->name, LW_CONFIG_MAX_NEEDLES);
			goto out;
		}
		w = xmemdup(p, (size_t)(end - p));
		for (i = 0; w[i] != '\0'; i++)
			w[i] = (char)tolower((unsigned char)w[i]);
		k->needles[k->nneedles++] = w;
	}
	if (k->nneedles == 0)
		cerr(c, line, "category.%s.match: needs at least one phrase",
		    k->name);
out:
	free(e);
	free(en);
}

/* A [section] header: sets c->sect (S_BAD when its keys must be skipped). */
static void
cfg_section(struct cfgctx *c, const char *p, size_t len)
{
	const char	*close, *rest, *name;
	char		*copy = NULL, *e = NULL;
	size_t		 nlen, i, k;
	int		 s;

	c->sect = S_BAD;
	if ((close = memchr(p, ']', len)) == NULL) {
		cerr(c, c->lineno, "section header has no closing ']'");
		goto out;
	}
	for (rest = close + 1; rest < p + len && isspace((unsigned char)*rest);
	    rest++)
		;
	if (rest < p + len && *rest != ';' && *rest != '#')
		cerr(c, c->lineno, "unexpected text after ']'");
	name = p + 1;
	nlen = (size_t)(close - name);
	while (nlen > 0 && isspace((unsigned char)*name))
		name++, nlen--;
	while (nlen > 0 && isspace((unsigned char)name[nlen - 1]))
		nlen--;
	copy = xmemdup(name, nlen);
	e = esc(copy);
	for (s = S_SOURCE; s < S_NFIXED; s++) {
		if (strcmp(copy, sect_names[s]) == 0) {
			c->sect = (enum sect)s;
			if (c->sect_line[s] == 0)
				c->sect_line[s] = c->lineno;
			goto out;
		}
	}
	if (strncmp(copy, "metric.", 7) == 0) {
		k = nlen - 7;
		if (k == 0 || k > LW_CONFIG_MAX_NAME) {
			cerr(c, c->lineno, "[%s]: a metric name has 1 to %d "
			    "characters", e, LW_CONFIG_MAX_NAME);
			goto out;
		}
		for (i = 7; i < nlen; i++) {
			if (!isalnum((unsigned char)copy[i]) &&
			    strchr("_-.", copy[i]) == NULL) {
				cerr(c, c->lineno, "[%s]: a metric name may "
				    "only have letters, digits, '_', '-' and "
				    "'.'", e);
				goto out;
			}
		}
		if (metric_get(c, copy + 7, k, c->lineno) == NULL) {
			cerr(c, c->lineno, "too many metrics (at most %d)",
			    LW_CONFIG_MAX_METRICS);
			goto out;
		}
		c->sect = S_METRIC;
		goto out;
	}
	if (strcmp(copy, "metric") == 0) {
		cerr(c, c->lineno, "[metric] needs a name: [metric.NAME]");
		goto out;
	}
	if (strncmp(copy, "category.", 9) == 0) {
		if (category_get(c, copy + 9, nlen - 9, e) == -1)
			goto out;
		c->sect = S_CATEGORY;
		goto out;
	}
	for (s = S_SOURCE; s < S_NFIXED; s++) {
		if (near(copy, sect_names[s])) {
			cerr(c, c->lineno, "unknown section [%s] (did you "
			    "mean [%s]?)", e, sect_names[s]);
			goto out;
		}
	}
	cerr(c, c->lineno, "unknown section [%s]", e);
out:
	free(copy);
	free(e);
}

/* Marks the current section as having lost a key line, so that its
 * "missing key" checks do not pile up on the real error. */
static void
cfg_lost(struct cfgctx *c)
{
	if (c->sect == S_METRIC)
		c->ms[c->metric].lost = 1;
	else if (c->sect == S_CATEGORY)
		c->cs[c->category].lost = 1;
	else if (c->sect < S_NFIXED)
		c->lost[c->sect] = 1;
}

/*
 * inih's fgets-style reader: exactly one physical line per call, so
 * inih's line count and ours stay equal.  Lines inih must not see are
 * handed over as empty lines, which it skips.
 */
static char *
cfg_reader(char *str, int num, void *stream)
{
	struct cfgctx	*c = stream;
	const char	*p, *nl, *sep, *q;
	size_t		 len;

	if (c->pos >= c->len || num < 2)
		return NULL;
	p = c->data + c->pos;
	nl = memchr(p, '\n', c->len - c->pos);
	len = nl ? (size_t)(nl - p) : c->len - c->pos;
	c->pos += len + (nl ? 1 : 0);
	c->lineno++;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (c->lineno == 1 && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3, len -= 3;
	if (memchr(p, '\0', len) != NULL) {
		cerr(c, c->lineno, "line contains a NUL byte");
		cfg_lost(c);
		goto blank;
	}
	while (len > 0 && (*p == ' ' || *p == '\t'))
		p++, len--;
	if (len == 0 || *p == ';' || *p == '#')
		goto blank;
	if (*p == '[') {
		cfg_section(c, p, len);
		goto blank;
	}
	/* inih wants '=' or ':' before any inline comment. */
	for (sep = p; sep < p + len && *sep != '=' && *sep != ':'; sep++)
		;
	for (q = p + 1; q < sep; q++)
		if (*q == ';' && (q[-1] == ' ' || q[-1] == '\t'))
			break;
	if (sep == p + len || q < sep) {
		cerr(c, c->lineno, "expected \"key = value\", a [section] "
		    "header or a comment");
		cfg_lost(c);
		goto blank;
	}
	if (len + 2 > (size_t)num) {
		cerr(c, c->lineno, "line is longer than %d bytes, the most "
		    "the INI parser takes", num - 2);
		cfg_lost(c);
		goto blank;
	}
	memcpy(str, p, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
blank:
	str[0] = '\n';
	str[1] = '\0';
	return str;
}

static void
metric_set(struct cfgctx *c, const char *name, const char *v)
{
	struct lw_metric_cfg	*m = &c->cfg->metrics[c->metric];
	PCRE2_UCHAR		 msg[256];
	PCRE2_SIZE		 eoff;
	pcre2_code		*re;
	uint32_t		 ncap;
	char			*e = esc(v), *en = esc(name);
	int			 k, ecode, line = c->lineno;
	double			 d;

	for (k = 0; k < MK_COUNT; k++)
		if (strcmp(name, mkey_names[k]) == 0)
			break;
	if (k == MK_COUNT) {
		for (k = 0; k < MK_COUNT; k++)
			if (near(name, mkey_names[k]))
				break;
		if (k < MK_COUNT)
			cerr(c, line, "metric.%s.%s: unknown key (did you "
			    "mean \"%s\"?)", m->name, en, mkey_names[k]);
		else
			cerr(c, line, "metric.%s.%s: unknown key (a metric "
			    "has pattern, above, below and stat)", m->name,
			    en);
		goto out;
	}
	if (c->ms[c->metric].seen[k] != 0) {
		cerr(c, line, "metric.%s.%s: duplicate key (first set at "
		    "line %d)", m->name, name, c->ms[c->metric].seen[k]);
		goto out;
	}
	c->ms[c->metric].seen[k] = line;
	switch (k) {
	case MK_PATTERN:
		if (*v == '\0' || has_ctrl(v)) {
			cerr(c, line, "metric.%s.pattern: %s", m->name,
			    *v ? "contains a control character" :
			    "must not be empty");
			goto out;
		}
		/* Byte mode: log lines may hold any bytes. */
		re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED,
		    PCRE2_NEVER_UTF, &ecode, &eoff, NULL);
		if (re == NULL) {
			if (pcre2_get_error_message(ecode, msg,
			    sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg),
				    "unknown error");
			cerr(c, line, "metric.%s.pattern: invalid regular "
			    "expression at offset %zu: %s", m->name,
			    (size_t)eoff, (char *)msg);
			goto out;
		}
		if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT,
		    &ncap) != 0 || ncap != 1) {
			cerr(c, line, "metric.%s.pattern: needs exactly one "
			    "capture group for the number, it has %u (use "
			    "(?:...) for other groups)", m->name,
			    (unsigned)ncap);
			pcre2_code_free(re);
			goto out;
		}
		/* Without JIT the interpreter still works, only slower. */
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		m->re = re;
		m->pattern = xstrdup(v);
		break;
	case MK_ABOVE:
	case MK_BELOW:
		if (*v == '\0')
			break;	/* unset, as in the dump */
		if (parse_double(v, &d) == -1) {
			cerr(c, line, "metric.%s.%s: \"%s\" is not a number",
			    m->name, name, e);
			goto fail;
		}
		if (k == MK_ABOVE) {
			m->has_above = 1;
			m->above = d;
		} else {
			m->has_below = 1;
			m->below = d;
		}
		break;
	case MK_STAT:
		for (k = 0; k <= LW_STAT_COUNT; k++)
			if (strcmp(v, stat_names[k]) == 0)
				break;
		if (k > LW_STAT_COUNT) {
			cerr(c, line, "metric.%s.stat: \"%s\" is not a "
			    "statistic (avg, max, p95, count)", m->name, e);
			goto out;
		}
		m->stat = (enum lw_stat)k;
		break;
	}
	goto out;
fail:
	c->ms[c->metric].badlimit = 1;
out:
	free(e);
	free(en);
}

/* Suggestion for an unknown key: the same name in another section, or a
 * near miss in this one. */
static void
unknown_key(struct cfgctx *c, const char *name)
{
	const char	*sn = sect_names[c->sect];
	char		*en = esc(name);
	size_t		 i;

	for (i = 0; i < NOPTS; i++) {
		if (opts[i].sect != c->sect && strcmp(opts[i].name, name) == 0) {
			cerr(c, c->lineno, "%s.%s: unknown key (%s belongs in "
			    "[%s])", sn, en, en, sect_names[opts[i].sect]);
			goto out;
		}
	}
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].sect == c->sect && near(name, opts[i].name)) {
			cerr(c, c->lineno, "%s.%s: unknown key (did you mean "
			    "\"%s\"?)", sn, en, opts[i].name);
			goto out;
		}
	}
	cerr(c, c->lineno, "%s.%s: unknown key", sn, en);
out:
	free(en);
}

static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfgctx	*c = user;
	char		*cause, *en;
	int		 i;

	(void)section;		/* cfg_reader tracks sections */
	if (value == NULL)
		value = "";
	switch (c->sect) {
	case S_NONE:
		en = esc(name);
		cerr(c, c->lineno, "key \"%s\" is outside any section; put "
		    "it under a [section] header", en);
		free(en);
		return 1;
	case S_BAD:
		return 1;	/* its header was reported */
	case S_METRIC:
		metric_set(c, name, value);
		return 1;
	case S_CATEGORY:
		category_set(c, name, value);
		return 1;
	default:
		break;
	}
	if ((i = opt_find(c->sect, name)) == -1) {
		unknown_key(c, name);
		return 1;
	}
	if (c->seen[i] != 0) {
		cerr(c, c->lineno, "%s.%s: duplicate key (first set at line "
		    "%d)", sect_names[c->sect], name, c->seen[i]);
		return 1;
	}
	c->seen[i] = c->lineno;
	if (opt_set(c->cfg, &opts[i], value, &cause) == -1) {
		cerr(c, c->lineno, "%s.%s: %s", sect_names[c->sect], name,
		    cause);
		free(cause);
		c->bad[i] = 1;
	}
	return 1;
}

static int
cfg_readfile(struct cfgctx *c, const char *path, struct buf *b)
{
	FILE	*f;
	char	 chunk[8192];
	size_t	 n;
	int	 rc = -1;

	if ((f = fopen(path, "re")) == NULL) {
		cerr(c, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(b, chunk, n) == -1) {
			cerr(c, 0, "file is larger than %d bytes",
			    LW_CONFIG_MAX_BYTES);
			goto out;
		}
	}
	if (ferror(f)) {
		cerr(c, 0, "cannot read: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/*
 * Reads a secret file: white space at the end (the usual newline) is
 * dropped; control characters inside would end up in HTTP headers, so
 * they are refused.  Messages name the file, never its content.
 */
static int
secret_read(const char *path, char **out, char **cause)
{
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");
	char		*full = NULL, *e = NULL, *data = NULL;
	FILE		*f = NULL;
	size_t		 n;
	int		 rc = -1;

	*out = NULL;
	if (path[0] != '/' && dir != NULL && *dir != '\0')
		xasprintf(&full, "%s/%s", dir, path);
	else
		full = xstrdup(path);
	e = esc(full);
	data = xmalloc(LW_CONFIG_MAX_SECRET + 1);
	if ((f = fopen(full, "re")) == NULL) {
		xasprintf(cause, "cannot read \"%s\": %s", e,
		    strerror(errno));
		goto out;
	}
	n = fread(data, 1, LW_CONFIG_MAX_SECRET + 1, f);
	if (ferror(f)) {
		xasprintf(cause, "cannot read \"%s\": %s", e,
		    strerror(errno));
		goto out;
	}
	if (n > LW_CONFIG_MAX_SECRET) {
		xasprintf(cause, "\"%s\" is larger than %d bytes", e,
		    LW_CONFIG_MAX_SECRET);
		goto out;
	}
	while (n > 0 && isspace((unsigned char)data[n - 1]))
		n--;
	data[n] = '\0';
	if (n == 0) {
		xasprintf(cause, "\"%s\" is empty", e);
		goto out;
	}
	if (strlen(data) != n || has_ctrl(data)) {
		xasprintf(cause, "\"%s\" contains a control character", e);
		goto out;
	}
	*out = xstrdup(data);
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	explicit_bzero(data, LW_CONFIG_MAX_SECRET + 1);
	free(data);
	free(full);
	free(e);
	return rc;
}

static void
cfg_secrets(struct cfgctx *c)
{
	const struct secret	*s;
	char			*base = (char *)c->cfg, *env, *file, *val;
	char			*cause;
	const char		*ev, *sn;
	size_t			 i;
	int			 fi, ei;

	for (i = 0; i < NSECRETS; i++) {
		s = &secrets[i];
		sn = sect_names[s->sect];
		env = *(char **)(base + s->env_off);
		file = *(char **)(base + s->file_off);
		fi = opt_find(s->sect, s->filekey);
		ei = opt_find(s->sect, s->envkey);
		val = NULL;
		if (file != NULL) {
			if (secret_read(file, &val, &cause) == -1) {
				cerr(c, c->seen[fi], "%s.%s_file: %s", sn,
				    s->name, cause);
				free(cause);
			}
		} else if (env != NULL && (ev = getenv(env)) != NULL &&
		    *ev != '\0') {
			if (has_ctrl(ev))
				cerr(c, c->seen[ei], "%s.%s_env: environment "
				    "variable %s contains a control "
				    "character", sn, s->name, env);
			else
				val = xstrdup(ev);
		}
		*(char **)(base + s->out_off) = val;
	}
}

/* Checks that need the whole file: required keys and combinations. */
static void
cfg_validate(struct cfgctx *c)
{
	struct lw_config	*cfg = c->cfg;
	struct lw_metric_cfg	*m;
	size_t			 i;
	int			 line;

	for (i = 0; i < NOPTS; i++) {
		if (!(opts[i].flags & O_REQUIRED) || c->lost[opts[i].sect])
			continue;
		if (*(char **)((char *)cfg + opts[i].off) != NULL ||
		    c->seen[i] != 0)
			continue;
		line = c->sect_line[opts[i].sect];
		cerr(c, line ? line : 1, "%s.%s is missing%s",
		    sect_names[opts[i].sect], opts[i].name,
		    opts[i].off == OFF(source.path) ?
		    ": it names the log file to follow" : "");
	}
	for (i = 0; i < cfg->nmetrics; i++) {
		m = &cfg->metrics[i];
		if (c->ms[i].lost)
			continue;
		if (c->ms[i].seen[MK_PATTERN] == 0)
			cerr(c, m->line, "metric.%s: pattern is missing",
			    m->name);
		/* A refused limit is reported; "missing" would repeat it. */
		if (m->has_above || m->has_below || c->ms[i].badlimit)
			continue;
		if (c->ms[i].seen[MK_ABOVE] == 0 &&
		    c->ms[i].seen[MK_BELOW] == 0)
			cerr(c, m->line, "metric.%s: needs above or below "
			    "(or both)", m->name);
		else
			cerr(c, m->line, "metric.%s: above and below are "
			    "both empty", m->name);
	}

	for (i = 0; i < cfg->ncategories; i++)
		if (!c->cs[i].lost && c->cs[i].match == 0)
			cerr(c, cfg->categories[i].line, "category.%s: match "
			    "is missing", cfg->categories[i].name);

	cfg_secrets(c);

	cfg->telegram.enabled = cfg->telegram.chat_id != NULL;
	if (cfg->telegram.enabled && cfg->telegram.bot_token == NULL &&
	    cfg->telegram.bot_token_file == NULL) {
		line = c->seen[opt_find(S_TELEGRAM, "chat_id")];
		if (cfg->telegram.bot_token_env != NULL)
			cerr(c, line, "telegram.chat_id is set but there is "
			    "no bot token: environment variable %s is unset "
			    "or empty (or set telegram.bot_token_file)",
			    cfg->telegram.bot_token_env);
		else
			cerr(c, line, "telegram.chat_id is set but there is "
			    "no bot token: set telegram.bot_token_env or "
			    "telegram.bot_token_file");
	}

	cfg->email.enabled = cfg->email.url != NULL;
	if (cfg->email.starttls == -1)
		cfg->email.starttls = cfg->email.url != NULL &&
		    strncasecmp(cfg->email.url, "smtp://", 7) == 0;
	if (cfg->email.enabled) {
		line = c->seen[opt_find(S_EMAIL, "url")];
		/* A refused from or to is reported already. */
		if (cfg->email.from == NULL && !c->lost[S_EMAIL] &&
		    !c->bad[opt_find(S_EMAIL, "from")])
			cerr(c, line, "email.url is set but email.from is "
			    "missing");
		if (cfg->email.nto == 0 && !c->lost[S_EMAIL] &&
		    !c->bad[opt_find(S_EMAIL, "to")])
			cerr(c, line, "email.url is set but email.to is "
			    "missing");
	}
	if (cfg->email.username != NULL && cfg->email.password == NULL &&
	    cfg->email.password_file == NULL) {
		line = c->seen[opt_find(S_EMAIL, "username")];
		if (cfg->email.password_env != NULL)
			cerr(c, line, "email.username is set but there is no "
			    "password: environment variable %s is unset or "
			    "empty (or set email.password_file)",
			    cfg->email.password_env);
		else
			cerr(c, line, "email.username is set but there is no "
			    "password: set email.password_env or "
			    "email.password_file");
	}
	if (cfg->email.password != NULL && cfg->email.username == NULL)
		cerr(c, c->seen[opt_find(S_EMAIL, cfg->email.password_file ?
		    "password_file" : "password_env")], "email.password is "
		    "set but email.username is missing");

	cfg->webhook.enabled = cfg->webhook.url != NULL;

	if (cfg->alerts.redact != NULL) {
		const char		*pat = cfg->alerts.redact;
		struct lw_redactor	*r;
		char			 why[256];

		if ((r = lw_redactor_new(&pat, 1, why, sizeof(why))) == NULL)
			cerr(c, c->seen[opt_find(S_ALERTS, "redact")],
			    "alerts.redact: %s", why);
		lw_redactor_free(r);
	}
}

/* Errors in line order (stable), as a reader goes through the file. */
static void
errs_sort(struct lw_cfgerrs *errs, size_t from)
{
	struct lw_cfgerr	 t;
	size_t			 i, j;

	for (i = from + 1; i < errs->n; i++) {
		t = errs->v[i];
		for (j = i; j > from && errs->v[j - 1].line > t.line; j--)
			errs->v[j] = errs->v[j - 1];
		errs->v[j] = t;
	}
}

struct lw_config *
lw_config_load(const char *path, struct lw_cfgerrs *errs)
{
	struct cfgctx	 c;
	struct buf	 data;
	int		 rc;

	memset(&c, 0, sizeof(c));
	c.errs = errs;
	c.file = path;
	c.nerr0 = errs->n;
	c.cfg = xcalloc(1, sizeof(*c.cfg));
	c.cfg->file = xstrdup(path);
	cfg_defaults(c.cfg);
	buf_init(&data, LW_CONFIG_MAX_BYTES);
	if (cfg_readfile(&c, path, &data) == -1)
		goto out;
	c.data = buf_str(&data);
	c.len = data.len;
	rc = ini_parse_stream(cfg_reader, &c, cfg_handler, &c);
	if (rc == -2)
		fatalx("%s: inih out of memory", __func__);
	/* cfg_reader lets through no line inih rejects; just in case. */
	if (rc > 0 && c.errs->n == c.nerr0)
		cerr(&c, rc, "syntax error");
	c.sect = S_NONE;
	cfg_validate(&c);
out:
	buf_free(&data);
	errs_sort(errs, c.nerr0);
	if (errs->n != c.nerr0) {
		lw_config_free(c.cfg);
		return NULL;
	}
	return c.cfg;
}

static void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
lw_config_free(struct lw_config *cfg)
{
	size_t	i;

	if (cfg == NULL)
		return;
	for (i = 0; i < NOPTS; i++) {
		if (opts[i].type == T_ADDRS)
			strv_free(cfg->email.to, cfg->email.nto);
		else if (opts[i].type <= T_ENV)
			free(*(char **)((char *)cfg + opts[i].off));
	}
	for (i = 0; i < NSECRETS; i++)
		secret_free(*(char **)((char *)cfg + secrets[i].out_off));
	for (i = 0; i < cfg->ncategories; i++) {
		size_t j;

		free(cfg->categories[i].name);
		for (j = 0; j < cfg->categories[i].nneedles; j++)
			free(cfg->categories[i].needles[j]);
	}
	free(cfg->categories);
	for (i = 0; i < cfg->nmetrics; i++) {
		free(cfg->metrics[i].name);
		free(cfg->metrics[i].pattern);
		pcre2_code_free(cfg->metrics[i].re);
	}
	free(cfg->metrics);
	free(cfg->file);
	free(cfg);
}

void
lw_cfgerrs_print(const struct lw_cfgerrs *errs, FILE *f)
{
	size_t	i;

	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line > 0)
			fprintf(f, "%s:%d: %s\n", errs->v[i].file,
			    errs->v[i].line, errs->v[i].msg);
		else
			fprintf(f, "%s: %s\n", errs->v[i].file,
			    errs->v[i].msg);
	}
}

void
lw_cfgerrs_free(struct lw_cfgerrs *errs)
{
	size_t	i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].msg);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

/* Shortest text that reads back as the same double. */
static void
dump_double(FILE *f, const char *key, int set, double d)
{
	char	s[64];

	if (!set) {
		fprintf(f, "%s =\n", key);
		return;
	}
	snprintf(s, sizeof(s), "%.15g", d);
	if (strtod(s, NULL) != d)
		snprintf(s, sizeof(s), "%.17g", d);
	fprintf(f, "%s = %s\n", key, s);
}

static void
dump_opt(const struct lw_config *cfg, const struct opt *o, FILE *f)
{
	const char	*base = (const char *)cfg + o->off, *s;
	size_t		 i;

	switch (o->type) {
	case T_ADDRS:
		fprintf(f, "%s =", o->name);
		for (i = 0; i < cfg->email.nto; i++)
			fprintf(f, "%s%s", i ? ", " : " ", cfg->email.to[i]);
		fputc('\n', f);
		return;
	case T_STR:
	case T_PATH:
	case T_HTTP:
	case T_SMTP:
	case T_ADDR:
	case T_ENV:
		s = *(char * const *)base;
		fprintf(f, "%s =%s%s\n", o->name, s ? " " : "", s ? s : "");
		return;
	case T_BOOL:
	case T_TRIBOOL:
		fprintf(f, "%s = %s\n", o->name, *(const int *)base ? "yes" :
		    "no");
		return;
	case T_START:
		fprintf(f, "%s = %s\n", o->name, *(const int *)base ?
		    "beginning" : "end");
		return;
	case T_DUR:
	case T_UINT:
		fprintf(f, "%s = %u\n", o->name, *(const unsigned *)base);
		return;
	case T_SIZE:
		fprintf(f, "%s = %zu\n", o->name, *(const size_t *)base);
		return;
	case T_DOUBLE:
		dump_double(f, o->name, 1, *(const double *)base);
		return;
	case T_SEV:
		fprintf(f, "%s = %s\n", o->name,
		    lw_sev_name(*(const enum lw_sev *)base));
		return;
	case T_HHMM:
		if (*(const int *)base < 0)
			fprintf(f, "%s =\n", o->name);
		else
			fprintf(f, "%s = %02d:%02d\n", o->name,
			    *(const int *)base / 60, *(const int *)base % 60);
		return;
	}
}

static void
dump_categories(const struct lw_config *cfg, FILE *f)
{
	size_t	i, j;

	for (i = 0; i < cfg->ncategories; i++) {
		const struct lw_category_cfg *k = &cfg->categories[i];

		fprintf(f, "[category.%s]\nmatch = ", k->name);
		for (j = 0; j < k->nneedles; j++)
			fprintf(f, "%s%s", j ? ", " : "", k->needles[j]);
		fprintf(f, "\nimpact = %s\n\n", impact_names[k->impact]);
	}
}

static void
dump_metrics(const struct lw_config *cfg, FILE *f)
{
	const struct lw_metric_cfg	*m;
	size_t				 i;

	for (i = 0; i < cfg->nmetrics; i++) {
		m = &cfg->metrics[i];
		fprintf(f, "[metric.%s]\npattern = %s\n", m->name,
		    m->pattern ? m->pattern : "");
		dump_double(f, "above", m->has_above, m->above);
		dump_double(f, "below", m->has_below, m->below);
		fprintf(f, "stat = %s\n\n", lw_stat_name(m->stat));
	}
}

void
lw_config_dump(const struct lw_config *cfg, FILE *f)
{
	size_t	i, j;
	int	s;

	for (s = S_SOURCE; s < S_NFIXED; s++) {
		fprintf(f, "[%s]\n", sect_names[s]);
		for (i = 0; i < NOPTS; i++)
			if (opts[i].sect == (enum sect)s)
				dump_opt(cfg, &opts[i], f);
		for (j = 0; j < NSECRETS; j++)
			if (secrets[j].sect == (enum sect)s)
				fprintf(f, "# %s: %s\n", secrets[j].name,
				    *(char * const *)((const char *)cfg +
				    secrets[j].out_off) ? "(set)" : "(unset)");
		fputc('\n', f);
		if (s == S_RULES)
			dump_metrics(cfg, f);
	}
	dump_categories(cfg, f);
}

/* scheme://host[:port] of url: its path and query may hold a token. */
static void
describe_origin(FILE *f, const char *url)
{
	const char	*h = strstr(url, "://");
	size_t		 n;

	if (h == NULL) {
		fputs("?", f);
		return;
	}
	h += 3;
	n = strcspn(h, "/?#");
	/* user:password@ never shows. */
	if (memchr(h, '@', n) != NULL) {
		const char *at = (const char *)memchr(h, '@', n);

		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	fprintf(f, "%.*s%.*s", (int)(strstr(url, "://") + 3 - url), url,
	    (int)n, h);
}

void
lw_config_describe(const struct lw_config *cfg, FILE *f)
{
	const struct {
		const char	*name;
		unsigned	 v;
	} counts[] = {
		{ "errors", cfg->rules.errors },
		{ "warnings", cfg->rules.warnings },
		{ "repeat", cfg->rules.repeat },
	};
	size_t	i;
	int	any = 0;

	fprintf(f, "  follows   %s%s\n", cfg->source.path,
	    access(cfg->source.path, F_OK) == 0 ? "" : " (not there yet)");
	fprintf(f, "  state     %s\n", cfg->state.dir);
	fputs("  rules    ", f);
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (counts[i].v > 0)
			fprintf(f, "%s %s %u", any++ ? "," : "", counts[i].name,
			    counts[i].v);
	if (any)
		fprintf(f, " in %u s;", cfg->rules.window);
	if (cfg->rules.silence > 0)
		fprintf(f, " silence %u s;", cfg->rules.silence);
	fprintf(f, " new_error %s;", cfg->rules.new_error ? "yes" : "no");
	if (cfg->rules.spike > 0)
		fprintf(f, " spike %g;", cfg->rules.spike);
	fprintf(f, " %zu metric%s", cfg->nmetrics, cfg->nmetrics == 1 ? "" :
	    "s");
	for (i = 0; i < cfg->nmetrics; i++)
		fprintf(f, "%s%s", i ? ", " : " (", cfg->metrics[i].name);
	fputs(cfg->nmetrics ? ")\n" : "\n", f);

	fputs("  sinks     terminal", f);
	if (cfg->alerts.jsonl != NULL)
		fprintf(f, ", %s", cfg->alerts.jsonl);
	if (cfg->webhook.enabled) {
		fputs(", webhook ", f);
		describe_origin(f, cfg->webhook.url);
		fprintf(f, " (%s+)", lw_sev_name(cfg->webhook.min_severity));
	}
	if (cfg->telegram.enabled)
		fprintf(f, ", telegram chat %s (%s+)", cfg->telegram.chat_id,
		    lw_sev_name(cfg->telegram.min_severity));
	if (cfg->email.enabled)
		fprintf(f, ", email to %zu address%s (%s+)", cfg->email.nto,
		    cfg->email.nto == 1 ? "" : "es",
		    lw_sev_name(cfg->email.min_severity));
	fputc('\n', f);

	if (cfg->llm.enabled) {
		fprintf(f, "  llm       %s at ", cfg->llm.model);
		describe_origin(f, cfg->llm.url);
		fprintf(f, ", every %u s, at most %u calls an hour, %s\n",
		    cfg->llm.interval, cfg->llm.max_calls_per_hour,
		    cfg->llm.api_key ? "with a key" : "no key");
	} else
		fputs("  llm       off\n", f);

	if (!cfg->reports.hourly && cfg->reports.daily < 0)
		fputs("  reports   off\n", f);
	else {
		fputs("  reports  ", f);
		if (cfg->reports.hourly)
			fputs(" hourly", f);
		if (cfg->reports.daily >= 0)
			fprintf(f, "%s daily at %02d:%02d (local time)",
			    cfg->reports.hourly ? "," : "",
			    cfg->reports.daily / 60, cfg->reports.daily % 60);
		fputc('\n', f);
	}
}

