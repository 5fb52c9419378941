#!/usr/bin/env python3
"""Compares this checkout's queue figures with another commit's, in one run.

    python3 perf/compare.py BASE [--rounds N] [--engine-jobs N] [--sqlite-jobs N] [--mongo-jobs N]

Builds `QueueBenchmark` in release mode here and at BASE (a git worktree under
perf/.peers/compare-<sha>, gitignored), then runs each workload on both binaries in the order
base, here, here, base, repeated --rounds times (the first of two identical runs is often the
faster on this machine, so each side gets as many first places as last), and prints the median
of each figure with the change:

- engine: 100,000 no-op jobs on the memory store, run only: CPU per job (all threads) and jobs/s;
- SQLite: 20,000 no-op jobs, 2 worker processes: jobs/s and the workers' CPU per job;
- MongoDB: commands per job from claim to completion (APM count), on MONGODB_URI or the
  emulator (scripts/mongo-test-server), run once per binary: the count does not vary.

The figures mean the same as perf/run's (perf/README.md).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(message):
    print(f"[compare] {message}", file=sys.stderr, flush=True)


def build(directory):
    log(f"building QueueBenchmark (release) in {directory}")
    subprocess.run(["swift", "build", "-c", "release", "--product", "QueueBenchmark"], cwd=directory, check=True,
                   stdout=sys.stderr)
    return os.path.join(directory, ".build", "release", "QueueBenchmark")


def result_of(binary, *arguments, env=None):
    completed = subprocess.run([binary, *arguments], capture_output=True, text=True, timeout=1200, env=env)
    if completed.returncode != 0:
        raise RuntimeError(f"{binary} {' '.join(arguments)} exited {completed.returncode}:\n{completed.stderr}")
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{binary} {' '.join(arguments)} printed no RESULT line:\n{completed.stdout}")


def worktree(base):
    sha = subprocess.run(["git", "rev-parse", "--short", base], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    path = os.path.join(ROOT, "perf", ".peers", f"compare-{sha}")
    if not os.path.isdir(path):
        subprocess.run(["git", "worktree", "add", "--detach", path, sha], cwd=ROOT, check=True, stdout=sys.stderr)
    return sha, path


def mongo_uri():
    uri = os.environ.get("MONGODB_URI")
    if uri:
        return uri, None
    log("starting the MongoDB test server (scripts/mongo-test-server)")
    server = subprocess.Popen([os.path.join(ROOT, "scripts", "mongo-test-server")], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT)
    uri = server.stdout.readline().strip()
    if not uri.startswith("mongodb://"):
        raise RuntimeError("the MongoDB test server gave no URI")
    return uri, server


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="the commit to compare with (e.g. a sha, main~3)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--engine-jobs", type=int, default=100_000)
    parser.add_argument("--sqlite-jobs", type=int, default=20_000)
    parser.add_argument("--mongo-jobs", type=int, default=300)
    options = parser.parse_args()

    sha, base_directory = worktree(options.base)
    binaries = {"base": build(base_directory), "here": build(ROOT)}
    scratch = tempfile.mkdtemp(prefix="perf-compare-")
    figures = {side: {} for side in binaries}

    def record(side, key, value):
        figures[side].setdefault(key, []).append(value)

    workloads = [
        ("engine", ("engine", "--mode", "bulk", "--jobs", str(options.engine_jobs)),
         [("engine CPU per job, run only (µs)", "cpu_us_per_job"), ("engine jobs/s, run only", "jobs_per_s")]),
        ("sqlite", ("sqlite", "--mode", "bulk", "--jobs", str(options.sqlite_jobs), "--workers", "2",
                    "--directory", scratch),
         [("SQLite 2 workers jobs/s", "jobs_per_s"), ("SQLite workers' CPU per job (µs)", "worker_cpu_us_per_job")]),
    ]
    for round_index in range(options.rounds):
        for name, arguments, keys in workloads:
            for side in ("base", "here", "here", "base"):
                log(f"round {round_index + 1}: {name} on {side}")
                result = result_of(binaries[side], *arguments)
                for label, key in keys:
                    if key in result:
                        record(side, label, result[key])

    uri, server = mongo_uri()
    try:
        env = dict(os.environ, MONGODB_URI=uri)
        for side in ("base", "here"):
            log(f"mongo on {side}")
            result = result_of(binaries[side], "mongo", "--jobs", str(options.mongo_jobs), env=env)
            record(side, "MongoDB commands per job", result["commands_per_job"])
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)

    print(f"| figure | base ({sha}) | here | change |")
    print("| --- | --- | --- | --- |")
    for label in figures["base"]:
        base, here = statistics.median(figures["base"][label]), statistics.median(figures["here"].get(label, [0]))
        change = (here - base) / base * 100 if base else 0
        runs = len(figures["base"][label])
        print(f"| {label} (median of {runs}) | {base:,.2f} | {here:,.2f} | {change:+.1f}% |")


if __name__ == "__main__":
    main()
