#!/usr/bin/python3
"""Checks the shape of user/ (run by `make test`).

1. Layers: a folder of user/ includes only itself and the folders below it,
   in the order of LAYERS (the data flow, user/README.md). A runtime's
   folder (runtimes/python/) may include the runtime interface above it
   (runtimes/*.h) but never another runtime's folder.
2. No circles: no two modules (X.c with its X.h) include each other or call
   each other, directly or round a longer loop. Calls are read from the
   built objects with nm, so a header that declares functions of several
   files cannot hide one.

Prints one line per violation and exits 1, or exits 0 silently.
"""
import os
import re
import subprocess
import sys

LAYERS = ["base", "record", "trace", "symbols", "runtimes", "attrib", "detect", "sinks", "pipeline", "report", "top",
          "cli"]
# Headers outside user/: the BPF contract and files the build generates.
OUTSIDE = {"loopstall.h", "loopstall.skel.h", "syscall_table.h", "hint_rules.h", "version.h"}

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
USER = os.path.join(ROOT, "user")


def sources():
    for d, _, files in os.walk(USER):
        for f in files:
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), USER)


def find_circles(edges, what, errors):
    """Depth-first search over edges (module -> modules); a back edge closes a circle."""
    state, stack = {}, []

    def visit(mod):
        state[mod] = 1
        stack.append(mod)
        for nxt in edges.get(mod, ()):
            if state.get(nxt) == 1:
                errors.append(f"{what} circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[mod] = 2

    for mod in sorted(edges):
        if mod not in state:
            visit(mod)


def check_includes(errors):
    includes = {}
    for rel in sorted(sources()):
        parts = rel.split(os.sep)
        if len(parts) < 2 or parts[0] not in LAYERS:
            errors.append(f"user/{rel}: not in a layer folder ({', '.join(LAYERS)})")
            continue
        rank = LAYERS.index(parts[0])
        with open(os.path.join(USER, rel)) as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                inc = m.group(1)
                target = inc.split("/")
                if inc[:-2] != rel[:-2]:
                    includes.setdefault(rel[:-2], set()).add(inc[:-2])
                where = f"user/{rel}:{n}: includes {inc}"
                if len(target) == 1:
                    if inc not in OUTSIDE:
                        errors.append(f"{where}: name its folder (\"base/{inc}\")")
                    continue
                if not os.path.exists(os.path.join(USER, inc)):
                    errors.append(f"{where}: no such file under user/")
                    continue
                if target[0] not in LAYERS or LAYERS.index(target[0]) > rank:
                    errors.append(f"{where}: {target[0]}/ is above {parts[0]}/")
                    continue
                # runtimes/A/ may use runtimes/*.h, never runtimes/B/.
                if parts[0] == "runtimes" == target[0] and len(parts) > 2 and len(target) > 2 and parts[1] != target[1]:
                    errors.append(f"{where}: one runtime never includes another's folder")
    find_circles({m: sorted(v) for m, v in includes.items()}, "include", errors)


def nm_symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True, check=True).stdout
    defined = {l.split()[-1] for l in out.splitlines() if len(l.split()) == 3}
    out = subprocess.run(["nm", "-u", obj], capture_output=True, text=True, check=True).stdout
    used = {l.split()[-1] for l in out.splitlines() if l.strip()}
    return defined, used


def check_circles(objdir, errors):
    modules = {}
    for d, _, files in os.walk(objdir):
        for f in files:
            if f.endswith(".o"):
                path = os.path.join(d, f)
                modules[os.path.relpath(path, objdir)[:-2]] = nm_symbols(path)
    if not modules:
        errors.append(f"{objdir}: no objects: build first")
        return
    owner = {}
    for mod, (defined, _) in modules.items():
        for sym in defined:
            owner[sym] = mod
    edges = {mod: sorted({owner[s] for s in used if s in owner and owner[s] != mod})
             for mod, (_, used) in modules.items()}
    find_circles(edges, "call", errors)


def main():
    objdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "obj")
    errors = []
    check_includes(errors)
    check_circles(objdir, errors)
    for e in errors:
        print("check-layers: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
