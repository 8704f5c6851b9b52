#ifndef LOOPSTALL_PROC_H
#define LOOPSTALL_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/*
 * base/: what every layer above uses: durations, escaping, histograms,
 * counters, syscall names, and this, the one reader of a target's /proc
 * files: its mappings (read once per probe and handed to every runtime),
 * its files opened as it sees them, its start time.
 *
 * Everything here comes from the target and is untrusted: reads are bounded
 * (PROC_MAPS_MAX_BYTES, PROC_MAPS_MAX_ENTRIES) and malformed lines skipped.
 */

#define PROC_MAPS_MAX_BYTES   (64u << 20)
#define PROC_MAPS_MAX_ENTRIES 1000000

/* One line of /proc/PID/maps. */
struct proc_mapping {
	uint64_t start, end, offset;
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	char perms[5];
	bool deleted;	  /* the file was " (deleted)": that suffix is not in path */
	const char *path; /* "" when anonymous; "[heap]", "[vdso]", ... as the kernel names them */
};

struct proc_maps {
	pid_t pid;
	char *text; /* the file as read, for libdwfl's own parser */
	size_t len;
	struct proc_mapping *v;
	int n;
	char *paths; /* storage of the v[i].path strings */
};

/* Reads /proc/PID/maps: 0 or -errno (-ESRCH: no such process, -EFBIG: past the bounds). */
int proc_maps_read(pid_t pid, struct proc_maps **out);
/* Parses maps text (len bytes, need not end in NUL); for tests and fuzzing. 0 or -errno. */
int proc_maps_parse(const char *text, size_t len, struct proc_maps **out);
void proc_maps_free(struct proc_maps *m);
/* The first (lowest) mapping of the file at path, or NULL. */
const struct proc_mapping *proc_maps_find(const struct proc_maps *m, const char *path);
/* True when two reads of a process's maps describe the same mappings. */
bool proc_maps_same(const struct proc_maps *a, const struct proc_maps *b);

/*
 * Opens the file behind mapping m of pid as the target sees it: through
 * /proc/PID/root when that path still holds the mapped inode (the target
 * may live in another mount namespace; a file renamed over the path is not
 * it), else through /proc/PID/map_files (deleted or replaced files). The fd,
 * or -errno. With opened_as, the path that was opened (PATH_MAX bytes).
 */
int proc_open_mapped(pid_t pid, const struct proc_mapping *m, char *opened_as, size_t len);

/* What /proc/PID/stat says of a process. */
struct proc_stat {
	char state;		  /* 'R', 'S', 'D', 'T', 't', 'Z' (zombie), 'X' ... */
	pid_t ppid;
	unsigned long long start; /* when it started, in clock ticks since boot: with the PID, who it is */
};

/* 0 or -errno (-ESRCH: no such process). */
int proc_stat_read(pid_t pid, struct proc_stat *st);
/* Whether pid is alive (not gone, not a zombie) and, when start is not 0, still the process that started then. */
bool proc_alive(pid_t pid, unsigned long long start);
/* When pid started, in seconds since the epoch; 0 if unknown. */
time_t proc_start_time(pid_t pid);
/* The base name of the executable of pid ("python3.11"), "" if unreadable. 0 or -errno. */
int proc_exe_name(pid_t pid, char *buf, size_t len);
/* Its path as the process maps it (without " (deleted)"), "" if unreadable. 0 or -errno. */
int proc_exe_path(pid_t pid, char *buf, size_t len);

/* Files this process has open (entries of /proc/self/fd): -errno when unreadable. */
int proc_self_open_files(void);

/* The file name part of path. */
const char *base_name(const char *path);

#endif
