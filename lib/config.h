/*
 * config: the INI configuration file (SPEC "Config file").  A file is
 * parsed into a fresh struct lw_config and validated in full; every
 * problem is reported as FILE:LINE: message and nothing is returned unless
 * the file was entirely valid, so a SIGHUP with a broken file can keep the
 * old config.  One option table in config.c drives parsing, defaults and
 * the dump.
 *
 * Ownership: lw_config_load returns a config the caller frees with
 * lw_config_free; every string, array and compiled regex inside belongs to
 * it.  Resolved secrets (llm.api_key, telegram.bot_token, email.password)
 * are wiped when the config is freed.  errs is the caller's: zero it
 * before the first use, free it with lw_cfgerrs_free.
 */
#ifndef LW_CONFIG_H
#define LW_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "severity.h"

#define LW_CONFIG_DEFAULT_PATH	"/etc/logwarden/logwarden.ini"
#define LW_CONFIG_MAX_BYTES	(1024 * 1024)	/* larger files are refused */
#define LW_CONFIG_MAX_ERRORS	100		/* then "too many errors" */
#define LW_CONFIG_MAX_METRICS	64
#define LW_CONFIG_MAX_NAME	64		/* metric name length */
#define LW_CONFIG_MAX_TO	32		/* email recipients */
#define LW_CONFIG_MAX_SECRET	16384		/* bytes in a *_file */

enum lw_stat { LW_STAT_AVG, LW_STAT_MAX, LW_STAT_P95, LW_STAT_COUNT };

/* "avg", "max", "p95", "count" */
const char	*lw_stat_name(enum lw_stat);

struct lw_metric_cfg {
	char		*name;		/* NAME of [metric.NAME] */
	char		*pattern;
	/*
	 * Compiled in byte mode (PCRE2_NEVER_UTF), so any bytes may be
	 * matched without a UTF check; JIT-compiled when available.  It
	 * has exactly one capture group, the number.
	 */
	pcre2_code	*re;
	int		 has_above;
	double		 above;
	int		 has_below;
	double		 below;
	enum lw_stat	 stat;
	int		 line;		/* of the [metric.NAME] header */
};

/* [category.NAME]: a critical-issue category of the daily report, checked
 * before the built-in ones (lib/categories.h). */
#define LW_CONFIG_MAX_CATEGORIES	32
#define LW_CONFIG_MAX_NEEDLES		16
struct lw_category_cfg {
	char		*name;
	char		*needles[LW_CONFIG_MAX_NEEDLES + 1];	/* lower case */
	size_t		 nneedles;
	int		 impact;	/* 0 money, 1 halt, 2 degraded */
	int		 line;		/* of the header */
};

struct lw_config {
	char		*file;		/* path as given */
	struct {
		char		*path;
		int		 start_beginning;
		unsigned	 ring_lines;
		size_t		 max_line_bytes;
		unsigned	 rotate_wait;	/* extension, seconds */
	} source;
	struct {
		char		*dir;
	} state;
	struct {
		unsigned	 window, errors, warnings, repeat, silence;
		int		 new_error;
		double		 spike;
	} rules;
	struct lw_metric_cfg *metrics;
	size_t		 nmetrics;
	struct lw_category_cfg *categories;
	size_t		 ncategories;
	struct {
		int		 enabled;
		char		*url, *model;
		char		*api_key;	/* resolved secret or NULL */
		unsigned	 interval, timeout, max_calls_per_hour;
		unsigned	 max_prompt_tokens;
		char		*api_key_env;	/* variable name or NULL */
		char		*api_key_file;	/* as written, or NULL */
		int		 json_mode;	/* extension: response_format */
	} llm;
	struct {
		int		 enabled;	/* chat_id set */
		char		*bot_token;	/* resolved secret or NULL */
		char		*chat_id;
		char		*api_url;
		enum lw_sev	 min_severity;
		char		*bot_token_env, *bot_token_file;
		unsigned	 timeout;	/* extension, seconds */
		char		*message_thread_id;	/* extension, or NULL */
		unsigned	 daily_cap;	/* extension; 0: no cap */
	} telegram;
	struct {
		int		 enabled;	/* url set */
		char		*url;
		int		 starttls;	/* resolved: yes for smtp:// */
		char		*from;
		char		**to;
		size_t		 nto;
		char		*username;
		char		*password;	/* resolved secret or NULL */
		enum lw_sev	 min_severity;
		char		*password_env, *password_file;
		unsigned	 timeout;	/* extension, seconds */
		char		*ca_file;	/* extension: CA to trust, or NULL */
		unsigned	 daily_cap;	/* extension; 0: no cap */
	} email;
	struct {
		int		 enabled;	/* url set */
		char		*url;
		enum lw_sev	 min_severity;
		unsigned	 timeout;	/* extension, seconds */
		unsigned	 daily_cap;	/* extension; 0: no cap */
	} webhook;
	struct {
		unsigned	 cooldown, group_interval;
		char		*jsonl;		/* NULL: no file */
		unsigned	 max_age;	/* extension: give up after, s */
		int		 resolved;	/* extension: "resolved" follow-ups */
		char		*redact;	/* extension: extra secret regex */
	} alerts;
	struct {
		int		 hourly;	/* a report every full hour */
		int		 daily;		/* minute of the day (local
						 * time) of the daily report;
						 * -1: none */
	} reports;
};

struct lw_cfgerr {
	char	*file;
	int	 line;		/* 0: about the whole file */
	char	*msg;		/* untrusted text in it is escaped */
};
struct lw_cfgerrs {
	struct lw_cfgerr *v;
	size_t		 n;
};

/*
 * Parses and validates path in full into a fresh config.  Returns NULL
 * when there was any error; every error is appended to errs, not just the
 * first.  A missing source.path is reported at the line of the [source]
 * header, or at line 1 when there is no [source] section.  Secrets are
 * read from the environment and from *_file (relative paths under
 * $CREDENTIALS_DIRECTORY when that is set) during the load.
 */
struct lw_config *lw_config_load(const char *path, struct lw_cfgerrs *errs);
void		 lw_config_free(struct lw_config *);	/* accepts NULL */

/* "FILE:LINE: message\n" each ("FILE: message\n" for line 0). */
void		 lw_cfgerrs_print(const struct lw_cfgerrs *, FILE *);
void		 lw_cfgerrs_free(struct lw_cfgerrs *);	/* leaves it empty */

/*
 * Normalised dump of the effective config: every key with its value, in
 * table order, as INI that loads again.  Secrets appear only as
 * "# NAME: (set)" or "(unset)" comments, never their value.
 */
void		 lw_config_dump(const struct lw_config *, FILE *);
/*
 * What a valid config will do, in a few lines for `check`: the file
 * followed, the rules, the sinks, the model and the reports.  No secret
 * and no URL path or query (webhook URLs often hold a token) is shown.
 */
void		 lw_config_describe(const struct lw_config *, FILE *);

#endif
