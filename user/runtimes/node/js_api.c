// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "runtimes/node/js_api.h"

/* Builtins written in V8's own languages have frames of their own, named by the method alone. */
static const struct {
	const char *builtin, *api;
} builtins[] = {
	{"test", "RegExp.prototype.test"},
	{"exec", "RegExp.prototype.exec"},
	{"[Symbol.replace]", "RegExp.prototype[Symbol.replace]"},
	{"[Symbol.match]", "RegExp.prototype[Symbol.match]"},
	{"[Symbol.split]", "RegExp.prototype[Symbol.split]"},
	{"replace", "String.prototype.replace"},
	{"replaceAll", "String.prototype.replaceAll"},
	{"match", "String.prototype.match"},
	{"matchAll", "String.prototype.matchAll"},
	{"split", "String.prototype.split"},
	{"search", "String.prototype.search"},
	{"sort", "Array.prototype.sort"},
	{"wait", "Atomics.wait"},
};

/* Builtins written in C++ (and the runtime functions builtins call) show as native frames. */
static const struct {
	const char *native, *api;
} natives[] = {
	{"v8::internal::Builtin_JsonParse", "JSON.parse"},
	{"v8::internal::Builtin_JsonStringify", "JSON.stringify"},
	{"v8::internal::Builtin_AtomicsWait", "Atomics.wait"},
	{"v8::internal::Runtime_AtomicsWait", "Atomics.wait"},
	{"v8::internal::Runtime_RegExpExec", "RegExp.prototype.exec"},
};

void js_api_qualify_builtin(char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcmp(name, builtins[i].builtin) == 0) {
			snprintf(name, len, "%s", builtins[i].api);
			return;
		}
	}
}

const char *js_api_of_native(const char *function)
{
	for (size_t i = 0; i < sizeof(natives) / sizeof(natives[0]); i++)
		if (strcmp(function, natives[i].native) == 0)
			return natives[i].api;
	return NULL;
}
