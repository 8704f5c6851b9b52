"""What a local user cannot make loopstall, running as root, do: write through a planted link or into
their file, run their hook, kill a stopped process; and what it never does silently: lose records,
flood stderr, keep a query string, count a bad duration."""
import json
import os
import pwd
import signal
import subprocess
import threading
import time

from conftest import APPS, LOOPSTALL, PYTHON, start_staller

NOBODY = pwd.getpwnam("nobody")


def shared_dir(tmp_path):
    """A directory anyone may write, sticky: /tmp as most machines have it."""
    d = tmp_path / "shared"
    d.mkdir()
    os.chmod(d, 0o1777)
    return d


def refused(args, what):
    """loopstall with args stops at start: exit 2, one line saying what."""
    r = subprocess.run([LOOPSTALL, *args, "-d", "2s"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and what in r.stderr, (r.returncode, r.stderr)


def precious(tmp_path):
    victim = tmp_path / "precious"
    victim.write_text("root's own\n")
    return victim


# --log

def test_log_through_a_link_someone_planted_is_refused(tmp_path):
    shared, victim = shared_dir(tmp_path), precious(tmp_path)
    link = shared / "a.json"
    link.symlink_to(victim)
    os.lchown(link, NOBODY.pw_uid, NOBODY.pw_gid)
    dangling = shared / "b.json"
    dangling.symlink_to(tmp_path / "created-by-root")
    os.lchown(dangling, NOBODY.pw_uid, NOBODY.pw_gid)
    refused(["--log", str(link)], "a symbolic link")
    refused(["--log", str(dangling)], "a symbolic link")
    assert victim.read_text() == "root's own\n"
    assert not (tmp_path / "created-by-root").exists()


def test_log_into_a_file_others_own_or_may_write_is_refused(tmp_path):
    shared = shared_dir(tmp_path)
    theirs = shared / "theirs.json"
    theirs.write_text("")
    os.chown(theirs, NOBODY.pw_uid, NOBODY.pw_gid)
    open_to_all = shared / "open.json"
    open_to_all.write_text("")
    os.chmod(open_to_all, 0o666)
    linked = shared / "linked.json"
    os.link(precious(tmp_path), linked)
    refused(["--log", str(theirs)], f"owned by uid {NOBODY.pw_uid}")
    refused(["--log", str(open_to_all)], "writable by others")
    refused(["--log", str(linked)], "hard link")
    assert theirs.read_text() == open_to_all.read_text() == ""
    wide_open = tmp_path / "open"
    wide_open.mkdir()
    os.chmod(wide_open, 0o777)
    refused(["--log", str(wide_open / "c.json")], "writable by anyone and not sticky")


def test_log_rotation_never_writes_where_a_link_is_planted(procs, loopstall, tmp_path):
    """A symlink() loop against --log-max-size 1K: root's loopstall never writes through it."""
    shared = shared_dir(tmp_path)
    log = shared / "stalls.json"
    target = tmp_path / "pwned"
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "-t", "50ms", "--log", str(log), "--log-max-size", "1K", "--log-keep", "2"])
    ls.wait_ready()
    stop = threading.Event()
    won = []

    def plant():
        while not stop.is_set():
            try:
                os.symlink(target, log)
                won.append(1)
            except FileExistsError:
                pass

    attacker = threading.Thread(target=plant)
    attacker.start()
    time.sleep(5)
    stop.set()
    attacker.join()
    ls.stop()
    assert not target.exists(), "root wrote through a planted link"
    assert (shared / "stalls.json.1").exists(), "the log never rotated"
    # Where the planter won a race (not every run, on a loaded host), loopstall said it refused the name.
    assert not won or "cannot start a new" in ls.stderr(), ls.stderr()


def test_log_is_created_root_only_readable(procs, loopstall, tmp_path):
    log = tmp_path / "logs" / "stalls.json"
    log.parent.mkdir()
    p = start_staller(procs)
    ls = loopstall(["-p", str(p.pid), "--log", str(log)])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    st = os.stat(log)
    assert st.st_mode & 0o777 == 0o640 and st.st_uid == 0, oct(st.st_mode)


# --exec

HOOK = "#!/bin/sh\necho {word} >> {marker}\n"


def marker_hook(directory, marker, word):
    hook = directory / "hook.sh"
    hook.write_text(HOOK.format(word=word, marker=marker))
    hook.chmod(0o755)
    return hook


def test_hook_others_may_change_is_refused(tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    hook = marker_hook(hooks, tmp_path / "marker", "ran")
    os.chown(hook, NOBODY.pw_uid, NOBODY.pw_gid)
    refused(["--exec", str(hook)], f"it is owned by uid {NOBODY.pw_uid}")
    os.chown(hook, 0, 0)
    hook.chmod(0o777)
    refused(["--exec", str(hook)], "it is writable by others")
    hook.chmod(0o755)
    os.chmod(hooks, 0o777)
    refused(["--exec", str(hook)], "its directory is writable by others")
    assert not (tmp_path / "marker").exists()


def test_hook_swapped_after_start_is_not_what_runs(procs, loopstall, tmp_path):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    marker = tmp_path / "marker"
    hook = marker_hook(hooks, marker, "original")
    p = start_staller(procs)
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook)])
    ls.wait_ready()
    swapped = hooks / "new.sh"
    swapped.write_text(HOOK.format(word="swapped", marker=marker))
    swapped.chmod(0o755)
    os.rename(swapped, hook)  # the path names another file now
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert set(marker.read_text().split()) == {"original"}, marker.read_text()


# Kills, losses, stderr

def test_a_stopped_process_is_never_killed(procs, loopstall):
    p = start_staller(procs)
    ls = loopstall(["-p", str(p.pid), "-t", "200ms", "--kill-after", "1s"])
    ls.wait_ready()
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGSTOP)
    time.sleep(3)
    kills = [r for _, r in ls.records() if r["event"] == "kill"]
    os.kill(p.pid, signal.SIGCONT)
    assert kills == [], kills
    assert p.proc.poll() is None
    assert any(r["cause"] == "stopped" for r in ls.stalls()), ls.stalls()


def test_lost_records_are_said(procs, loopstall):
    """loopstall stopped beside loops that keep stalling on the CPU: its ring buffer overflows."""
    burners = [procs([PYTHON, f"{APPS}/burner.py"], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    for b in burners:
        assert b.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", ",".join(str(b.pid) for b in burners), "-t", "20ms"])
    ls.wait_ready()
    time.sleep(1)
    os.kill(ls.proc.pid, signal.SIGSTOP)
    time.sleep(8)
    os.kill(ls.proc.pid, signal.SIGCONT)
    _, lost = ls.wait_for(lambda r: r["event"] == "lost", timeout=15)
    assert lost["kernel_events"] > 0 and lost["since"] < lost["until"], lost
    deadline = time.monotonic() + 5
    while "loopstall: lost " not in ls.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "loopstall: lost " in ls.stderr(), ls.stderr()


def test_exits_do_not_flood_stderr(procs, loopstall):
    forker = procs([PYTHON, f"{APPS}/forker.py", "60"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert forker.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(forker.pid)])
    ls.wait_ready()
    forker.proc.stdin.write("go\n")
    forker.proc.stdin.flush()
    assert forker.proc.stdout.readline().strip() == "forked"
    forker.proc.stdin.write("stop\n")  # the children are killed, then the forker exits
    forker.proc.stdin.flush()
    assert ls.proc.wait(timeout=20) == 0
    lines = ls.stderr().splitlines()
    one_by_one = [l for l in lines if l.endswith(" exited") and l.startswith("loopstall: pid ")]
    assert len(one_by_one) == 10, lines
    assert any("more watched processes exited in the last" in l for l in lines), lines


# Records

def test_report_skips_durations_no_stall_can_have(tmp_path):
    good = {"event": "stall", "phase": "end", "start": "2026-12-07T03:00:00.000Z", "pid": 10, "tid": 10,
            "comm": "python3", "duration_ms": 500.0, "threshold_ms": 100, "cause": "syscall",
            "breakdown_ms": {"cpu": 0, "syscall": 500, "runqueue": 0, "other": 0, "stopped": 0}, "stack": []}
    lines = [json.dumps(good)]
    for bad in ("1e308", "18446744073709551616", "-5"):
        lines.append(json.dumps(good).replace('"duration_ms": 500.0', f'"duration_ms": {bad}'))
    log = tmp_path / "stalls.json"
    log.write_text("\n".join(lines) + "\n")
    r = subprocess.run([LOOPSTALL, "report", "--json", str(log)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["lines_skipped"] == 3 and summary["stalls"] == 1, summary


# Memory

def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024


def test_memory_goes_back_after_5000_loop_threads_stall_and_exit(procs, loopstall):
    app = procs([PYTHON, f"{APPS}/thread_churn.py", "5000", "1000"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True)
    assert app.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(app.pid)])
    ls.wait_ready()
    time.sleep(2)  # its symbols warmed
    before = rss_mib(ls.proc.pid)
    app.proc.stdin.write("go\n")
    app.proc.stdin.flush()
    assert app.proc.stdout.readline().strip() == "done"
    time.sleep(3)
    after = rss_mib(ls.proc.pid)
    assert len(ls.stalls(phase="end")) >= 1000, len(ls.stalls(phase="end"))
    # The previous binary kept 8-9 MiB of it on a quiet host (the issue saw 51 MiB host-wide), this one
    # 2-4 MiB; a loaded host keeps more queued for a while. The bar is the issue's.
    assert after - before < 16, (before, after)


def test_processes_of_one_binary_share_its_file_in_loopstall(procs, loopstall):
    """Six workers of one Python: loopstall maps the interpreter's binary and libc a few times, not
    once per worker and thread, and keeps none of the workers' files open once they are gone."""
    apps = [start_staller(procs) for _ in range(6)]
    bystander = procs(["sleep", "600"])  # keeps loopstall running once the workers are gone
    ls = loopstall(["-p", ",".join(str(a.pid) for a in apps + [bystander])])
    ls.wait_ready()
    for a in apps:
        _, r = ls.wait_for(lambda r: r["pid"] == a.pid and r["phase"] == "end", timeout=15)
        assert r["via"]["function"] == "time.sleep", r["via"]
    binaries = [os.path.realpath(PYTHON), os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6")]
    with open(f"/proc/{ls.proc.pid}/maps") as f:
        maps = [l.split() for l in f]
    fds = [os.path.realpath(f"/proc/{ls.proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{ls.proc.pid}/fd")]
    for b in binaries:
        # libelf maps a file whole (loopstall's own libc is mapped by segments: not counted)
        size = os.path.getsize(b)
        whole = [m for m in maps if m[-1] == b and int(m[0].split("-")[1], 16) - int(m[0].split("-")[0], 16) >= size]
        # The reporter's table; the detecting thread's table, and the files of each process warmed for it
        # before they were shared (the first worker; sleep's libc): 3 of the interpreter, 12 before.
        assert 1 <= len(whole) <= 4, (b, len(whole))
        assert fds.count(b) <= 2, (b, fds.count(b))
    # Once the workers are gone, so is every file loopstall opened for them (the previous binary kept
    # the first worker's open for good).
    for a in apps:
        a.stop()
    python = os.path.realpath(PYTHON)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert ls.proc.poll() is None, ls.stderr()
        fds = [os.path.realpath(f"/proc/{ls.proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{ls.proc.pid}/fd")]
        if python not in fds:
            break
        time.sleep(0.2)
    assert python not in fds, fds.count(python)


def test_a_small_memory_limit_is_no_silent_oom_kill(procs, tmp_path):
    """In a 30 MiB memory cgroup beside a storm of stalls, loopstall lives on: it queues what fits and
    says what it dropped (without its caps it is OOM-killed within 8 s, saying nothing)."""
    cgroup = f"/sys/fs/cgroup/memory/loopstall-test-{os.getpid()}"
    os.makedirs(cgroup, exist_ok=True)
    try:
        with open(f"{cgroup}/memory.limit_in_bytes", "w") as f:
            f.write(str(30 << 20))
        app = procs([PYTHON, f"{APPS}/thread_churn.py", "3000", "500"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True)
        assert app.proc.stdout.readline().strip() == "ready"
        ls = subprocess.Popen(["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh", LOOPSTALL,
                               "--json", "-p", str(app.pid), "-d", "12s"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        app.proc.stdin.write("go\n")
        app.proc.stdin.flush()
        out, err = ls.communicate(timeout=60)
        assert ls.returncode == 0, (ls.returncode, err[-2000:])
        with open(f"{cgroup}/memory.failcnt") as f:
            failcnt = int(f.read())
        stalls = [l for l in out.splitlines() if '"event":"stall"' in l]
        assert stalls, err
        # Whatever did not fit was said.
        assert failcnt == 0 or "loopstall: lost " in err or "memory limit" in err, (failcnt, err)
    finally:
        os.rmdir(cgroup)


def test_near_its_open_file_limit_it_says_so(procs, loopstall):
    """A limit of open files just above what loopstall keeps open once its target is warmed: it says so
    once, and still reports. What it keeps open varies between runs (what warming could open under the
    limit), so the limit is set from what the run before it held, until a run holds past 80% of it."""
    app = start_staller(procs)
    ls = loopstall(["-p", str(app.pid)])
    ls.wait_ready()
    time.sleep(2)
    limit = len(os.listdir(f"/proc/{ls.proc.pid}/fd")) + 4
    ls.stop()
    for _ in range(3):
        run = subprocess.Popen(["prlimit", f"--nofile={limit}:{limit}", LOOPSTALL, "--json", "-p", str(app.pid),
                                "-d", "4s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        counts = []
        while run.poll() is None:
            try:
                counts.append(len(os.listdir(f"/proc/{run.pid}/fd")))
            except FileNotFoundError:
                break
            time.sleep(0.1)
        out, err = run.communicate(timeout=30)
        assert run.returncode == 0, err
        held = min(counts[-20:-5]) if len(counts) > 25 else 0  # its last seconds, before it closes its files
        if held * 10 > limit * 8:
            break
        limit = held + 4
    else:
        raise AssertionError(f"three runs never held 80% of their limit: {counts}")
    said = [l for l in err.splitlines() if "open files in use" in l]
    assert len(said) == 1 and f"of its {limit} open files" in said[0] and "LimitNOFILE=" in said[0], (counts, err)
    assert any(json.loads(l).get("event") == "stall" for l in out.splitlines()), out[-2000:]
