#ifndef LOOPSTALL_CONTAINER_INFO_H
#define LOOPSTALL_CONTAINER_INFO_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Where a process runs: its container and Kubernetes pod, as its cgroups,
 * its PID namespace and the node tell (attrib/container.c reads them), and
 * the service it is (attrib/service.c). A part of every record; every
 * string is as read, untrusted: escaped by each rendering. "" (0) for what
 * does not apply or is not known.
 */
struct container_info {
	char runtime[16]; /* "docker", "containerd", "cri-o", "podman", "cri" (a kubelet's, unknown which), "systemd" */
	char id[256];	  /* 64 hex digits; for systemd, the unit ("nginx.service") */
	char name[64];	  /* the Kubernetes container's name, where the node says */
	char pod_uid[40];
	char qos[12];		/* "guaranteed", "burstable", "besteffort" */
	char pod[254];		/* the pod's name */
	char namespace[64];	/* the pod's namespace */
	pid_t pid_in_container; /* its PID in its own PID namespace; 0 when in the host's */
	char service[96];	/* "gunicorn app:app", "node server.js": from its command line */
	char app_root[256];	/* the application's files are below: its working directory ("" when "/") */
};

/* Whether c says anything: a runtime, a pod or a PID namespace of its own. */
bool container_known(const struct container_info *c);
/* A container of a runtime, or a pod (not a systemd unit): what text and top show beside the comm. */
bool container_shown(const struct container_info *c);
/*
 * What text and top show, unescaped: "pod shop/web-1 container app",
 * "pod uid 5d7e... container 3f4e5d6c7b8a", "docker 3f4e5d6c7b8a"; "" when
 * not shown.
 */
void container_label(const struct container_info *c, char *buf, size_t len);
/* The metrics label "container": the Kubernetes container's name, else the short id, else the unit. */
const char *container_metric_name(const struct container_info *c, char *buf, size_t len);

#endif
