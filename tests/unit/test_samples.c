// SPDX-License-Identifier: GPL-2.0
/* A stall's native samples stay spread over all of it, however long it lasts. */
#include <stdlib.h>

#include "detect/samples.h"
#include "run_suite.h"

START_TEST(samples_cover_the_whole_stall)
{
	struct sample_store *st = sample_store_new();
	struct stall_record *r = calloc(1, sizeof(*r));
	int offered = 10 * STALL_MAX_SAMPLES, i;

	ck_assert_ptr_nonnull(st);
	for (i = 0; i < offered; i++) {
		uint64_t ip = 0x1000 + i; /* the sample's time, as its address */

		if (samples_take_native(st, 7, 1))
			samples_add_native(st, 7, 1, &ip, 1, NULL, 0);
	}
	samples_fill(st, 7, 1, r);
	ck_assert_int_le(r->n_samples, STALL_MAX_SAMPLES);
	ck_assert_int_ge(r->n_samples, STALL_MAX_SAMPLES / 2);
	/* From the start of the stall to its last tenth, evenly. */
	ck_assert_uint_eq(r->sample_ips[0][0], 0x1000);
	ck_assert_uint_ge(r->sample_ips[r->n_samples - 1][0], 0x1000 + offered * 9 / 10);
	for (i = 1; i < r->n_samples; i++)
		ck_assert_uint_eq(r->sample_ips[i][0] - r->sample_ips[i - 1][0], r->sample_ips[1][0] - r->sample_ips[0][0]);
	/* Another iteration starts afresh. */
	ck_assert(samples_take_native(st, 7, 2));
	free(r);
	sample_store_free(st);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {samples_cover_the_whole_stall};

	return run_tests("samples", tests, sizeof(tests) / sizeof(tests[0]));
}
