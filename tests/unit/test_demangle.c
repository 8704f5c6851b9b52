// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "symbols/demangle.h"
#include "run_suite.h"

static char out[128];

START_TEST(cxx_names)
{
	ck_assert_str_eq(demangle("_ZN4node5StartEiPPc", out, sizeof(out)), "node::Start");
	ck_assert_str_eq(
		demangle("_ZN2v88internal12_GLOBAL__N_16InvokeEPNS0_7IsolateERKNS1_12InvokeParamsE", out, sizeof(out)),
		"v8::internal::(anonymous namespace)::Invoke");
	ck_assert_str_eq(demangle("_ZNK3foo3barEv", out, sizeof(out)), "foo::bar");
	ck_assert_str_eq(
		demangle(
			"_ZN4node6crypto9CryptoJobINS0_12PBKDF2TraitsEE3RunERKN2v820FunctionCallbackInfoINS4_5ValueEEE",
			out, sizeof(out)),
		"node::crypto::CryptoJob<node::crypto::PBKDF2Traits>::Run");
}
END_TEST

START_TEST(rust_names)
{
	/* v0 (rustc -C symbol-mangling-version=v0, and the standard library Debian's rustc ships) */
	ck_assert_str_eq(demangle("_RNvNtNtCsjrHSEGnQ3l9_3std6thread9functions5sleep", out, sizeof(out)),
			 "std::thread::functions::sleep");
	ck_assert_str_eq(demangle("_RNvCsjrHSEGnQ3l9_12tokio_server16block_the_worker", out, sizeof(out)),
			 "tokio_server::block_the_worker");
	/* legacy: C++-like, with a hash left out */
	ck_assert_str_eq(demangle("_ZN5tokio7runtime9scheduler12multi_thread4park6Parker4park17h0123456789abcdefE", out,
				  sizeof(out)),
			 "tokio::runtime::scheduler::multi_thread::park::Parker::park");
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
	const TTest *tests[] = {cxx_names, rust_names, other_names_unchanged, long_names_are_cut};

	return run_tests("demangle", tests, sizeof(tests) / sizeof(tests[0]));
}
