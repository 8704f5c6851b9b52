"""--kill-after: the stalled process killed (TERM, then KILL after the grace), nothing killed under --dry-run,
and never a process outside the watched set: a recycled PID, a target gone at attach, a zombie."""
import os
import signal
import socket
import subprocess
import time

from conftest import APPS, PYTHON, free_port, http_get, python_frames, start_gunicorn, start_staller, worker_pids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def fire(port, path):
    """Sends a request and does not wait: the worker may die before it answers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
    FIRED.append(s)


FIRED = []


def wall(record):
    """The record's start as a Unix time."""
    t = time.strptime(record["start"][:19], "%Y-%m-%dT%H:%M:%S")
    return time.mktime(t) - time.timezone + float("0." + record["start"][20:23])


def test_kill_after_kills_the_stalled_worker_and_watches_its_replacement(procs, loopstall):
    port = free_port()
    arbiter = start_gunicorn(procs, port)
    (worker,) = worker_pids(arbiter.pid)
    ls = loopstall(["-p", str(arbiter.pid), "--kill-after", "800ms", "--kill-signal", "KILL"])
    ls.wait_ready()
    fire(port, "/action/2")
    _, kill = ls.wait_for(lambda r: r["event"] == "kill", timeout=5)
    while alive(worker) and time.time() < wall(kill["stall"]) + 3:
        time.sleep(0.005)
    died = time.time()
    assert not alive(worker)
    # Not before --kill-after, and while the 1.5 s handler still ran (it would have lived on after).
    assert 0.79 <= died - wall(kill["stall"]) < 1.5, (died - wall(kill["stall"]), kill)
    assert kill["pid"] == worker and kill["signal"] == "KILL" and kill["signal_number"] == 9
    assert kill["dry_run"] is False and kill["escalated"] is False and "error" not in kill
    stall = kill["stall"]
    assert stall["duration_ms"] >= 800 and stall["syscall"] == "clock_nanosleep"
    assert python_frames(stall)[0]["function"] == "async_func_sync_timeout", stall["stack"]
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["pid"] == worker)
    assert end["exited"] is True

    # gunicorn starts a replacement; it is watched too.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and [p for p in worker_pids(arbiter.pid) if p != worker] == []:
        time.sleep(0.1)
    (replacement,) = worker_pids(arbiter.pid)
    assert replacement != worker
    # The arbiter holds the socket; the new worker answers once it has booted.
    deadline = time.monotonic() + 15
    while True:
        try:
            assert "hello" in http_get(port, "/")
            break
        except (AssertionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    # The response would come after the task, which is killed first.
    fire(port, "/action/2")
    _, k2 = ls.wait_for(lambda r: r["event"] == "kill" and r["pid"] == replacement, timeout=8)
    assert python_frames(k2["stall"])[0]["function"] == "async_func_sync_timeout"


def test_dry_run_kills_nothing(procs, loopstall):
    p = start_staller(procs, "sleep")
    ls = loopstall(["-p", str(p.pid), "--kill-after", "500ms", "--dry-run"])
    ls.wait_ready()
    _, kill = ls.wait_for(lambda r: r["event"] == "kill", timeout=5)
    assert kill["dry_run"] is True and kill["pid"] == p.pid
    time.sleep(1.0)
    assert alive(p.pid)
    assert len([1 for _, r in ls.records() if r["event"] == "kill"]) == 1


def test_term_then_kill_after_grace(procs, loopstall):
    # The forever-blocked loop ignores nothing, but Python runs handlers only between bytecodes:
    # SIGTERM's default action kills it at once; a process that traps TERM needs the grace SIGKILL.
    p = procs([PYTHON, "-c", "import signal, asyncio, time\n"
               "signal.signal(signal.SIGTERM, lambda *a: None)\n"
               "async def stuck():\n    print('ready', flush=True)\n    await asyncio.sleep(1)\n"
               "    while True: time.sleep(1000)\n"
               "asyncio.run(stuck())\n"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid), "--kill-after", "300ms", "--kill-grace", "500ms"])
    ls.wait_ready()
    _, term = ls.wait_for(lambda r: r["event"] == "kill" and not r["escalated"], timeout=5)
    assert term["signal"] == "TERM"
    _, killed = ls.wait_for(lambda r: r["event"] == "kill" and r["escalated"], timeout=5)
    assert killed["signal"] == "KILL"
    deadline = time.monotonic() + 2
    while alive(p.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive(p.pid)


def set_next_pid(pid):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))


def test_recycled_pid_is_never_hit(procs, loopstall):
    """A stalled process dies before --kill-after; a new process gets its PID: it must survive."""
    launcher = procs([PYTHON, "-c",
                      "import subprocess, sys\n"
                      "for line in sys.stdin:\n"
                      "    p = subprocess.Popen(line.split(), stdout=subprocess.DEVNULL)\n"
                      "    print(p.pid, flush=True)\n"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(launcher.pid), "--kill-after", "1500ms", "--kill-signal", "KILL"])
    ls.wait_ready()
    launcher.proc.stdin.write(f"{PYTHON} {APPS}/stall_loop.py sleep\n")
    launcher.proc.stdin.flush()
    victim = int(launcher.proc.stdout.readline())
    ls.wait_for(lambda r: r["event"] == "stall" and r["pid"] == victim, timeout=5)
    os.kill(victim, signal.SIGKILL)
    newcomer = None
    for _ in range(20):
        while alive(victim):
            time.sleep(0.001)
        set_next_pid(victim)
        launcher.proc.stdin.write("sleep 30\n")
        launcher.proc.stdin.flush()
        newcomer = int(launcher.proc.stdout.readline())
        if newcomer == victim:
            break
    assert newcomer == victim, "could not recycle the PID"
    time.sleep(2.0)
    assert alive(newcomer)
    assert [r for _, r in ls.records() if r["event"] == "kill"] == []
    os.kill(newcomer, signal.SIGKILL)


def start_zombie(procs):
    """A child that exited and is not reaped yet (its parent reaps it on a line on stdin): its PID and the parent."""
    parent = procs([PYTHON, "-c", "import os, sys\npid = os.fork()\nif pid == 0: os._exit(0)\n"
                               "print(pid, flush=True)\nsys.stdin.readline()\nos.waitpid(pid, 0)\n"
                               "print('reaped', flush=True)\nsys.stdin.readline()\n"],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    zombie = int(parent.proc.stdout.readline())
    for _ in range(100):
        with open(f"/proc/{zombie}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return zombie, parent
        time.sleep(0.01)
    raise AssertionError("no zombie")


def test_target_gone_at_attach_is_dropped_and_its_pid_never_signalled(procs, loopstall):
    """A -p target already gone (exited, not reaped) is said and dropped; a process given its PID is never touched."""
    idle = start_staller(procs, "periodic")  # keeps loopstall running
    gone, parent = start_zombie(procs)
    ls = loopstall(["-p", f"{gone},{idle.pid}", "--kill-after", "400ms", "--kill-signal", "KILL", "-t", "100ms"])
    ls.wait_ready()
    assert f"pid {gone} exited" in ls.stderr()
    parent.proc.stdin.write("\n")
    parent.proc.stdin.flush()
    assert parent.proc.stdout.readline().strip() == "reaped"
    # A staller forced onto the PID of the target that is gone.
    newcomer = None
    for _ in range(50):
        set_next_pid(gone)
        p = procs([PYTHON, f"{APPS}/stall_loop.py", "sleep"], stdout=subprocess.PIPE, text=True)
        if p.pid == gone:
            newcomer = p
            break
        p.stop()
    assert newcomer, "could not give the PID to a new process"
    assert newcomer.proc.stdout.readline().strip() == "ready"
    time.sleep(3.0)  # it stalls in time.sleep(1000) from 1 s on
    assert alive(newcomer.pid)
    assert [r for _, r in ls.records() if r["event"] == "kill"] == []
    assert [r for r in ls.stalls() if r["pid"] == gone] == []


def test_only_target_a_zombie_exits_at_once(procs, loopstall):
    zombie, _ = start_zombie(procs)
    ls = loopstall(["-p", str(zombie)])
    assert ls.proc.wait(timeout=10) == 0
    assert f"pid {zombie} exited" in ls.stderr()
