#!/usr/bin/env python3
"""Folds `perf script` output into stacks and renders them as an SVG flame graph.

Usage: perf script | perf/flamegraph.py --title TITLE > flamegraph.svg
       perf/flamegraph.py --folded out.folded < perf.script   (also writes the folded stacks)

Self-contained (no FlameGraph download): stackcollapse and rendering in one file. Swift
symbols are demangled in one `swift demangle` call when the tool is on PATH (not simplified:
the module name, e.g. `Queue.Scheduler.pump()`, tells our frames from the runtime's).
"""
import argparse
import html
import re
import shutil
import subprocess
import sys
from collections import Counter

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(.+?)(?:\s+\((.*)\))?$")
# A sample's first line: the thread's name (may hold spaces), its id, the time and the event.
HEADER = re.compile(r"^(.*?)\s+\d+(?:/\d+)?\s+[0-9.]+:")


def collapse(lines):
    """perf script samples (a header line, then one frame a line, leaf first) → Counter of
    'root;...;leaf' stacks, the process name as the root."""
    stacks = Counter()
    command, frames = None, []

    def flush():
        if command is not None:
            stack = [command] + list(reversed(frames))
            stacks[";".join(stack)] += 1

    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            command, frames = None, []
        elif not line[0].isspace():
            flush()
            header = HEADER.match(line)
            command, frames = (header.group(1).strip() if header else line.split()[0]).replace(";", ":"), []
        else:
            match = FRAME.match(line)
            if not match:
                continue
            symbol, module = match.group(1), match.group(2) or ""
            symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
            if symbol == "[unknown]" and module and module != "[unknown]":
                symbol = "[%s]" % module.rsplit("/", 1)[-1]
            frames.append(symbol.replace(";", ":"))
    flush()
    return stacks


def demangle(names):
    """Swift mangled names → demangled names (unchanged where not Swift)."""
    tool = shutil.which("swift-demangle")
    command = [tool] if tool else (["swift", "demangle"] if shutil.which("swift") else None)
    mangled = sorted(n for n in names if n.startswith(("$s", "_$s", "$S", "_T")))
    if not command or not mangled:
        return {}
    output = subprocess.run(command, input="\n".join(mangled) + "\n", capture_output=True, text=True).stdout
    result = output.split("\n")
    # "(start in _D0EF...)": a private declaration's file discriminator, noise in a flame graph.
    return {m: re.sub(r"\((\w+) in _[0-9A-F]{32}\)", r"\1", d).replace(";", ":")
            for m, d in zip(mangled, result) if d}


def color(name):
    """Warm colours, stable per name; our modules in a different hue family."""
    h = sum(ord(c) for c in name) % 60
    if re.search(r"\b(Queue|QueueSQLite|QueueMongo|Loop|BSON|Cron|QueueBenchmark)\.", name):
        return "rgb(%d,%d,%d)" % (80 + h, 160 + h, 230)
    return "rgb(%d,%d,%d)" % (220 + h // 2, 100 + h * 2, 50 + h)


def render(stacks, title, width=1600, row=16):
    tree = {"children": {}, "count": 0}
    for stack, count in stacks.items():
        node = tree
        node["count"] += count
        for frame in stack.split(";"):
            node = node["children"].setdefault(frame, {"children": {}, "count": 0})
            node["count"] += count
    total = tree["count"] or 1

    def depth(node):
        return 1 + max((depth(c) for c in node["children"].values()), default=0)

    rows = depth(tree)
    height = (rows + 3) * row
    scale = (width - 20) / total
    out = ['<?xml version="1.0" standalone="no"?>',
           '<svg version="1.1" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">' % (width, height),
           '<style>text{font-family:monospace;font-size:11px} rect:hover{stroke:black}</style>',
           '<rect x="0" y="0" width="%d" height="%d" fill="#f8f8f8"/>' % (width, height),
           '<text x="%d" y="16" text-anchor="middle" style="font-size:14px">%s (%d samples)</text>'
           % (width // 2, html.escape(title), total)]

    def draw(name, node, x, level):
        w = node["count"] * scale
        if w < 0.3:
            return
        y = height - (level + 1) * row - 4
        label = "%s (%d samples, %.2f%%)" % (name, node["count"], 100.0 * node["count"] / total)
        out.append('<g><title>%s</title><rect x="%.2f" y="%d" width="%.2f" height="%d" fill="%s" rx="2"/>'
                   % (html.escape(label), x, y, w, row - 1, color(name)))
        chars = int(w / 7)
        if chars > 3:
            text = name if len(name) <= chars else name[: chars - 2] + ".."
            out.append('<text x="%.2f" y="%d">%s</text>' % (x + 3, y + row - 4, html.escape(text)))
        out.append("</g>")
        for child_name, child in sorted(node["children"].items()):
            draw(child_name, child, x, level + 1)
            x += child["count"] * scale

    x = 10.0
    for name, child in sorted(tree["children"].items()):
        draw(name, child, x, 0)
        x += child["count"] * scale
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--title", default="Flame graph")
    parser.add_argument("--folded", help="also write the folded stacks to this file")
    arguments = parser.parse_args()
    stacks = collapse(sys.stdin)
    names = {frame for stack in stacks for frame in stack.split(";")}
    readable = demangle(names)
    if readable:
        renamed = Counter()
        for stack, count in stacks.items():
            renamed[";".join(readable.get(f, f) for f in stack.split(";"))] += count
        stacks = renamed
    if arguments.folded:
        with open(arguments.folded, "w") as folded:
            for stack, count in sorted(stacks.items()):
                folded.write("%s %d\n" % (stack, count))
    sys.stdout.write(render(stacks, arguments.title))


if __name__ == "__main__":
    main()
