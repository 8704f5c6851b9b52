#ifndef LOOPSTALL_SERVICE_H
#define LOOPSTALL_SERVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The service a process is, as its user knows it, from its command line:
 * "gunicorn app:app", "uvicorn main:app", "checkout_service.py",
 * "node server.js", "redis-server", "nginx". Records, top, report and the
 * metrics show it beside the PID, so that two python3 processes are told
 * apart. As read: untrusted, escaped by each rendering.
 */

/* cmdline: /proc/PID/cmdline's bytes (arguments separated by NULs); out: "" when it names nothing. */
void service_of_cmdline(const char *cmdline, size_t len, char *out, size_t cap);
/* pid's: 0, or -errno (out ""). */
int service_read(pid_t pid, char *out, size_t cap);
/*
 * Whether a service says little: nothing, an interpreter alone ("python3",
 * "node": a script from stdin, a REPL) or "python3 -c". The process's
 * systemd unit or its pod's container name says more.
 */
bool service_says_little(const char *service);
/*
 * Where pid's application files are: its working directory (gunicorn,
 * uvicorn and node import from there; systemd's WorkingDirectory=), or ""
 * when that is "/", which would tell nothing. 0, or -errno (out "").
 */
int app_root_read(pid_t pid, char *out, size_t cap);

#endif
