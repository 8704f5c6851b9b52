"""Waits for other threads and for CPUs: gil, lock, runqueue and cgroup CPU throttling."""
import os
import re
import time
import subprocess

import pytest

from conftest import APPS, PYTHON, command, commanded


def start(procs, mode, prefix=()):
    p = procs([*prefix, PYTHON, f"{APPS}/cause_app.py", mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


def go(p):
    """The stall starts once loopstall watches: on a busy host its attach can take longer than the app's wait."""
    p.proc.stdin.write("go\n")
    p.proc.stdin.flush()


def test_gil_wait_names_the_holder(procs, loopstall):
    p = start(procs, "gil")
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    go(p)
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
    go(p)
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
        go(p)
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
        assert end["cause"] == "runqueue", end
        assert end["throttled_ms"] > 0.5 * end["breakdown_ms"]["runqueue"], end
        p.stop()
    finally:
        os.rmdir(cgroup)


def test_socket_peer_is_looked_up_off_the_detecting_thread(procs, loopstall):
    """The network tables of a busy host are read by the reporter, not where stalls are detected."""
    from conftest import Opens
    holder = procs([PYTHON, f"{APPS}/many_sockets.py", "9000"], stdout=subprocess.PIPE, text=True)
    port = int(holder.proc.stdout.readline())
    with open("/proc/net/tcp") as f:
        assert sum(1 for _ in f) > 10000
    p = commanded(procs, PYTHON)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    command(p, "sleep 0.3")  # the first stall of the process: its symbols load
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    with Opens(ls.proc.pid) as opens:
        command(p, f"recv {port} 0.5")
        _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and r.get("syscall") == "recvfrom")
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r.get("syscall") == "recvfrom")
    for r in (begin, end):
        assert r["fd_target"].startswith("tcp 127.0.0.1:") and r["fd_target"].endswith(f" -> 127.0.0.1:{port}"), r
    # The main thread detects; the tables were read, by another thread.
    net = {tid: [f for f in files if "/net/tcp" in f] for tid, files in opens.by_thread.items()}
    assert not net.get(ls.proc.pid), net
    assert any(net.values()), opens.by_thread


def test_first_stall_of_a_process_loads_nothing_on_the_detecting_thread(procs, loopstall):
    """A new loop's symbols and CFI are loaded ahead of its first stall, off the detecting thread."""
    from conftest import Opens, free_port, sample, scrape
    metrics = free_port()
    ls = loopstall(["-n", "commanded.py", "--metrics", f"127.0.0.1:{metrics}"])
    ls.wait_ready()
    # Every C extension of the standard library imported before its first wait: 40-odd more files mapped.
    p = procs([PYTHON, f"{APPS}/commanded.py", "load"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    command(p, "sleep 0")  # its first iteration: the reporter warms both threads' symbols
    # Warmed once both threads' parts are done: the counter stops moving.
    deadline, warmed, last = time.monotonic() + 10, -1, 0
    while warmed != last or warmed == 0:
        assert time.monotonic() < deadline, "the new process was not warmed ahead of its first stall"
        time.sleep(0.5)
        last, warmed = warmed, sample(scrape(metrics), "loopstall_warm_cpu_seconds", "_total")
    with Opens(ls.proc.pid) as opens:
        command(p, "sleep 0.3")
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert end["stack"][0]["function"] == "clock_nanosleep", end["stack"]
    # Unwinding and naming the first stall opened none of the target's files on the detecting
    # thread: no /proc/PID/maps, no ELF file (what warming reads).
    mapped = {f.split()[-1] for f in open(f"/proc/{p.pid}/maps") if "/" in f}
    main = [re.sub(r"^/proc/\d+/root", "", f) for f in opens.by_thread.get(ls.proc.pid, [])]
    assert not [f for f in main if f in mapped or f.endswith("/maps") or ".so" in f or f.endswith(".debug")], main
    # Warming is counted on its own, once per process, not as the first stall's report.
    assert sample(scrape(metrics), "loopstall_warm_cpu_seconds", "_total") == warmed


def test_stopped_target_is_its_own_cause(procs, loopstall):
    """SIGSTOP (or a debugger) stops the loop: cause "stopped", not "other"."""
    import signal
    p = procs([PYTHON, f"{APPS}/stall_loop.py", "periodic"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid), "-t", "200ms"], json_output=False)
    ls.wait_ready()
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGSTOP)
    time.sleep(1.0)
    os.kill(p.pid, signal.SIGCONT)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("STALL END" in l and "stopped" in l for _, l in ls.lines):
        time.sleep(0.05)
    ls.stop()
    text = "\n".join(l for _, l in ls.lines)
    begin = [l for _, l in ls.lines if l.startswith("STALL pid") and "stopped (SIGSTOP or a debugger)" in l]
    end = [l for _, l in ls.lines if l.startswith("STALL END") and "stopped (SIGSTOP or a debugger)" in l]
    assert begin and end, text
    assert ", stopped " in end[0], end[0]


def test_stopped_target_json(procs, loopstall):
    import signal
    p = procs([PYTHON, f"{APPS}/stall_loop.py", "periodic"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid), "-t", "200ms"])
    ls.wait_ready()
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGSTOP)
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and r["cause"] == "stopped")
    os.kill(p.pid, signal.SIGCONT)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["cause"] == "stopped")
    assert end["breakdown_ms"]["stopped"] >= 150, end
