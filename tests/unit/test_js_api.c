// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "runtimes/node/js_api.h"
#include "run_suite.h"

/* As V8 names its frames in node 18 (tests/fixtures/records/node_*.jsonl). */
START_TEST(natives_by_the_api_they_enter)
{
	ck_assert_str_eq(js_api_of_native("v8::internal::Builtin_JsonParse"), "JSON.parse");
	ck_assert_str_eq(js_api_of_native("v8::internal::Builtin_JsonStringify"), "JSON.stringify");
	ck_assert_str_eq(js_api_of_native("v8::internal::Runtime_RegExpExec"), "RegExp.prototype.exec");
	/* What runs inside them is left as it is: the stack keeps saying how far it got. */
	ck_assert_ptr_null(js_api_of_native("v8::internal::JsonParser<unsigned char>::BuildJsonArray"));
	ck_assert_ptr_null(js_api_of_native("v8::internal::Builtin_JsonParseX"));
	ck_assert_ptr_null(js_api_of_native("node::fs::Read"));
}
END_TEST

START_TEST(builtins_by_their_object)
{
	char name[64] = "test";

	js_api_qualify_builtin(name, sizeof(name));
	ck_assert_str_eq(name, "RegExp.prototype.test");
	strcpy(name, "replace");
	js_api_qualify_builtin(name, sizeof(name));
	ck_assert_str_eq(name, "String.prototype.replace");
	strcpy(name, "loadCatalog"); /* not a builtin's name */
	js_api_qualify_builtin(name, sizeof(name));
	ck_assert_str_eq(name, "loadCatalog");
	/* Bounded by the buffer. */
	char small[8] = "test";
	js_api_qualify_builtin(small, sizeof(small));
	ck_assert_str_eq(small, "RegExp.");
}
END_TEST

START_TEST(node_functions_by_the_api_code_calls)
{
	char name[64] = "alloc";

	js_api_qualify_static("node:buffer", name, sizeof(name));
	ck_assert_str_eq(name, "Buffer.alloc");
	strcpy(name, "alloc"); /* an application's own alloc */
	js_api_qualify_static("/app/pool.js", name, sizeof(name));
	ck_assert_str_eq(name, "alloc");
	/* zlib's sync wrappers, by the engine class their factory closed over */
	ck_assert_str_eq(js_api_closure_local("node:zlib", "syncBufferWrapper"), "ctor");
	ck_assert_ptr_null(js_api_closure_local("node:zlib", "zlibBufferSync"));
	ck_assert_ptr_null(js_api_closure_local("/app/zlib.js", "syncBufferWrapper"));
	strcpy(name, "syncBufferWrapper");
	js_api_name_closure("node:zlib", "Gzip", name, sizeof(name));
	ck_assert_str_eq(name, "zlib.gzipSync");
	strcpy(name, "syncBufferWrapper");
	js_api_name_closure("node:zlib", "BrotliDecompress", name, sizeof(name));
	ck_assert_str_eq(name, "zlib.brotliDecompressSync");
	strcpy(name, "syncBufferWrapper"); /* no class name read: left as it is */
	js_api_name_closure("node:zlib", "", name, sizeof(name));
	ck_assert_str_eq(name, "syncBufferWrapper");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {natives_by_the_api_they_enter, builtins_by_their_object, node_functions_by_the_api_code_calls};

	return run_tests("js_api", tests, sizeof(tests) / sizeof(tests[0]));
}
