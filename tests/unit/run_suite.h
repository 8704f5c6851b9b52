#ifndef LOOPSTALL_RUN_SUITE_H
#define LOOPSTALL_RUN_SUITE_H
/* The main of every unit test: run a Check suite, exit non-zero on any failure. */
#include <check.h>
#include <stddef.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* A suite of one test case holding tests, by name. */
static inline int run_tests(const char *name, const TTest *const *tests, size_t n)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	size_t i;

	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return run_suite(s);
}

#endif
