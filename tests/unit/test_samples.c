// SPDX-License-Identifier: GPL-2.0
/* A stall's samples: native ones spread over all of it, the runtime's counted by function. */
#include <stdio.h>
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

static struct stall_frame py(const char *function, const char *file, int line)
{
	struct stall_frame f = {.kind = FRAME_PYTHON, .line = line};

	snprintf(f.function, sizeof(f.function), "%s", function);
	snprintf(f.file, sizeof(f.file), "%s", file);
	return f;
}

/*
 * json.dumps called three times in a loop: the handler is at the call's line
 * in most samples and at the loop's in a few. It is the application's
 * function that spent the time, not the module's top level under it, which
 * is on one sample more.
 */
START_TEST(the_app_function_is_counted_over_all_its_lines)
{
	struct sample_store *st = sample_store_new();
	struct stall_record *r = calloc(1, sizeof(*r));
	int i;

	for (i = 0; i < 100; i++) {
		struct stall_frame s[] = {
			py("_iterencode_dict", "/usr/lib/python3.11/json/encoder.py", 400 + i % 3),
			py("export_catalog", "/srv/app.py", i % 10 ? 67 : 66),
			py("<module>", "/srv/app.py", 113),
		};

		samples_add_runtime(st, 7, 1, i % 10 ? s : s + 1, i % 10 ? 3 : 2);
	}
	/* One sample after the handler returned: its callers are on more samples than it. */
	struct stall_frame after = py("<module>", "/srv/app.py", 114);
	samples_add_runtime(st, 7, 1, &after, 1);
	samples_fill(st, 7, 1, r);
	ck_assert_int_eq(r->n_runtime_samples, 101);
	ck_assert_int_ge(r->nhot, 2);
	/* Where the time went, by samples innermost over its lines, at the first line it ran. */
	ck_assert_str_eq(r->hot[0].frame.function, "_iterencode_dict");
	ck_assert_int_eq(r->hot[0].self, 90);
	ck_assert_int_eq(r->hot[0].frame.line, 401);
	/* Who spent it: on the stack in all, itself in a tenth. */
	ck_assert_str_eq(r->hot[1].frame.function, "export_catalog");
	ck_assert_int_eq(r->hot[1].samples, 100);
	ck_assert_int_eq(r->hot[1].self, 10);
	free(r);
	sample_store_free(st);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {samples_cover_the_whole_stall, the_app_function_is_counted_over_all_its_lines};

	return run_tests("samples", tests, sizeof(tests) / sizeof(tests[0]));
}
