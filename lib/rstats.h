/*
 * rstats: the robust statistics of the daily report (report.h): median,
 * median absolute deviation, nearest-rank percentiles, Pearson's r and
 * Unicode sparklines.  Pure functions on caller arrays; NaN marks a value
 * that is missing (an hour without latency samples) or undefined (the
 * median of nothing).
 */
#ifndef LW_RSTATS_H
#define LW_RSTATS_H

#include <stddef.h>

#include "buf.h"

/* The MAD is scaled by this to estimate a standard deviation under
 * normality (1 / Phi^-1(3/4)). */
#define LW_RSTATS_MAD_SCALE	1.4826
/* The same for the mean absolute deviation, used when the MAD is 0. */
#define LW_RSTATS_MEANAD_SCALE	1.2533
/* Longest sparkline drawn, in glyphs; longer series are averaged down. */
#define LW_RSTATS_SPARK_MAX	168

/* Median of the finite values of v[0..n); v is reordered (sorted, NaNs
 * last).  NaN when there is none. */
double	lw_rstats_median(double *v, size_t n);
/*
 * Robust scale of the finite values of v[0..n) around their median:
 * LW_RSTATS_MAD_SCALE * MAD, or when that is 0 (more than half the values
 * equal) LW_RSTATS_MEANAD_SCALE * mean absolute deviation.  0 when all
 * values are equal, NaN when there is none.  scratch holds n doubles; v
 * is left alone.  *median (may be NULL) receives the median.
 */
double	lw_rstats_scale(const double *v, size_t n, double *scratch,
	    double *median);
/* Nearest-rank percentile (pct in (0, 100]) of the finite values of
 * v[0..n): the value at rank ceil(pct/100 * N).  v is sorted in place.
 * NaN when there is none. */
double	lw_rstats_pctl(double *v, size_t n, double pct);
/*
 * Pearson's r over the pairs (x[i], y[i]) where both are finite; *used
 * (may be NULL) receives the number of such pairs.  NaN when there are
 * fewer than 3 pairs or either side is constant.
 */
double	lw_rstats_pearson(const double *x, const double *y, size_t n,
	    size_t *used);
/*
 * Appends a sparkline of v[0..n) to out, one of the eight block glyphs
 * U+2581..U+2588 per value: the scale runs from min(0, smallest value)
 * (glyph 1) to the largest value (glyph 8), so counts start at the floor
 * and a flat non-zero series is all glyph 8; an all-zero series is all
 * glyph 1; a NaN is a space.  More than
 * LW_RSTATS_SPARK_MAX values are averaged in equal groups first.
 * Returns 0, or -1 when out's maximum was reached.
 */
int	lw_rstats_sparkline(const double *v, size_t n, struct buf *out);

#endif
