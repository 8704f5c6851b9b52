"""Acting on stalls: --kill-after, --exec hooks, --metrics, --log and --syslog."""
import json
import re
import os
import signal
import socket
import stat
import subprocess
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import APPS, LOOPSTALL, PYTHON, free_port, http_get, python_frames, wait_port
from test_fastapi import start_gunicorn, worker_pids


def start_staller(procs, mode="periodic", **env):
    p = procs([PYTHON, f"{APPS}/stall_loop.py", mode], stdout=subprocess.PIPE, text=True,
              env=dict(os.environ, **env))
    assert p.proc.stdout.readline().strip() == "ready"
    return p


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


HOOK = """#!/bin/sh
# Records what loopstall hands over; never evaluates it.
n=$(date +%s%N)
cat > "{dir}/$n.json"
env | grep '^LOOPSTALL_' > "{dir}/$n.env"
sleep {sleep}
"""


def make_hook(tmp_path, sleep=0):
    hook = tmp_path / "hook.sh"
    out = tmp_path / "calls"
    out.mkdir()
    hook.write_text(HOOK.format(dir=out, sleep=sleep))
    hook.chmod(stat.S_IRWXU)
    return hook, out


def hook_calls(out):
    calls = []
    for f in sorted(out.glob("*.json")):
        env = dict(line.split("=", 1) for line in f.with_suffix(".env").read_text().splitlines())
        calls.append((json.loads(f.read_text()), env))
    return calls


def test_hook_gets_json_and_variables(procs, loopstall, tmp_path):
    hook, out = make_hook(tmp_path)
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook)])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    time.sleep(0.5)
    calls = hook_calls(out)
    assert len(calls) >= 2, calls
    for record, env in calls[:2]:
        assert env["LOOPSTALL_EVENT"] == "stall"
        assert env["LOOPSTALL_PHASE"] == record["phase"]
        assert env["LOOPSTALL_PID"] == str(p.pid) == str(record["pid"])
        assert env["LOOPSTALL_TID"] == str(record["tid"])
        assert env["LOOPSTALL_COMM"] == record["comm"] == "python3"
        assert env["LOOPSTALL_CAUSE"] == record["cause"] == "syscall"
        assert int(env["LOOPSTALL_DURATION_MS"]) == int(record["duration_ms"])
    assert [r["phase"] for r, _ in calls[:2]] == ["begin", "end"]


def test_slow_hook_does_not_delay_the_next_report(procs, loopstall, tmp_path):
    hook, out = make_hook(tmp_path, sleep=5)
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook), "--exec-timeout", "20s"])
    ls.wait_ready()
    begins = []
    deadline = time.monotonic() + 8
    while len(begins) < 3 and time.monotonic() < deadline:
        begins = [(t, r) for t, r in ls.records() if r["event"] == "stall" and r["phase"] == "begin"]
        time.sleep(0.05)
    assert len(begins) >= 3, ls.records()
    # Each said while its 300 ms stall went on: a hook run in line would have made it 5 s late.
    for t, r in begins:
        assert r["duration_ms"] < 300, r
    # Hooks of earlier stalls were still sleeping when later stalls were reported.
    assert len(list(out.glob("*.json"))) >= 3


def test_hostile_process_name_never_runs(procs, loopstall, tmp_path):
    hook, out = make_hook(tmp_path)
    # The name must fit in 15 bytes: "$(touch /tmp/X)" with an X that does not exist yet.
    letter = next(c for c in "xyzqwvkjhgfdsa" if not os.path.exists(f"/tmp/{c}"))
    marker = f"/tmp/{letter}"
    name = f"$(touch {marker})"
    p = start_staller(procs, "periodic", STALL_COMM=name)
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook)])
    ls.wait_ready()
    _, r = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    time.sleep(0.5)
    assert r["comm"] == name
    calls = hook_calls(out)
    assert calls and calls[0][1]["LOOPSTALL_COMM"] == name
    assert not os.path.exists(marker)
    # The terminal rendering escapes nothing here (no controls), the JSON one is exact.
    assert ls.stderr().count(name) == 0


def scrape(port):
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {f.name: f for f in text_string_to_metric_families(body)}


def sample(families, name, suffix="", **labels):
    values = [s.value for s in families[name].samples
              if s.name == name + suffix and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(values) == 1, (name, labels, families[name].samples)
    return values[0]


def test_metrics_parse_and_move_with_stalls(procs, loopstall):
    p = start_staller(procs, "periodic")
    port = free_port()
    ls = loopstall(["-p", str(p.pid), "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    m1 = scrape(port)
    pid = str(p.pid)
    stalls1 = sample(m1, "loopstall_stalls", "_total", pid=pid, cause="syscall")
    count1 = sample(m1, "loopstall_iteration_seconds", "_count", pid=pid, tid=pid, comm="python3")
    assert stalls1 >= 1 and count1 >= 1
    inf = sample(m1, "loopstall_iteration_seconds", "_bucket", pid=pid, le="+Inf")
    assert inf == count1
    assert sample(m1, "loopstall_iteration_seconds", "_sum", pid=pid) >= 0.3 * stalls1
    # Two more stalls; and one scrape while a stall is going on.
    n = len(ls.stalls(phase="end"))
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 2, timeout=5)
    ls.wait_for(lambda r: len(ls.stalls(phase="begin")) > len(ls.stalls(phase="end")), timeout=5)
    m2 = scrape(port)
    assert sample(m2, "loopstall_stalled", pid=pid) == 1
    assert sample(m2, "loopstall_stalls", "_total", pid=pid, cause="syscall") >= stalls1 + 2
    assert sample(m2, "loopstall_iteration_seconds", "_count", pid=pid) > count1
    for name in ("loopstall_kills", "loopstall_lost_events", "loopstall_hooks_dropped", "loopstall_hooks_failed"):
        assert sample(m2, name, "_total") == 0


def test_metrics_bad_address():
    from test_cli import one_line_error, run
    one_line_error(run(["--metrics", "nonsense", "-d", "1s"]), 2, "cannot serve metrics on nonsense")


def test_log_rotation(procs, loopstall, tmp_path):
    log = tmp_path / "stalls.log"
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--log", str(log), "--log-max-size", "3K", "--log-keep", "2"])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 6, timeout=12)
    time.sleep(0.3)
    assert (tmp_path / "stalls.log.1").exists() and (tmp_path / "stalls.log.2").exists()
    assert not (tmp_path / "stalls.log.3").exists()
    for f in (log, tmp_path / "stalls.log.1", tmp_path / "stalls.log.2"):
        for line in f.read_text().splitlines():
            assert json.loads(line)["event"] == "stall"
    assert os.path.getsize(tmp_path / "stalls.log.1") >= 3072


def test_log_reopens_on_sighup(procs, loopstall, tmp_path):
    log = tmp_path / "stalls.log"
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--log", str(log), "--log-max-size", "0"])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 1, timeout=5)
    time.sleep(0.2)
    # logrotate's way: move the file away, then SIGHUP.
    os.rename(log, tmp_path / "moved.log")
    ls.proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    n = len(ls.stalls(phase="end"))
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 1, timeout=5)
    time.sleep(0.2)
    moved = [json.loads(l) for l in (tmp_path / "moved.log").read_text().splitlines()]
    fresh = [json.loads(l) for l in log.read_text().splitlines()]
    assert moved and fresh, (moved, fresh)
    assert all(r["event"] == "stall" for r in moved + fresh)
    assert ls.proc.poll() is None


def test_syslog_lines(procs, loopstall, tmp_path):
    if os.path.exists("/dev/log"):
        import pytest
        pytest.fail("/dev/log exists: this test binds its own syslog socket there")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("/dev/log")
    try:
        p = start_staller(procs, "periodic")
        ls = loopstall(["-p", str(p.pid), "--syslog"])
        ls.wait_ready()
        ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
        sock.settimeout(2)
        lines = [sock.recv(4096).decode() for _ in range(2)]
    finally:
        sock.close()
        os.unlink("/dev/log")
    assert "loopstall[" in lines[0] and "stall phase=begin" in lines[0], lines
    assert f"pid={p.pid}" in lines[0] and 'comm="python3"' in lines[0] and "syscall=clock_nanosleep" in lines[0]
    assert 'at="periodic_block (' in lines[0] and "stall phase=end" in lines[1], lines


def test_summary_and_metrics_see_every_loop(procs, loopstall):
    """1100 loops: past the 1024 that the SUMMARY records and /metrics read before."""
    p = procs([PYTHON, f"{APPS}/many_loops.py", "1100"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    tids = set(os.listdir(f"/proc/{p.pid}/task")) - {str(p.pid)}
    port = free_port()
    ls = loopstall(["-p", str(p.pid), "--metrics", f"127.0.0.1:{port}", "-d", "4s"])
    ls.wait_ready()
    time.sleep(2)
    m = scrape(port)
    stalled = {s.labels["tid"] for s in m["loopstall_stalled"].samples if s.labels["pid"] == str(p.pid)}
    counted = {s.labels["tid"] for s in m["loopstall_iteration_seconds"].samples
               if s.name == "loopstall_iteration_seconds_count" and s.value > 0}
    assert tids <= stalled, len(stalled)
    assert tids <= counted, len(counted)
    assert ls.proc.wait(timeout=15) == 0
    summaries = {str(r["tid"]) for _, r in ls.records() if r["event"] == "summary"}
    assert tids <= summaries, len(summaries)


def test_loops_past_the_loop_map_are_said_and_counted(procs, loopstall):
    """1100 loop threads, past a loop map of 1024 (--max-loops): said once on stderr, counted in /metrics."""
    p = procs([PYTHON, f"{APPS}/many_loops.py", "1100", "idle"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    port = free_port()
    ls = loopstall(["-p", str(p.pid), "--max-loops", "1024", "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    p.proc.stdin.write("go\n")
    p.proc.stdin.flush()
    deadline = time.monotonic() + 20
    while "the loop map is full" not in ls.stderr():
        assert time.monotonic() < deadline, ls.stderr()
        time.sleep(0.1)
    assert ls.stderr().count("loopstall: the loop map is full (1024 loop threads): loops past it are not watched") == 1
    untracked = scrape(port)["loopstall_loops_untracked"].samples[0].value
    assert 1100 - 1024 <= untracked <= 1100, untracked


def test_children_past_the_watched_set_are_said_and_counted(procs, loopstall):
    """A watched set of 8 processes (--max-processes) and 20 children forked: said once, counted in /metrics."""
    p = procs([PYTHON, f"{APPS}/forker.py", "20"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    port = free_port()
    ls = loopstall(["-p", str(p.pid), "--max-processes", "8", "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    p.proc.stdin.write("go\n")
    p.proc.stdin.flush()
    assert p.proc.stdout.readline().strip() == "forked"
    deadline = time.monotonic() + 20
    while "the watched set is full" not in ls.stderr():
        assert time.monotonic() < deadline, ls.stderr()
        time.sleep(0.1)
    assert ls.stderr().count("loopstall: the watched set is full (8 processes): processes past it are not "
                             "watched") == 1
    unwatched = scrape(port)["loopstall_processes_unwatched"].samples[0].value
    assert unwatched == 20 - 7, unwatched  # the parent and 7 children fit
    p.proc.stdin.write("done\n")
    p.proc.stdin.flush()


def test_exec_that_cannot_run_is_an_error_at_start(tmp_path):
    from test_cli import one_line_error, run
    script = tmp_path / "no-shebang.sh"
    script.write_text("echo hi\n")
    script.chmod(0o755)
    one_line_error(run(["--exec", str(tmp_path), "-d", "1s"]), 2, f"cannot run hook {tmp_path}: Is a directory")
    one_line_error(run(["--exec", "/etc/passwd", "-d", "1s"]), 2, "cannot run hook /etc/passwd: Permission denied")
    one_line_error(run(["--exec", str(script), "-d", "1s"]), 2, "Exec format error")
    one_line_error(run(["--exec", "/nonexistent", "-d", "1s"]), 2, "No such file or directory")


def test_log_on_a_full_disk_keeps_whole_lines(procs, loopstall, tmp_path):
    """A full disk cuts writes short: no half line stays, ENOSPC is said once, logging resumes."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "none", str(disk)], check=True)
    try:
        filler = disk / "filler"
        with open(filler, "wb") as f:
            try:
                f.write(b"x" * (64 << 10))
            except OSError:
                pass
        os.truncate(filler, os.path.getsize(filler) - 6000)  # room for a record or two, not more
        log = disk / "stalls.log"
        p = start_staller(procs, "periodic")
        ls = loopstall(["-p", str(p.pid), "--log", str(log)])
        ls.wait_ready()
        ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 4, timeout=12)
        ls.wait_for(lambda r: "No space left on device" in ls.stderr(), timeout=5)
        os.unlink(filler)
        n = len(ls.stalls(phase="end"))
        ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 2, timeout=8)
        assert ls.stop() == 0
        lines = log.read_text().splitlines()
        assert len(lines) >= 3
        for line in lines:
            assert json.loads(line)["event"] in ("stall", "summary"), line[:80]
        assert ls.stderr().count("No space left on device") == 1, ls.stderr()
    finally:
        subprocess.run(["umount", "-l", str(disk)])


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


def test_exec_refreshes_the_runtime_and_the_name(procs, loopstall, tmp_path):
    """A watched Python process exec()s node: its stalls are node's, named node, with no Python error."""
    from test_node import start_node  # noqa: F401 (the same server)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    port = free_port()
    script = (f"import os, time\nprint('ready', flush=True)\ntime.sleep(1.5)\n"
              f"os.execvp('node', ['node', '{APPS}/node_server.js', '{port}', '{fifo}'])\n")
    p = procs([PYTHON, "-c", script], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "ready"  # node's
    wait_port(port)
    http_get(port, "/fifo")
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and r["pid"] == p.pid)
    assert begin["comm"] == "node", begin
    assert begin.get("runtime") == "node" and "python" not in begin, begin
    assert any(f.get("module", "").endswith("/node") for f in begin["stack"]), begin["stack"]


def test_chatty_hook_never_writes_into_the_records(procs, loopstall, tmp_path):
    """A hook's stdout and stderr go to loopstall's stderr, prefixed, escaped and bounded; stdout is records only."""
    hook = tmp_path / "chatty.sh"
    hook.write_text("#!/bin/sh\necho 'from stdout'\necho 'from stderr \033[31mred' >&2\n"
                    "i=0; while [ $i -lt 2000 ]; do echo \"line $i\"; i=$((i+1)); done\n")
    hook.chmod(0o755)
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook)])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 3, timeout=10)
    time.sleep(0.5)
    assert ls.stop() == 0
    for _, line in ls.lines:
        assert json.loads(line)["event"] in ("stall", "summary"), line
    err = ls.stderr()
    assert re.search(r"loopstall: hook \d+: from stdout", err), err
    assert re.search(r"loopstall: hook \d+: from stderr \\x1b\[31mred", err), err
    assert "\x1b" not in err
    assert "more output, not shown" in err
    assert err.count("loopstall: hook") < 400, len(err)


def test_hostile_name_is_escaped_in_every_sink(procs, loopstall, tmp_path):
    """ESC, a bidi override and U+2028 in a thread name: escaped in text, JSON, metrics, hook variables and syslog."""
    name = "\x1b[31m\u202eab\u2028c"  # 15 bytes
    assert len(name.encode()) <= 15
    hook, out = make_hook(tmp_path)
    p = start_staller(procs, "periodic", STALL_COMM=name)
    port = free_port()
    log = tmp_path / "stalls.log"
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook), "--metrics", f"127.0.0.1:{port}", "--log", str(log)],
                   json_output=False)
    ls.wait_ready()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(l.startswith("STALL END") for _, l in ls.lines):
        time.sleep(0.05)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    time.sleep(0.5)
    ls.stop()
    text = "\n".join(l for _, l in ls.lines)
    for rendering in (text, body.decode(), hook_calls(out)[0][1]["LOOPSTALL_COMM"]):
        assert "\x1b" not in rendering and "\u202e" not in rendering and "\u2028" not in rendering, rendering[:300]
    assert "\\x1b[31m\\u202eab\\u2028c" in text
    assert 'comm="\\\\x1b[31m\\\\u202eab\\\\u2028c"' in body.decode()
    assert hook_calls(out)[0][1]["LOOPSTALL_COMM"] == "\\x1b[31m\\u202eab\\u2028c"
    raw = log.read_bytes()
    assert b"\x1b" not in raw and "\u202e".encode() not in raw and "\u2028".encode() not in raw
    assert json.loads(raw.splitlines()[0])["comm"] == name  # the JSON says it exactly


def test_idle_metrics_connections_do_not_starve_scrapes(procs, loopstall):
    """1500 idle connections (past the default ulimit -n 1024): a scrape still answers, -n matches still work."""
    import resource
    port = free_port()
    ls = loopstall(["-n", "stall_loop.py", "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle = []
    try:
        for _ in range(min(1500, hard - 200)):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        deadline, answered = time.monotonic() + 8, False
        while time.monotonic() < deadline and not answered:
            try:
                answered = "loopstall_records_total" in scrape_text(port)
            except OSError:
                time.sleep(0.2)
        assert answered, "no scrape answered"
        p = start_staller(procs, "periodic")  # started now: matched by -n, watched, reported
        ls.wait_for(lambda r: r["event"] == "stall" and r["pid"] == p.pid, timeout=10)
    finally:
        for s in idle:
            s.close()


def scrape_text(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()


def sched_policies(pid):
    """Each thread's scheduling policy (0 normal, 1 SCHED_FIFO), from /proc/PID/task/*/sched."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/sched") as f:
            out.append(int(re.search(r"^policy\s+:\s+(\d+)", f.read(), re.M).group(1)))
    return sorted(out)


def test_realtime_threads_and_hooks_at_normal_priority(procs, loopstall, tmp_path):
    """--realtime: the detecting thread and the reporter run at SCHED_FIFO 1; a hook it starts does not
    inherit it. By default every thread is normal."""
    seen = tmp_path / "hook-policy"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\nawk '/^policy/ {{print $3}}' /proc/self/sched >> {seen}\n")
    hook.chmod(0o755)
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--realtime", "--exec", str(hook)])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert sched_policies(ls.proc.pid).count(1) == 2, sched_policies(ls.proc.pid)
    time.sleep(0.5)
    assert seen.read_text().split() and set(seen.read_text().split()) == {"0"}, seen.read_text()
    normal = loopstall(["-p", str(p.pid)])
    normal.wait_ready()
    normal.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert set(sched_policies(normal.proc.pid)) == {0}, sched_policies(normal.proc.pid)


def test_realtime_refused_is_said_once_and_detection_goes_on(procs, tmp_path):
    """--realtime without CAP_SYS_NICE (a container without it): one line on stderr, records as before."""
    p = start_staller(procs, "periodic")
    r = subprocess.run(["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", LOOPSTALL, "--json",
                        "--realtime", "-p", str(p.pid), "-d", "2s"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    refused = [l for l in r.stderr.splitlines() if "--realtime refused" in l]
    assert len(refused) == 1, r.stderr
    assert any(json.loads(l).get("phase") == "end" for l in r.stdout.splitlines()), r.stdout


def allowed_cpus(pid):
    """Each thread's CPUs (Cpus_allowed_list of /proc/PID/task/*/status), as sets."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            spec = re.search(r"^Cpus_allowed_list:\s+(\S+)", f.read(), re.M).group(1)
        cpus = set()
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            cpus.update(range(int(lo), int(hi or lo) + 1))
        out.append(cpus)
    return out


def test_detecting_and_reporting_threads_keep_off_a_stalled_loops_cpu(procs, loopstall):
    """A loop stalled on CPU 0 keeps it busy: loopstall's detecting and reporting threads run elsewhere
    until the stall ends (woken there at the threshold they would wait out the loop's time slice)."""
    import threading
    port = free_port()
    server = procs(["taskset", "-c", "0", PYTHON, f"{APPS}/asyncio_server.py", str(port)])
    wait_port(port)
    ls = loopstall(["-p", str(server.pid)])
    ls.wait_ready()
    everywhere = set(os.sched_getaffinity(0))
    assert all(cpus == everywhere for cpus in allowed_cpus(ls.proc.pid)), allowed_cpus(ls.proc.pid)
    request = threading.Thread(target=http_get, args=(port, "/cpu"), daemon=True)
    request.start()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin")
    during = allowed_cpus(ls.proc.pid)
    if len(everywhere) > 1:
        assert sum(1 for cpus in during if cpus and 0 not in cpus) >= 2, during
    else:  # nowhere else to run: nothing changes
        assert all(cpus == everywhere for cpus in during), during
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    request.join(timeout=10)
    deadline = time.monotonic() + 2
    while any(cpus != everywhere for cpus in allowed_cpus(ls.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(cpus == everywhere for cpus in allowed_cpus(ls.proc.pid)), allowed_cpus(ls.proc.pid)
