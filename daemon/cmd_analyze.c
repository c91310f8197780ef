/*
 * cmd_analyze: `logwarden analyze [--llm] [--format md|json] FILE...`,
 * the batch report over whole log files (report.h does the analysis).
 *
 * Files are read through zlib's gzread, which passes plain files through
 * untouched, so rotated bot.log.2.gz and bot.log mix freely.  They are
 * read oldest first, by the first timestamp each holds, whatever order
 * the shell's glob gave.  Memory stays bounded: lines are streamed
 * through the record assembler into the report's capped aggregates.
 *
 * Without a usable config the report is still made, with built-in
 * defaults (no state database, no [metric.NAME]); a user must be able to
 * run `logwarden analyze bot.log` on a laptop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "categories.h"
#include "config.h"
#include "lines.h"
#include "logfile.h"
#include "log.h"
#include "logwarden.h"
#include "lwtime.h"
#include "parse.h"
#include "record.h"
#include "redact.h"
#include "report.h"
#include "reportmsg.h"
#include "state.h"
#include "utf8.h"
#include "xmalloc.h"

#define ANALYZE_CHUNK		(256u * 1024)	/* gzread size */
#define ANALYZE_LINE_MAX	65536		/* without a config */
#define ANALYZE_BAR_MIN		(16u << 20)	/* smaller inputs: no bar */
#define ANALYZE_BAR_MS		200		/* between bar updates */
#define ANALYZE_BAR_WIDTH	30

struct afile {
	const char	*path;
	uint64_t	 size;		/* on disk */
	int		 has_time;
	int64_t		 first_ms;
	size_t		 argi;		/* order on the command line */
};

struct actx {
	struct lw_parser	*p;	/* for the probes only */
	struct lw_asm		*as;
	struct lw_report	*rep;
	uint64_t		 flines;	/* of the current file */
	/* Progress bar. */
	int			 bar;
	uint64_t		 done, total;	/* bytes on disk */
	int64_t			 bar_mono;
	const char		*name;
};

static void
analyze_usage(void)
{
	fprintf(stderr, "usage: logwarden [-c FILE] analyze [--llm] "
	    "[--format md|json] FILE...\n");
}

/* The first timestamp in the file's first bytes (lib/logfile.h). */
static int
probe_time(struct actx *c, struct afile *f, char *err, size_t errsz)
{
	int	k;

	if ((k = lw_logfile_first_time(c->p, f->path, &f->first_ms, err,
	    errsz)) == -1)
		return -1;
	f->has_time = k == 1;
	return 0;
}

/* Oldest first; files without a time keep their command-line order,
 * after the timed ones. */
static int
afile_cmp(const void *a, const void *b)
{
	const struct afile	*x = a, *y = b;

	if (x->has_time != y->has_time)
		return y->has_time - x->has_time;
	if (x->has_time && x->first_ms != y->first_ms)
		return x->first_ms < y->first_ms ? -1 : 1;
	return x->argi < y->argi ? -1 : x->argi > y->argi;
}

static void
bar_draw(struct actx *c, int force)
{
	int64_t	now = lw_mono_ms();
	int	i, fill, pct;

	if (!c->bar || (!force && now - c->bar_mono < ANALYZE_BAR_MS))
		return;
	c->bar_mono = now;
	pct = c->total ? (int)(c->done * 100 / c->total) : 100;
	if (pct > 100)
		pct = 100;
	fill = pct * ANALYZE_BAR_WIDTH / 100;
	fputs("\ranalyze [", stderr);
	for (i = 0; i < ANALYZE_BAR_WIDTH; i++)
		fputc(i < fill ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%% %.40s\033[K", pct, c->name);
	fflush(stderr);
}

static void
on_line(const char *line, size_t len, size_t cut, uint64_t start,
    uint64_t end, void *arg)
{
	struct actx		*c = arg;
	struct lw_record	 rec;

	(void)cut;
	(void)start;
	(void)end;
	c->flines++;
	if (lw_asm_feed(c->as, line, len, &rec))
		lw_report_add(c->rep, &rec);
}

static int
read_file(struct actx *c, const struct afile *f, size_t line_max,
    char *err, size_t errsz)
{
	struct lw_lines		 ls;
	struct lw_record	 rec;
	gzFile			 gz;
	char			*buf = xmalloc(ANALYZE_CHUNK);
	const char		*msg;
	uint64_t		 base = c->done;
	int			 n, e, rc = -1;

	lw_lines_init(&ls, line_max, 0);
	c->flines = 0;
	c->name = f->path;
	errno = 0;
	if ((gz = gzopen(f->path, "rb")) == NULL) {
		snprintf(err, errsz, "%s: %s", f->path, errno ? strerror(errno)
		    : "cannot open");
		goto out;
	}
	if (gzbuffer(gz, ANALYZE_CHUNK) == -1)
		log_debug("%s: gzbuffer failed", f->path);
	while ((n = gzread(gz, buf, ANALYZE_CHUNK)) > 0) {
		lw_lines_feed(&ls, buf, (size_t)n, on_line, c);
		if (c->bar) {
			/* Compressed position, to match the sizes on disk. */
			c->done = base + (uint64_t)gzoffset(gz);
			bar_draw(c, 0);
		}
	}
	if (n < 0) {
		msg = gzerror(gz, &e);
		snprintf(err, errsz, "%s: %s", f->path, e == Z_ERRNO ?
		    strerror(errno) : msg);
		goto out;
	}
	/* A last line without '\n', then the record it completes: a
	 * traceback does not continue into the next file. */
	lw_lines_finish(&ls, on_line, c);
	if (lw_asm_flush(c->as, &rec))
		lw_report_add(c->rep, &rec);
	lw_report_add_file(c->rep, f->path, f->size, c->flines);
	c->done = base + f->size;
	rc = 0;
out:
	if (gz != NULL)
		gzclose(gz);
	lw_lines_free(&ls);
	free(buf);
	return rc;
}

/* The config, or NULL with a note: analyze works without one. */
static struct lw_config *
analyze_config(const char *cfgpath)
{
	struct lw_cfgerrs	 errs = { 0 };
	struct lw_config	*cfg;
	struct stat		 sb;

	if (stat(cfgpath, &sb) == -1) {
		fprintf(stderr, "logwarden: analyze: no config at %s, using "
		    "built-in defaults (no state database, no metrics)\n",
		    cfgpath);
		return NULL;
	}
	if ((cfg = lw_config_load(cfgpath, &errs)) == NULL) {
		lw_cfgerrs_print(&errs, stderr);
		fprintf(stderr, "logwarden: analyze: config %s not usable, "
		    "using built-in defaults (no state database, no "
		    "metrics)\n", cfgpath);
	}
	lw_cfgerrs_free(&errs);
	return cfg;
}

#define ANALYZE_LLM_BYTES	(32 * 1024)	/* report text sent to the model */

/*
 * --llm: the model's narrative, from the report's own summary (never the
 * raw lines): the markdown report, redacted, cut to ANALYZE_LLM_BYTES.
 * NULL (the reason on stderr) when the model cannot be asked.
 */
static char *
narrative(const struct lw_config *cfg, struct lw_report *rep,
    const struct lw_redactor *red)
{
	struct buf	 md, user;
	char		*answer = NULL, err[512];

	if (cfg == NULL || !cfg->llm.enabled) {
		fprintf(stderr, "logwarden: analyze --llm needs a config with "
		    "the [llm] section enabled; the report follows without "
		    "the narrative\n");
		return NULL;
	}
	buf_init(&md, LW_REPORT_TEXT_MAX);
	buf_init(&user, ANALYZE_LLM_BYTES * 2);
	lw_report_markdown(rep, &md);
	lw_reportmsg_llm_user(buf_str(&md), red, ANALYZE_LLM_BYTES, &user);
	if (llm_ask_once(cfg, lw_reportmsg_llm_system, buf_str(&user),
	    &answer, err, sizeof(err)) == -1)
		fprintf(stderr, "logwarden: analyze --llm: the model could not "
		    "be asked: %s; the report follows without the narrative\n",
		    err);
	buf_free(&md);
	buf_free(&user);
	return answer;
}

static int
emit(int json, struct lw_report *rep, const char *story)
{
	struct buf	 out;
	cJSON		*root;
	char		*s;
	int		 rc = 0;

	buf_init(&out, LW_REPORT_TEXT_MAX);
	if (json) {
		root = lw_report_json(rep);
		if (story != NULL) {
			struct buf clean;

			/* cJSON does not check UTF-8; the model's text is
			 * repaired first. */
			buf_init(&clean, LW_REPORT_TEXT_MAX);
			lw_utf8_clean(&clean, story, strlen(story));
			cJSON_AddStringToObject(root, "narrative",
			    buf_str(&clean));
			buf_free(&clean);
		}
		if ((s = cJSON_Print(root)) == NULL)
			fatalx("cJSON_Print: out of memory");
		cJSON_Delete(root);
		if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF)
			rc = -1;
		free(s);
	} else {
		if (story != NULL) {
			/* The model's words come first, marked as such. */
			buf_adds(&out, "## Narrative (from the model)\n\n");
			lw_vis_lines(&out, story);
			buf_adds(&out, "\n\n");
		}
		if (lw_report_markdown(rep, &out) == -1)
			log_warnx("report larger than %u bytes, cut",
			    LW_REPORT_TEXT_MAX);
		if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len)
			rc = -1;
	}
	if (fflush(stdout) == EOF)
		rc = -1;
	if (rc == -1)
		log_warn("stdout");
	buf_free(&out);
	return rc;
}

int
cmd_analyze(const char *cfgpath, int argc, char *argv[])
{
	struct lw_report_opts	 o;
	struct lw_config	*cfg = NULL;
	struct lw_state		*st = NULL;
	struct lw_redactor	*red = NULL;
	struct afile		*files = NULL;
	struct actx		 c;
	struct stat		 sb;
	char			 err[512];
	size_t			 nfiles = 0, i, line_max = ANALYZE_LINE_MAX;
	int			 a, json = 0, llm = 0, rc = 1, opts = 1;
	char			*story = NULL;
	struct lw_category	*cats = NULL;
	const char		*pat;

	memset(&c, 0, sizeof(c));
	files = xcalloc((size_t)argc, sizeof(*files));
	for (a = 1; a < argc; a++) {
		if (opts && strcmp(argv[a], "--") == 0)
			opts = 0;
		else if (opts && strcmp(argv[a], "--llm") == 0)
			llm = 1;
		else if (opts && (strcmp(argv[a], "--format") == 0 ||
		    strncmp(argv[a], "--format=", 9) == 0)) {
			const char *v = argv[a][8] == '=' ? argv[a] + 9 :
			    a + 1 < argc ? argv[++a] : "";

			if (strcmp(v, "json") == 0)
				json = 1;
			else if (strcmp(v, "md") == 0 ||
			    strcmp(v, "markdown") == 0)
				json = 0;
			else {
				analyze_usage();
				rc = 2;
				goto out;
			}
		} else if (opts && argv[a][0] == '-' && argv[a][1] != '\0') {
			analyze_usage();
			rc = 2;
			goto out;
		} else {
			files[nfiles].path = argv[a];
			files[nfiles].argi = nfiles;
			nfiles++;
		}
	}
	if (nfiles == 0) {
		analyze_usage();
		rc = 2;
		goto out;
	}
	/* Every file must be there before any work is done. */
	for (i = 0; i < nfiles; i++) {
		if (stat(files[i].path, &sb) == -1) {
			fprintf(stderr, "logwarden: analyze: %s: %s\n",
			    files[i].path, strerror(errno));
			goto out;
		}
		if (!S_ISREG(sb.st_mode)) {
			fprintf(stderr, "logwarden: analyze: %s: not a regular "
			    "file\n", files[i].path);
			goto out;
		}
		files[i].size = (uint64_t)sb.st_size;
		c.total += files[i].size;
	}

	memset(&o, 0, sizeof(o));
	if ((cfg = analyze_config(cfgpath)) != NULL) {
		line_max = cfg->source.max_line_bytes;
		o.metrics = cfg->metrics;
		o.nmetrics = cfg->nmetrics;
		/* [category.NAME] sections go before the built-in table. */
		cats = categories_from_config(cfg);
		o.extra_categories = cats;
		o.nextra_categories = cfg->ncategories;
		if ((st = lw_state_open(cfg->state.dir, err, sizeof(err))) ==
		    NULL)
			fprintf(stderr, "logwarden: analyze: state database "
			    "not available (%s): no new-template and trend "
			    "figures\n", err);
		pat = cfg->alerts.redact;
		red = lw_redactor_new(pat ? &pat : NULL, pat ? 1 : 0, err,
		    sizeof(err));
		if (red == NULL)
			log_warnx("alerts.redact: %s; built-in rules only",
			    err);
	}
	o.st = st;
	o.redactor = red;

	c.p = lw_parser_new();
	for (i = 0; i < nfiles; i++)
		if (probe_time(&c, &files[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "logwarden: analyze: %s\n", err);
			goto out;
		}
	qsort(files, nfiles, sizeof(*files), afile_cmp);

	c.as = lw_asm_new(LW_ASM_RECORD_BYTES, LW_ASM_RECORD_LINES);
	c.rep = lw_report_new(&o);
	c.bar = isatty(STDERR_FILENO) && c.total >= ANALYZE_BAR_MIN;
	for (i = 0; i < nfiles; i++)
		if (read_file(&c, &files[i], line_max, err, sizeof(err)) ==
		    -1) {
			if (c.bar)
				fputs("\r\033[K", stderr);
			fprintf(stderr, "logwarden: analyze: %s\n", err);
			goto out;
		}
	if (c.bar) {
		bar_draw(&c, 1);
		fputs("\r\033[K", stderr);
	}
	if (llm)
		story = narrative(cfg, c.rep, red);
	if (emit(json, c.rep, story) == -1)
		goto out;
	if (st != NULL && lw_report_save_days(c.rep) == -1)
		log_warnx("could not store the day totals in %s",
		    lw_state_path(st));
	rc = 0;
out:
	free(story);
	lw_report_free(c.rep);
	free(cats);
	lw_asm_free(c.as);
	lw_parser_free(c.p);
	lw_redactor_free(red);
	lw_state_close(st);
	lw_config_free(cfg);
	free(files);
	return rc;
}
