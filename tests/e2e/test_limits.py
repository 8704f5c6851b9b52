"""Past the limits and beside the loops: 1100 loops, a full loop map and watched set, a target that exec()s
node, loopstall's threads at realtime priority by default (and refused it), and kept off a stalled loop's CPU."""
import json
import os
import re
import subprocess
import time

from conftest import APPS, LOOPSTALL, PYTHON, free_port, http_get, scrape, start_staller, wait_port


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


def test_exec_refreshes_the_runtime_and_the_name(procs, loopstall, tmp_path):
    """A watched Python process exec()s node: its stalls are node's, named node, with no Python error."""
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


def sched_policies(pid):
    """Each thread's scheduling policy (0 normal, 1 SCHED_FIFO), from /proc/PID/task/*/sched."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/sched") as f:
            out.append(int(re.search(r"^policy\s+:\s+(\d+)", f.read(), re.M).group(1)))
    return sorted(out)


def test_realtime_threads_and_hooks_at_normal_priority(procs, loopstall, tmp_path):
    """By default (CAP_SYS_NICE allowing it) the detecting thread and the reporter run at SCHED_FIFO 1; a
    hook it starts does not inherit it. With --no-realtime every thread is normal."""
    seen = tmp_path / "hook-policy"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\nawk '/^policy/ {{print $3}}' /proc/self/sched >> {seen}\n")
    hook.chmod(0o755)
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook)])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert sched_policies(ls.proc.pid).count(1) == 2, sched_policies(ls.proc.pid)
    time.sleep(0.5)
    assert seen.read_text().split() and set(seen.read_text().split()) == {"0"}, seen.read_text()
    normal = loopstall(["-p", str(p.pid), "--no-realtime"])
    normal.wait_ready()
    normal.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert set(sched_policies(normal.proc.pid)) == {0}, sched_policies(normal.proc.pid)


def test_realtime_refused_is_said_once_when_asked_and_detection_goes_on(procs, tmp_path):
    """Without CAP_SYS_NICE (a container without it): normal priority, records as before; said once on
    stderr only when --realtime asked for it."""
    p = start_staller(procs, "periodic")
    for asked in (False, True):
        r = subprocess.run(["setpriv", "--inh-caps=-sys_nice", "--bounding-set=-sys_nice", LOOPSTALL, "--json",
                            *(["--realtime"] if asked else []), "-p", str(p.pid), "-d", "2s"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        refused = [l for l in r.stderr.splitlines() if "--realtime refused" in l]
        assert len(refused) == (1 if asked else 0), r.stderr
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
