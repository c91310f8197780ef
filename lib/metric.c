/*
 * metric: windowed samples and their statistics.  Sum is kept
 * incrementally; max and p95 are computed on demand, which the engine
 * does at most once per second of log time.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "metric.h"
#include "xmalloc.h"

void
lw_metric_init(struct lw_metric *m, size_t cap)
{
	memset(m, 0, sizeof(*m));
	m->cap = cap ? cap : 1;
	m->s = xcalloc(m->cap, sizeof(*m->s));
	m->scratch = xcalloc(m->cap, sizeof(*m->scratch));
}

void
lw_metric_free(struct lw_metric *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m->scratch);
	m->s = NULL;
	m->scratch = NULL;
}

static void
metric_pop(struct lw_metric *m)
{
	m->sum -= m->s[m->head].v;
	m->head = (m->head + 1) % m->cap;
	m->n--;
	if (m->n == 0)
		m->sum = 0;	/* no drift from rounding */
}

void
lw_metric_add(struct lw_metric *m, int64_t t_ms, double v)
{
	if (m->n == m->cap) {
		metric_pop(m);
		m->dropped++;
	}
	m->s[(m->head + m->n) % m->cap] = (struct lw_sample){ t_ms, v };
	m->n++;
	m->sum += v;
	m->total++;
}

void
lw_metric_expire(struct lw_metric *m, int64_t now_ms, int64_t window_ms)
{
	while (m->n > 0 && m->s[m->head].t_ms <= now_ms - window_ms)
		metric_pop(m);
}

/* k-th smallest (0-based) of v[0..n): Wirth's selection, O(n) average. */
static double
select_kth(double *v, size_t n, size_t kk)
{
	ptrdiff_t	l = 0, m = (ptrdiff_t)n - 1, i, j, k = (ptrdiff_t)kk;
	double		x, t;

	while (l < m) {
		x = v[k];
		i = l;
		j = m;
		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < k)
			l = i;
		if (k < i)
			m = j;
	}
	return v[k];
}

double
lw_metric_stat(struct lw_metric *m, enum lw_mstat stat)
{
	size_t	i, rank;
	double	max;

	if (m->n == 0)
		return 0;
	switch (stat) {
	case LW_MSTAT_COUNT:
		return (double)m->n;
	case LW_MSTAT_AVG:
		return m->sum / (double)m->n;
	case LW_MSTAT_MAX:
		max = m->s[m->head].v;
		for (i = 1; i < m->n; i++)
			if (m->s[(m->head + i) % m->cap].v > max)
				max = m->s[(m->head + i) % m->cap].v;
		return max;
	case LW_MSTAT_P95:
		for (i = 0; i < m->n; i++)
			m->scratch[i] = m->s[(m->head + i) % m->cap].v;
		/* Nearest rank: the ceil(0.95 n)-th smallest value. */
		rank = (size_t)ceil(0.95 * (double)m->n);
		if (rank < 1)
			rank = 1;
		return select_kth(m->scratch, m->n, rank - 1);
	}
	return 0;
}

int
lw_metric_parse(const char *s, size_t len, double *out)
{
	char	tmp[64], *end;
	double	v;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	v = strtod(tmp, &end);
	if (end == tmp || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}
