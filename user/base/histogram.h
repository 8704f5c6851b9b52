#ifndef LOOPSTALL_HISTOGRAM_H
#define LOOPSTALL_HISTOGRAM_H
#include <linux/types.h>
#include <stdint.h>

#include "loopstall.h"

/* Reading the kernel's per-loop log2 histograms of iteration busy time. */
uint64_t hist_count(const struct ls_hist *h);
/* Upper bound in ns of bucket i: bucket i holds [2^i, 2^(i+1)) us, bucket 0 also < 1 us. */
uint64_t hist_bucket_upper_ns(int i);
/* Upper bound in ns of the bucket holding quantile q (0 < q <= 1); 0 when empty. */
uint64_t hist_quantile_ns(const struct ls_hist *h, double q);
/* b - a, bucket by bucket: the iterations of a window between two reads. */
void hist_delta(const struct ls_hist *a, const struct ls_hist *b, struct ls_hist *out);

#endif
