"""Targets whose binaries loopstall cannot open by path: deleted, or in another mount namespace."""
import os
import shutil
import subprocess

from conftest import APPS, python_frames


def native_modules(record):
    return [f.get("module", "") for f in record["stack"] if f["kind"] == "native"]


def watch_one_stall(loopstall, pid):
    ls = loopstall(["-p", str(pid)])
    ls.wait_ready()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=8)
    return begin


def test_deleted_interpreter(procs, loopstall, tmp_path):
    copy = tmp_path / "python-deleted"
    shutil.copy("/usr/bin/python3.11", copy)
    p = procs([str(copy), f"{APPS}/stall_loop.py", "periodic"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    os.unlink(copy)
    begin = watch_one_stall(loopstall, p.pid)
    assert python_frames(begin)[0]["function"] == "periodic_block", begin["stack"]
    assert begin["python"] == "3.11"
    # The DWARF unwind goes through the deleted binary, opened through /proc/PID/map_files.
    assert any("python-deleted" in m for m in native_modules(begin)), begin["stack"]


def test_interpreter_in_another_mount_namespace(procs, loopstall, tmp_path):
    # The interpreter lives on a tmpfs that only the target's mount namespace has.
    script = (f"mkdir -p {tmp_path}/ns && mount -t tmpfs none {tmp_path}/ns && "
              f"cp /usr/bin/python3.11 {tmp_path}/ns/python-ns && "
              f"exec {tmp_path}/ns/python-ns {APPS}/stall_loop.py periodic")
    p = procs(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
              stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    assert not os.path.exists(f"{tmp_path}/ns/python-ns")  # not in our namespace
    begin = watch_one_stall(loopstall, p.pid)
    assert python_frames(begin)[0]["function"] == "periodic_block", begin["stack"]
    assert any(m.endswith("python-ns") for m in native_modules(begin)), begin["stack"]
