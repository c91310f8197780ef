/*
 * cmd_history: `logwarden history [--since T] [--rule R] [--limit N]
 * [--json]`, the incident history kept in the state database: the alerts
 * the daemon raised, the model's verdicts and the scheduled reports, in
 * one list, oldest first, so that an incident reads from top to bottom;
 * --limit keeps the newest N of them.
 *
 * T is a wall-clock time in UTC ("2026-12-04", "2026-12-04T13:00",
 * seconds, a fraction, "Z" or an offset optional; a time without a zone
 * is UTC, like every time logwarden prints) or an age ("30m", "2h",
 * "7d"); the default is the last 24 hours.  R is a rule ("errors";
 * "metric" also matches "metric:latency"), or "llm" for the verdicts
 * alone, or "report" for the reports alone.
 *
 * An alert comes with what became of it in each network sink (the
 * outbox's state: delivered, pending, held, failed, expired), so the
 * operator can tell whether he was told.
 *
 * Titles, issues and triggers quote the log and the model: the text form
 * escapes them (lw_vis), the JSON form repairs them to valid UTF-8.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "parse.h"
#include "state.h"
#include "utf8.h"
#include "xmalloc.h"

#define HISTORY_DEFAULT_MS	(24LL * 3600 * 1000)
#define HISTORY_MAX_LIMIT	1000000
#define HISTORY_FIELD_MAX	(64 * 1024)	/* one escaped field */
#define HISTORY_TRIGGER_MAX	120		/* bytes of a trigger shown */

struct history_out {
	int		 json;
	size_t		 n;
	struct buf	 b;		/* scratch for one field */
	struct lw_state	*st;		/* for the alerts' delivery states */
};

/* One sink's state of an alert, for the text or the JSON form. */
struct delivery {
	struct buf	*text;
	cJSON		*arr;
};

static void
delivery_one(const char *sink, enum lw_outbox_status status,
    unsigned attempts, void *arg)
{
	struct delivery	*dl = arg;
	cJSON		*o;

	if (dl->text != NULL) {
		buf_addf(dl->text, "%s%s %s", dl->text->len ? ", " : "  [",
		    sink, lw_outbox_status_name(status));
		return;
	}
	if ((o = cJSON_CreateObject()) == NULL)
		fatalx("out of memory");
	cJSON_AddStringToObject(o, "sink", sink);
	cJSON_AddStringToObject(o, "status", lw_outbox_status_name(status));
	cJSON_AddNumberToObject(o, "attempts", attempts);
	cJSON_AddItemToArray(dl->arr, o);
}

static const struct {
	char		 suffix;
	int64_t		 ms;
} since_units[] = {
	{ 's', 1000 },
	{ 'm', 60 * 1000 },
	{ 'h', 3600 * 1000 },
	{ 'd', 86400 * 1000 },
	{ 'w', 7 * 86400 * 1000LL },
};

/* An age: digits and one of s, m, h, d, w.  1 parsed, 0 not an age. */
static int
since_age(const char *s, int64_t now, int64_t *out)
{
	size_t		 len = strlen(s), i;
	long long	 v;
	int64_t		 unit = 0;
	char		*end;

	if (len < 2 || len > 12 || s[0] < '0' || s[0] > '9')
		return 0;
	for (i = 0; i < sizeof(since_units) / sizeof(since_units[0]); i++)
		if (s[len - 1] == since_units[i].suffix)
			unit = since_units[i].ms;
	if (unit == 0)
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	/* Ten digits at most, so v * unit cannot overflow. */
	if (errno != 0 || end != s + len - 1 || v > 9999999999LL)
		return 0;
	*out = now - v * unit;
	return 1;
}

/*
 * T into *out (ms since the epoch); 0, or -1 with the reason in errstr.
 * The date-only and minutes-only forms are completed to the full form
 * the log parser reads, which must then take the whole string.
 */
static int
since_parse(const char *s, int64_t now, int64_t *out, const char **errstr)
{
	char	 t[64];
	size_t	 len = strlen(s), tl;

	if (since_age(s, now, out))
		return 0;
	*errstr = "not a time (2026-12-04, 2026-12-04T13:00[:00][Z]) nor an "
	    "age (30m, 2h, 7d)";
	if (len < 10 || len > 40 || s[4] != '-' || s[7] != '-')
		return -1;
	if (len == 10) {
		snprintf(t, sizeof(t), "%sT00:00:00", s);
	} else if ((s[10] == 'T' || s[10] == ' ') && len >= 16 &&
	    s[13] == ':' && (len == 16 || s[16] != ':')) {
		/* HH:MM: add the seconds before a zone, if any. */
		snprintf(t, sizeof(t), "%.16s:00%s", s, s + 16);
	} else
		snprintf(t, sizeof(t), "%s", s);
	tl = strlen(t);
	if (lw_parse_time(t, tl, out) != tl)
		return -1;
	return 0;
}

/* s escaped for a terminal, in o's scratch (a prefix if too long). */
static const char *
vis(struct history_out *o, const char *s, size_t max)
{
	size_t	len;

	buf_reset(&o->b);
	if (s == NULL)
		return "";
	len = strlen(s);
	if (len > max)
		len = lw_utf8_cut(s, max);
	lw_vis(&o->b, s, len);
	if (len < strlen(s))
		buf_adds(&o->b, "...");
	return buf_str(&o->b);
}

static void
print_text(const struct lw_hist_entry *e, struct history_out *o)
{
	const struct lw_llm_call	*c = e->call;
	struct delivery			 dl;
	struct buf			 dl_text;
	char				 when[LW_ISO8601_LEN];

	lw_iso8601(e->time_ms, when, sizeof(when));
	/* Each field is escaped and printed before the next reuses b. */
	switch (e->kind) {
	case LW_HIST_ALERT:
		printf("%s  alert    %-8s  ", when, e->alert->severity ?
		    e->alert->severity : "?");
		printf("%-14s  ", vis(o, e->alert->rule, HISTORY_FIELD_MAX));
		printf("%s", vis(o, e->alert->title, HISTORY_FIELD_MAX));
		/* "  [telegram delivered, email held]": was I told? */
		buf_init(&dl_text, 1024);
		dl.text = &dl_text;
		dl.arr = NULL;
		if (o->st != NULL && e->alert->id != NULL)
			lw_state_outbox_status(o->st, e->alert->id,
			    delivery_one, &dl);
		printf("%s%s\n", buf_str(&dl_text), dl_text.len ? "]" : "");
		buf_free(&dl_text);
		break;
	case LW_HIST_VERDICT:
		printf("%s  verdict  %-8s  %-14s  %s", when,
		    c->severity ? vis(o, c->severity, 16) : "-", "llm",
		    c->verdict ? c->verdict : "?");
		if (c->issue != NULL)
			printf(": %s", vis(o, c->issue, HISTORY_FIELD_MAX));
		printf(" (%s)\n", vis(o, c->trigger ? c->trigger : "periodic",
		    HISTORY_TRIGGER_MAX));
		break;
	case LW_HIST_REPORT:
		printf("%s  report   %-8s  ", when, "info");
		printf("%-14s  ", vis(o, e->report->kind, 32));
		printf("%s\n", vis(o, e->report->title, HISTORY_FIELD_MAX));
		break;
	}
}

/* A string member, repaired to valid UTF-8; NULL becomes null. */
static void
json_str(struct history_out *o, cJSON *obj, const char *name, const char *s)
{
	if (s == NULL) {
		cJSON_AddNullToObject(obj, name);
		return;
	}
	buf_reset(&o->b);
	lw_utf8_clean(&o->b, s, strlen(s));
	cJSON_AddStringToObject(obj, name, buf_str(&o->b));
}

static void
json_time(cJSON *obj, const char *name, int64_t ms)
{
	char	when[LW_ISO8601_LEN];

	lw_iso8601(ms, when, sizeof(when));
	cJSON_AddStringToObject(obj, name, when);
}

/* A token count: -1 (unknown) is null. */
static void
json_count(cJSON *obj, const char *name, long v)
{
	if (v < 0)
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddNumberToObject(obj, name, (double)v);
}

static cJSON *
json_entry(const struct lw_hist_entry *e, struct history_out *o)
{
	const struct lw_llm_call	*c = e->call;
	const struct lw_report_row	*r = e->report;
	struct delivery			 dl;
	cJSON				*obj, *alert;

	obj = cJSON_CreateObject();
	if (obj == NULL)
		return NULL;
	json_time(obj, "time", e->time_ms);
	switch (e->kind) {
	case LW_HIST_ALERT:
		cJSON_AddStringToObject(obj, "kind", "alert");
		json_str(o, obj, "id", e->alert->id);
		json_str(o, obj, "severity", e->alert->severity);
		json_str(o, obj, "source", e->alert->source);
		json_str(o, obj, "rule", e->alert->rule);
		json_str(o, obj, "title", e->alert->title);
		/* We wrote it, valid UTF-8; null should it ever not parse. */
		alert = e->alert->json ? cJSON_Parse(e->alert->json) : NULL;
		if (alert != NULL)
			cJSON_AddItemToObject(obj, "alert", alert);
		else
			cJSON_AddNullToObject(obj, "alert");
		if ((dl.arr = cJSON_AddArrayToObject(obj, "delivery")) ==
		    NULL)
			fatalx("out of memory");
		dl.text = NULL;
		if (o->st != NULL && e->alert->id != NULL)
			lw_state_outbox_status(o->st, e->alert->id,
			    delivery_one, &dl);
		break;
	case LW_HIST_VERDICT:
		cJSON_AddStringToObject(obj, "kind", "verdict");
		json_str(o, obj, "verdict", c->verdict);
		json_str(o, obj, "severity", c->severity);
		json_str(o, obj, "issue", c->issue);
		json_str(o, obj, "trigger", c->trigger);
		json_str(o, obj, "model", c->model);
		json_count(obj, "prompt_tokens", c->prompt_tokens);
		json_count(obj, "completion_tokens", c->completion_tokens);
		json_count(obj, "latency_ms", c->latency_ms);
		json_str(o, obj, "templates", c->tmpls);
		break;
	case LW_HIST_REPORT:
		cJSON_AddStringToObject(obj, "kind", "report");
		json_str(o, obj, "report", r->kind);
		json_time(obj, "start", r->start_ms);
		json_time(obj, "end", r->end_ms);
		cJSON_AddNumberToObject(obj, "lines", (double)r->lines);
		cJSON_AddNumberToObject(obj, "errors", (double)r->errors);
		cJSON_AddNumberToObject(obj, "warnings", (double)r->warnings);
		json_str(o, obj, "title", r->title);
		json_str(o, obj, "text", r->text);
		break;
	}
	return obj;
}

static void
print_entry(const struct lw_hist_entry *e, void *arg)
{
	struct history_out	*o = arg;
	cJSON			*obj;
	char			*s;

	if (!o->json) {
		print_text(e, o);
		o->n++;
		return;
	}
	if ((obj = json_entry(e, o)) == NULL ||
	    (s = cJSON_PrintUnformatted(obj)) == NULL)
		fatalx("out of memory");
	/* One entry per line: greppable, and a stream. */
	printf("%s%s", o->n ? ",\n" : "\n", s);
	o->n++;
	cJSON_free(s);
	cJSON_Delete(obj);
}

static void
history_usage(void)
{
	fprintf(stderr, "usage: logwarden [-c FILE] history [--since T] "
	    "[--rule R] [--limit N] [--json]\n");
}

int
cmd_history(const char *cfgpath, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "rule", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*cfg = NULL;
	struct lw_state		*st = NULL;
	struct lw_hist_query	 q;
	struct history_out	 o;
	struct stat		 sb;
	const char		*errstr;
	char			*dbpath = NULL, *rule = NULL, *end;
	char			 err[512], when[LW_ISO8601_LEN];
	int64_t			 now = lw_wall_ms();
	long			 v;
	size_t			 len;
	int			 ch, rc = 2;

	memset(&q, 0, sizeof(q));
	memset(&o, 0, sizeof(o));
	buf_init(&o.b, HISTORY_FIELD_MAX + 16);
	q.since_ms = now - HISTORY_DEFAULT_MS;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (since_parse(optarg, now, &q.since_ms,
			    &errstr) == -1) {
				fprintf(stderr, "history: --since %s: %s\n",
				    optarg, errstr);
				goto out;
			}
			break;
		case 'r':
			free(rule);
			rule = xstrdup(optarg);
			/* "metric:" means what "metric" does. */
			len = strlen(rule);
			if (len > 0 && rule[len - 1] == ':')
				rule[len - 1] = '\0';
			if (*rule == '\0') {
				fprintf(stderr, "history: --rule needs a "
				    "rule name, llm or report\n");
				goto out;
			}
			break;
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 1 || v > HISTORY_MAX_LIMIT) {
				fprintf(stderr, "history: --limit %s: not a "
				    "number from 1 to %d\n", optarg,
				    HISTORY_MAX_LIMIT);
				goto out;
			}
			q.limit = (size_t)v;
			break;
		case 'j':
			o.json = 1;
			break;
		default:
			history_usage();
			goto out;
		}
	}
	if (optind != argc) {
		history_usage();
		goto out;
	}
	if (rule != NULL && strcmp(rule, "llm") == 0)
		q.kinds = LW_HIST_VERDICT;
	else if (rule != NULL && strcmp(rule, "report") == 0)
		q.kinds = LW_HIST_REPORT;
	else if (rule != NULL) {
		q.kinds = LW_HIST_ALERT;
		q.rule = rule;
	}

	rc = 1;
	if ((cfg = lw_config_load(cfgpath, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		goto out;
	}
	/* Opening would create an empty database: say what is wrong. */
	xasprintf(&dbpath, "%s/logwarden.db", cfg->state.dir);
	if (stat(dbpath, &sb) == -1) {
		if (errno == ENOENT)
			fprintf(stderr, "history: %s does not exist: no "
			    "history yet (the daemon creates it when it "
			    "first runs with this state.dir)\n", dbpath);
		else
			fprintf(stderr, "history: %s: %s\n", dbpath,
			    strerror(errno));
		goto out;
	}
	if ((st = lw_state_open(cfg->state.dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "history: state database: %s\n", err);
		goto out;
	}
	o.st = st;
	if (o.json)
		printf("[");
	if (lw_state_history(st, &q, print_entry, &o) == -1) {
		if (o.json)
			printf("\n]\n");
		fprintf(stderr, "history: reading %s failed\n", dbpath);
		goto out;
	}
	if (o.json)
		printf("%s]\n", o.n ? "\n" : "");
	else if (o.n == 0) {
		lw_iso8601(q.since_ms, when, sizeof(when));
		fprintf(stderr, "history: nothing since %s\n", when);
	}
	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "history: writing the output: %s\n",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	lw_state_close(st);
	lw_config_free(cfg);
	lw_cfgerrs_free(&errs);
	buf_free(&o.b);
	free(dbpath);
	free(rule);
	return rc;
}
