// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
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

/* Node's static methods, which V8 names by the method alone. */
static const struct {
	const char *file, *function, *api;
} statics[] = {
	{"node:buffer", "alloc", "Buffer.alloc"},
	{"node:buffer", "allocUnsafe", "Buffer.allocUnsafe"},
	{"node:buffer", "allocUnsafeSlow", "Buffer.allocUnsafeSlow"},
	{"node:buffer", "from", "Buffer.from"},
	{"node:buffer", "concat", "Buffer.concat"},
	{"node:buffer", "byteLength", "Buffer.byteLength"},
};

void js_api_qualify_static(const char *file, char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(statics) / sizeof(statics[0]); i++)
		if (strcmp(file, statics[i].file) == 0 && strcmp(name, statics[i].function) == 0) {
			snprintf(name, len, "%s", statics[i].api);
			return;
		}
}

/*
 * Node's functions a factory makes, one per API, named by the value the
 * factory closed over: zlib's sync wrappers by their engine's class.
 */
static const struct closure {
	const char *file, *function, *local, *format; /* format: of the class name, its first letter lowered */
} closures[] = {
	{"node:zlib", "syncBufferWrapper", "ctor", "zlib.%c%sSync"}, /* Gzip: zlib.gzipSync */
};

static const struct closure *closure_of(const char *file, const char *function)
{
	for (size_t i = 0; i < sizeof(closures) / sizeof(closures[0]); i++)
		if (strcmp(file, closures[i].file) == 0 && strcmp(function, closures[i].function) == 0)
			return &closures[i];
	return NULL;
}

const char *js_api_closure_local(const char *file, const char *function)
{
	const struct closure *c = closure_of(file, function);

	return c ? c->local : NULL;
}

void js_api_name_closure(const char *file, const char *value, char *name, size_t len)
{
	const struct closure *c = closure_of(file, name);

	if (c && value[0])
		snprintf(name, len, c->format, tolower((unsigned char)value[0]), value + 1);
}

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
