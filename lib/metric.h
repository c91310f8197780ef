/*
 * metric: numbers pulled out of log lines by a [metric.NAME] pattern, kept
 * over the rules window so the rule can compare avg, max, p95 (nearest
 * rank) or count with its threshold.  Samples live in a ring with a hard
 * cap; when a busy metric overflows it, the oldest samples go early and
 * the loss is counted (and shown in the status screen).
 */
#ifndef LW_METRIC_H
#define LW_METRIC_H

#include <stddef.h>
#include <stdint.h>

#define LW_METRIC_MAX_SAMPLES	65536

struct lw_sample {
	int64_t	t_ms;
	double	v;
};

struct lw_metric {
	struct lw_sample	*s;	/* ring in arrival order */
	size_t			 cap;
	size_t			 head;	/* oldest */
	size_t			 n;
	double			 sum;
	uint64_t		 dropped;	/* lost to the cap */
	uint64_t		 total;		/* samples ever */
	double			*scratch;	/* for p95 */
};

enum lw_mstat { LW_MSTAT_AVG, LW_MSTAT_MAX, LW_MSTAT_P95, LW_MSTAT_COUNT };

void	lw_metric_init(struct lw_metric *, size_t cap);
void	lw_metric_free(struct lw_metric *);
void	lw_metric_add(struct lw_metric *, int64_t t_ms, double v);
/* Drop samples at or before now_ms - window_ms. */
void	lw_metric_expire(struct lw_metric *, int64_t now_ms,
	    int64_t window_ms);
/* The statistic over the samples held; 0 when there are none. */
double	lw_metric_stat(struct lw_metric *, enum lw_mstat);
/* Parse the number at s[0..len): "12.5", "1e3", "35" (no units). */
int	lw_metric_parse(const char *s, size_t len, double *out);

#endif
