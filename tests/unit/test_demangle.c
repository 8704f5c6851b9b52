// SPDX-License-Identifier: GPL-2.0
#include <check.h>
#include <stdlib.h>

#include "demangle.h"

static char out[128];

START_TEST(cxx_names)
{
	ck_assert_str_eq(demangle("_ZN4node5StartEiPPc", out, sizeof(out)), "node::Start");
	ck_assert_str_eq(demangle("_ZN2v88internal12_GLOBAL__N_16InvokeEPNS0_7IsolateERKNS1_12InvokeParamsE", out,
				  sizeof(out)),
			 "v8::internal::(anonymous namespace)::Invoke");
	ck_assert_str_eq(demangle("_ZNK3foo3barEv", out, sizeof(out)), "foo::bar");
	ck_assert_str_eq(demangle("_ZN4node6crypto9CryptoJobINS0_12PBKDF2TraitsEE3RunERKN2v820FunctionCallbackInfoINS4_5ValueEEE",
				  out, sizeof(out)),
			 "node::crypto::CryptoJob<node::crypto::PBKDF2Traits>::Run");
}
END_TEST

START_TEST(other_names_unchanged)
{
	ck_assert_str_eq(demangle("clock_nanosleep", out, sizeof(out)), "clock_nanosleep");
	ck_assert_str_eq(demangle("_Znot_really_mangled", out, sizeof(out)), "_Znot_really_mangled");
	ck_assert_str_eq(demangle("", out, sizeof(out)), "");
	ck_assert_str_eq(demangle("0x5d64b4", out, sizeof(out)), "0x5d64b4");
}
END_TEST

START_TEST(long_names_are_cut)
{
	char small[16];

	ck_assert_str_eq(demangle("_ZN4node12_GLOBAL__N_16Parser7ExecuteEPKcm", small, sizeof(small)),
			 "node::(anonymou");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("demangle");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, cxx_names);
	tcase_add_test(tc, other_names_unchanged);
	tcase_add_test(tc, long_names_are_cut);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
