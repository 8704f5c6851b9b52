"""Targets whose binaries loopstall cannot open by path: deleted, or in another mount namespace."""
import os
import shutil
import subprocess
import time

from conftest import APPS, command, commanded, python_frames


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


def build_library(tmp_path, name):
    """A shared library whose function blocks 300 ms in usleep, with its symbols and CFI."""
    src = tmp_path / f"{name}.c"
    src.write_text(f"#include <unistd.h>\nvoid {name}_block(void) {{ usleep(300000); }}\n")
    lib = tmp_path / f"lib{name}.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-O0", "-g", "-o", str(lib), str(src)], check=True)
    return str(lib)


def stall_begun(ls, n):
    """Waits for the n-th begin record; returns it."""
    ls.wait_for(lambda r: len(ls.stalls(phase="begin")) >= n, timeout=8)
    return ls.stalls(phase="begin")[n - 1]


def native_functions(record):
    return [f["function"] for f in record["stack"] if f["kind"] == "native"]


def test_library_loaded_after_the_first_stalls_is_named(procs, loopstall, tmp_path):
    """Libraries loaded later (Python imports C extensions lazily) get their symbols, every time."""
    first, second = build_library(tmp_path, "first"), build_library(tmp_path, "second")
    p = commanded(procs)
    ls = loopstall(["-p", str(p.pid), "-t", "100ms"])
    ls.wait_ready()
    command(p, "sleep 0.3")  # the process's modules are known from here on
    assert "clock_nanosleep" in native_functions(stall_begun(ls, 1))
    command(p, f"call {first} first_block")
    assert "first_block" in native_functions(stall_begun(ls, 2)), stall_begun(ls, 2)["stack"]
    time.sleep(0.2)  # the maps are read again at most every 100 ms
    command(p, f"call {second} second_block")
    begin = stall_begun(ls, 3)
    assert "second_block" in native_functions(begin), begin["stack"]
    # Unwound through the new library's CFI down to the Python frame that called it.
    assert python_frames(begin)[0]["function"] == "call", begin["stack"]


def test_interpreter_path_now_names_another_file(procs, loopstall, tmp_path):
    """A file mounted over the interpreter's path since it started: the mapped one is read, not it."""
    binary = tmp_path / "python3.11"
    shutil.copy("/usr/bin/python3.11", binary)
    impostor = tmp_path / "impostor"
    shutil.copy("/bin/true", impostor)
    # In a mount namespace of its own, so the mount over the path stays there.
    p = procs(["unshare", "--mount", "--propagation", "private", str(binary), f"{APPS}/commanded.py"],
              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    subprocess.run(["nsenter", "-t", str(p.pid), "-m", "mount", "--bind", str(impostor), str(binary)], check=True)
    with open(f"/proc/{p.pid}/maps") as f:
        assert f" {binary}\n" in f.read()  # the same path, not "(deleted)"
    ls = loopstall(["-p", str(p.pid), "-t", "100ms"])
    ls.wait_ready()
    command(p, "sleep 0.3")
    begin = stall_begun(ls, 1)
    assert begin["python"] == "3.11", begin
    assert python_frames(begin)[0]["function"] == "sleep", begin["stack"]
