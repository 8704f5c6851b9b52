"""Targets, signals and bad input, with the real binary."""
import json
import os
import re
import signal
import subprocess
import time

from conftest import APPS, LOOPSTALL, PYTHON, ROOT, one_line_error, python_frames, run_loopstall, start_staller


def bpf_programs():
    """IDs of loaded BPF programs named ls_* (ours)."""
    out = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True, check=True).stdout
    return {l.split(":")[0] for l in out.splitlines() if " name ls_" in l}


def test_every_option_readme_names_is_in_the_option_table():
    """--help is printed from the option table (so is the man page's OPTIONS): an option README names that
    --help does not list is one loopstall does not have."""
    listed = set(re.findall(r"--[a-z][a-z-]+", run_loopstall(["--help"]).stdout + run_loopstall(["report", "--help"]).stdout))
    with open(os.path.join(ROOT, "README.md")) as f:
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", f.read()))
    others = {"--now"}  # systemctl enable --now
    assert "--kill-after" in named and not named - others - listed, named - others - listed


def test_unknown_pid():
    one_line_error(run_loopstall(["-p", "0"]), 2, "invalid PID '0'")
    one_line_error(run_loopstall(["-p", "12,abc"]), 2, "invalid PID 'abc'")
    unused = 4194000  # above this machine's usual pid range, below pid_max
    while os.path.exists(f"/proc/{unused}"):
        unused += 1
    one_line_error(run_loopstall(["-p", str(unused)]), 2, f"no process with PID {unused}")


def test_malformed_durations():
    for bad in ["100", "abc", "5 s", "-1s", "1y", "", "0x10ms", "+1s", " 1s", "1e3ms"]:
        one_line_error(run_loopstall(["-t", bad]), 2, "invalid duration")
    one_line_error(run_loopstall(["-d", "1x"]), 2, "invalid duration")


def test_command_that_cannot_run():
    one_line_error(run_loopstall(["-d", "5s", "--", "/nonexistent/command"]), 1,
                   "cannot run /nonexistent/command: No such file or directory")


def test_inputs_that_cannot_work():
    one_line_error(run_loopstall(["-p", "1,,2"]), 2, "invalid PID '' in '1,,2'")
    one_line_error(run_loopstall(["-p", "1,"]), 2, "invalid PID")
    one_line_error(run_loopstall(["--log-max-size", "17179869184G", "--log", "/tmp/x.log"]), 2, "too large")
    one_line_error(run_loopstall(["-i", "1s"]), 2, "-i and --batch go with loopstall top")  # even the default value
    r = run_loopstall(["-p", ",".join(["1"] * 300), "-d", "100ms"])  # one PID 300 times: watched once
    assert r.returncode == 0 and "watching 1 process and" in r.stderr, r.stderr


def test_bad_options():
    one_line_error(run_loopstall(["--bogus"]), 2, "unknown option")
    one_line_error(run_loopstall(["-p", "1", "-n", "x"]), 2, "one kind of target")
    one_line_error(run_loopstall(["extra"]), 2, "unexpected argument")
    one_line_error(run_loopstall(["-t"]), 2, "needs a value")
    for bad in ("0", "1048577", "64k", "-5"):
        one_line_error(run_loopstall(["--max-loops", bad]), 2, f"invalid number '{bad}' for --max-loops (1 to 1048576)")
        one_line_error(run_loopstall(["--max-processes", bad]), 2, f"invalid number '{bad}' for --max-processes (1 to 1048576)")


def test_not_root_names_missing_capabilities():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                        LOOPSTALL, "-d", "1s"], capture_output=True, text=True, timeout=30)
    one_line_error(r, 3, "missing CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE")


def test_without_btf():
    one_line_error(run_loopstall(["--btf", "/nonexistent/vmlinux", "-d", "1s"]), 4, "kernel BTF not readable")
    one_line_error(run_loopstall(["--btf", "/etc/passwd", "-d", "1s"]), 4, "/etc/passwd is not a BTF file")


def test_bpf_load_failure_says_why_without_verbose(tmp_path):
    """libbpf's warnings say why a load failed, without -v (its debug lines only with -v)."""
    broken = tmp_path / "broken.btf"
    with open("/sys/kernel/btf/vmlinux", "rb") as f:
        broken.write_bytes(f.read(4096))  # a BTF header whose data is cut short
    r = run_loopstall(["--btf", str(broken), "-d", "1s"])
    assert r.returncode == 4, r.stderr
    lines = r.stderr.strip().splitlines()
    assert any(l.startswith("libbpf: ") and "BTF" in l for l in lines[:-1]), r.stderr
    assert lines[-1].startswith("loopstall: cannot load BPF programs: "), r.stderr
    assert f"with the BTF of {broken}" in lines[-1]
    assert not any("libbpf: loading" in l or "libbpf: prog" in l for l in lines), r.stderr
    verbose = run_loopstall(["--btf", str(broken), "-d", "1s", "-v"])
    assert len(verbose.stderr.splitlines()) > len(lines), verbose.stderr


def test_mounts_tracefs_when_it_is_missing():
    """The waits' tracepoints are found in tracefs: with none mounted (a fresh boot without systemd's
    mount), loopstall mounts it and detects. In a mount namespace of its own, the host's stays."""
    script = ("umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; "
              "test -e /sys/kernel/tracing/events && exit 99; exec \"$@\"")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", LOOPSTALL, "--json",
                        "-t", "100ms", "--", PYTHON, "-c",
                        "import asyncio, time\nasync def m():\n    time.sleep(0.3)\nasyncio.run(m())\n"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, (r.returncode, r.stderr)
    phases = [json.loads(l)["phase"] for l in r.stdout.splitlines() if '"event":"stall"' in l.replace(" ", "")]
    assert phases == ["begin", "end"], r.stdout


def test_non_event_loop_target_reports_nothing(procs):
    sleeper = procs(["sleep", "30"])
    r = run_loopstall(["--json", "-p", str(sleeper.pid), "-d", "1500ms"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "error" not in r.stderr.lower()


def test_loop_that_never_comes_back_is_reported(procs, loopstall):
    p = start_staller(procs, "forever")
    ls = loopstall(["-p", str(p.pid), "-t", "200ms"])
    ls.wait_ready()
    _, begin = ls.wait_for(lambda r: r["phase"] == "begin", timeout=5)
    assert begin["cause"] == "lock" and begin["syscall"] == "futex", begin
    assert python_frames(begin)[0]["function"] == "never_returns", begin["stack"]
    time.sleep(1.0)
    assert ls.stalls(phase="end") == []
    # Still stalled when it is killed: the end says the thread exited.
    p.stop()
    _, end = ls.wait_for(lambda r: r["phase"] == "end", timeout=5)
    assert end["exited"] is True and end["duration_ms"] > 1000, end


def test_pid_that_exits_is_said_once_and_the_rest_goes_on(procs, loopstall):
    a = start_staller(procs)
    b = start_staller(procs)
    ls = loopstall(["-p", f"{a.pid},{b.pid}"])
    ls.wait_ready()
    a.stop()
    time.sleep(0.5)
    n0 = len(ls.stalls(pid=b.pid, phase="end"))
    ls.wait_for(lambda r: r.get("pid") == b.pid and r.get("phase") == "end" and len(ls.stalls(pid=b.pid, phase="end")) > n0,
                timeout=5)
    assert ls.stderr().count(f"pid {a.pid} exited") == 1, ls.stderr()
    assert ls.proc.poll() is None
    # Once every target is gone, loopstall is done.
    b.stop()
    assert ls.proc.wait(timeout=5) == 0


def test_sigterm_and_sigint_detach_promptly(procs, loopstall):
    p = start_staller(procs)
    for sig in (signal.SIGTERM, signal.SIGINT):
        before = bpf_programs()  # another instance's may still be being freed
        ls = loopstall(["-p", str(p.pid)])
        ls.wait_ready()
        ours = bpf_programs() - before
        assert len(ours) >= 7, "no ls_ BPF programs while attached"
        t0 = time.monotonic()
        assert ls.stop(sig, timeout=3.0) == 0
        exited = time.monotonic()
        assert exited - t0 < 3.0
        # Detached when the process exits; the kernel frees programs after an RCU grace period.
        while bpf_programs() & ours and time.monotonic() - exited < 3.0:
            time.sleep(0.02)
        assert not bpf_programs() & ours, f"still loaded {time.monotonic() - exited:.2f}s after exit"


def test_name_pattern_includes_processes_started_later(procs, loopstall):
    ls = loopstall(["-n", "stall_loop.py"])
    ls.wait_ready()
    p = start_staller(procs)
    _, r = ls.wait_for(lambda r: r.get("pid") == p.pid and r.get("phase") == "end", timeout=6)
    assert python_frames(r)[0]["function"] == "periodic_block"


def test_name_pattern_past_4k_of_command_line(procs, loopstall):
    """-n reads the whole command line: a pattern 10 KiB in still matches."""
    marker = "needle-" + str(os.getpid())
    p = procs([PYTHON, f"{APPS}/stall_loop.py", "periodic", "x" * 10000, marker], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-n", marker])
    ls.wait_ready()
    ls.wait_for(lambda r: r.get("pid") == p.pid and r.get("phase") == "end", timeout=6)


def test_no_target_watches_every_loop(procs, loopstall):
    p = start_staller(procs)
    ls = loopstall([])
    ls.wait_ready()
    _, r = ls.wait_for(lambda r: r.get("pid") == p.pid and r.get("phase") == "begin", timeout=6)
    assert r["syscall"] == "clock_nanosleep"


def test_command_mode_and_text_output(loopstall):
    ls = loopstall(["-t", "150ms", "--", PYTHON, "-c",
                    "import asyncio, time\n"
                    "async def late_sleeper():\n"
                    "    time.sleep(0.5)\n"
                    "asyncio.run(late_sleeper())\n"], json_output=False)
    assert ls.proc.wait(timeout=20) == 0
    time.sleep(0.2)
    text = [l for _, l in ls.lines]
    begin = [l for l in text if l.startswith("STALL pid")]
    end = [l for l in text if l.startswith("STALL END pid")]
    assert len(begin) == 1 and len(end) == 1, text
    assert "blocked in clock_nanosleep" in begin[0] and "at late_sleeper (<string>:3) [coroutine] [task Task-1]" in begin[0], text
    frames = [l for l in text if l.startswith("    #")]
    assert "native clock_nanosleep" in frames[0], frames
    # asyncio.run's task: the coroutine is named with it.
    assert any(l.endswith("python late_sleeper (<string>:3) [coroutine] [task Task-1]") for l in frames), frames
    # time.sleep(0.5) sleeps about 500 ms (its deadline is taken before the syscall, the timer has slack).
    m = re.search(r"\(cpu \S+, syscall (\d+)ms, runqueue \S+, other \S+\)$", end[0])
    assert m and 495 <= int(m.group(1)) <= 530, end
    # Blocked, not on CPU: no hot line (a sample taken in passing would name the wrong code).
    assert not any(l.startswith("    hot:") for l in text), text


def test_text_hot_line_for_a_cpu_stall(loopstall):
    ls = loopstall(["-t", "150ms", "--", PYTHON, "-c",
                    "import asyncio, time\n"
                    "def spin(seconds):\n"
                    "    end = time.monotonic() + seconds\n"
                    "    while time.monotonic() < end: pass\n"
                    "async def busy():\n"
                    "    spin(0.6)\n"
                    "asyncio.run(busy())\n"], json_output=False)
    assert ls.proc.wait(timeout=20) == 0
    time.sleep(0.2)
    text = [l for _, l in ls.lines]
    end = [i for i, l in enumerate(text) if l.startswith("STALL END pid")]
    assert len(end) == 1, text
    assert text[end[0] + 1].startswith("    hot: spin (<string>:4) "), text
