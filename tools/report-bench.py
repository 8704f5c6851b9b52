#!/usr/bin/python3
"""How fast loopstall report reads a big log, and in how much memory.

Writes a log of SIZE (default 1 GiB) from the recorded records of
tests/fixtures/records/ (begin and end records, 100 processes, 500 culprits,
times a second apart), then times, alternated RUNS times: reading it with
cat (the page cache's speed: the floor), loopstall report, report --folded,
report --speedscope, and report of the same log gzip'd; prints medians of
wall time, MB/s of the log and peak RSS. Usage (from the repo root, after make):

    tools/report-bench.py [--size 1G] [--runs 3] [--gzip]
"""
import argparse
import glob
import gzip
import json
import os
import shutil
import statistics
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LOOPSTALL = os.path.join(ROOT, "build", "loopstall")
WORK = os.path.join(ROOT, "build", "report-bench")


def size_of(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def make_log(path, size):
    records = []
    for fn in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "records", "*.jsonl"))):
        with open(fn) as f:
            records += [json.loads(l) for l in f]
    start = 1796000000
    written, i = 0, 0
    with open(path, "w") as out:
        while written < size:
            r = records[i % len(records)]
            r = dict(r, pid=1000 + i % 100, tid=1000 + i % 100,
                     start=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + i)))
            if r.get("culprit"):
                r["culprit"] = dict(r["culprit"], function=f"{r['culprit']['function']}_{i % 500 // len(records)}")
            line = json.dumps(r, separators=(",", ":")) + "\n"
            out.write(line)
            written += len(line)
            i += 1
    return i


def hwm_kib(pid):
    """The process's peak RSS since its exec (getrusage's would count the Python it forked from)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def timed(argv, stdout=subprocess.DEVNULL):
    t = time.monotonic()
    p = subprocess.Popen(argv, stdout=stdout)
    peak = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, hwm_kib(p.pid))
        time.sleep(0.02)
    wall = time.monotonic() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    assert p.returncode == 0, argv
    return wall, ru.ru_utime + ru.ru_stime, peak / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1G")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gzip", action="store_true", help="also time the log gzip'd")
    args = ap.parse_args()
    os.makedirs(WORK, exist_ok=True)
    log = os.path.join(WORK, "stalls.log")
    size = size_of(args.size)
    if not os.path.exists(log) or abs(os.path.getsize(log) - size) > size // 50:
        n = make_log(log, size)
        print(f"wrote {log}: {os.path.getsize(log) / 2**20:.0f} MiB, {n} records")
    mib = os.path.getsize(log) / 2**20
    cases = {
        "cat (floor)": ["cat", log],
        "report": [LOOPSTALL, "report", log],
        "report --folded": [LOOPSTALL, "report", "--folded", log],
        "report --speedscope": [LOOPSTALL, "report", "--speedscope", os.path.join(WORK, "out.speedscope.json"), log],
    }
    if args.gzip:
        gz = log + ".gz"
        if not os.path.exists(gz):
            with open(log, "rb") as f, gzip.open(gz, "wb", compresslevel=6) as g:
                shutil.copyfileobj(f, g, 1 << 20)
        cases["zcat (floor)"] = ["zcat", gz]
        cases["report of .gz"] = [LOOPSTALL, "report", gz]
    results = {k: [] for k in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            results[name].append(timed(argv))
    print(f"{'':22} {'wall s':>8} {'MiB/s':>8} {'cpu s':>8} {'peak RSS MiB':>13}   (medians of {args.runs})")
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        print(f"{name:22} {wall:8.2f} {mib / wall:8.0f} {cpu:8.2f} {rss:13.1f}")


main()
