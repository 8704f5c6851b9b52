"""--exec hooks: the record as JSON on stdin and in variables, a slow hook, a hostile process name, a hook
that cannot run, and a chatty hook's output kept out of the records."""
import json
import os
import re
import time

from conftest import hook_calls, make_hook, one_line_error, run_loopstall, start_staller


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


def test_exec_that_cannot_run_is_an_error_at_start(tmp_path):
    script = tmp_path / "no-shebang.sh"
    script.write_text("echo hi\n")
    script.chmod(0o755)
    one_line_error(run_loopstall(["--exec", str(tmp_path), "-d", "1s"]), 2, f"cannot run hook {tmp_path}: Is a directory")
    one_line_error(run_loopstall(["--exec", "/etc/passwd", "-d", "1s"]), 2, "cannot run hook /etc/passwd: Permission denied")
    one_line_error(run_loopstall(["--exec", str(script), "-d", "1s"]), 2, "Exec format error")
    one_line_error(run_loopstall(["--exec", "/nonexistent", "-d", "1s"]), 2, "No such file or directory")


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
