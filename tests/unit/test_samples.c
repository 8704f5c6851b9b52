// SPDX-License-Identifier: GPL-2.0
/* The Python frames a CPU stall's hot list keeps, from the stacks read while it ran. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/samples.h"
#include "run_suite.h"

static struct stall_frame py(const char *function, const char *file, int line)
{
	struct stall_frame f = {.kind = FRAME_PYTHON, .line = line};

	snprintf(f.function, sizeof(f.function), "%s", function);
	snprintf(f.file, sizeof(f.file), "%s", file);
	return f;
}

#define ENCODER "/usr/lib/python3.11/json/encoder.py"

/*
 * A handler that calls json.dumps: the time goes in the standard library's
 * encoder, but the application's function that spent it is kept too, ahead
 * of the eval plumbing every sample shares.
 */
START_TEST(where_time_went_and_the_application_function_that_spent_it)
{
	struct stall_frame deep[] = {py("_iterencode_dict", ENCODER, 377), py("_iterencode_dict", ENCODER, 377),
				     py("_iterencode", ENCODER, 430), py("JSONEncoder.encode", ENCODER, 200),
				     py("dumps", "/usr/lib/python3.11/json/__init__.py", 231),
				     py("export_catalog", "/app/shop.py", 12), py("handler", "/app/shop.py", 20),
				     py("BaseEventLoop.run_forever", "/usr/lib/python3.11/asyncio/base_events.py", 607)};
	struct stall_frame other[] = {py("JSONEncoder.encode", ENCODER, 200),
				      py("dumps", "/usr/lib/python3.11/json/__init__.py", 231),
				      py("export_catalog", "/app/shop.py", 12), py("handler", "/app/shop.py", 20)};
	struct sample_store *st = sample_store_new();
	struct stall_record *r = calloc(1, sizeof(*r));
	int i;

	for (i = 0; i < 30; i++)
		samples_add_runtime(st, 7, 1, deep, 8);
	for (i = 0; i < 10; i++)
		samples_add_runtime(st, 7, 1, other, 4);
	samples_fill(st, 7, 1, r);
	ck_assert_int_eq(r->n_runtime_samples, 40);
	ck_assert_int_eq(r->nhot, STALL_MAX_HOT_RT);
	/* where the time went: innermost in 30 (recursion counted once a sample) */
	ck_assert_str_eq(r->hot[0].frame.function, "_iterencode_dict");
	ck_assert_uint_eq(r->hot[0].self, 30);
	ck_assert_uint_eq(r->hot[0].samples, 30);
	/* the application's: on the stack in all 40, innermost of those on a tie with handler */
	ck_assert_str_eq(r->hot[1].frame.function, "export_catalog");
	ck_assert_uint_eq(r->hot[1].self, 0);
	ck_assert_uint_eq(r->hot[1].samples, 40);
	ck_assert_str_eq(r->hot[2].frame.function, "JSONEncoder.encode");
	ck_assert_uint_eq(r->hot[2].self, 10);
	ck_assert_uint_eq(r->hot[2].samples, 40);
	free(r);
	sample_store_free(st);
}
END_TEST

/*
 * Application code that runs a C extension (zlib.compress): it is innermost
 * itself, the one frame listed; those around it never ran themselves.
 */
START_TEST(application_frame_innermost_is_listed_alone)
{
	struct stall_frame stack[] = {py("compress_catalog", "/app/waits.py", 52), py("run", "/app/waits.py", 70),
				      py("Handle._run", "/usr/lib/python3.11/asyncio/events.py", 80)};
	struct sample_store *st = sample_store_new();
	struct stall_record *r = calloc(1, sizeof(*r));
	int i;

	for (i = 0; i < 5; i++)
		samples_add_runtime(st, 7, 1, stack, 3);
	samples_fill(st, 7, 1, r);
	ck_assert_int_eq(r->nhot, 1);
	ck_assert_str_eq(r->hot[0].frame.function, "compress_catalog");
	ck_assert_uint_eq(r->hot[0].self, 5);
	ck_assert_uint_eq(r->hot[0].samples, 5);
	ck_assert(r->hot[0].of_runtime);
	free(r);
	sample_store_free(st);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {where_time_went_and_the_application_function_that_spent_it,
				application_frame_innermost_is_listed_alone};

	return run_tests("samples", tests, sizeof(tests) / sizeof(tests[0]));
}
