"""An asyncio loop that does what its stdin says, one command a line, and answers "done".
argv: [COMMAND...], run before the loop starts.

  sleep SECONDS        time.sleep in the loop
  call LIB FUNCTION    load the shared library LIB (ctypes, i.e. dlopen) and call FUNCTION()
  load                 import every C extension of the standard library and a few big ones (many mapped files)
  recv PORT SECONDS    connect to 127.0.0.1:PORT and block in recv(2) for up to SECONDS (SO_RCVTIMEO)
"""
import asyncio
import ctypes
import socket
import struct
import sys
import time


def sleep(seconds):
    time.sleep(float(seconds))


def call(lib, function):
    getattr(ctypes.CDLL(lib), function)()


def load():
    import importlib
    import os
    dynload = os.path.dirname(importlib.import_module("_json").__file__)
    names = [name.split(".")[0] for name in sorted(os.listdir(dynload))]
    for name in names + ["uvloop.loop", "cryptography.hazmat.bindings._rust", "_cffi_backend", "yaml._yaml"]:
        try:
            importlib.import_module(name)
        except Exception:
            pass


def recv(port, seconds):
    with socket.create_connection(("127.0.0.1", int(port))) as s:
        s.settimeout(None)  # the kernel's timeout, not Python's poll
        usec = int(float(seconds) * 1e6)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", usec // 1000000, usec % 1000000))
        try:
            s.recv(1)
        except OSError:
            pass


def on_command():
    line = sys.stdin.readline()
    if not line:
        loop.stop()
        return
    name, *args = line.split()
    globals()[name](*args)
    print("done", flush=True)


if len(sys.argv) > 1:
    globals()[sys.argv[1]](*sys.argv[2:])
loop = asyncio.new_event_loop()
loop.add_reader(sys.stdin.fileno(), on_command)
print("ready", flush=True)
loop.run_forever()
