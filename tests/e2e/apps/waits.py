"""An asyncio loop that blocks in what its stdin names, one command a line, and answers "done":

  fifo PATH     open() a FIFO nobody writes to (until the test opens it)
  child         subprocess.run(["sleep", "1"])
  cache         take a lock a thread named cache-rebuild holds for 1 s, another thread waiting for it too
  pool-cache    cache, with ten idle pool threads started before the rest
  username      wait for the GIL a thread holds in a regex, called by validate_username
  compress      zlib.compress 40 MB of random bytes (CPU in a C extension)
  export        json.dumps of 200000 rows, three times (CPU in the standard library)
  flock PATH    take an exclusive flock on PATH (another process holds it)
"""
import asyncio
import ctypes
import fcntl
import json
import os
import re
import subprocess
import sys
import threading
import time
import zlib

cache_lock = threading.Lock()


def name_thread(name):
    ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)


def open_fifo(path):
    with open(path) as f:
        return f.read()


def rebuild_cache():
    name_thread("cache-rebuild")
    with cache_lock:
        ready.set()
        time.sleep(1)


def read_cache():
    with cache_lock:
        return 1


def validate_username(name):
    name_thread("validator")
    ready.set()
    # Catastrophic backtracking: _sre holds the GIL throughout.
    return re.match(r"^(a+)+$", name)


CATALOG = os.urandom(40 << 20)  # made before "ready", so the stall is deflate's alone


def compress_catalog():
    return len(zlib.compress(CATALOG, 9))


ROWS = [{"id": i, "name": f"item {i}", "tags": ["a", "b"], "price": i * 1.5} for i in range(200000)]


def export_catalog():
    size = 0
    for _ in range(3):
        size += len(json.dumps(ROWS, indent=1))
    return size


def run(line):
    name, *args = line.split()
    if name == "fifo":
        open_fifo(args[0])
    elif name == "child":
        subprocess.run(["sleep", "1"])
    elif name in ("cache", "pool-cache"):
        if name == "pool-cache":  # parked on their own futex, with lower thread ids than the holder's
            for _ in range(10):
                threading.Thread(target=threading.Event().wait, daemon=True).start()
        threading.Thread(target=rebuild_cache).start()
        ready.wait()
        threading.Thread(target=read_cache, name="cache-reader").start()  # waits for the lock too
        read_cache()
    elif name == "username":
        threading.Thread(target=validate_username, args=("a" * 26 + "!",)).start()
        ready.wait()
        time.sleep(0.01)  # the loop needs the GIL back from here on: it waits
    elif name == "compress":
        compress_catalog()
    elif name == "export":
        export_catalog()
    elif name == "flock":
        lock_file(args[0])


def on_command():
    line = sys.stdin.readline()
    if not line:
        loop.stop()
        return
    ready.clear()
    run(line)
    print("done", flush=True)


def lock_file(path):
    with open(path) as f:
        fcntl.flock(f, fcntl.LOCK_EX)


ready = threading.Event()
loop = asyncio.new_event_loop()
loop.add_reader(sys.stdin.fileno(), on_command)
print("ready", flush=True)
loop.run_forever()
