// SPDX-License-Identifier: GPL-2.0
/* Quantiles and windows over the kernel's log2 iteration histograms. */
#include <math.h>

#include "base/histogram.h"

uint64_t hist_count(const struct ls_hist *h)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < LS_HIST_BUCKETS; i++)
		n += h->slots[i];
	return n;
}

uint64_t hist_bucket_upper_ns(int i)
{
	return (2ULL << i) * 1000;
}

uint64_t hist_quantile_ns(const struct ls_hist *h, double q)
{
	uint64_t total = hist_count(h), rank, seen = 0;
	int i;

	if (total == 0 || q <= 0 || q > 1)
		return 0;
	/* The rank of the quantile, 1-based: the smallest n with n >= q * total. */
	rank = (uint64_t)ceil(q * (double)total);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < LS_HIST_BUCKETS; i++) {
		seen += h->slots[i];
		if (seen >= rank)
			return hist_bucket_upper_ns(i);
	}
	return hist_bucket_upper_ns(LS_HIST_BUCKETS - 1);
}

void hist_delta(const struct ls_hist *a, const struct ls_hist *b, struct ls_hist *out)
{
	int i;

	for (i = 0; i < LS_HIST_BUCKETS; i++)
		out->slots[i] = b->slots[i] >= a->slots[i] ? b->slots[i] - a->slots[i] : b->slots[i];
	out->sum_ns = b->sum_ns >= a->sum_ns ? b->sum_ns - a->sum_ns : b->sum_ns;
}
