"""loopstall top: the dashboard in a real terminal (tmux), and its batch mode.

Each dashboard runs in a tmux server and session of its own, named uniquely
and killed by that name; loopstall and the apps are stopped by PID.
"""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

import conftest
from conftest import python_frames, start_loop

# LOOPSTALL_BIN tests another build (e.g. make BUILD=/tmp/x) with these tests.
LOOPSTALL = os.environ.get("LOOPSTALL_BIN", conftest.LOOPSTALL)
EVIL = "\x1b[31mEVIL"  # a thread name that would turn the terminal red if printed raw
EVIL_SHOWN = "\\x1b[31mEVIL"


def row_of(screen, pid):
    """The table row (line) of pid, or None."""
    for line in screen.splitlines():
        if re.match(rf"{pid}\s", line):
            return line
    return None


def row_index(screen, pid):
    for i, line in enumerate(screen.splitlines()):
        if re.match(rf"{pid}\s", line):
            return i
    return None


def header(screen):
    return next(l for l in screen.splitlines() if l.startswith("PID "))


def test_dashboard_rows_state_culprit_sort_and_filter(procs, dashboard):
    idle = start_loop(procs, 0, 0.2)
    staller = start_loop(procs, 0.5, 0.5)  # started second: a higher PID, below idle in PID order
    assert staller.pid > idle.pid
    d = dashboard(["-p", f"{idle.pid},{staller.pid}", "-i", "200ms"])

    screen = d.wait_for(lambda s: row_of(s, idle.pid) and row_of(s, staller.pid), what="both rows")
    assert "loopstall top" in screen.splitlines()[0]
    assert re.search(r"PID\s+(TID\s+)?COMM\s+(SERVICE\s+)?RUNTIME\s+STATE\*", header(screen)), header(screen)

    # STALLED, live, with the duration so far (at least the 100ms threshold, at most the 0.5s block).
    screen = d.wait_for(lambda s: "STALLED" in (row_of(s, staller.pid) or ""), what="STALLED state")
    row = row_of(screen, staller.pid)
    assert re.search(rf"^{staller.pid}\s+({staller.pid}\s+)?python3\s+(periodic_staller.py\s+)?python\s+STALLED (\d+)ms",
                     row), row
    ms = int(re.search(r"STALLED (\d+)ms", row).group(1))
    assert 100 <= ms <= 600, row
    assert "STALLED" not in row_of(screen, idle.pid) and "idle" in row_of(screen, idle.pid)

    # The culprit: the syscall and the innermost Python frame; the status line has it in full.
    screen = d.wait_for(lambda s: "clock_nanosleep in periodic_block (apps/periodic_staller.py:" in s, what="culprit")
    assert "clock_nanosleep in periodic" in row_of(screen, staller.pid)
    # Once a stall ended (STALLS: window/total), and while it is not stalled right now,
    # worst stall first still puts the stalling loop above the idle one despite its higher PID.
    screen = d.wait_for(lambda s: re.search(r"\sidle\s.*\s\d+/[1-9]\d*\s", row_of(s, staller.pid) or ""),
                        what="an ended stall")
    assert row_index(screen, staller.pid) < row_index(screen, idle.pid), screen

    # `s` moves the sort marker to the next column.
    d.keys("s")
    screen = d.wait_for(lambda s: "sort: busy%" in s, timeout=2, what="sort by busy%")
    assert "BUSY%*" in header(screen) and "STATE*" not in header(screen), header(screen)

    # `/` filters by PID; Esc clears the filter.
    d.keys("/", str(idle.pid), "Enter")
    screen = d.wait_for(lambda s: f"filter: {idle.pid}" in s and row_of(s, staller.pid) is None, timeout=2,
                        what="filtered view")
    assert row_of(screen, idle.pid), screen
    d.keys("Escape")
    d.wait_for(lambda s: row_of(s, staller.pid) and row_of(s, idle.pid) and "filter:" not in s, timeout=2,
               what="unfiltered view")


def test_detail_pane_and_quit(procs, dashboard):
    staller = start_loop(procs, 0.3, 1)
    d = dashboard(["-p", str(staller.pid), "-i", "300ms"])
    # A stall that ended: the STALLS column counts it (window/total).
    d.wait_for(lambda s: re.search(r"\s\d+/[1-9]\d*\s", row_of(s, staller.pid) or ""), what="an ended stall")

    d.keys("Enter")

    def bars(screen):
        return re.findall(r"<(\S+)\s+\|(#+)\s+(\d+)", screen)

    # The histogram of iteration times: a bar for the short iterations and one for the stalls
    # (the pane refreshes; a loop that has run one short iteration so far has only one bar).
    screen = d.wait_for(lambda s: f"Details of pid {staller.pid}" in s
                        and any(b[0].endswith("us") for b in bars(s))
                        and any(b[0].endswith("ms") and int(b[2]) >= 1 for b in bars(s)),
                        timeout=10, what="detail pane with both kinds of iterations")
    # The last stall's full report: cause, breakdown, stack with kinds (the next stall may have begun).
    assert re.search(r"Stall of \d+ms( so far \(going on\))?, began \d\d:\d\d:\d\d\.\d{3}, threshold 100ms", screen), \
        screen
    assert "blocked in clock_nanosleep" in screen
    assert re.search(r"breakdown: cpu \S+, syscall \S+, runqueue \S+, other \S+", screen), screen
    assert re.search(r"#\d+\s+native clock_nanosleep", screen), screen
    assert re.search(r"#\d+\s+python periodic_block \(.*periodic_staller\.py:\d+\)", screen), screen
    assert re.search(r"#\d+\s+python main \(.*\) \[coroutine\]", screen), screen
    # The histogram of iteration times: a bar for the short iterations and one for the stalls.
    assert "Iteration times since watched" in screen

    d.keys("Escape")
    d.wait_for(lambda s: row_of(s, staller.pid) and "Details of" not in s, timeout=2, what="the list again")

    # q: loopstall exits within a second and the shell's screen is back.
    d.keys("q")
    start = time.monotonic()
    screen = d.wait_for(lambda s: "loopstall exited 0" in s, timeout=3, what="exit")
    while d.running() and time.monotonic() - start < 3:
        time.sleep(0.02)
    assert not d.running()
    assert time.monotonic() - start < 3.0
    assert "loopstall: watching 1 process" in screen and "LAST CULPRIT" not in screen, screen


def test_80x24_resize_and_escaped_comm(procs, dashboard):
    evil = start_loop(procs, 0.3, 1, EVIL)
    d = dashboard(["-p", str(evil.pid), "-i", "200ms"], width=120, height=30)
    screen = d.wait_for(lambda s: row_of(s, evil.pid) and "periodic_block" in s, what="row and culprit")
    # The name shows escaped: no raw escape sequence reached the terminal.
    assert EVIL_SHOWN in row_of(screen, evil.pid), screen

    d.tmux("resize-window", "-t", d.name, "-x", "80", "-y", "24")
    screen = d.wait_for(lambda s: len(s.splitlines()[0]) <= 80 and "TID" not in header(s), timeout=3,
                        what="the 80-column layout")
    lines = screen.splitlines()
    assert len(lines) <= 24 and all(len(l) <= 80 for l in lines), screen
    row = row_of(screen, evil.pid)
    assert re.match(rf"{evil.pid}\s+{re.escape(EVIL_SHOWN)}\s+python\s+(idle|busy|STALLED)", row), row
    assert "STALLS" in header(screen) and "LAST CULPRIT" in header(screen)
    d.wait_for(lambda s: "STALLED" in (row_of(s, evil.pid) or ""), what="STALLED at 80x24")
    d.keys("q")
    d.wait_for(lambda s: "loopstall exited 0" in s, timeout=3, what="exit")


def test_records_keep_flowing_while_full_screen(procs, dashboard, tmp_path):
    """Full screen, stalls and kills still reach --log, --exec and --metrics."""
    staller = start_loop(procs, 3, 0.3)  # blocks 3 s: killed after 500 ms
    idle = start_loop(procs, 0, 0.2)  # keeps loopstall going once the staller is gone
    log = tmp_path / "stalls.jsonl"
    calls = tmp_path / "calls"
    calls.mkdir()
    hook = tmp_path / "hook.sh"
    # Written whole, then renamed: a reader never sees half a record.
    hook.write_text(f'#!/bin/sh\nf="{calls}/$(date +%s%N)"\ncat > "$f.tmp" && mv "$f.tmp" "$f.json"\n')
    hook.chmod(0o700)
    port = conftest.free_port()
    d = dashboard(["-p", f"{staller.pid},{idle.pid}", "-i", "300ms", "--log", str(log), "--exec", str(hook),
                   "--metrics", f"127.0.0.1:{port}", "--kill-after", "500ms"])
    d.wait_for(lambda s: row_of(s, staller.pid), what="the row")
    assert staller.proc.wait(timeout=10) == -signal.SIGTERM

    deadline = time.monotonic() + 5
    while True:
        logged = [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []
        hooked = [json.loads(f.read_text()) for f in sorted(calls.glob("*.json"))]
        if ({"begin", "kill"} <= {r.get("phase", r["event"]) for r in logged}
                and "kill" in {r["event"] for r in hooked}) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    kills = [r for r in logged if r["event"] == "kill"]
    assert kills, logged
    kill = kills[0]
    assert kill["pid"] == staller.pid and kill["signal"] == "TERM", kill
    assert python_frames(kill["stall"])[0]["function"] == "periodic_block", kill
    assert any(r["event"] == "stall" and r["phase"] == "begin" and r["pid"] == staller.pid for r in logged), logged
    assert any(r["event"] == "kill" and r["pid"] == staller.pid for r in hooked), hooked
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    kills = [s.value for f in text_string_to_metric_families(body) for s in f.samples
             if s.name == "loopstall_kills_total"]
    assert kills == [1], body
    assert d.running()
    d.keys("q")
    d.wait_for(lambda s: "loopstall exited 0" in s, timeout=3, what="exit")


def snapshots(stdout):
    return [s for s in stdout.split("\n\n") if s.strip()]


def test_batch_snapshots(procs, tmp_path):
    staller = start_loop(procs, 0.3, 0.5)
    evil = start_loop(procs, 0, 0.2, EVIL)
    log = tmp_path / "stalls.jsonl"
    r = subprocess.run([LOOPSTALL, "top", "--batch", "-i", "500ms", "-p", f"{staller.pid},{evil.pid}", "-d", "3s",
                        "--log", str(log)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    shots = snapshots(r.stdout)
    assert 5 <= len(shots) <= 8, r.stdout
    for shot in shots:
        lines = shot.splitlines()
        assert lines[0].startswith("loopstall top "), shot
        # SERVICE once the reporter has read the processes' command lines
        assert re.match(r"PID\s+TID\s+COMM\s+(SERVICE\s+)?RUNTIME\s+STATE\*\s+ITER/S\s+BUSY%\s+P50\s+P99\s+MAX\s+STALLS\s+"
                        r"LAST CULPRIT", lines[1]), shot
    last = shots[-1]
    row = row_of(last, staller.pid)
    assert re.match(rf"{staller.pid}\s+{staller.pid}\s+python3\s+periodic_staller.py\s+python\s+", row), last
    assert "clock_nanosleep in periodic_block (apps/periodic_staller.py:" in row, row
    # Worst first: the staller above the loop that never stalls.
    assert row_index(last, staller.pid) < row_index(last, evil.pid), last
    # Escaped: the raw name never reaches stdout.
    assert "\x1b" not in r.stdout
    assert EVIL_SHOWN in row_of(last, evil.pid), last
    # Stall records go to the other sinks, not to stdout.
    assert not re.search(r"^STALL", r.stdout, re.M)
    records = [json.loads(l) for l in log.read_text().splitlines()]
    assert any(x.get("event") == "stall" and x.get("phase") == "end" and x["pid"] == staller.pid for x in records)


def test_batch_when_stdout_is_no_terminal(procs):
    staller = start_loop(procs, 0.3, 0.5)
    r = subprocess.run([LOOPSTALL, "top", "-i", "400ms", "-p", str(staller.pid), "-d", "1500ms"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    shots = snapshots(r.stdout)
    assert len(shots) >= 3 and row_of(shots[-1], staller.pid), r.stdout
    assert "\x1b" not in r.stdout  # no curses escape sequences in a pipe


def test_batch_json_records_flow_between_snapshots(procs):
    staller = start_loop(procs, 0.3, 0.5)
    r = subprocess.run([LOOPSTALL, "top", "--batch", "--json", "-i", "500ms", "-p", str(staller.pid), "-d", "3s"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    records = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    ends = [x for x in records if x["event"] == "stall" and x["phase"] == "end" and x["pid"] == staller.pid]
    assert ends and ends[0]["cause"] == "syscall", records
    text = "\n".join(l for l in r.stdout.splitlines() if not l.startswith("{"))
    assert len(snapshots(text)) >= 4, r.stdout
    # Full screen, the terminal is the dashboard's: JSON needs --batch (or --log).
    bad = subprocess.run([LOOPSTALL, "top", "--json"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--json in loopstall top goes with --batch" in bad.stderr
