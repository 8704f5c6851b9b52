// SPDX-License-Identifier: GPL-2.0
/* A process's container and pod from cgroup paths as each runtime names them, NSpid, environ, kubelet files. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/container.h"
#include "run_suite.h"

#define ID   "3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0"
#define ID2  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID  "5d7e8f90-1a2b-4c3d-8e4f-0123456789ab"
#define UID_ "5d7e8f90_1a2b_4c3d_8e4f_0123456789ab"

static struct container_info parse(const char *text)
{
	struct container_info c;
	char *copy = strdup(text);

	memset(&c, 0x5a, sizeof(c)); /* what was there before is overwritten */
	c.pod[0] = c.namespace[0] = c.name[0] = 0;
	ck_assert_ptr_nonnull(copy);
	container_parse_cgroup(copy, strlen(copy), &c);
	free(copy);
	return c;
}

START_TEST(runtimes_with_the_systemd_driver)
{
	struct container_info c;

	c = parse("0::/system.slice/docker-" ID ".scope\n");
	ck_assert_str_eq(c.runtime, "docker");
	ck_assert_str_eq(c.id, ID);
	ck_assert_str_eq(c.pod_uid, "");
	c = parse("0::/machine.slice/libpod-" ID ".scope/container\n");
	ck_assert_str_eq(c.runtime, "podman");
	ck_assert_str_eq(c.id, ID);
	c = parse("0::/machine.slice/libpod-conmon-" ID ".scope\n");
	ck_assert_str_eq(c.runtime, ""); /* conmon, the monitor: not the container */
	c = parse("1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID ".scope\n0::/\n");
	ck_assert_str_eq(c.runtime, "containerd");
	ck_assert_str_eq(c.id, ID);
	ck_assert_str_eq(c.pod_uid, UID);
	ck_assert_str_eq(c.qos, "burstable");
	c = parse("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID
		  ".scope\n");
	ck_assert_str_eq(c.runtime, "cri-o");
	ck_assert_str_eq(c.qos, "besteffort");
	c = parse("0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope\n");
	ck_assert_str_eq(c.qos, "guaranteed");
	ck_assert_str_eq(c.pod_uid, UID);
	/* containerd's own form on v1 hosts: SLICE:PREFIX:ID */
	c = parse("4:memory:/system.slice/containerd.service/kubepods-burstable-pod" UID_ ".slice:cri-containerd:" ID
		  "\n");
	ck_assert_str_eq(c.runtime, "containerd");
	ck_assert_str_eq(c.id, ID);
	ck_assert_str_eq(c.pod_uid, UID);
	ck_assert_str_eq(c.qos, "burstable");
}
END_TEST

START_TEST(cgroupfs_driver_and_v1_controllers)
{
	struct container_info c;

	c = parse("12:pids:/kubepods/burstable/pod" UID "/" ID "\n11:cpu,cpuacct:/kubepods/burstable/pod" UID "/" ID
		  "\n0::/\n");
	ck_assert_str_eq(c.runtime, "cri"); /* the path does not say which */
	ck_assert_str_eq(c.id, ID);
	ck_assert_str_eq(c.pod_uid, UID);
	ck_assert_str_eq(c.qos, "burstable");
	c = parse("3:memory:/kubepods/pod" UID "/" ID "\n");
	ck_assert_str_eq(c.qos, "guaranteed");
	c = parse("3:memory:/kubepods/besteffort/pod" UID "\n");
	ck_assert_str_eq(c.runtime, ""); /* the pod's own cgroup: no container yet */
	ck_assert_str_eq(c.pod_uid, UID);
	ck_assert_str_eq(c.qos, "besteffort");
	c = parse("9:cpu:/docker/" ID "\n");
	ck_assert_str_eq(c.runtime, "docker");
	ck_assert_str_eq(c.id, ID);
	c = parse("9:cpu:/libpod_parent/libpod-" ID "\n");
	ck_assert_str_eq(c.runtime, "podman");
	/* The line that says the most wins, whatever its order: here the v2 one. */
	c = parse("4:memory:/process_api/5ba21f64554a3e8c320b238833c0da93\n0::/kubepods/burstable/pod" UID "/" ID "\n");
	ck_assert_str_eq(c.id, ID);
	/*
	 * Seen from a pod's own cgroup namespace (loopstall in the DaemonSet),
	 * another pod's path climbs out of it first.
	 */
	c = parse("0::/../../besteffort/pod" UID "/" ID "\n");
	ck_assert_str_eq(c.pod_uid, UID);
	ck_assert_str_eq(c.qos, "besteffort");
	ck_assert_str_eq(c.id, ID);
	c = parse("0::/../../../kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID
		  ".scope\n");
	ck_assert_str_eq(c.qos, "burstable");
	ck_assert_str_eq(c.runtime, "containerd");
	c = parse("0::/besteffort/pod" UID "/" ID "\n"); /* no kubepods, no way out: not a pod's */
	ck_assert_str_eq(c.pod_uid, "");
	/* The innermost container: docker in docker. */
	c = parse("0::/docker/" ID2 "/docker/" ID "\n");
	ck_assert_str_eq(c.id, ID);
}
END_TEST

START_TEST(units_and_what_is_no_container)
{
	struct container_info c;

	c = parse("0::/system.slice/nginx.service\n");
	ck_assert_str_eq(c.runtime, "systemd");
	ck_assert_str_eq(c.id, "nginx.service");
	c = parse("0::/user.slice/user-0.slice/user@0.service/app.slice/api@2.service\n");
	ck_assert_str_eq(c.id, "api@2.service");
	c = parse("0::/user.slice/user-0.slice/session-3.scope\n");
	ck_assert_str_eq(c.runtime, "");
	ck_assert_str_eq(c.id, "");
	/* Not a runtime's name: a short id, upper case, no pod around a bare id, a lying unit. */
	c = parse("0::/docker/3f4e5d6c7b8a\n0::/docker-" ID "x.scope\n1:cpu:/" ID "\n");
	ck_assert_str_eq(c.runtime, "");
	c = parse("0::/kubepods/burstable/podNOT-A-UID/" ID "\n");
	ck_assert_str_eq(c.pod_uid, "");
	ck_assert_str_eq(c.runtime, "");
	c = parse("0::/system.slice/bad\x1bname.service\n0::/system.slice/.service\n");
	ck_assert_str_eq(c.runtime, "");
	c = parse("garbage\n::\n0:cpu\n\n");
	ck_assert_str_eq(c.runtime, "");
	ck_assert_str_eq(c.qos, "");
}
END_TEST

START_TEST(nspid)
{
	const char *in_ns = "Name:\tpython3\nNSpid:\t41234\t7\nNSpgid:\t1\n";
	const char *host = "Name:\tpython3\nNSpid:\t41234\n";

	ck_assert_int_eq(container_parse_nspid(in_ns, strlen(in_ns)), 7);
	ck_assert_int_eq(container_parse_nspid("NSpid:\t9\t8\t1\n", 13), 1);
	ck_assert_int_eq(container_parse_nspid(host, strlen(host)), 0);
	ck_assert_int_eq(container_parse_nspid("NSpid:\t9\tx\n", 11), 0);
	ck_assert_int_eq(container_parse_nspid("NSpid:\t9\t99999999999999\n", 24), 0);
	ck_assert_int_eq(container_parse_nspid("", 0), 0);
}
END_TEST

START_TEST(environ_names_checked)
{
	static const char env[] = "PATH=/bin\0POD_NAMESPACE=shop\0POD_NAME=web-7f9c4-abcde\0HOSTNAME=other";
	static const char bad[] = "POD_NAMESPACE=Shop\0POD_NAME=web_1\0HOSTNAME=\x1b[31mx";
	static const char host[] = "HOSTNAME=web-1";
	struct container_info c;

	memset(&c, 0, sizeof(c));
	container_parse_environ(env, sizeof(env) - 1, &c);
	ck_assert_str_eq(c.namespace, "shop");
	ck_assert_str_eq(c.pod, "web-7f9c4-abcde");
	memset(&c, 0, sizeof(c));
	container_parse_environ(bad, sizeof(bad) - 1, &c);
	ck_assert_str_eq(c.namespace, "");
	ck_assert_str_eq(c.pod, "");
	container_parse_environ(host, sizeof(host) - 1, &c);
	ck_assert_str_eq(c.pod, "web-1");
	/* What the kubelet said is kept. */
	snprintf(c.pod, sizeof(c.pod), "from-kubelet");
	container_parse_environ(env, sizeof(env) - 1, &c);
	ck_assert_str_eq(c.pod, "from-kubelet");
}
END_TEST

static char root[] = "/tmp/loopstall-container-XXXXXX";

static void put(const char *rel, const char *text, size_t len)
{
	char path[512], cmd[700];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", root, rel);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(text, 1, len, f);
	fclose(f);
}

static void remove_root(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(kubelet_files_name_the_pod)
{
	static const char env[] = "POD_NAME=liar\0POD_NAMESPACE=liar";
	const char *cg = "0::/kubepods/burstable/pod" UID "/" ID "\n";
	struct container_info c;

	ck_assert_ptr_nonnull(mkdtemp(root));
	put("proc/42/cgroup", cg, strlen(cg));
	put("proc/42/status", "NSpid:\t42\t1\n", 12);
	put("proc/42/environ", env, sizeof(env) - 1);
	ck_assert_int_eq(container_read_at(root, 42, &c), 0);
	ck_assert_str_eq(c.runtime, "cri");
	ck_assert_int_eq(c.pid_in_container, 1);
	ck_assert_str_eq(c.pod, "liar"); /* only the environment says */
	put("var/log/pods/shop_web-7f9c4-abcde_" UID "/app/0.log", "", 0);
	put("var/log/pods/other_web-1_" UID "x/app/0.log", "", 0);
	put("var/log/containers/web-7f9c4-abcde_shop_app-" ID ".log", "", 0);
	put("var/log/containers/web-7f9c4-abcde_shop_sidecar-" ID2 ".log", "", 0);
	put("run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID "/config.json", "{}", 2);
	ck_assert_int_eq(container_read_at(root, 42, &c), 0);
	ck_assert_str_eq(c.runtime, "containerd");
	ck_assert_str_eq(c.pod, "web-7f9c4-abcde");
	ck_assert_str_eq(c.namespace, "shop");
	ck_assert_str_eq(c.name, "app");
	ck_assert_int_eq(container_read_at(root, 43, &c), -ESRCH);
	remove_root();
}
END_TEST

START_TEST(service_account_namespace)
{
	const char *cg = "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope\n";
	static const char env[] = "HOSTNAME=web-1";
	struct container_info c;
	char link[600];

	ck_assert_ptr_nonnull(mkdtemp(root));
	put("proc/42/cgroup", cg, strlen(cg));
	put("proc/42/environ", env, sizeof(env) - 1);
	/* As the kubelet writes a projected volume: its files are links into ..data. */
	put("var/lib/kubelet/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-x7k2p/..data/namespace",
	    "shop\n", 5);
	snprintf(link, sizeof(link),
		 "%s/var/lib/kubelet/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-x7k2p/namespace",
		 root);
	ck_assert_int_eq(symlink("..data/namespace", link), 0);
	/* A FIFO where a file should be is not waited on. */
	snprintf(link, sizeof(link),
		 "%s/var/lib/kubelet/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-aaaaa", root);
	ck_assert_int_eq(mkdir(link, 0700), 0);
	strcat(link, "/namespace");
	ck_assert_int_eq(mkfifo(link, 0600), 0);
	ck_assert_int_eq(container_read_at(root, 42, &c), 0);
	ck_assert_str_eq(c.namespace, "shop");
	ck_assert_str_eq(c.pod, "web-1");
	ck_assert_str_eq(c.qos, "guaranteed");
	ck_assert_int_eq(c.pid_in_container, 0); /* no status file: as in the host's namespace */
	remove_root();
}
END_TEST

int main(void)
{
	const TTest *tests[] = {runtimes_with_the_systemd_driver,
				cgroupfs_driver_and_v1_controllers,
				units_and_what_is_no_container,
				nspid,
				environ_names_checked,
				kubelet_files_name_the_pod,
				service_account_namespace};

	return run_tests("container", tests, sizeof(tests) / sizeof(tests[0]));
}
