// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "base/json_scan.h"
#include "run_suite.h"

static int parse(struct json_scan *js, const char *text)
{
	return json_scan_parse(js, text, strlen(text));
}

START_TEST(takes_plain_objects)
{
	const char *text = " {\"a\":\"xyz\",\"n\":-12.5e1,\"i\":42,\"t\":true,\"f\":false,\"z\":null,"
			   "\"arr\":[1,{\"k\":\"v\"},[]],\"o\":{}} \r\n";
	struct json_scan js;
	size_t len;
	double d;
	int arr, e;

	ck_assert_int_eq(json_scan_init(&js), 0);
	ck_assert_int_eq(parse(&js, text), 0);
	ck_assert_ptr_nonnull(json_scan_str(&js, json_scan_get(&js, 0, "a"), &len));
	ck_assert_uint_eq(len, 3);
	ck_assert(!memcmp(json_scan_str(&js, json_scan_get(&js, 0, "a"), &len), "xyz", 3));
	ck_assert(json_scan_num(&js, json_scan_get(&js, 0, "n"), &d));
	ck_assert(d == -125.0);
	ck_assert(json_scan_num(&js, json_scan_get(&js, 0, "i"), &d));
	ck_assert(d == 42.0);
	ck_assert(json_scan_is(&js, json_scan_get(&js, 0, "t"), JS_TRUE));
	ck_assert(json_scan_is(&js, json_scan_get(&js, 0, "f"), JS_FALSE));
	ck_assert(json_scan_is(&js, json_scan_get(&js, 0, "z"), JS_NULL));
	ck_assert(json_scan_is(&js, json_scan_get(&js, 0, "o"), JS_OBJECT));
	ck_assert_int_eq(json_scan_get(&js, 0, "missing"), -1);
	ck_assert_ptr_null(json_scan_str(&js, json_scan_get(&js, 0, "i"), &len));
	ck_assert(!json_scan_num(&js, -1, &d));
	arr = json_scan_get(&js, 0, "arr");
	e = json_scan_first(&js, arr);
	ck_assert(json_scan_is(&js, e, JS_NUMBER));
	e = json_scan_next(&js, arr, e);
	ck_assert(json_scan_is(&js, json_scan_get(&js, e, "k"), JS_STRING));
	e = json_scan_next(&js, arr, e);
	ck_assert(json_scan_is(&js, e, JS_ARRAY));
	ck_assert_int_eq(json_scan_first(&js, e), -1);
	ck_assert_int_eq(json_scan_next(&js, arr, e), -1);
	json_scan_free(&js);
}
END_TEST

START_TEST(refuses_what_it_is_unsure_of)
{
	static const char *const bad[] = {
		"",
		"[1]",
		"\"s\"",
		"{",
		"{}x",
		"{\"a\":1,}",
		"{\"a\":1 \"b\":2}",
		"{\"a\"1}",
		"{a:1}",
		"{\"a\":01}",
		"{\"a\":1.}",
		"{\"a\":.5}",
		"{\"a\":-}",
		"{\"a\":1e}",
		"{\"a\":1e400}",
		"{\"a\":tru}",
		"{\"a\":\"x\\n\"}",
		"{\"a\":\"\xc3\xa9\"}",
		"{\"a\":\"\t\"}",
		"{\"a\":1,\"a\":2}",
		"{\"a\":[1,]}",
		"{\"a\":\"unterminated}",
	};
	struct json_scan js;
	char deep[200];
	size_t i;

	ck_assert_int_eq(json_scan_init(&js), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(&js, bad[i]) != 0, "took '%s'", bad[i]);
	/* Deeper than JSON_SCAN_DEPTH */
	strcpy(deep, "{\"a\":");
	for (i = 0; i < 70; i++)
		strcat(deep, "[");
	for (i = 0; i < 70; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ck_assert_int_ne(parse(&js, deep), 0);
	/* A number longer than 63 bytes */
	ck_assert_int_ne(parse(&js, "{\"a\":1234567890123456789012345678901234567890123456789012345678901234567890}"),
			 0);
	json_scan_free(&js);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {takes_plain_objects, refuses_what_it_is_unsure_of};

	return run_tests("json_scan", tests, sizeof(tests) / sizeof(tests[0]));
}
