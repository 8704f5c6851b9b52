"""loopstall report over a log written by a real run: ranking, filters, rotated and gzip'd files, stdin,
bad lines, folded stacks, and a speedscope file checked against speedscope's own schema (its npm package)."""
import gzip
import json
import os
import re
import subprocess
import time

import pytest

from conftest import APPS, LOOPSTALL, PYTHON, ROOT, command

SPEEDSCOPE = "speedscope@1.22.2"
NPM_DIR = os.path.join(ROOT, "build", "npm")
SCHEMA = os.path.join(NPM_DIR, "node_modules", "speedscope", "dist", "release", "file-format-schema.json")


def stdin_app(procs, script):
    p = procs([PYTHON, f"{APPS}/{script}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


def report(*args, stdin=None):
    r = subprocess.run([LOOPSTALL, "report", *args], capture_output=True, text=True, timeout=60, input=stdin)
    return r


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """One run of loopstall --log over two processes: time.sleep three times, a child once, a queue once."""
    from conftest import Loopstall, Process
    path = tmp_path_factory.mktemp("report") / "stalls.log"
    calls = Process([PYTHON, f"{APPS}/blocking_calls.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    waits = Process([PYTHON, f"{APPS}/waits.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ls = None
    try:
        for p in (calls, waits):
            assert p.proc.stdout.readline().strip() == "ready"
        ls = Loopstall(["-p", f"{calls.pid},{waits.pid}", "--log", str(path)])
        ls.wait_ready()
        for _ in range(3):
            command(calls, "sleep")
        command(waits, "child")
        command(calls, "queue")
        time.sleep(0.5)
        assert ls.stop() == 0
    finally:
        if ls and ls.proc.poll() is None:
            ls.proc.kill()
        calls.stop()
        waits.stop()
    return {"path": path, "calls": calls.pid, "waits": waits.pid}


def rows(args):
    r = report("--json", *args)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert lines[-1]["event"] == "report"
    return lines[:-1], lines[-1]


def test_culprits_are_ranked_by_total_stall_time(log):
    culprits, summary = rows([str(log["path"])])
    names = [c["culprit"]["function"] for c in culprits]
    assert names[:3] == ["nap", "run", "wait_for_job"], culprits
    nap = culprits[0]
    assert nap["stalls"] == 3 and 1650 < nap["total_ms"] < 2100, nap
    assert nap["cause"] == "syscall" and nap["pids"] == [log["calls"]] and nap["comms"] == ["python3"], nap
    assert nap["p50_ms"] <= nap["p99_ms"] <= nap["max_ms"] and 560 < nap["p50_ms"] < 700, nap
    assert nap["first"] < nap["last"], nap
    assert nap["hint"]["id"] == "py-time-sleep", nap
    assert culprits[1]["pids"] == [log["waits"]] and culprits[1]["hint"]["id"] == "py-subprocess", culprits[1]
    assert culprits[2]["hint"]["id"] == "py-queue-get", culprits[2]
    assert summary["lines_skipped"] == 0 and summary["stalls"] == len([1 for c in culprits for _ in range(c["stalls"])])

    # The table says the same, a hint under each row
    r = report(str(log["path"]))
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0].split()[:3] == ["TOTAL", "STALLS", "P50"], out
    assert "nap (apps/blocking_calls.py:" in out[1] and " 3 " in out[1], out
    assert out[2].strip().startswith("hint: time.sleep blocks the event loop"), out
    assert "run (apps/waits.py:" in out[3], out


def test_filters(log):
    path = str(log["path"])
    by_pid, _ = rows(["--pid", str(log["waits"]), path])
    assert [c["culprit"]["function"] for c in by_pid] == ["run"], by_pid
    assert rows(["--comm", "node*", path])[0] == []
    assert rows(["--comm", "pyth?n3", path])[0][0]["culprit"]["function"] == "nap"
    all_rows, _ = rows([path])
    first = min(c["first"] for c in all_rows)
    assert rows(["--until", first.replace("T", " ")[:-1], path])[0] == []
    assert rows(["--since", "1h", path])[0] == all_rows
    assert rows(["--since", "2d", "--until", "1d", path])[0] == []
    for bad in (["--since", "yesterday"], ["--pid", "1,"], ["--pid", "x"], ["--json", "--folded"], ["--nope"]):
        r = report(*bad, path)
        assert r.returncode == 2 and r.stderr.startswith("loopstall: report: "), (bad, r)
    r = report(os.path.join(os.path.dirname(path), "missing.log"))
    assert r.returncode == 2 and "cannot open" in r.stderr, r


def test_rotated_gzipped_stdin_and_bad_lines(log, tmp_path):
    lines = log["path"].read_text().splitlines(keepends=True)
    half = len(lines) // 2
    with gzip.open(tmp_path / "stalls.log.2.gz", "wt") as f:
        f.writelines(lines[:half])
    end = next(l for l in lines if '"phase":"end"' in l)
    (tmp_path / "stalls.log.1").write_text("".join(lines[half:]) + "garbage\n" + end[:len(end) // 2] + "\n")
    whole, _ = rows([str(log["path"])])
    parts, summary = rows([str(tmp_path / "stalls.log.2.gz"), str(tmp_path / "stalls.log.1")])
    assert parts == whole
    assert summary["lines_skipped"] == 2, summary
    r = report(str(tmp_path / "stalls.log.1"))
    assert r.returncode == 0
    assert r.stderr.count("\n") == 1 and "2 lines skipped" in r.stderr and "stalls.log.1:" in r.stderr, r.stderr
    # stdin
    r = report("--json", "-", stdin="".join(lines))
    assert r.returncode == 0 and [json.loads(l) for l in r.stdout.splitlines()][:-1] == whole


def test_folded_stacks_parse_line_by_line(log):
    r = report("--folded", str(log["path"]))
    assert r.returncode == 0, r.stderr
    total = 0
    naps = 0
    for line in r.stdout.splitlines():
        m = re.fullmatch(r"(\S.*) (\d+)", line)
        assert m, line
        frames = m.group(1).split(";")
        assert frames[0] == "python3" and all(frames), line
        total += int(m.group(2))
        if any(f.startswith("nap (apps/blocking_calls.py:") for f in frames):
            naps += 1
            assert frames[-1].startswith("clock_nanosleep"), frames  # innermost last
    whole, _ = rows([str(log["path"])])
    assert naps == 3
    assert abs(total - sum(c["total_ms"] for c in whole)) < 10, (total, whole)


def speedscope_schema():
    if not os.path.exists(SCHEMA):
        os.makedirs(NPM_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund", "--silent", SPEEDSCOPE],
                       check=True, timeout=300)
    with open(SCHEMA) as f:
        return json.load(f)


def test_speedscope_file_is_valid_for_speedscope(log, tmp_path):
    import jsonschema
    out = tmp_path / "stalls.speedscope.json"
    r = report("--speedscope", str(out), str(log["path"]))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, speedscope_schema())
    assert len(doc["profiles"]) == 2, [p["name"] for p in doc["profiles"]]
    names = {p["name"] for p in doc["profiles"]}
    assert names == {f"python3 (pid {log['calls']})", f"python3 (pid {log['waits']})"}, names
    frames = doc["shared"]["frames"]
    for p in doc["profiles"]:
        assert len(p["samples"]) == len(p["weights"]) and abs(sum(p["weights"]) - p["endValue"]) < 0.01, p
        for s in p["samples"]:
            assert all(0 <= i < len(frames) for i in s)
    # The three naps have one stack: counted once, weighted 3 times 600 ms
    calls = next(p for p in doc["profiles"] if p["name"].endswith(f"pid {log['calls']})"))
    nap = [w for s, w in zip(calls["samples"], calls["weights"]) if any(frames[i]["name"] == "nap" for i in s)]
    assert len(nap) == 1 and 1650 < nap[0] < 2100, nap
    # a file that cannot be written: a runtime error
    r = report("--speedscope", str(tmp_path / "no" / "such" / "dir.json"), str(log["path"]))
    assert r.returncode == 1 and "cannot write" in r.stderr, r


def test_gil_stalls_are_grouped_by_what_the_holder_ran():
    """A loop waiting for the GIL was stopped by the thread holding it: the row is that thread's function
    (a real run's records: tests/fixtures/records/waits_gil.jsonl), apart from its own stalls."""
    culprits, _ = rows([os.path.join(ROOT, "tests", "fixtures", "records", "waits_gil.jsonl")])
    assert len(culprits) == 1 and culprits[0]["holds_gil"] is True, culprits
    assert culprits[0]["culprit"]["function"] == "validate_username" and culprits[0]["cause"] == "gil", culprits
    text = report(os.path.join(ROOT, "tests", "fixtures", "records", "waits_gil.jsonl")).stdout
    assert "validate_username (waits.py:49) holding the GIL" in text, text

