"""Container and Kubernetes identity, and targets by container, pod and cgroup.

A Python asyncio server runs the way a container runtime runs it: in its own
PID and mount namespaces (unshare --pid --fork --mount-proc) and in cgroups
made here, named as docker, containerd, cri-o, podman and the kubelet (both
cgroup drivers) name theirs, in a v1 controller hierarchy (pids) and in the v2
one (/sys/fs/cgroup/unified on this hybrid host, /sys/fs/cgroup on a unified
one). Every cgroup, directory and process made here is removed by path or PID.
"""
import os
import re
import secrets
import subprocess
import time
import uuid

import pytest

from conftest import APPS, PYTHON, free_port, http_get

V1 = "/sys/fs/cgroup/pids"
V2 = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
STALLER = os.path.join(APPS, "stall_loop.py")


class Cgroups:
    """Cgroup directories made by a test; removed, innermost first, at the end (after its processes:
    the fixture comes first in a test's arguments, so it is torn down last)."""

    def __init__(self):
        self.made = []

    def make(self, root, path):
        d = root
        for part in path.strip("/").split("/"):
            d = os.path.join(d, part)
            if not os.path.isdir(d):
                os.mkdir(d)
                self.made.append(d)
        return d

    def remove(self):
        for d in reversed(self.made):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)  # its processes are still exiting


@pytest.fixture
def cgroups():
    c = Cgroups()
    yield c
    c.remove()


@pytest.fixture
def node_dirs():
    """Files made as a kubelet makes them (under /var/log); removed at the end."""
    made = []

    def make(path):
        d = "/"
        for part in path.strip("/").split("/"):
            d = os.path.join(d, part)
            if not os.path.isdir(d):
                os.mkdir(d)
                made.append(d)
        return d

    def touch(path):
        make(os.path.dirname(path))
        open(path, "w").close()
        made.append(path)

    yield make, touch
    for p in reversed(made):
        if os.path.isdir(p):
            os.rmdir(p)
        elif os.path.exists(p):
            os.unlink(p)


def start_in(procs, dirs, env=None, mode="periodic"):
    """A staller in its own PID and mount namespaces, started inside the cgroup dirs given."""
    joins = "".join(f"echo $$ > {d}/cgroup.procs && " for d in dirs)
    p = procs(["/bin/sh", "-c", joins + f"exec unshare --pid --fork --mount-proc {PYTHON} {STALLER} {mode}"],
              stdout=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
    assert p.proc.stdout.readline().strip() == "ready"
    return p, host_pid_of_server(p.pid)


def host_pid_of_server(unshare_pid, timeout=10.0):
    """unshare forks the server: its PID as the host sees it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{unshare_pid}/task/{unshare_pid}/children") as f:
                kids = f.read().split()
        except FileNotFoundError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.02)
    raise AssertionError(f"unshare {unshare_pid} started no server")


def ids():
    return secrets.token_hex(32), str(uuid.uuid4())


def test_runtimes_and_kubelet_paths_in_v1_and_v2(cgroups, node_dirs, procs, loopstall):
    make_dir, touch = node_dirs
    docker_id, _ = ids()
    crd_id, crd_uid = ids()
    cfs_id, cfs_uid = ids()
    crio_id, crio_uid = ids()
    pod_id, _ = ids()
    cases = {
        # name: (cgroup path, hierarchies, extra environment)
        "docker": (f"/system.slice/docker-{docker_id}.scope", [V1, V2], None),
        "containerd": (
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
            f"{crd_uid.replace('-', '_')}.slice/cri-containerd-{crd_id}.scope",
            [V2],  # the v2 hierarchy alone
            {"POD_NAME": "web-7f9c4-x2x9q", "POD_NAMESPACE": "shop"},  # the downward API
        ),
        "cgroupfs": (f"/kubepods/besteffort/pod{cfs_uid}/{cfs_id}", [V1], None),  # a v1 controller alone
        "cri-o": (f"/kubepods.slice/kubepods-pod{crio_uid.replace('-', '_')}.slice/crio-{crio_id}.scope", [V1, V2],
                  None),
        "podman": (f"/machine.slice/libpod-{pod_id}.scope", [V1, V2], None),
    }
    # The kubelet's log directories name the cgroupfs pod and its container.
    make_dir(f"/var/log/pods/batch_report-28d1a_{cfs_uid}/worker")
    touch(f"/var/log/containers/report-28d1a_batch_worker-{cfs_id}.log")
    port = free_port()
    ls = loopstall(["--metrics", f"127.0.0.1:{port}"])
    text = loopstall([], json_output=False)
    ls.wait_ready()
    text.wait_ready()
    pids = {}
    for name, (path, roots, env) in cases.items():
        _, pids[name] = start_in(procs, [cgroups.make(root, path) for root in roots], env)

    for name, pid in pids.items():
        ls.wait_for(lambda r: r.get("event") == "stall" and r["pid"] == pid and r["phase"] == "end", timeout=15)
    got = {name: ls.stalls(pid=pid, phase="end")[0]["container"] for name, pid in pids.items()}
    for c in got.values():
        assert c["pid_in_container"] == 1, got  # the first process of its PID namespace
    service = os.path.basename(STALLER)  # python3 SCRIPT: the script is the service
    assert all(ls.stalls(pid=pid, phase="end")[0]["service"] == service for pid in pids.values())
    assert got["docker"]["runtime"] == "docker" and got["docker"]["id"] == docker_id
    assert "pod_uid" not in got["docker"] and "pod" not in got["docker"]
    assert got["containerd"] == {"pid_in_container": 1, "runtime": "containerd", "id": crd_id, "pod_uid": crd_uid,
                                 "qos": "burstable", "pod": "web-7f9c4-x2x9q", "namespace": "shop"}
    assert got["cgroupfs"] == {"pid_in_container": 1, "runtime": "cri", "id": cfs_id, "name": "worker",
                               "pod_uid": cfs_uid, "qos": "besteffort", "pod": "report-28d1a", "namespace": "batch"}
    assert got["cri-o"]["runtime"] == "cri-o" and got["cri-o"]["id"] == crio_id
    assert got["cri-o"]["pod_uid"] == crio_uid and got["cri-o"]["qos"] == "guaranteed"
    assert got["podman"]["runtime"] == "podman" and got["podman"]["id"] == pod_id

    # Text: the service beside the PID, the pod or the container beside the comm.
    expect = {
        "docker": f"[docker {docker_id[:12]}]",
        "containerd": "[pod shop/web-7f9c4-x2x9q container " + crd_id[:12] + "]",
        "cgroupfs": "[pod batch/report-28d1a container worker]",
        "cri-o": f"[pod uid {crio_uid} container {crio_id[:12]}]",
        "podman": f"[podman {pod_id[:12]}]",
    }
    for name, pid in pids.items():
        want = re.compile(rf"^STALL END pid {pid} \({re.escape(service)}\) tid {pid} python3 {re.escape(expect[name])} \d")
        deadline = time.monotonic() + 10
        while not any(want.match(l) for _, l in text.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(want.match(l) for _, l in text.lines), (name, [l for _, l in text.lines if str(pid) in l][:3])

    # Metrics: container, pod, namespace on the loop's series and on its stalls.
    body = http_get(port, "/metrics")
    pid = pids["cgroupfs"]
    assert re.search(rf'loopstall_stalled{{pid="{pid}",tid="{pid}",comm="python3",service="{service}",'
                     rf'container="worker",pod="report-28d1a",namespace="batch"}} [01]', body), body[-3000:]
    assert re.search(rf'loopstall_stalls_total{{pid="{pid}",comm="python3",service="{service}",container="worker",'
                     r'pod="report-28d1a",namespace="batch",cause="syscall"} [1-9]', body), body[-3000:]
    pid = pids["docker"]
    assert f'loopstall_stalled{{pid="{pid}",tid="{pid}",comm="python3",service="{service}",' \
           f'container="{docker_id[:12]}",pod="",namespace=""}}' in body
    # Every loop's series has the four labels.
    stalled = [l for l in body.splitlines() if l.startswith("loopstall_stalled{")]
    assert stalled and all(re.search(r',service="[^"]*",container="[^"]*",pod="[^"]*",namespace="[^"]*"}', l)
                           for l in stalled), stalled
    assert ls.stop() == 0
    assert text.stop() == 0


def test_cgroup_target_follows_a_process_started_later(cgroups, procs, loopstall):
    cid, uid = ids()
    path = f"/kubepods/burstable/pod{uid}/{cid}"
    v1, v2 = cgroups.make(V1, path), cgroups.make(V2, path)
    decoy = procs([PYTHON, STALLER, "periodic"], stdout=subprocess.PIPE, text=True)
    assert decoy.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["--cgroup", f"/sys/fs/cgroup/unified/kubepods/burstable/pod{uid}" if V2.endswith("unified")
                    else f"/sys/fs/cgroup/kubepods/burstable/pod{uid}"])
    ls.wait_ready()
    assert "watching 0 processes in the cgroup" in ls.stderr()
    _, pid = start_in(procs, [v1, v2])
    _, r = ls.wait_for(lambda r: r.get("event") == "stall" and r["pid"] == pid, timeout=15)
    assert r["container"]["id"] == cid and r["container"]["pod_uid"] == uid and r["container"]["pid_in_container"] == 1
    time.sleep(1.5)
    assert not ls.stalls(pid=decoy.pid), "a process outside the cgroup was watched"
    assert ls.stop() == 0
    assert re.search(r"pid \d+ \(unshare\) started in the cgroup: watched", ls.stderr()), ls.stderr()

    # The same by its cgroup path, as /proc/PID/cgroup shows it.
    ls = loopstall(["--cgroup", f"/kubepods/burstable/pod{uid}/"])
    ls.wait_ready()
    assert "watching 2 processes in the cgroup" in ls.stderr(), ls.stderr()  # unshare and its server
    ls.wait_for(lambda r: r.get("event") == "stall" and r["pid"] == pid, timeout=15)
    assert ls.stop() == 0

    # loopstall top: the container beside the comm.
    top = loopstall(["top", "--batch", "-i", "500ms", "--cgroup", f"/kubepods/burstable/pod{uid}"], json_output=False)
    want = re.compile(rf"^{pid}\s+{pid}\s+python3\s+(stall_loop.py\s+)?pod uid {uid[:10]}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(want.match(l) for _, l in top.lines):
        time.sleep(0.1)
    assert any(re.match(r"^PID\s+TID\s+COMM\s+(SERVICE\s+)?CONTAINER\s", l) for _, l in top.lines), top.lines[:5]
    assert any(want.match(l) for _, l in top.lines), [l for _, l in top.lines][-10:]
    assert top.stop() == 0


def test_container_and_pod_targets_follow_processes_started_later(cgroups, node_dirs, procs, loopstall, tmp_path):
    make_dir, touch = node_dirs
    cid, uid = ids()
    path = f"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid.replace('-', '_')}.slice/" \
           f"cri-containerd-{cid}.scope"
    dirs = [cgroups.make(V1, path), cgroups.make(V2, path)]
    other_id, _ = ids()
    other = [cgroups.make(V2, f"/system.slice/docker-{other_id}.scope")]
    env = {"POD_NAME": "api-0", "POD_NAMESPACE": "shop"}
    # The kubelet's name of the container, for --container by name.
    touch(f"/var/log/containers/api-0_shop_web-{cid}.log")
    hook = tmp_path / "hook"
    seen = tmp_path / "seen"
    hook.write_text(f"#!/bin/sh\necho \"$LOOPSTALL_PID $LOOPSTALL_CONTAINER $LOOPSTALL_POD $LOOPSTALL_NAMESPACE\" >> {seen}\n")
    hook.chmod(0o755)
    by_id = loopstall(["--container", cid[:8], "--exec", str(hook)])
    by_name = loopstall(["--container", "we"])
    by_pod = loopstall(["--pod", "shop/api-0"])
    wrong_ns = loopstall(["--pod", "prod/api-0"])
    for ls in (by_id, by_name, by_pod, wrong_ns):
        ls.wait_ready()
    _, decoy = start_in(procs, other, env)  # the same environment, another container
    _, pid = start_in(procs, dirs, env)
    for ls in (by_id, by_name, by_pod):
        _, r = ls.wait_for(lambda r: r.get("event") == "stall" and r["pid"] == pid, timeout=15)
        assert r["container"]["pod"] == "api-0" and r["container"]["namespace"] == "shop"
        assert r["container"]["name"] == "web" and r["container"]["id"] == cid
    time.sleep(1.5)
    for ls in (by_id, by_name, by_pod, wrong_ns):
        assert not ls.stalls(pid=decoy), ls.stderr()
        assert ls.stop() == 0
    assert not wrong_ns.stalls(pid=pid)
    # Hooks get the labels in their environment.
    assert f"{pid} web api-0 shop" in seen.read_text().splitlines(), seen.read_text()


def test_container_targets_on_the_command_line():
    from conftest import LOOPSTALL

    def run(args):
        return subprocess.run([LOOPSTALL] + args, capture_output=True, text=True, timeout=30)

    for args, msg in [
        (["--cgroup", "kubepods"], "absolute path"),
        (["--container", ""], "empty value for --container"),
        (["--pod", "a", "--pod", "b"], "one --pod at a time"),
        (["--container", "ab", "-n", "x"], "one kind of target"),
    ]:
        r = run(args)
        assert r.returncode == 2 and msg in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)


def test_a_command_that_says_little_is_named_by_its_systemd_unit(cgroups, procs, loopstall):
    """A script read from stdin runs as "python3 -": its systemd unit names the service instead; the same
    command outside any unit keeps "python3"."""
    unit = f"lsdemo-{secrets.token_hex(4)}.service"
    d = cgroups.make(V2, f"/system.slice/{unit}")
    with open(STALLER) as script:
        in_unit = procs(["/bin/sh", "-c", f"echo $$ > {d}/cgroup.procs && exec {PYTHON} - periodic"],
                        stdin=script, stdout=subprocess.PIPE, text=True)
    with open(STALLER) as script:
        bare = procs([PYTHON, "-", "periodic"], stdin=script, stdout=subprocess.PIPE, text=True)
    for p in (in_unit, bare):
        assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", f"{in_unit.pid},{bare.pid}"])
    ls.wait_ready()
    for p in (in_unit, bare):
        ls.wait_for(lambda r: r.get("event") == "stall" and r["pid"] == p.pid and r["phase"] == "end", timeout=15)
    got = ls.stalls(pid=in_unit.pid, phase="end")[0]
    assert got["service"] == unit, got
    assert got["container"]["runtime"] == "systemd" and got["container"]["id"] == unit, got["container"]
    assert ls.stalls(pid=bare.pid, phase="end")[0]["service"] == os.path.basename(PYTHON), ls.stalls(pid=bare.pid)
    assert ls.stop() == 0
