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

#endif
