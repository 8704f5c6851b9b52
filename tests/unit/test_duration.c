// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "base/duration.h"
#include "run_suite.h"

START_TEST(parses_units)
{
	uint64_t ns;

	ck_assert_int_eq(duration_parse("250ms", &ns), 0);
	ck_assert_uint_eq(ns, 250 * NSEC_PER_MSEC);
	ck_assert_int_eq(duration_parse("2s", &ns), 0);
	ck_assert_uint_eq(ns, 2 * NSEC_PER_SEC);
	ck_assert_int_eq(duration_parse("1m", &ns), 0);
	ck_assert_uint_eq(ns, 60 * NSEC_PER_SEC);
	ck_assert_int_eq(duration_parse("1.5s", &ns), 0);
	ck_assert_uint_eq(ns, 1500 * NSEC_PER_MSEC);
	ck_assert_int_eq(duration_parse("100us", &ns), 0);
	ck_assert_uint_eq(ns, 100 * NSEC_PER_USEC);
	ck_assert_int_eq(duration_parse("1h", &ns), 0);
	ck_assert_uint_eq(ns, 3600 * NSEC_PER_SEC);
}
END_TEST

START_TEST(rejects_malformed)
{
	static const char *const bad[] = {"",	"100", "ms",	      "-1s",	"1 s", "1ss", "1sm", "abc",
					  "1y", "0s",  "0.0000001us", "1e400s", "nan", " 1s", "1s ", "99999999h",
					  "0x10ms", "+1s", "1e3ms", "1.5.3s", "1,5s", "\t1s", "1.s.", "inf"};
	uint64_t ns = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(duration_parse(bad[i], &ns) != 0, "accepted '%s'", bad[i]);
		ck_assert_uint_eq(ns, 42);
	}
	ck_assert_int_ne(duration_parse(NULL, &ns), 0);
}
END_TEST

START_TEST(formats_for_humans)
{
	char buf[32];

	duration_format(850 * NSEC_PER_USEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "850us");
	duration_format(120 * NSEC_PER_MSEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "120ms");
	duration_format(3 * NSEC_PER_SEC + 4 * NSEC_PER_MSEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "3.00s");
	duration_format(125 * NSEC_PER_SEC, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2m05s");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {parses_units, rejects_malformed, formats_for_humans};

	return run_tests("duration", tests, sizeof(tests) / sizeof(tests[0]));
}
