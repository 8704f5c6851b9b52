#ifndef LOOPSTALL_SYMBOLIZE_H
#define LOOPSTALL_SYMBOLIZE_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "stall_record.h"

/* Native symbolization of live processes with elfutils' libdwfl, cached per process. */
struct symbolizer;

struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);
/* Fills out's function, module and file:line where known. is_return: ip is a return address. */
void symbolize_ip(struct symbolizer *s, pid_t pid, uint64_t ip, bool is_return, struct stall_frame *out);
/* Drops what is cached for pid (it exited or exec'd). */
void symbolizer_forget(struct symbolizer *s, pid_t pid);

#endif
