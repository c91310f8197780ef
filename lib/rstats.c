/*
 * rstats: median, MAD, percentiles, Pearson's r and sparklines for the
 * daily report.  The series are short (one value per hour), so sorting a
 * copy is simpler and faster than any selection algorithm would be worth.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rstats.h"

/* NaNs sort last so the finite values form a prefix. */
static int
dcmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

/* Sorts v and returns how many values are finite. */
static size_t
sort_finite(double *v, size_t n)
{
	size_t	m = 0;

	qsort(v, n, sizeof(*v), dcmp);
	while (m < n && isfinite(v[m]))
		m++;
	return m;
}

double
lw_rstats_median(double *v, size_t n)
{
	size_t	m = sort_finite(v, n);

	if (m == 0)
		return NAN;
	if (m % 2)
		return v[m / 2];
	return (v[m / 2 - 1] + v[m / 2]) / 2.0;
}

double
lw_rstats_scale(const double *v, size_t n, double *scratch, double *median)
{
	double	med, mad, sum = 0;
	size_t	i, m = 0;

	memcpy(scratch, v, n * sizeof(*v));
	med = lw_rstats_median(scratch, n);
	if (median != NULL)
		*median = med;
	if (isnan(med))
		return NAN;
	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		scratch[m++] = fabs(v[i] - med);
		sum += fabs(v[i] - med);
	}
	mad = lw_rstats_median(scratch, m);
	if (mad > 0)
		return LW_RSTATS_MAD_SCALE * mad;
	/* More than half the hours agree exactly (quiet nights): the MAD
	 * says nothing, the mean deviation still sees the outliers. */
	return LW_RSTATS_MEANAD_SCALE * sum / (double)m;
}

double
lw_rstats_pctl(double *v, size_t n, double pct)
{
	size_t	m = sort_finite(v, n), rank;

	if (m == 0 || !(pct > 0) || pct > 100)
		return NAN;
	rank = (size_t)ceil(pct / 100.0 * (double)m);
	if (rank < 1)
		rank = 1;
	if (rank > m)
		rank = m;
	return v[rank - 1];
}

double
lw_rstats_pearson(const double *x, const double *y, size_t n, size_t *used)
{
	double	mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0, dx, dy;
	size_t	i, m = 0;

	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		mx += x[i];
		my += y[i];
		m++;
	}
	if (used != NULL)
		*used = m;
	if (m < 3)
		return NAN;
	mx /= (double)m;
	my /= (double)m;
	/* Two passes: the one-pass formula loses everything on large,
	 * nearly constant series such as line counts. */
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			continue;
		dx = x[i] - mx;
		dy = y[i] - my;
		sxx += dx * dx;
		syy += dy * dy;
		sxy += dx * dy;
	}
	if (sxx <= 0 || syy <= 0)
		return NAN;
	return sxy / sqrt(sxx * syy);
}

int
lw_rstats_sparkline(const double *v, size_t n, struct buf *out)
{
	static const char *const glyph[8] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588"
	};
	double	 g[LW_RSTATS_SPARK_MAX], lo = 0, hi = -INFINITY, s;
	size_t	 ng, i, j, from, to, k;
	int	 idx;

	/* Average down to at most LW_RSTATS_SPARK_MAX glyphs. */
	ng = n < LW_RSTATS_SPARK_MAX ? n : LW_RSTATS_SPARK_MAX;
	for (i = 0; i < ng; i++) {
		from = i * n / ng;
		to = (i + 1) * n / ng;
		s = 0;
		k = 0;
		for (j = from; j < to; j++)
			if (isfinite(v[j])) {
				s += v[j];
				k++;
			}
		g[i] = k > 0 ? s / (double)k : NAN;
		if (k > 0 && g[i] < lo)
			lo = g[i];
		if (k > 0 && g[i] > hi)
			hi = g[i];
	}
	for (i = 0; i < ng; i++) {
		if (isnan(g[i])) {
			if (buf_addc(out, ' ') == -1)
				return -1;
			continue;
		}
		idx = hi > lo ? (int)floor((g[i] - lo) / (hi - lo) * 7.0 + 0.5)
		    : 0;
		if (idx < 0)
			idx = 0;
		if (idx > 7)
			idx = 7;
		if (buf_adds(out, glyph[idx]) == -1)
			return -1;
	}
	return 0;
}
