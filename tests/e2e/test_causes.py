"""Waits for other threads and for CPUs: gil, lock, runqueue and cgroup CPU throttling."""
import os
import subprocess

import pytest

from conftest import APPS, PYTHON


def start(procs, mode, prefix=()):
    p = procs([*prefix, PYTHON, f"{APPS}/cause_app.py", mode], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


def test_gil_wait_names_the_holder(procs, loopstall):
    p = start(procs, "gil")
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=8)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
    for r in (begin, end):
        assert r["cause"] == "gil" and r["syscall"] == "futex", r
        holder = r["gil_holder"]
        assert holder["tid"] > 0 and holder["tid"] != p.pid, holder
        assert holder["frame"]["function"] == "hold_the_gil", holder
        assert holder["frame"]["file"].endswith("cause_app.py")


def test_cpu_contention_is_runqueue(procs, loopstall):
    # Two CPU hogs pinned to the loop's CPU: it gets a third of it.
    for _ in range(2):
        procs(["taskset", "-c", "0", PYTHON, "-c", "while True: pass"])
    p = start(procs, "cpu", prefix=("taskset", "-c", "0"))
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=10)
    assert end["cause"] == "runqueue", end
    assert end["breakdown_ms"]["runqueue"] > end["breakdown_ms"]["cpu"], end
    assert "throttled_ms" not in end


def cpu_cgroup(tmp_name):
    """A cgroup limited to 10% of a CPU (v1 cpu controller or v2 cpu.max), and a function to enter it."""
    v1 = "/sys/fs/cgroup/cpu"
    if os.path.exists(f"{v1}/cpu.cfs_quota_us"):
        path = f"{v1}/{tmp_name}"
        os.makedirs(path, exist_ok=True)
        with open(f"{path}/cpu.cfs_quota_us", "w") as f:
            f.write("10000")
        return path
    if "cpu" in open("/sys/fs/cgroup/cgroup.controllers").read().split():
        path = f"/sys/fs/cgroup/{tmp_name}"
        os.makedirs(path, exist_ok=True)
        with open(f"{path}/cpu.max", "w") as f:
            f.write("10000 100000")
        return path
    pytest.fail("no CPU cgroup controller to limit a process with")


def test_cgroup_throttling_is_said(procs, loopstall):
    cgroup = cpu_cgroup(f"loopstall-test-{os.getpid()}")
    try:
        p = start(procs, "cpu", prefix=("sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh"))
        ls = loopstall(["-p", str(p.pid)])
        ls.wait_ready()
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
        assert end["cause"] == "runqueue", end
        assert end["throttled_ms"] > 0.5 * end["breakdown_ms"]["runqueue"], end
        p.stop()
    finally:
        os.rmdir(cgroup)
