#!/usr/bin/python3
"""Turns the hint rules (user/record/hints.rules) into the C table hint.c includes.

usage: gen-hints.py RULES OUT.h

Strict: an unknown key, a rule without id or text, a duplicate id, a rule that
matches on nothing or an unknown {placeholder} stops the build with the line
that is wrong. The rule format is in the rules file's own header.
"""
import re
import sys

# The keys a rule matches on, in the order of enum hint_key (record/hint.h).
MATCH_KEYS = ["runtime", "comm", "cause", "syscall", "culprit", "culprit_file", "via", "via_file",
              "frame", "frame_file", "frame_module", "fd_target", "in_coroutine", "throttled", "holder_frame",
              "framework"]
TEXT_KEYS = ["text", "link"]
PLACEHOLDERS = {"culprit", "via", "frame", "holder", "fd_target"}


def fail(path, n, msg):
    sys.exit(f"{path}:{n}: {msg}")


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(path):
    rules, rule, ids = [], None, set()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.fullmatch(r"\[([a-z0-9][a-z0-9-]*)\]", line)
            if m:
                if m.group(1) in ids:
                    fail(path, n, f"rule {m.group(1)} given twice")
                ids.add(m.group(1))
                rule = {"id": m.group(1), "line": n}
                rules.append(rule)
                continue
            key, eq, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if not eq or not value:
                fail(path, n, "expected [id] or key = value")
            if rule is None:
                fail(path, n, "a key before the first [id]")
            if key not in MATCH_KEYS and key not in TEXT_KEYS:
                fail(path, n, f"unknown key {key!r} (known: {', '.join(MATCH_KEYS + TEXT_KEYS)})")
            if key in rule:
                fail(path, n, f"{key} given twice in rule {rule['id']}")
            if key in ("in_coroutine", "throttled") and value not in ("yes", "no"):
                fail(path, n, f"{key} is yes or no")
            if key == "text":
                for p in re.findall(r"\{([^}]*)\}", value):
                    if p not in PLACEHOLDERS:
                        fail(path, n, f"unknown placeholder {{{p}}} (known: {', '.join(sorted(PLACEHOLDERS))})")
            if len(value) > 400:
                fail(path, n, "value longer than 400 bytes")
            rule[key] = value
    for r in rules:
        if "text" not in r:
            fail(path, r["line"], f"rule {r['id']} has no text")
        if not any(k in r for k in MATCH_KEYS):
            fail(path, r["line"], f"rule {r['id']} matches on nothing")
    return rules


def main():
    path, out = sys.argv[1], sys.argv[2]
    rules = parse(path)
    lines = [f"/* Generated from {path} by tools/gen-hints.py: edit the rules, not this file. */"]
    for r in rules:
        lines.append("{")
        lines.append(f"\t.id = {c_string(r['id'])},")
        lines.append(f"\t.text = {c_string(r['text'])},")
        if "link" in r:
            lines.append(f"\t.link = {c_string(r['link'])},")
        lines.append("\t.match = {")
        for i, k in enumerate(MATCH_KEYS):
            if k in r:
                lines.append(f"\t\t[{i}] = {c_string(r[k])}, /* {k} */")
        lines.append("\t},")
        lines.append("},")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


main()
