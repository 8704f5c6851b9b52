// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "base/histogram.h"
#include "run_suite.h"

START_TEST(empty_histogram)
{
	struct ls_hist h;

	memset(&h, 0, sizeof(h));
	ck_assert_uint_eq(hist_count(&h), 0);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0.5), 0);
}
END_TEST

START_TEST(bucket_bounds)
{
	/* Bucket i holds [2^i, 2^(i+1)) us: its upper bound is 2^(i+1) us. */
	ck_assert_uint_eq(hist_bucket_upper_ns(0), 2000);
	ck_assert_uint_eq(hist_bucket_upper_ns(9), 1024000);
	ck_assert_uint_eq(hist_bucket_upper_ns(31), 4294967296ULL * 1000);
}
END_TEST

START_TEST(quantiles)
{
	struct ls_hist h;

	memset(&h, 0, sizeof(h));
	h.slots[3] = 90; /* 8-16 us */
	h.slots[10] = 9; /* 1-2 ms */
	h.slots[17] = 1; /* 131-262 ms: one stall */
	ck_assert_uint_eq(hist_count(&h), 100);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0.5), 16000);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0.90), 16000);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0.91), 2048000);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0.99), 2048000);
	ck_assert_uint_eq(hist_quantile_ns(&h, 1.0), 262144000);
	ck_assert_uint_eq(hist_quantile_ns(&h, 0), 0);
	ck_assert_uint_eq(hist_quantile_ns(&h, 1.5), 0);
}
END_TEST

START_TEST(window_delta)
{
	struct ls_hist a, b, d;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.slots[2] = 5;
	b.slots[2] = 12;
	b.slots[4] = 3;
	hist_delta(&a, &b, &d);
	ck_assert_uint_eq(d.slots[2], 7);
	ck_assert_uint_eq(d.slots[4], 3);
	ck_assert_uint_eq(hist_count(&d), 10);
	/* A loop that restarted (counts went down) counts from zero. */
	hist_delta(&b, &a, &d);
	ck_assert_uint_eq(d.slots[2], 5);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {empty_histogram, bucket_bounds, quantiles, window_delta};

	return run_tests("histogram", tests, sizeof(tests) / sizeof(tests[0]));
}
