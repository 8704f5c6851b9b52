#ifndef LOOPSTALL_CONTAINER_H
#define LOOPSTALL_CONTAINER_H
#include <stddef.h>
#include <sys/types.h>

#include "record/container.h"

/*
 * A process's container and pod, from what the node shows of it:
 * - /proc/PID/cgroup (every hierarchy, v1 and v2): the runtime and the
 *   container id as runtimes name their cgroups (docker-ID.scope,
 *   cri-containerd-ID.scope, crio-ID.scope, libpod-ID.scope, /docker/ID,
 *   a kubelet's kubepods paths with either cgroup driver), the pod's UID and
 *   QoS class, else the innermost systemd service;
 * - /proc/PID/status: its PID in its own PID namespace (NSpid);
 * - the kubelet's files: /var/log/pods/NS_POD_UID, /var/log/containers/
 *   POD_NS_NAME-ID.log, /var/lib/kubelet/pods/UID/ (the namespace of the
 *   service-account volume): the pod's name and namespace, the container's;
 * - else the process's environment (POD_NAME, POD_NAMESPACE, HOSTNAME, as
 *   the downward API is usually given): the container's own word for it.
 * Every name is checked against what Kubernetes allows (a DNS name, hex ids)
 * and left empty otherwise.
 */

/* Parses a cgroup file's text (len bytes, modified in place) into runtime, id, pod_uid and qos. */
void container_parse_cgroup(char *text, size_t len, struct container_info *c);
/* The innermost PID of a status file's NSpid line; 0 when the process is in the initial PID namespace. */
pid_t container_parse_nspid(const char *status, size_t len);
/* Fills pod, namespace (when missing) from an environ file's text (NUL-separated, len bytes). */
void container_parse_environ(const char *env, size_t len, struct container_info *c);
/*
 * Everything above for pid, with every file under root ("" for this host,
 * a directory made by a test): 0 or -errno (-ESRCH: no such process).
 * Slow (directory scans on a Kubernetes node): off the detecting thread.
 */
int container_read_at(const char *root, pid_t pid, struct container_info *c);
int container_read(pid_t pid, struct container_info *c);

#endif
