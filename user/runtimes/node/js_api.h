#ifndef LOOPSTALL_NODE_JS_API_H
#define LOOPSTALL_NODE_JS_API_H
#include <stddef.h>

/*
 * What V8 runs for a JavaScript API, by the API's name as code calls it:
 * a `via` a user can search their code for.
 */

/* A builtin's name (a JavaScript function with no script: "test") as called: "RegExp.prototype.test". */
void js_api_qualify_builtin(char *name, size_t len);
/* The API a native function of V8 (demangled) is the entry of: "JSON.parse" for Builtin_JsonParse; NULL. */
const char *js_api_of_native(const char *function);
/* A static method of node's (file: its script) as called: "alloc" of node:buffer is "Buffer.alloc". */
void js_api_qualify_static(const char *file, char *name, size_t len);
/*
 * A function node's factory made for one API ("syncBufferWrapper" of
 * node:zlib): the name of the local it closed over that tells which
 * ("ctor"), or NULL for any other function.
 */
const char *js_api_closure_local(const char *file, const char *function);
/* Renames such a function (name) by that local's value, a class name: "Gzip" makes "zlib.gzipSync". */
void js_api_name_closure(const char *file, const char *value, char *name, size_t len);

#endif
