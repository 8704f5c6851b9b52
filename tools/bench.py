#!/usr/bin/python3
"""Overhead of loopstall: its hot path, saturated servers, stall reports.

Alternates runs in one session and prints medians and ratios: nanoseconds
per syscall, loop iteration and context switch (tools/bench_hotpath.c) and
redis-benchmark throughput, each without loopstall, with the "floor" (empty
programs on the same tracepoints, tools/bench_floor.bpf.c) and with
loopstall -p PID; wrk throughput and p99 latency on uvicorn without and with
loopstall, and loopstall's own CPU time and peak RSS; the CPU cost of a stall
report. Usage (as root, from the repo root):

    make bench            # or: tools/bench.py [--runs 6] [--seconds 5]
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LOOPSTALL = os.path.join(ROOT, "build", "loopstall")
HOTPATH = os.path.join(ROOT, "build", "bench_hotpath")
LOOPS = os.path.join(ROOT, "build", "bench_loops")
FLOOR = os.path.join(ROOT, "build", "bench_floor")
FLOOR_OBJ = os.path.join(ROOT, "build", "bench_floor.bpf.o")


VERDICTS = []  # one line per target of the figures measured, printed at the end


def target(figure, value, limit, unit, at_most=True):
    """Notes whether value meets the target limit (at most, or at least)."""
    met = value <= limit if at_most else value >= limit
    VERDICTS.append(f"{'met   ' if met else 'missed'} {figure}: {value:.3f} {unit} "
                    f"({'at most' if at_most else 'at least'} {limit} {unit})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"bench: nothing listens on port {port}")


def wrk(port, seconds, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\n\s+99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return rps, p99_ms


def cpu_seconds(pid):
    """CPU time of all of pid's threads, to the nanosecond (schedstat), not in clock ticks."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended: its time is lost, as it is from /proc/PID/stat's sum
    return total / 1e9


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def scrape(port):
    import urllib.request
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    values = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def report_cpu(values):
    return sum(v for k, v in values.items() if k.startswith("loopstall_report_cpu_seconds_total"))


def warm_cpu(values):
    return values.get("loopstall_warm_cpu_seconds_total", 0.0)


def stalls(values):
    return sum(v for k, v in values.items() if k.startswith("loopstall_stalls_total"))


def staller_command(runtime):
    """The command of a loop that stalls N times (its last argument): Python, Node or Java."""
    here = os.path.dirname(os.path.abspath(__file__))
    if runtime == "jvm":
        classes = os.path.join(os.path.dirname(LOOPSTALL), "bench-jvm")
        subprocess.run(["javac", "-d", classes, os.path.join(here, "BenchStaller.java")], check=True)
        return ["java", "-cp", classes, "BenchStaller"]
    return {"python": ["/usr/bin/python3", os.path.join(here, "bench_staller.py")],
            "node": ["node", os.path.join(here, "bench_node_staller.js")]}[runtime]


def stall_cost(runtime, count=15):
    """CPU of loopstall per stall report (begin and end records), first and repeated."""
    staller = subprocess.Popen([*staller_command(runtime), str(count)], stdout=subprocess.PIPE, text=True)
    port = free_port()
    try:
        staller.stdout.readline()
        ls = subprocess.Popen([LOOPSTALL, "-p", str(staller.pid), "--metrics", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ls.stderr.readline()
        first = None
        deadline = time.monotonic() + count * 0.6 + 10
        while time.monotonic() < deadline:
            try:
                values = scrape(port)
            except OSError:  # /metrics listens a moment after "watching"
                time.sleep(0.05)
                continue
            n = stalls(values)
            if first is None and n >= 1:
                first = (n, report_cpu(values), warm_cpu(values))
            if n >= count:
                break
            time.sleep(0.05)
        last = (stalls(values), report_cpu(values))
        ls.send_signal(signal.SIGINT)
        ls.wait(timeout=10)
    finally:
        staller.kill()
        staller.wait()
    if first is None or last[0] <= first[0]:
        sys.exit("bench: the staller's stalls were not seen")
    first_ms = first[1] / first[0] * 1000
    repeat_ms = (last[1] - first[1]) / (last[0] - first[0]) * 1000
    target(f"stall report cost, {runtime}, repeated", repeat_ms, 0.5, "ms")
    if runtime != "python":
        target(f"stall report cost, {runtime}, first", first_ms, 5, "ms")
    target(f"warming a {runtime} process at attach", first[2] * 1000, 10 if runtime == "python" else 30, "ms")
    print(f"stall report cost, {runtime} (loopstall CPU, begin + end records): first {first_ms:.2f} ms, "
          f"repeat {repeat_ms:.2f} ms (mean over {int(last[0] - first[0])} more stalls in the warm process); "
          f"warming the process at attach, before its first stall: {first[2] * 1000:.2f} ms")


VARIANTS = ("without", "floor", "loopstall")


def attach(variant, pid):
    """Starts what a run is measured with: nothing, the floor's empty programs, an empty program on raw
    sys_exit alone (what any tool there costs), or loopstall -p PID."""
    if variant == "without":
        return None
    argv = {"floor": [FLOOR, FLOOR_OBJ], "sys_exit": [FLOOR, FLOOR_OBJ, "raw_sys_exit"]}.get(
        variant, [LOOPSTALL, "-p", str(pid)])
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not p.stderr.readline().startswith(("loopstall: watching", "bench_floor: attached")):
        p.kill()
        sys.exit(f"bench: {argv[0]} did not attach")
    settle(p.pid)
    return p


def settle(pid, quiet_s=0.2, limit_s=10):
    """Waits until pid has used no CPU for quiet_s: loopstall warms its targets' symbols after it
    says it is watching, and a measure must not count that start-up."""
    end = time.monotonic() + limit_s
    last = cpu_seconds(pid)
    while time.monotonic() < end:
        time.sleep(quiet_s)
        now = cpu_seconds(pid)
        if now - last < 0.001:
            return
        last = now
    sys.exit(f"bench: process {pid} still busy {limit_s} s after it attached")


def detach(p):
    if p:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10)


def compare(what, unit, runs, measure, variants=VARIANTS):
    """Alternates measure(variant) over variants, runs times, and prints the medians and ratios."""
    values = {v: [] for v in variants}
    for _ in range(runs):
        for v in variants:
            values[v].append(measure(v))
    m = {v: statistics.median(values[v]) for v in variants}
    above = f", loopstall = floor {m['loopstall'] - m['floor']:+.0f} {unit}" if unit == "ns" else ""
    alone = ""
    if "sys_exit" in m:
        alone = f", an empty raw sys_exit program {m['sys_exit']:.0f} {unit}" if unit == "ns" else \
            f", an empty raw sys_exit program {m['sys_exit'] / m['without']:.3f}"
    print(f"{what}: without {m['without']:.0f} {unit}, floor {m['floor']:.0f} {unit}, "
          f"loopstall {m['loopstall']:.0f} {unit} (ratio to without: floor {m['floor'] / m['without']:.3f}, "
          f"loopstall {m['loopstall'] / m['without']:.3f}{alone}; loopstall to floor "
          f"{m['loopstall'] / m['floor']:.3f}{above}; medians of {runs})", flush=True)
    if what.startswith("hot path, epoll loop iteration"):
        target("one iteration of a watched epoll loop, above the floor", m["loopstall"] - m["floor"], 40, "ns")
    if what.startswith("redis-benchmark"):
        lo, hi = ratio_interval(values["loopstall"], values["floor"])
        target(f"redis GET, watched, to the floor (95% interval {lo:.3f}-{hi:.3f})", m["loopstall"] / m["floor"],
               0.99, "", at_most=False)
    if unit != "ns":  # throughput moves a lot run to run on a VM: show how much, and what the medians can tell
        print("  runs: " + "; ".join(f"{v} {min(values[v]):.0f}-{max(values[v]):.0f}" for v in variants), flush=True)
        print("  95% interval of the ratios (bootstrap over the runs): " + "; ".join(
            f"{a} to {b} {lo:.3f}-{hi:.3f}" for a, b, (lo, hi) in
            (("loopstall", "without", ratio_interval(values["loopstall"], values["without"])),
             ("loopstall", "floor", ratio_interval(values["loopstall"], values["floor"])))), flush=True)
    return m


def ratio_interval(a, b, resamples=2000):
    """The 2.5th and 97.5th percentiles of median(a) / median(b) over runs drawn again with replacement."""
    import random
    rng = random.Random(1)  # the same interval for the same runs
    ratios = sorted(statistics.median(rng.choices(a, k=len(a))) / statistics.median(rng.choices(b, k=len(b)))
                    for _ in range(resamples))
    return ratios[int(resamples * 0.025)], ratios[int(resamples * 0.975) - 1]


def hotpath_once(op, count, variant, other=None):
    """ns per op of one bench_hotpath run; other: loopstall watches that process, not the bench."""
    bench = subprocess.Popen([HOTPATH, op, str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    tracer = None
    try:
        bench.stdout.readline()
        tracer = attach(variant, other or bench.pid)
        bench.stdin.write("go\n")
        bench.stdin.flush()
        return float(bench.stdout.readline())
    finally:
        bench.stdin.close()  # ends it unstarted if attaching failed
        bench.wait(timeout=60)
        detach(tracer)


def hotpath(runs):
    """What the BPF programs add per syscall, per loop iteration and per context switch."""
    cases = [("syscall", 2_000_000, "hot path, getppid() on a thread that is no loop"),
             ("loopsyscall", 2_000_000, "hot path, getppid() on a watched loop thread, inside its iterations"),
             ("loop", 500_000, "hot path, epoll loop iteration (epoll_wait + getppid), watched"),
             ("switch", 100_000, "hot path, round trip between two threads (2 switches + 4 syscalls)"),
             ("poll", 500_000, "hot path, poll loop iteration (poll of a ready fd + getppid), watched")]
    for op, count, what in cases:
        compare(what, "ns", runs, lambda v: hotpath_once(op, count, v),
                VARIANTS + ("sys_exit",) if op == "syscall" else VARIANTS)
    # The waits' tracepoints fire for every thread: a poll loop of a process loopstall does not watch.
    other = subprocess.Popen(["sleep", "3600"])
    try:
        compare("hot path, the same poll loop in a process not watched", "ns", runs,
                lambda v: hotpath_once("poll", 500_000, v, other.pid))
    finally:
        other.kill()
        other.wait()


def redis(runs):
    """A syscall-heavy loop: redis-benchmark GET against redis-server, each pinned to a core of its own."""
    port = free_port()
    server = subprocess.Popen(["taskset", "-c", "1", "redis-server", "--port", str(port), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        wait_port(port)

        def once(variant):
            tracer = attach(variant, server.pid)
            try:
                out = subprocess.run(["taskset", "-c", "0", "redis-benchmark", "-p", str(port), "-t", "get", "-n",
                                      "1000000", "-c", "32", "-q"], capture_output=True, text=True, check=True).stdout
            finally:
                detach(tracer)
            return float(re.search(r"GET: ([\d.]+) requests per second", out).group(1))

        compare("redis-benchmark GET, server and client pinned to a core each", "req/s", runs, once,
                VARIANTS + ("sys_exit",))
    finally:
        server.terminate()
        server.wait(timeout=10)


def loops_cost(seconds=10):
    """loopstall host-wide beside N loops (idle, or turning 100 times a second): its CPU and peak RSS."""
    for idle, turning in ((10, 0), (100, 0), (1000, 0), (0, 10), (0, 100), (0, 1000), (100, 900)):
        loops = subprocess.Popen([LOOPS, str(idle), str(turning)], stdout=subprocess.PIPE, text=True)
        try:
            loops.stdout.readline()
            ls = subprocess.Popen([LOOPSTALL, "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            ls.stderr.readline()
            time.sleep(1)  # every loop has begun an iteration, and loopstall has warmed for each process
            t0, c0 = time.monotonic(), cpu_seconds(ls.pid)
            time.sleep(seconds)
            cpu = (cpu_seconds(ls.pid) - c0) / (time.monotonic() - t0) * 100
            rss = peak_rss_mib(ls.pid)
            ls.send_signal(signal.SIGINT)
            ls.wait(timeout=10)
        finally:
            loops.kill()
            loops.wait()
        print(f"host-wide, {idle} idle + {turning} turning loops: loopstall {cpu:.3f}% of one core, "
              f"peak RSS {rss:.1f} MiB", flush=True)


def storm(seconds=10):
    """loopstall host-wide beside N loops that each stall 150 ms once a second: its CPU, peak RSS, and the
    stalls it told of (begin and end records)."""
    for stalling in (100, 500):
        loops = subprocess.Popen([LOOPS, "0", "0", str(stalling)], stdout=subprocess.PIPE, text=True)
        try:
            loops.stdout.readline()
            ls = subprocess.Popen([LOOPSTALL, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            ls.stderr.readline()
            counts = {"begin": 0, "end": 0, "lost": 0}

            def count():
                for line in ls.stdout:
                    r = json.loads(line)
                    if r.get("event") == "stall" and r.get("pid") == loops.pid:
                        counts[r["phase"]] += 1
                    elif r.get("event") == "lost":
                        counts["lost"] += 1
            import threading
            reader = threading.Thread(target=count, daemon=True)
            reader.start()
            time.sleep(2)  # every loop has stalled once, and loopstall has warmed for each process
            t0, c0, n0 = time.monotonic(), cpu_seconds(ls.pid), dict(counts)
            time.sleep(seconds)
            elapsed = time.monotonic() - t0
            cpu = (cpu_seconds(ls.pid) - c0) / elapsed * 100
            told = {k: (counts[k] - n0[k]) / elapsed for k in ("begin", "end")}
            rss = peak_rss_mib(ls.pid)
            ls.send_signal(signal.SIGINT)
            ls.wait(timeout=30)
            reader.join(timeout=10)
        finally:
            loops.kill()
            loops.wait()
        if stalling == 500:
            target("500 loops stalling once a second, loopstall's CPU", cpu, 15, "% of one core")
            target("500 loops stalling once a second, loopstall's peak RSS", rss, 64, "MiB")
        print(f"host-wide, {stalling} loops stalling 150 ms once a second ({stalling} stalls/s): loopstall "
              f"{cpu:.1f}% of one core, peak RSS {rss:.1f} MiB; begin records {told['begin']:.0f}/s, end "
              f"records {told['end']:.0f}/s; records of losses {counts['lost']}", flush=True)


LATE_STALLER = """
import asyncio, sys, time
async def main(n, seconds, on_cpu):
    print("ready", flush=True)
    # The bench's go, once loopstall watches and has warmed this process: awaited in the loop's wait.
    loop = asyncio.get_running_loop()
    go = loop.create_future()
    loop.add_reader(0, lambda: go.done() or go.set_result(sys.stdin.readline()))
    await go
    loop.remove_reader(0)
    await asyncio.sleep(0.1)
    for _ in range(n):
        print(time.monotonic(), flush=True)  # when the stall starts, on the bench's clock
        if on_cpu:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                pass
        else:
            time.sleep(seconds)
        await asyncio.sleep(0.05)
asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "cpu"))
"""


def lateness(count=50, hogs=0, options=()):
    """How long past the threshold a stall's begin record comes out of loopstall (read as it is written),
    beside hogs processes that keep a CPU busy each, loopstall run with options."""
    busy = [subprocess.Popen(["/usr/bin/python3", "-c", "while True: pass"]) for _ in range(hogs)]
    try:
        for threshold_ms, kind in ((100, "sleep"), (100, "cpu"), (20, "sleep"), (20, "cpu")):
            late_once(count, threshold_ms, kind, f"{hogs} CPU hogs, " if hogs else "", options)
    finally:
        for h in busy:
            h.kill()
            h.wait()


def late_once(count, threshold_ms, kind, beside, options):
    import threading
    stall_s = threshold_ms * 1.5 / 1000
    staller = subprocess.Popen(["/usr/bin/python3", "-c", LATE_STALLER, str(count), str(stall_s), kind],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    starts, begins = [], []

    def read_starts():
        for line in staller.stdout:
            starts.append(float(line))
    try:
        staller.stdout.readline()
        ls = subprocess.Popen([LOOPSTALL, *options, "--json", "-t", f"{threshold_ms}ms", "-p", str(staller.pid)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not ls.stderr.readline().startswith("loopstall: watching"):
            sys.exit("bench: loopstall did not attach")
        settle(ls.pid)
        reader = threading.Thread(target=read_starts, daemon=True)
        reader.start()
        staller.stdin.write("go\n")
        staller.stdin.flush()
        # The clock reading a record is this thread's: it must not wait for a CPU behind the staller
        # (as loopstall's own threads do not), or the bench measures its own wake-up.
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        for line in ls.stdout:
            now = time.monotonic()
            r = json.loads(line)
            if r.get("event") == "stall" and r["phase"] == "begin":
                begins.append((now, r["duration_ms"]))
        ls.wait(timeout=10)
        reader.join(timeout=10)
    finally:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        staller.kill()
        staller.wait()
    if len(begins) < count * 0.9 or len(starts) < count:
        sys.exit(f"bench: {len(begins)} begin records of {count} stalls")
    # Each begin record after the latest stall start before it.
    late, detect = [], []
    for t, duration_ms in begins:
        start = max((s for s in starts if s < t), default=None)
        late.append((t - start) * 1000 - threshold_ms)
        detect.append(duration_ms - threshold_ms)
    worst = late.index(max(late))
    # A stall that ended before its begin record came has none: later than the stall's end, so at
    # least stall - threshold late, and counted so (it is the worst of them).
    missed = max(0, len(starts) - len(begins))
    ended_first = stall_s * 1000 - threshold_ms
    late = sorted(late + [float("inf")] * missed)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]

    def ms(v):
        return f"over {ended_first:.2f} ms" if v == float("inf") else f"{v:.2f} ms"
    target(f"begin record p99 past the threshold, {beside}{' '.join(options) + ', ' if options else ''}{kind} "
           f"stalls at {threshold_ms} ms", p99, 3, "ms")
    print(f"begin record lateness, {beside}{' '.join(options) + ', ' if options else ''}{kind} stalls at "
          f"{threshold_ms} ms (record out of loopstall, past the "
          f"threshold): median {ms(statistics.median(late))}, p99 {ms(p99)}, max {ms(late[-1])} "
          f"({missed} of {len(late)} stalls ended before a begin record; the latest record {worst + 1} of "
          f"{len(begins)}, decided {detect[worst]:.2f} ms past the threshold; records' duration_ms past it: "
          f"median {statistics.median(detect):.2f} ms)", flush=True)


def uvicorn(args):
    """wrk against uvicorn without and with loopstall -p, alternated; loopstall's CPU and RSS meanwhile."""
    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", "-m", "uvicorn", "bench_app:app", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"], cwd=os.path.dirname(__file__))
    try:
        wait_port(port)
        wrk(port, 2, args.connections)  # warm up
        base, watched, ls_cpu, ls_rss, stall_records = [], [], [], [], 0
        for i in range(args.runs):
            base.append(wrk(port, args.seconds, args.connections))
            ls = subprocess.Popen([LOOPSTALL, "--json", "-p", str(server.pid)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
            # Attached once it says so on stderr.
            ls.stderr.readline()
            t0, c0 = time.monotonic(), cpu_seconds(ls.pid)
            watched.append(wrk(port, args.seconds, args.connections))
            ls_cpu.append((cpu_seconds(ls.pid) - c0) / (time.monotonic() - t0) * 100)
            ls_rss.append(peak_rss_mib(ls.pid))
            ls.send_signal(signal.SIGINT)
            out, _ = ls.communicate(timeout=10)
            stall_records += sum('"event":"stall"' in line for line in out.splitlines())
            print(f"run {i + 1}: without {base[-1][0]:.0f} req/s p99 {base[-1][1]:.2f} ms | "
                  f"with {watched[-1][0]:.0f} req/s p99 {watched[-1][1]:.2f} ms | "
                  f"loopstall {ls_cpu[-1]:.2f}% CPU {ls_rss[-1]:.1f} MiB", flush=True)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)

    rps0, rps1 = statistics.median(r for r, _ in base), statistics.median(r for r, _ in watched)
    p0, p1 = statistics.median(p for _, p in base), statistics.median(p for _, p in watched)
    print(f"\nmedian throughput: without {rps0:.0f} req/s, with {rps1:.0f} req/s, ratio {rps1 / rps0:.3f}")
    print(f"median p99 latency: without {p0:.2f} ms, with {p1:.2f} ms, ratio {p1 / p0:.3f}")
    print(f"loopstall: median CPU {statistics.median(ls_cpu):.2f}% of one core, "
          f"peak RSS {max(ls_rss):.1f} MiB, stall records {stall_records}")


REDIS_RUNS = 10  # its runs spread over 10% on the 2-core VM: more of them for a median within 1%
PARTS = ("hotpath", "redis", "uvicorn", "stalls", "lateness", "lateness-loaded", "loops", "storm")


def main():
    # The floor's tracepoints are found in tracefs (loopstall mounts it too when it is missing).
    if not os.path.exists("/sys/kernel/tracing/events/syscalls"):
        subprocess.run(["mount", "-t", "tracefs", "tracefs", "/sys/kernel/tracing"], check=True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=6, help="runs of each kind (default 6)")
    ap.add_argument("--seconds", type=int, default=5, help="length of one wrk run (default 5)")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ", ".join(PARTS))
    args = ap.parse_args()
    parts = args.only.split(",")
    if "hotpath" in parts:
        hotpath(args.runs)
    if "redis" in parts:
        redis(max(args.runs, REDIS_RUNS))
    if "uvicorn" in parts:
        uvicorn(args)
    if "stalls" in parts:
        stall_cost("python")
        stall_cost("node")
        stall_cost("jvm")
    if "lateness" in parts:
        lateness()
    if "lateness-loaded" in parts:
        lateness(hogs=2, options=("--no-realtime",))
        lateness(hogs=2)
    if "loops" in parts:
        loops_cost()
    if "storm" in parts:
        storm()
    print("\ntargets:\n" + "\n".join(VERDICTS))


if __name__ == "__main__":
    main()
