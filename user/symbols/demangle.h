#ifndef LOOPSTALL_DEMANGLE_H
#define LOOPSTALL_DEMANGLE_H
#include <stddef.h>

/*
 * A C++ symbol as people read it, without its parameter list:
 * "_ZN4node5StartEiPPc" -> "node::Start". Other names are copied as they
 * are. Returns out.
 */
char *demangle(const char *name, char *out, size_t len);

#endif
