// SPDX-License-Identifier: GPL-2.0
/* A process's container and pod: its cgroups, its PID namespace, the kubelet's files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/cgroup_file.h"
#include "attrib/container.h"

#define ID_LEN	    64		 /* a container id: 64 hex digits, for every runtime here */
#define UNIT_MAX    255		 /* systemd's limit on a unit name */
#define SMALL_FILE  4096	 /* a namespace file, a status file's lines are far shorter */
#define ENVIRON_MAX (256u << 10) /* bytes of a process's environment looked at */
#define STATUS_MAX  8192
#define DIR_ENTRIES 100000 /* entries of a kubelet directory looked at */

static bool all_of(const char *s, size_t n, const char *set)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return false;
	return true;
}

static bool is_id(const char *s, size_t n)
{
	return n == ID_LEN && all_of(s, n, "0123456789abcdef");
}

/* A DNS-1123 subdomain (a pod's name, up to 253) or label (a namespace, a container's name: 63, no dots). */
static bool is_dns(const char *s, size_t n, size_t max, bool dots)
{
	return n > 0 && n <= max &&
	       all_of(s, n,
		      dots ? "abcdefghijklmnopqrstuvwxyz0123456789-." : "abcdefghijklmnopqrstuvwxyz0123456789-") &&
	       s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

static void copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* A pod UID: 8-4-4-4-12 hex, or the 32 hex digits of a static pod's; systemd's slice names write '-' as '_'. */
static bool set_pod_uid(struct container_info *c, const char *s, size_t n)
{
	char uid[sizeof(c->pod_uid)];
	size_t i;

	if (n != 36 && n != 32)
		return false;
	for (i = 0; i < n; i++) {
		uid[i] = s[i] == '_' ? '-' : s[i];
		if (!strchr("0123456789abcdef-", uid[i]) || !uid[i])
			return false;
	}
	uid[n] = 0;
	memcpy(c->pod_uid, uid, n + 1);
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix, size_t *stem)
{
	size_t k = strlen(suffix);

	if (n < k || memcmp(s + n - k, suffix, k) != 0)
		return false;
	*stem = n - k;
	return true;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* What one hierarchy's path says. */
struct cgroup_guess {
	struct container_info c;
	char unit[UNIT_MAX + 1]; /* the innermost service */
	bool kubepods;
	bool outside; /* "/../..": a path outside loopstall's own cgroup namespace (loopstall in a pod) */
};

/* "kubepods-burstable-pod<UID>.slice" (systemd driver), the part without ".slice". */
static void kubepods_slice(struct cgroup_guess *g, const char *s, size_t n)
{
	const char *end = s + n;

	g->kubepods = true;
	s += strlen("kubepods");
	while (s < end && *s == '-') {
		const char *tok = ++s;
		size_t k;

		while (s < end && *s != '-')
			s++;
		k = s - tok;
		if (k == 9 && memcmp(tok, "burstable", 9) == 0)
			snprintf(g->c.qos, sizeof(g->c.qos), "burstable");
		else if (k == 10 && memcmp(tok, "besteffort", 10) == 0)
			snprintf(g->c.qos, sizeof(g->c.qos), "besteffort");
		else if (k > 3 && memcmp(tok, "pod", 3) == 0)
			set_pod_uid(&g->c, tok + 3, k - 3);
	}
}

static void set_container(struct cgroup_guess *g, const char *runtime, const char *id)
{
	snprintf(g->c.runtime, sizeof(g->c.runtime), "%s", runtime);
	copy(g->c.id, sizeof(g->c.id), id, ID_LEN);
}

/* A runtime's "PREFIX-ID.scope" (systemd driver) or "PREFIX-ID" (podman's cgroupfs one). */
static bool runtime_scope(struct cgroup_guess *g, const char *s, size_t n)
{
	static const struct {
		const char *prefix, *runtime;
	} scopes[] = {
		{"docker-", "docker"}, {"cri-containerd-", "containerd"}, {"crio-", "cri-o"},
		{"libpod-", "podman"}, {"nerdctl-", "containerd"},
	};
	size_t stem = n, i, k;

	ends_with(s, n, ".scope", &stem);
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		k = strlen(scopes[i].prefix);
		if (starts_with(s, stem, scopes[i].prefix) && is_id(s + k, stem - k)) {
			set_container(g, scopes[i].runtime, s + k);
			return true;
		}
	}
	/* containerd's "SLICE:PREFIX:ID" form: "kubepods-besteffort-pod<UID>.slice:cri-containerd:ID". */
	const char *colon = memchr(s, ':', n), *second;

	if (colon && (second = memchr(colon + 1, ':', s + n - colon - 1)) && is_id(second + 1, s + n - second - 1)) {
		size_t pk = second - colon - 1;

		if (ends_with(s, colon - s, ".slice", &stem) && starts_with(s, stem, "kubepods"))
			kubepods_slice(g, s, stem);
		set_container(g,
			      pk == 14 && memcmp(colon + 1, "cri-containerd", 14) == 0 ? "containerd"
			      : pk == 4 && memcmp(colon + 1, "crio", 4) == 0	       ? "cri-o"
			      : pk == 6 && memcmp(colon + 1, "docker", 6) == 0	       ? "docker"
										       : "cri",
			      second + 1);
		return true;
	}
	return false;
}

/* Reads one path, component by component: the innermost container wins, the pod around it. */
static void guess_path(struct cgroup_guess *g, const char *path)
{
	const char *s = path, *parent = "";
	size_t parent_len = 0;

	while (*s) {
		size_t n, stem;

		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (!n)
			break;
		if (n == 2 && memcmp(s, "..", 2) == 0) {
			g->outside = true;
		} else if (n == 8 && memcmp(s, "kubepods", 8) == 0) {
			g->kubepods = true;
		} else if (ends_with(s, n, ".slice", &stem) && starts_with(s, stem, "kubepods")) {
			kubepods_slice(g, s, stem);
		} else if ((g->kubepods || g->outside) && n == 9 && memcmp(s, "burstable", 9) == 0) {
			snprintf(g->c.qos, sizeof(g->c.qos), "burstable");
		} else if ((g->kubepods || g->outside) && n == 10 && memcmp(s, "besteffort", 10) == 0) {
			snprintf(g->c.qos, sizeof(g->c.qos), "besteffort");
		} else if ((g->kubepods || g->outside) && starts_with(s, n, "pod") &&
			   set_pod_uid(&g->c, s + 3, n - 3)) {
			/* cgroupfs driver: "pod<UID>" */
		} else if (runtime_scope(g, s, n)) {
		} else if (is_id(s, n) && parent_len == 6 && memcmp(parent, "docker", 6) == 0) {
			set_container(g, "docker", s);
		} else if (is_id(s, n) && g->c.pod_uid[0]) {
			set_container(g, "cri", s); /* cgroupfs driver: the runtime is not in the name */
		} else if (ends_with(s, n, ".service", &stem) && n <= UNIT_MAX && stem > 0 &&
			   all_of(s, n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@-\\")) {
			copy(g->unit, sizeof(g->unit), s, n);
		}
		parent = s;
		parent_len = n;
		s += n;
	}
}

static int score(const struct cgroup_guess *g)
{
	return (g->c.pod_uid[0] ? 4 : 0) + (g->c.id[0] ? 2 : 0) + (g->unit[0] ? 1 : 0);
}

struct cgroup_walk {
	struct cgroup_guess best;
};

static int guess_entry(void *ctx, const struct cgroup_entry *e)
{
	struct cgroup_walk *w = ctx;
	struct cgroup_guess g;

	memset(&g, 0, sizeof(g));
	guess_path(&g, e->path);
	if (g.kubepods && g.c.pod_uid[0] && !g.c.qos[0])
		snprintf(g.c.qos, sizeof(g.c.qos), "guaranteed");
	if (!g.c.pod_uid[0])
		g.c.qos[0] = 0;
	if (score(&g) > score(&w->best))
		w->best = g;
	return 0;
}

void container_parse_cgroup(char *text, size_t len, struct container_info *c)
{
	struct cgroup_walk w;

	memset(&w, 0, sizeof(w));
	cgroup_file_parse(text, len, guess_entry, &w);
	if (!w.best.c.id[0] && w.best.unit[0] && !w.best.c.pod_uid[0]) {
		snprintf(w.best.c.runtime, sizeof(w.best.c.runtime), "systemd");
		snprintf(w.best.c.id, sizeof(w.best.c.id), "%s", w.best.unit);
	}
	memcpy(c->runtime, w.best.c.runtime, sizeof(c->runtime));
	memcpy(c->id, w.best.c.id, sizeof(c->id));
	memcpy(c->pod_uid, w.best.c.pod_uid, sizeof(c->pod_uid));
	memcpy(c->qos, w.best.c.qos, sizeof(c->qos));
}

pid_t container_parse_nspid(const char *status, size_t len)
{
	const char *p = status, *end = status + len;
	long last = 0;
	int fields = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 6 && memcmp(p, "NSpid:", 6) == 0) {
			const char *q = p + 6, *e = p + n;

			while (q < e) {
				long v = 0;
				int digits = 0;

				while (q < e && (*q == ' ' || *q == '\t'))
					q++;
				while (q < e && *q >= '0' && *q <= '9' && digits < 10) {
					v = v * 10 + (*q++ - '0');
					digits++;
				}
				if (!digits || (q < e && *q != ' ' && *q != '\t'))
					return 0;
				last = v;
				fields++;
			}
			return fields > 1 && last > 0 && last <= 0x3fffffff ? (pid_t)last : 0;
		}
		p += n + 1;
	}
	return 0;
}

/* The value of NAME= in an environ text, or NULL; *n its length. */
static const char *env_value(const char *env, size_t len, const char *name, size_t *n)
{
	const char *p = env, *end = env + len;
	size_t k = strlen(name);

	while (p < end) {
		const char *nul = memchr(p, 0, end - p);
		size_t entry = nul ? (size_t)(nul - p) : (size_t)(end - p);

		if (entry > k && memcmp(p, name, k) == 0 && p[k] == '=') {
			*n = entry - k - 1;
			return p + k + 1;
		}
		p += entry + 1;
	}
	return NULL;
}

void container_parse_environ(const char *env, size_t len, struct container_info *c)
{
	const char *v;
	size_t n;

	if (!c->namespace[0] && (v = env_value(env, len, "POD_NAMESPACE", &n)) && is_dns(v, n, 63, false))
		copy(c->namespace, sizeof(c->namespace), v, n);
	if (!c->pod[0] && (v = env_value(env, len, "POD_NAME", &n)) && is_dns(v, n, 253, true))
		copy(c->pod, sizeof(c->pod), v, n);
	/* A pod's hostname is its name unless its spec says otherwise. */
	if (!c->pod[0] && (v = env_value(env, len, "HOSTNAME", &n)) && is_dns(v, n, 253, true))
		copy(c->pod, sizeof(c->pod), v, n);
}

/* Reads path (under root) into a malloc'd buffer of up to max bytes: its length, or -errno. */
static int read_file(const char *root, const char *path, size_t max, char **out)
{
	char full[4200];
	size_t len = 0;
	ssize_t n = 0;
	char *buf;
	int fd;

	struct stat st;

	snprintf(full, sizeof(full), "%s%s", root, path);
	/*
	 * Links are followed: the kubelet's projected volumes are links into
	 * their ..data directory. Never a FIFO or a device, which could block.
	 */
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += n;
	close(fd);
	if (n < 0 && !len) {
		free(buf);
		return -EIO;
	}
	buf[len] = 0;
	*out = buf;
	return (int)len;
}

/* Calls fn for each entry name of dir (under root), up to DIR_ENTRIES; stops when fn returns true. */
static void scan_dir(const char *root, const char *dir, bool (*fn)(void *ctx, const char *name), void *ctx)
{
	char full[4200];
	struct dirent *de;
	int seen = 0;
	DIR *d;

	snprintf(full, sizeof(full), "%s%s", root, dir);
	d = opendir(full);
	if (!d)
		return;
	while ((de = readdir(d)) && seen++ < DIR_ENTRIES)
		if (de->d_name[0] != '.' && fn(ctx, de->d_name))
			break;
	closedir(d);
}

/* /var/log/pods/NAMESPACE_POD_UID: the kubelet's name for the pod's logs. */
static bool pod_log_dir(void *ctx, const char *name)
{
	struct container_info *c = ctx;
	size_t n = strlen(name), u = strlen(c->pod_uid), ns;
	const char *sep;

	if (n < u + 4 || name[n - u - 1] != '_' || strcmp(name + n - u, c->pod_uid) != 0)
		return false;
	sep = memchr(name, '_', n - u - 1);
	if (!sep)
		return false;
	ns = sep - name;
	if (!is_dns(name, ns, 63, false) || !is_dns(sep + 1, n - u - 2 - ns, 253, true))
		return false;
	copy(c->namespace, sizeof(c->namespace), name, ns);
	copy(c->pod, sizeof(c->pod), sep + 1, n - u - 2 - ns);
	return true;
}

/* /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log: the container's name. */
static bool container_log(void *ctx, const char *name)
{
	struct container_info *c = ctx;
	size_t n = strlen(name), stem;
	const char *a, *b;

	if (!ends_with(name, n, ".log", &stem) || stem < ID_LEN + 6 || name[stem - ID_LEN - 1] != '-' ||
	    memcmp(name + stem - ID_LEN, c->id, ID_LEN) != 0)
		return false;
	stem -= ID_LEN + 1;
	a = memchr(name, '_', stem);
	b = a ? memchr(a + 1, '_', name + stem - a - 1) : NULL;
	if (!b || !is_dns(b + 1, name + stem - b - 1, 63, false))
		return false;
	copy(c->name, sizeof(c->name), b + 1, name + stem - b - 1);
	if (!c->pod[0] && is_dns(name, a - name, 253, true) && is_dns(a + 1, b - a - 1, 63, false)) {
		copy(c->pod, sizeof(c->pod), name, a - name);
		copy(c->namespace, sizeof(c->namespace), a + 1, b - a - 1);
	}
	return true;
}

struct projected {
	const char *root;
	struct container_info *c;
};

/* volumes/kubernetes.io~projected/kube-api-access-XXXXX/namespace: the service account's, the pod's namespace. */
static bool projected_namespace(void *ctx, const char *name)
{
	struct projected *p = ctx;
	char path[600], *text;
	int len;

	if (strncmp(name, "kube-api-access-", 16) != 0 || strlen(name) > 80)
		return false;
	snprintf(path, sizeof(path), "/var/lib/kubelet/pods/%s/volumes/kubernetes.io~projected/%s/namespace",
		 p->c->pod_uid, name);
	len = read_file(p->root, path, SMALL_FILE, &text);
	if (len < 0)
		return false;
	while (len > 0 && text[len - 1] == '\n')
		len--;
	if (is_dns(text, len, 63, false))
		copy(p->c->namespace, sizeof(p->c->namespace), text, len);
	free(text);
	return p->c->namespace[0] != 0;
}

/* With the cgroupfs driver the path does not say which runtime: the runtimes' own directories do. */
static void which_cri(const char *root, struct container_info *c)
{
	static const struct {
		const char *dir, *runtime;
	} dirs[] = {
		{"/run/containerd/io.containerd.runtime.v2.task/k8s.io/", "containerd"},
		{"/var/lib/containers/storage/overlay-containers/", "cri-o"},
		{"/var/lib/docker/containers/", "docker"},
	};
	char path[4200];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", root, dirs[i].dir, c->id);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(c->runtime, sizeof(c->runtime), "%s", dirs[i].runtime);
			return;
		}
	}
}

int container_read_at(const char *root, pid_t pid, struct container_info *c)
{
	char path[64], *text;
	int len;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	len = read_file(root, path, CGROUP_FILE_MAX, &text);
	if (len < 0)
		return len == -ENOENT ? -ESRCH : len;
	container_parse_cgroup(text, len, c);
	free(text);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	len = read_file(root, path, STATUS_MAX, &text);
	if (len >= 0) {
		c->pid_in_container = container_parse_nspid(text, len);
		free(text);
	}
	if (strcmp(c->runtime, "cri") == 0)
		which_cri(root, c);
	if (c->pod_uid[0]) {
		char dir[128];

		scan_dir(root, "/var/log/pods", pod_log_dir, c);
		if (c->id[0] && strcmp(c->runtime, "systemd") != 0)
			scan_dir(root, "/var/log/containers", container_log, c);
		if (!c->namespace[0]) {
			struct projected p = {root, c};

			snprintf(dir, sizeof(dir), "/var/lib/kubelet/pods/%s/volumes/kubernetes.io~projected",
				 c->pod_uid);
			scan_dir(root, dir, projected_namespace, &p);
		}
		if (!c->pod[0] || !c->namespace[0]) {
			snprintf(path, sizeof(path), "/proc/%d/environ", pid);
			len = read_file(root, path, ENVIRON_MAX, &text);
			if (len >= 0) {
				container_parse_environ(text, len, c);
				free(text);
			}
		}
	}
	return 0;
}

int container_read(pid_t pid, struct container_info *c)
{
	return container_read_at("", pid, c);
}
