#!/usr/bin/python3
"""Overhead of loopstall on a saturated uvicorn server.

Alternates wrk runs without and with loopstall attached (-p PID) in one
session and prints medians and ratios: throughput, p99 latency, and
loopstall's own CPU time and peak RSS. Usage (as root, from the repo root):

    make bench            # or: tools/bench.py [--runs 6] [--seconds 5]
"""
import argparse
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
CLK_TCK = os.sysconf("SC_CLK_TCK")


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
    sys.exit(f"bench: uvicorn did not listen on {port}")


def wrk(port, seconds, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\n\s+99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return rps, p99_ms


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=6, help="runs of each kind (default 6)")
    ap.add_argument("--seconds", type=int, default=5, help="length of one wrk run (default 5)")
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()

    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", "-m", "uvicorn", "bench_app:app", "--port", str(port),
                               "--log-level", "warning", "--no-access-log"], cwd=os.path.dirname(__file__))
    try:
        wait_port(port)
        wrk(port, 2, args.connections)  # warm up
        base, watched, ls_cpu, ls_rss, stalls = [], [], [], [], 0
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
            stalls += sum('"event":"stall"' in line for line in out.splitlines())
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
          f"peak RSS {max(ls_rss):.1f} MiB, stall records {stalls}")


if __name__ == "__main__":
    main()
