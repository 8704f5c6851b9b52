#ifndef LOOPSTALL_WAITED_FOR_H
#define LOOPSTALL_WAITED_FOR_H
#include <stdint.h>
#include <sys/types.h>

#include "record/stall_record.h"
#include "runtimes/runtime.h"

/*
 * What a blocked syscall waits for, read on the detecting thread while the
 * call is still blocked (its arguments point into the target's memory, which
 * holds still only then): the path of open/stat/unlink..., the fds of
 * poll/select, the peer of connect, the child of wait4/waitid, and for a
 * futex, the holder: the runtime's lock's (the GIL, already in r->holder:
 * named here), the owner a glibc mutex records, else the process's other
 * threads and what each does. rt reads their frames (NULL: none read). Fills r->waited and
 * r->holder; reads are bounded and their results are data (escaped by
 * whoever shows them).
 */
void waited_for_read(struct runtimes *rt, struct stall_record *r);

/*
 * What only the named frames tell a wait is for, once they are named: a
 * sleep in sqlite's busy handler waits for a database another connection
 * has locked (its file and the process holding the lock, from /proc/locks).
 */
void waited_for_named(struct stall_record *r);

#endif
