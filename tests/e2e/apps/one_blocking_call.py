"""An asyncio handler that makes one blocking call, chosen by argv[1], released by a timer thread:

os.read        a pipe with nothing in it yet
os.write       a pipe that is full
recv, recvfrom, recvfrom_into, recvmsg    a UDP socket nothing was sent to yet
lock.acquire   a threading.Lock another thread holds, right after a 70 ms time.sleep
io.BufferedReader.read, io.TextIOWrapper.readline, io.TextIOWrapper.read, input
               a pipe opened as a file (as sys.stdin for input), nothing in it yet
io.TextIOWrapper.write    a text file on a pipe that is full, written more than its buffer holds
sqlite3.Connection.commit    a write another connection's open read keeps from committing
os.sendfile    a file sent to a UNIX socket whose peer reads nothing yet, its buffer full
socket.connect    a TCP listener whose accept queue is full: the SYN is dropped and sent again after 1 s
"""
import asyncio
import fcntl
import os
import socket
import sqlite3
import sys
import tempfile
import threading
import time

MODE = sys.argv[1]


def later(release):
    threading.Timer(0.6, release).start()


def blocking_call():
    if MODE == "os.read":
        r, w = os.pipe()
        later(lambda: os.write(w, b"x"))
        os.read(r, 1)
    elif MODE == "lock.acquire":
        lock, held = threading.Lock(), threading.Event()

        def hold():
            with lock:
                held.set()
                time.sleep(0.8)

        threading.Thread(target=hold).start()
        held.wait()
        time.sleep(0.07)  # a finished call, longer than the wait so far when the stall begins
        lock.acquire()
    elif MODE in ("io.BufferedReader.read", "io.TextIOWrapper.readline", "io.TextIOWrapper.read", "input"):
        r, w = os.pipe()
        later(lambda: os.write(w, b"x\n"))
        if MODE == "io.BufferedReader.read":
            os.fdopen(r, "rb").read(1)
        elif MODE == "io.TextIOWrapper.read":
            os.fdopen(r, "r").read(1)
        elif MODE == "input":
            sys.stdin = os.fdopen(r, "r")
            input()
        else:
            os.fdopen(r, "r").readline()
    elif MODE == "sqlite3.Connection.commit":
        path = os.path.join(tempfile.mkdtemp(), "app.db")
        sqlite3.connect(path, isolation_level=None).execute("CREATE TABLE t (x)")
        reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM t").fetchall()  # a shared lock, held until the timer ends the read
        conn = sqlite3.connect(path, timeout=5)
        conn.execute("INSERT INTO t VALUES (1)")
        later(lambda: reader.execute("COMMIT"))
        conn.commit()  # waits in sqlite's busy handler for the reader to finish
    elif MODE == "os.sendfile":
        a, b = socket.socketpair()
        a.setblocking(False)
        try:
            while True:
                a.send(b"x" * 65536)
        except BlockingIOError:
            pass
        a.setblocking(True)
        later(lambda: [b.recv(1 << 20) for _ in range(64)])
        with tempfile.TemporaryFile() as f:
            f.write(b"y" * 65536)
            f.flush()
            os.sendfile(a.fileno(), f.fileno(), 0, 65536)
    elif MODE == "socket.connect":
        listener = socket.create_server(("127.0.0.1", 0), backlog=0)  # one connection queued at most
        queued = socket.create_connection(listener.getsockname())
        later(listener.accept)
        socket.socket().connect(listener.getsockname())
        queued.close()
    elif MODE in ("os.write", "io.TextIOWrapper.write"):
        r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
        try:
            while True:
                os.write(w, b"x" * 65536)
        except BlockingIOError:
            pass
        fcntl.fcntl(w, fcntl.F_SETFL, 0)
        later(lambda: os.read(r, 1 << 20))
        if MODE == "os.write":
            os.write(w, b"y" * 65536)
        else:
            os.fdopen(w, "w").write("y" * 65536)
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        later(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", s.getsockname()))
        if MODE == "recvfrom_into":
            s.recvfrom_into(bytearray(10))
        else:
            getattr(s, MODE)(10)


async def handler():
    blocking_call()


async def main():
    await asyncio.sleep(0.5)
    await handler()
    await asyncio.sleep(0.2)


asyncio.run(main())
