"""An asyncio loop that makes the blocking call its stdin names, one command a line, and answers "done":

  queue         queue.Queue.get with a 0.6 s timeout, in a coroutine
  system        os.system("sleep 0.6"), in a coroutine
  sqlite        a 3-million-row recursive query through sqlite3 (CPU in the C library)
  pickle        pickle.dumps of 400000 rows, three times
  hashlib       hashlib.pbkdf2_hmac with 400000 iterations
  regex         re.match with catastrophic backtracking, on the loop's own thread
  loop          a pure Python loop of 6 million additions
  http URL      http.client GET of URL (a slow server), in a coroutine
  sleep         time.sleep(0.6) in a coroutine
  pipe          os.write of 1 MiB to a pipe whose reader starts reading 0.6 s later
"""
import asyncio
import hashlib
import http.client
import os
import pickle
import queue
import re
import sqlite3
import sys
import threading
import time
import urllib.parse

ROWS = [{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(400000)]


async def wait_for_job():
    try:
        return queue.Queue().get(timeout=0.6)
    except queue.Empty:
        return None


async def run_cleanup():
    return os.system("sleep 0.6")


async def count_orders():
    db = sqlite3.connect(":memory:")
    q = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT sum(x) FROM c"
    return db.execute(q).fetchone()[0]


async def snapshot_rows():
    return sum(len(pickle.dumps(ROWS)) for _ in range(3))


async def hash_password():
    return hashlib.pbkdf2_hmac("sha256", b"secret", b"salt", 400000)


async def check_name():
    return re.match(r"^(a+)+$", "a" * 25 + "!")


async def add_up():
    total = 0
    for i in range(6000000):
        total += i
    return total


async def fetch_price(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("GET", u.path or "/")
    return c.getresponse().read()


async def nap():
    time.sleep(0.6)


def slow_reader(fd):
    time.sleep(0.6)
    while os.read(fd, 65536):
        pass


async def write_log():
    r, w = os.pipe()
    threading.Thread(target=slow_reader, args=(r,), daemon=True).start()
    data = b"x" * (1 << 20)
    while data:
        data = data[os.write(w, data):]
    os.close(w)


COMMANDS = {"sleep": nap, "pipe": write_log, "queue": wait_for_job, "system": run_cleanup, "sqlite": count_orders, "pickle": snapshot_rows,
            "hashlib": hash_password, "regex": check_name, "loop": add_up, "http": fetch_price}


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("ready", flush=True)
    while line := (await reader.readline()).decode():
        name, *args = line.split()
        await COMMANDS[name](*args)
        print("done", flush=True)


asyncio.run(main())
