#ifndef LOOPSTALL_DEMANGLE_H
#define LOOPSTALL_DEMANGLE_H
#include <stddef.h>

/*
 * A C++ or Rust symbol as people read it, without its parameter list (nor
 * a Rust legacy name's hash): "_ZN4node5StartEiPPc" -> "node::Start",
 * "_RNvNtNtCs..._3std6thread9functions5sleep" -> "std::thread::functions::sleep".
 * Other names are copied as they are. Returns out.
 */
char *demangle(const char *name, char *out, size_t len);

#endif
