// SPDX-License-Identifier: GPL-2.0
/* What a blocked syscall waits for, from its arguments and the target's memory. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attrib/fd_describe.h"
#include "attrib/waited_for.h"
#include "base/proc.h"
#include "record/culprit.h"

#define SELECT_BYTES 128 /* fd_set bits read: fds up to 1023 */

/* Bytes of the target's memory: 0 or -errno (nothing partial). */
static int read_target(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};

	if (!addr || addr >= 0x800000000000ULL)
		return -EFAULT;
	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

/* A C string of the target, cut to len - 1 bytes; read in page pieces so its end may sit next to a hole. */
static int read_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t done = 0;

	buf[0] = '\0';
	while (done < len - 1) {
		size_t piece = 4096 - ((addr + done) & 4095), got;
		char *nul;

		if (piece > len - 1 - done)
			piece = len - 1 - done;
		if (read_target(pid, addr + done, buf + done, piece))
			break;
		buf[done + piece] = '\0';
		nul = memchr(buf + done, '\0', piece);
		got = nul ? (size_t)(nul - (buf + done)) : piece;
		done += got;
		if (nul)
			break;
	}
	buf[done] = '\0';
	return done ? 0 : -EFAULT;
}

/* Which argument is a path, for the calls that take one (-1: none). */
static int path_arg(int nr)
{
	switch (nr) {
#ifdef SYS_open /* the calls newer architectures (arm64) have only in their *at forms */
	case SYS_open:
	case SYS_creat:
	case SYS_stat:
	case SYS_lstat:
	case SYS_access:
	case SYS_unlink:
	case SYS_rmdir:
	case SYS_mkdir:
	case SYS_rename:
	case SYS_link:
	case SYS_symlink:
	case SYS_readlink:
	case SYS_mknod: return 0;
#endif
	case SYS_truncate:
	case SYS_chdir: return 0;
	case SYS_openat:
	case SYS_openat2:
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_unlinkat:
	case SYS_mkdirat:
	case SYS_renameat:
	case SYS_renameat2:
	case SYS_linkat:
	case SYS_readlinkat:
	case SYS_mknodat: return 1;
	case SYS_symlinkat: return 0;
	}
	return -1;
}

/* The second path of the calls that take two (rename's new name, a link's): -1 for the others. */
static int to_path_arg(int nr)
{
	switch (nr) {
#ifdef SYS_rename
	case SYS_rename:
	case SYS_link:
	case SYS_symlink: return 1;
#endif
	case SYS_symlinkat: return 2;
	case SYS_renameat:
	case SYS_renameat2:
	case SYS_linkat: return 3;
	}
	return -1;
}

static void add_fd(struct waited *w, pid_t pid, int fd)
{
	if (w->nfds == WAIT_MAX_FDS)
		return;
	w->fds[w->nfds].fd = fd;
	if (fd_describe(pid, fd, w->fds[w->nfds].target, sizeof(w->fds[w->nfds].target)))
		w->fds[w->nfds].target[0] = '\0';
	w->nfds++;
}

static void poll_fds(struct waited *w, pid_t pid, uint64_t addr, uint64_t nfds)
{
	struct pollfd p[WAIT_MAX_FDS];
	size_t n = nfds < WAIT_MAX_FDS ? nfds : WAIT_MAX_FDS, i;

	if (!n || read_target(pid, addr, p, n * sizeof(p[0])))
		return;
	for (i = 0; i < n; i++)
		if (p[i].fd >= 0)
			add_fd(w, pid, p[i].fd);
}

/* The fds set in select's three sets (the first WAIT_MAX_FDS of them). */
static void select_fds(struct waited *w, pid_t pid, uint64_t nfds, const uint64_t *sets)
{
	unsigned char bits[SELECT_BYTES];
	size_t len = (nfds + 7) / 8, i, b;

	if (len > SELECT_BYTES)
		len = SELECT_BYTES;
	for (i = 0; i < 3; i++) {
		if (!sets[i] || read_target(pid, sets[i], bits, len))
			continue;
		for (b = 0; b < len * 8 && b < nfds; b++)
			if (bits[b / 8] & (1u << (b % 8)))
				add_fd(w, pid, (int)b);
	}
}

/* The fds an epoll instance watches: its fdinfo's "tfd:" lines (the first WAIT_MAX_FDS of them). */
static void epoll_fds(struct waited *w, pid_t pid, int epfd)
{
	char path[64], line[256];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, epfd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (w->nfds < WAIT_MAX_FDS && fgets(line, sizeof(line), f))
		if (sscanf(line, "tfd: %d", &fd) == 1)
			add_fd(w, pid, fd);
	fclose(f);
}

static void connect_peer(struct waited *w, pid_t pid, uint64_t addr, uint64_t len)
{
	struct sockaddr_storage ss = {0};
	char text[INET6_ADDRSTRLEN];

	if (len < sizeof(sa_family_t) || len > sizeof(ss) || read_target(pid, addr, &ss, len))
		return;
	if (ss.ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const void *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
		snprintf(w->peer, sizeof(w->peer), "tcp %s:%u", text, ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const void *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text));
		snprintf(w->peer, sizeof(w->peer), "tcp [%s]:%u", text, ntohs(a->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *a = (const void *)&ss;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);

		snprintf(w->peer, sizeof(w->peer), "unix %.*s", (int)strnlen(a->sun_path, n), a->sun_path);
	}
}

/* A /proc file's text, NULs as spaces, bounded by len. */
static void read_proc_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0' || buf[i] == '\n')
			buf[i] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* wait4(pid, ...) or waitid(P_PID, pid, ...): that child; -1 or P_ALL: the first child of the thread. */
static void wait_child(struct waited *w, pid_t pid, pid_t tid, long which)
{
	char path[96], list[256];

	if (which <= 0) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
		read_proc_text(path, list, sizeof(list));
		which = strtol(list, NULL, 10);
	}
	if (which <= 0)
		return;
	w->child = (pid_t)which;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", which);
	read_proc_text(path, w->child_cmd, sizeof(w->child_cmd));
}

#define LOCKS_BYTES (256u << 10) /* of /proc/locks read: thousands of locks */

/*
 * flock(fd) or fcntl(fd, F_SETLKW): who holds a lock on fd's file, from
 * /proc/locks ("1: FLOCK  ADVISORY  WRITE 4242 fe:00:328307 0 EOF"; a
 * waiter's line has "->"). Another process first: a lock the waiter's own
 * process holds (another fd, another thread) only when none is.
 */
static void lock_holder(struct waited *w, pid_t pid, int fd)
{
	char path[64], *text, *line, *save;
	unsigned int maj, min;
	unsigned long long ino;
	struct stat st;
	long holder = 0;
	int lf;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	if (fd < 0 || stat(path, &st))
		return;
	lf = open("/proc/locks", O_RDONLY | O_CLOEXEC);
	text = lf < 0 ? NULL : malloc(LOCKS_BYTES + 1);
	n = text ? read(lf, text, LOCKS_BYTES) : -1;
	if (lf >= 0)
		close(lf);
	if (n <= 0) {
		free(text);
		return;
	}
	text[n] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		long p;

		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %*s %*s %*s %ld %x:%x:%llu", &p, &maj, &min, &ino) != 4 ||
		    makedev(maj, min) != st.st_dev || ino != st.st_ino || p <= 0)
			continue;
		if (p != pid) {
			holder = p;
			break;
		}
		holder = p;
	}
	free(text);
	if (!holder)
		return;
	w->lock_holder = (pid_t)holder;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", holder);
	read_proc_text(path, w->lock_holder_cmd, sizeof(w->lock_holder_cmd));
}

#define LOCKED_FILES_MAX 64 /* regular files of a process looked at for a lock's holder */

/*
 * sqlite's busy handler sleeps between tries at a database another
 * connection has locked: the sleep names nothing. The database is the
 * process's open file someone holds a lock on (another process's first),
 * with its holder.
 */
static void locked_database(struct waited *w, pid_t pid)
{
	char path[64], target[sizeof(w->path)], own_path[sizeof(w->path)] = "", own_cmd[sizeof(w->lock_holder_cmd)];
	struct dirent *de;
	int files = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)) && files < LOCKED_FILES_MAX) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/fd/%.16s", pid, de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (de->d_name[0] == '.' || n <= 0 || target[0] != '/')
			continue; /* sockets, pipes, anonymous inodes */
		target[n] = '\0';
		files++;
		w->lock_holder = 0;
		lock_holder(w, pid, atoi(de->d_name));
		if (w->lock_holder && w->lock_holder != pid) {
			memcpy(w->path, target, sizeof(w->path));
			closedir(dir);
			return;
		}
		if (w->lock_holder && !own_path[0]) { /* another connection of its own: kept if none is another's */
			memcpy(own_path, target, sizeof(own_path));
			memcpy(own_cmd, w->lock_holder_cmd, sizeof(own_cmd));
		}
	}
	closedir(dir);
	w->lock_holder = own_path[0] ? pid : 0;
	if (own_path[0]) {
		memcpy(w->path, own_path, sizeof(w->path));
		memcpy(w->lock_holder_cmd, own_cmd, sizeof(w->lock_holder_cmd));
	}
}

/*
 * A glibc mutex keeps its owner's tid in __owner, 8 bytes past the futex
 * word (__lock). Taken only when that tid is a thread of this process.
 */
static bool mutex_owner(pid_t pid, pid_t tid, uint64_t futex, pid_t *owner)
{
	char path[64];
	int32_t word[3];

	if (read_target(pid, futex, word, sizeof(word)) || word[0] == 0 || word[2] <= 0 || word[2] == tid)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, word[2]);
	if (access(path, F_OK))
		return false;
	*owner = word[2];
	return true;
}

/* The syscall a thread is in and its first argument (a futex's word), from /proc: -1 when in none. */
static int thread_syscall(pid_t pid, pid_t tid, uint64_t *arg0)
{
	char path[96], text[256];
	unsigned long long a = 0;
	int nr;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", pid, tid);
	read_proc_text(path, text, sizeof(text));
	if (sscanf(text, "%d %llx", &nr, &a) < 1 || nr < 0)
		return -1;
	if (arg0)
		*arg0 = a;
	return nr;
}

/*
 * A thread's name, state and the syscall it is in. The name is the kernel's
 * when the thread set one of its own (prctl), else its runtime's (Python's
 * "Thread-3 (flush_cache)"): most threads keep the program's name.
 */
static void thread_facts(struct runtimes *rt, pid_t pid, pid_t tid, struct other_thread *t)
{
	char path[96], text[256], program[THREAD_NAME_MAX];
	struct proc_stat st;

	t->tid = tid;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	read_proc_text(path, text, sizeof(text));
	snprintf(t->name, sizeof(t->name), "%.15s", text);
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_proc_text(path, program, sizeof(program));
	if (rt && strcmp(text, program) == 0 && runtimes_thread_name(rt, pid, tid, program, sizeof(program)) == 0)
		memcpy(t->name, program, sizeof(t->name));
	t->state = proc_stat_read(tid, &st) ? '?' : st.state;
	t->syscall_nr = thread_syscall(pid, tid, NULL);
}

/* The thread's application frame (its runtime's stack), else its innermost; "" when it reads none. */
static void thread_frame(struct runtimes *rt, const struct stall_record *r, pid_t tid, struct stall_frame *frames,
			 int *nframes, int max, struct stall_frame *culprit)
{
	int n = rt ? runtimes_read_stack(rt, r->pid, tid, frames, max) : 0, i;

	*nframes = n > 0 ? n : 0;
	memset(culprit, 0, sizeof(*culprit));
	for (i = 0; i < *nframes; i++)
		if (frame_is_application(r, &frames[i])) {
			*culprit = frames[i];
			return;
		}
	if (*nframes)
		*culprit = frames[0];
}

#define SCAN_MAX_THREADS 256 /* of a process's threads looked at for the likely holders of a lock */

/*
 * How likely a thread is to hold the lock, most first: running (or in
 * uninterruptible work), then asleep in anything but a futex (a holder's
 * read, sleep or poll), then asleep on a futex of its own (idle pool
 * workers, a JVM's or node's parked threads; a holder waiting for another
 * lock too); the runtime's own threads (a JVM's GC and compilers), 3, are
 * never listed, only counted.
 */
static int holder_rank(struct runtimes *rt, pid_t pid, pid_t tid)
{
	struct proc_stat st;
	char path[64], name[32];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	read_proc_text(path, name, sizeof(name));
	if (rt && runtimes_is_own_thread(rt, pid, name))
		return 3;
	if (proc_stat_read(tid, &st) == 0 && (st.state == 'R' || st.state == 'D'))
		return 0;
	return thread_syscall(pid, tid, NULL) == SYS_futex ? 2 : 1;
}

/*
 * What the other threads of the process do, when the owner of a lock is not
 * known: those that may hold it, likeliest first; the rest counted.
 */
static void other_threads(struct runtimes *rt, struct stall_record *r)
{
	struct stall_frame frames[HOLDER_MAX_FRAMES];
	struct {
		pid_t tid;
		int rank;
	} seen[SCAN_MAX_THREADS];
	struct waited *w = &r->waited;
	int n = 0, nframes, rank, i;
	struct dirent *de;
	char path[64];
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", r->pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		pid_t tid = atoi(de->d_name);
		uint64_t word = 0;

		if (tid <= 0 || tid == r->tid)
			continue;
		if (n == SCAN_MAX_THREADS) {
			w->unlisted++;
			continue;
		}
		/* Asleep on the same word: waiting for the lock too, so not its holder. */
		if (thread_syscall(r->pid, tid, &word) == SYS_futex && word == w->futex) {
			w->co_waiters++;
			continue;
		}
		seen[n].tid = tid;
		seen[n++].rank = holder_rank(rt, r->pid, tid);
	}
	closedir(dir);
	for (rank = 0; rank <= 3; rank++)
		for (i = 0; i < n; i++) {
			struct other_thread *t = &w->threads[w->nthreads];

			if (seen[i].rank != rank)
				continue;
			if (w->nthreads == WAIT_MAX_THREADS || rank == 3) {
				w->unlisted++;
				continue;
			}
			thread_facts(rt, r->pid, seen[i].tid, t);
			thread_frame(rt, r, seen[i].tid, frames, &nframes, HOLDER_MAX_FRAMES, &t->frame);
			w->nthreads++;
		}
}

void waited_for_read(struct runtimes *rt, struct stall_record *r)
{
	struct waited *w = &r->waited;
	const uint64_t *a = r->syscall_args;
	int nr = r->syscall_nr, arg = path_arg(nr);
	pid_t owner;

	if (arg >= 0) {
		read_string(r->pid, a[arg], w->path, sizeof(w->path));
		if (to_path_arg(nr) >= 0)
			read_string(r->pid, a[to_path_arg(nr)], w->to_path, sizeof(w->to_path));
		return;
	}
	switch (nr) {
	/*
	 * A wait inside an iteration: a nested loop or a sync client's selector.
	 * Node's execSync and its kin wait for their child in one: the child too.
	 */
#ifdef SYS_poll
	case SYS_poll:
#endif
	case SYS_ppoll:
		poll_fds(w, r->pid, a[0], a[1]);
		wait_child(w, r->pid, r->tid, -1);
		break;
#ifdef SYS_select
	case SYS_select:
#endif
	case SYS_pselect6:
		select_fds(w, r->pid, a[0], &a[1]);
		wait_child(w, r->pid, r->tid, -1);
		break;
#ifdef SYS_epoll_wait
	case SYS_epoll_wait:
#endif
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		epoll_fds(w, r->pid, (int)a[0]);
		wait_child(w, r->pid, r->tid, -1);
		break;
	case SYS_io_uring_enter: wait_child(w, r->pid, r->tid, -1); break;
	case SYS_connect: connect_peer(w, r->pid, a[1], a[2]); break;
	case SYS_flock: lock_holder(w, r->pid, (int)a[0]); break;
	case SYS_fcntl:
		if (a[1] == F_SETLKW || a[1] == F_OFD_SETLKW)
			lock_holder(w, r->pid, (int)a[0]);
		break;
	case SYS_wait4: wait_child(w, r->pid, r->tid, (long)(int)a[0]); break;
	case SYS_waitid: wait_child(w, r->pid, r->tid, a[0] == P_PID ? (long)(int)a[1] : -1); break;
	case SYS_futex:
		w->futex = a[0];
		if (r->holder.tid > 0 && r->holder.tid != r->tid) {
			/* Its runtime said who (the GIL holder): its name, and its culprit among its frames. */
			struct other_thread t;
			int i;

			thread_facts(rt, r->pid, r->holder.tid, &t);
			memcpy(r->holder.thread, t.name, sizeof(r->holder.thread));
			for (i = 0; i < r->holder.nframes; i++)
				if (frame_is_application(r, &r->holder.frames[i])) {
					r->holder.frame = r->holder.frames[i];
					break;
				}
			break;
		}
		/* The runtime's lock is free (or ours): this is another lock. */
		memset(&r->holder, 0, sizeof(r->holder));
		if (mutex_owner(r->pid, r->tid, a[0], &owner)) {
			struct other_thread t;

			snprintf(r->holder.lock, sizeof(r->holder.lock), "mutex");
			r->holder.held = true;
			r->holder.tid = owner;
			thread_facts(rt, r->pid, owner, &t);
			memcpy(r->holder.thread, t.name, sizeof(r->holder.thread));
			thread_frame(rt, r, owner, r->holder.frames, &r->holder.nframes, HOLDER_MAX_FRAMES,
				     &r->holder.frame);
		} else {
			other_threads(rt, r);
		}
		break;
	}
}

void waited_for_named(struct stall_record *r)
{
	int i;

	if (r->syscall_nr != SYS_nanosleep && r->syscall_nr != SYS_clock_nanosleep)
		return;
	for (i = 0; i < r->nframes; i++)
		if (strcmp(r->frames[i].function, "sqlite3InvokeBusyHandler") == 0 ||
		    strcmp(r->frames[i].function, "sqliteDefaultBusyCallback") == 0) {
			locked_database(&r->waited, r->pid);
			return;
		}
}
