"""Runs every benchmark beside its peer and writes perf/RESULTS.md and perf/latency.png.

Started by perf/run (which builds the release binaries and the peers' virtualenv first);
see perf/README.md for what each figure means. Every figure here comes from this run, on
this machine: nothing is copied from an earlier run.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release")
# libmongoc (linked into every QueueBenchmark process) keeps counters in /dev/shm/mongoc-<pid>,
# which the crash benchmark's SIGKILLed workers would leave behind (as scripts/test explains).
os.environ.setdefault("MONGOC_DISABLE_SHM", "1")
VENV_PYTHON = os.path.join(ROOT, "perf", ".peers", "venv", "bin", "python")
SWIFT_PEERS = os.path.join(ROOT, "perf", "peers", "swift-peers")
SWIFT_PEERS_BUILD = os.path.join(ROOT, "perf", ".peers", "swift-peers-build")

# The seed's Node version, counted from its documented lifecycle (perf/README.md, "MongoDB
# commands per job"): claim (findOneAndUpdate), kill-signal check (find on signals), ending
# (updateOne), final read for onJobExited (findOne).
SEED_COMMANDS_PER_JOB = 4


def log(message):
    print(f"[perf/run {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(command, timeout, env=None, cwd=ROOT):
    """Runs a command; returns (stdout, last JSON object it printed or None)."""
    log("$ " + " ".join(command))
    started = time.monotonic()
    completed = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True, timeout=timeout)
    for line in completed.stdout.splitlines():
        if not line.startswith("RESULT "):
            print("    " + line, file=sys.stderr)
    log(f"  ({time.monotonic() - started:.1f} s, exit {completed.returncode})")
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {completed.returncode}")
    result = None
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        elif line.startswith("{"):
            try:
                result = json.loads(line)
            except json.JSONDecodeError:
                pass
    return completed.stdout, result


def ours(*arguments, timeout=900):
    return run([os.path.join(RELEASE, "QueueBenchmark"), *arguments], timeout)[1]


def huey(*arguments, timeout=900):
    return run([VENV_PYTHON, os.path.join(ROOT, "perf", "peers", "huey_bench.py"), *arguments], timeout)[1]


def swift_jobs(binary, *arguments):
    output, _ = run([binary, *arguments], 600)
    figures = dict(re.findall(r"^([a-z0-9/ ]+): ([0-9.]+)$", output, re.M))
    result = {"jobs_per_s": float(figures["jobs/s"]), "latency_p50_ms": float(figures["latency p50 ms"]),
              "latency_p99_ms": float(figures["latency p99 ms"])}
    for label, key in (("cpu us/job", "cpu_us_per_job"), ("end to end jobs/s", "end_to_end_jobs_per_s"),
                       ("end to end cpu us/job", "end_to_end_cpu_us_per_job")):
        if label in figures:
            result[key] = float(figures[label])
    return result


class Results:
    def __init__(self):
        self.rows = []  # (section, figure, ours, peer, ratio, note)
        self.distributions = {}  # chart panel -> [(label, path)]

    def add(self, section, figure, ours_value, peer_value, ratio, note=""):
        self.rows.append((section, figure, ours_value, peer_value, ratio, note))

    def chart(self, panel, label, path):
        if path and os.path.exists(path) and os.path.getsize(path) > 0:
            self.distributions.setdefault(panel, []).append((label, path))


def fmt(value, unit="", digits=0):
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}{unit}"


def ratio_higher_better(ours_value, peer_value):
    if not ours_value or not peer_value:
        return "—"
    return f"{ours_value / peer_value:.1f}×"


def ratio_lower_better(ours_value, peer_value):
    """For latencies: how many times lower (better) or higher (worse) ours is."""
    if ours_value is None or peer_value is None or ours_value <= 0 or peer_value <= 0:
        return "—"
    if ours_value <= peer_value:
        return f"{peer_value / ours_value:.1f}× lower"
    return f"{ours_value / peer_value:.1f}× higher"


def alternated(run_ours, run_peer, peer_optional=False):
    """Runs ours, the peer, the peer again, ours again (ABBA) and returns both pairs of results:
    on this machine the first of two identical runs is often the faster, so a throughput figure
    is the mean of one run in first place and one in last. An optional peer that cannot run
    gives None."""
    first = run_ours()
    try:
        peer = [run_peer(), run_peer()]
    except RuntimeError:
        if not peer_optional:
            raise
        peer = None
    return [first, run_ours()], peer


def mean_of(runs, key):
    """The mean of `key` over a list of results (None when there are none)."""
    return sum(run[key] for run in runs) / len(runs) if runs else None


ALTERNATED_NOTE = "mean of 2 runs each, in the order ours, peer, peer, ours"


def engine(results, scratch, jobs):
    """1. Engine overhead, memory store, beside swift-jobs' memory driver."""
    binary = os.path.join(SWIFT_PEERS_BUILD, "release", "SwiftJobsBench")
    bulk_runs, peer_bulk_runs = alternated(
        lambda: ours("engine", "--mode", "bulk", "--jobs", str(jobs)),
        lambda: swift_jobs(binary, "--mode", "bulk", "--jobs", str(jobs), "--workers", "16"), peer_optional=True)
    bulk_keys = ("jobs_per_s", "cpu_us_per_job", "end_to_end_jobs_per_s", "end_to_end_cpu_us_per_job")
    bulk = {key: mean_of(bulk_runs, key) for key in bulk_keys}
    trickle_path = os.path.join(scratch, "engine-trickle-ours.txt")
    trickle = ours("engine", "--mode", "trickle", "--jobs", "20000", "--rate", "5000", "--latencies", trickle_path)
    results.chart("enqueue→start, memory store (5,000 jobs/s)", "ours", trickle_path)

    peer_bulk = {key: mean_of(peer_bulk_runs, key) for key in bulk_keys} if peer_bulk_runs else None
    peer_trickle = None
    try:
        peer_trickle_path = os.path.join(scratch, "engine-trickle-swift-jobs.txt")
        peer_trickle = swift_jobs(binary, "--mode", "trickle", "--jobs", "20000", "--rate", "5000", "--workers", "16",
                                  "--latencies", peer_trickle_path)
        results.chart("enqueue→start, memory store (5,000 jobs/s)", "swift-jobs 1.3 (MemoryQueue)", peer_trickle_path)
        peer_note = f"peer: swift-jobs 1.3.x, MemoryQueue, 16 workers; {ALTERNATED_NOTE}"
    except RuntimeError:
        peer_note = ("swift-jobs not run: it is not in this machine's package mirror; set SWIFT_JOBS_CHECKOUT "
                     "to a swift-jobs 1.3.x checkout")
    get = lambda result, key: result[key] if result else None
    results.add("1. Engine (memory store, concurrency 16)", f"{jobs:,} no-op jobs end to end: jobs/s",
                fmt(bulk["end_to_end_jobs_per_s"]), fmt(get(peer_bulk, "end_to_end_jobs_per_s")),
                ratio_higher_better(bulk["end_to_end_jobs_per_s"], get(peer_bulk, "end_to_end_jobs_per_s")),
                "from the first enqueue to the last handler: all jobs enqueued one call at a time, then run "
                "(the measure of the issue's 12k–20k jobs/s for swift-jobs); " + peer_note)
    results.add("1. Engine (memory store, concurrency 16)", f"{jobs:,} no-op jobs end to end: CPU per job, all threads",
                fmt(bulk["end_to_end_cpu_us_per_job"], " µs", 2), fmt(get(peer_bulk, "end_to_end_cpu_us_per_job"), " µs", 2),
                ratio_lower_better(bulk["end_to_end_cpu_us_per_job"], get(peer_bulk, "end_to_end_cpu_us_per_job")),
                "process CPU time over the same window; " + ALTERNATED_NOTE)
    results.add("1. Engine (memory store, concurrency 16)", f"{jobs:,} no-op jobs, run only: jobs/s",
                fmt(bulk["jobs_per_s"]), fmt(get(peer_bulk, "jobs_per_s")),
                ratio_higher_better(bulk["jobs_per_s"], get(peer_bulk, "jobs_per_s")),
                "from the worker's start (every job already enqueued) to the last handler; " + ALTERNATED_NOTE)
    results.add("1. Engine (memory store, concurrency 16)", f"{jobs:,} no-op jobs, run only: CPU per job, all threads",
                fmt(bulk["cpu_us_per_job"], " µs", 2), fmt(get(peer_bulk, "cpu_us_per_job"), " µs", 2),
                ratio_lower_better(bulk["cpu_us_per_job"], get(peer_bulk, "cpu_us_per_job")),
                "process CPU time from the worker's start to the last handler (steadier than jobs/s here); "
                + ALTERNATED_NOTE)
    retry = ours("engine", "--mode", "retry", "--jobs", str(jobs))
    results.add("1. Engine (memory store, concurrency 16)",
                f"{jobs:,} jobs, half failing once and retried: jobs/s", fmt(retry["jobs_per_s"]), "—", "—",
                "every other job's first run throws and is retried at once (two attempts, no back-off): "
                f"{jobs * 3 // 2:,} runs for {jobs:,} jobs, from the worker's start to the last success; "
                "no peer run")
    results.add("1. Engine (memory store, concurrency 16)",
                f"{jobs:,} jobs, half failing once and retried: CPU per job, all threads",
                fmt(retry["cpu_us_per_job"], " µs", 2), "—", "—",
                "per job that succeeded, the failed runs' cost included")
    for key, label in (("latency_p50_ms", "p50"), ("latency_p99_ms", "p99")):
        results.add("1. Engine (memory store, concurrency 16)",
                    f"enqueue→start latency {label}, 20,000 jobs at 5,000/s",
                    fmt(trickle[key], " ms", 3), fmt(get(peer_trickle, key), " ms", 3),
                    ratio_lower_better(trickle[key], get(peer_trickle, key)))


def sqlite(results, scratch, jobs):
    """2. Embedded store: SQLite, 2 worker processes, beside huey's SqliteHuey."""
    bulk_runs, peer_bulk_runs = alternated(
        lambda: ours("sqlite", "--mode", "bulk", "--jobs", str(jobs), "--workers", "2", "--directory", scratch),
        lambda: huey("throughput", "--jobs", str(jobs), "--workers", "2"))
    for run_result in bulk_runs + peer_bulk_runs:  # enqueue time + run time: the same jobs, end to end
        run_result["end_to_end_jobs_per_s"] = 1 / (1 / run_result["enqueue_per_s"] + 1 / run_result["jobs_per_s"])
    bulk_keys = ("jobs_per_s", "enqueue_per_s", "end_to_end_jobs_per_s")
    bulk = {key: mean_of(bulk_runs, key) for key in bulk_keys}
    peer_bulk = {key: mean_of(peer_bulk_runs, key) for key in bulk_keys}
    peer_bulk["version"] = peer_bulk_runs[0].get("version", "?")
    alone = ours("sqlite", "--mode", "store", "--jobs", str(jobs), "--directory", scratch)
    # SQLite alone on the file the store run just prepared: its schema, our statements, nothing else.
    floor = run([VENV_PYTHON, os.path.join(ROOT, "perf", "sqlite_floor.py"), "--schema-from",
                 os.path.join(scratch, "jobs.sqlite"), "--dir", scratch, "--jobs", str(jobs)], 600)[1]
    # Scheduling alone: one transaction per job, then batches of 1,000 (`schedule(many:)`), each
    # beside SQLite alone running the store's INSERT on the same schema (ours, floor, floor, ours).
    batch_jobs = 5 * jobs

    def enqueue_floor(count, batch):
        return run([VENV_PYTHON, os.path.join(ROOT, "perf", "sqlite_floor.py"), "--mode", "enqueue", "--schema-from",
                    os.path.join(scratch, "jobs.sqlite"), "--dir", scratch, "--jobs", str(count), "--batch", str(batch)],
                   600)[1]
    enqueue_floors, batch_floors = [enqueue_floor(jobs, 1)], [enqueue_floor(batch_jobs, 1000)]
    batch_runs = [ours("sqlite", "--mode", "enqueue", "--jobs", str(batch_jobs), "--batch", "1000", "--directory", scratch)]
    enqueue_floors.append(enqueue_floor(jobs, 1))
    batch_floors.append(enqueue_floor(batch_jobs, 1000))
    batch_runs.append(ours("sqlite", "--mode", "enqueue", "--jobs", str(batch_jobs), "--batch", "1000",
                           "--directory", scratch))
    enqueue_floor_rate = mean_of(enqueue_floors, "jobs_per_s")
    batch = {key: mean_of(batch_runs, key) for key in ("jobs_per_s", "cpu_us_per_job")}
    batch_floor = {key: mean_of(batch_floors, key) for key in ("jobs_per_s", "cpu_us_per_job")}
    trickle_path = os.path.join(scratch, "sqlite-trickle-ours.txt")
    trickle = ours("sqlite", "--mode", "trickle", "--jobs", "2000", "--rate", "500", "--workers", "2",
                   "--directory", scratch, "--latencies", trickle_path)
    results.chart("enqueue→start, SQLite, 2 processes (500 jobs/s)", "ours", trickle_path)
    peer_bulk_fsync = huey("throughput", "--jobs", str(jobs), "--workers", "2", "--fsync", "on")
    peer_trickle_path = os.path.join(scratch, "sqlite-trickle-huey.txt")
    peer_trickle = huey("trickle", "--jobs", "2000", "--rate", "500", "--workers", "2", "--latencies", peer_trickle_path)
    results.chart("enqueue→start, SQLite, 2 processes (500 jobs/s)", "huey SqliteHuey", peer_trickle_path)
    section = "2. SQLite store, 2 worker processes"
    version = peer_bulk.get("version", "?")
    results.add(section, f"{jobs:,} no-op jobs: jobs/s", fmt(bulk["jobs_per_s"]), fmt(peer_bulk["jobs_per_s"]),
                ratio_higher_better(bulk["jobs_per_s"], peer_bulk["jobs_per_s"]),
                f"huey {version} defaults (synchronous=OFF: no fsync); ours syncs the WAL as SQLite's NORMAL does; "
                + ALTERNATED_NOTE)
    results.add(section, f"{jobs:,} no-op jobs: jobs/s, huey with fsync on", fmt(bulk["jobs_per_s"]),
                fmt(peer_bulk_fsync["jobs_per_s"]), ratio_higher_better(bulk["jobs_per_s"], peer_bulk_fsync["jobs_per_s"]),
                "huey --fsync on (synchronous=FULL)")
    results.add(section, f"{jobs:,} no-op jobs: jobs/s of the store alone (one process, no handlers, "
                "endings and claims of 16 per transaction)", fmt(alone["jobs_per_s"]), "—", "—",
                "the ceiling of the row above with our store's code on this machine")
    results.add(section, f"{jobs:,} no-op jobs: jobs/s of SQLite alone running the store's statements "
                "(one process, 16 per transaction, nothing else)", fmt(floor["jobs_per_s"]),
                fmt(peer_bulk["jobs_per_s"]), ratio_higher_better(floor["jobs_per_s"], peer_bulk["jobs_per_s"]),
                f"the most any worker on our schema can run: SQLite's own cost, the floor under ours (perf/sqlite_floor.py: Python's sqlite3, same libsqlite3 "
                f"{floor.get('sqlite', '?')}, same settings); 5× huey would be {fmt(5 * peer_bulk['jobs_per_s'])} jobs/s")
    results.add(section, "enqueue jobs/s (one process, one transaction per job)", fmt(bulk["enqueue_per_s"]),
                fmt(peer_bulk["enqueue_per_s"]), ratio_higher_better(bulk["enqueue_per_s"], peer_bulk["enqueue_per_s"]),
                f"{ALTERNATED_NOTE}; {bulk['enqueue_per_s'] / enqueue_floor_rate:.2f}× SQLite's floor below "
                "(goals: 1.5× huey, and within 1.5× of the floor)")
    results.add(section, "enqueue jobs/s of SQLite alone running the store's INSERT (one process, one transaction "
                "per job, nothing else)", fmt(enqueue_floor_rate), fmt(peer_bulk["enqueue_per_s"]),
                ratio_higher_better(enqueue_floor_rate, peer_bulk["enqueue_per_s"]),
                "the floor under the row above: perf/sqlite_floor.py --mode enqueue (Python's sqlite3, our schema, "
                "synchronous=NORMAL); mean of 2 runs, alternated with ours")
    results.add(section, f"batch scheduling: {batch_jobs:,} jobs, schedule(many:) of 1,000 (one transaction each): "
                "jobs/s", fmt(batch["jobs_per_s"]), "—", "—",
                f"goal ≥ 150,000; CPU {batch['cpu_us_per_job']:.1f} µs per job; {batch['jobs_per_s'] / batch_floor['jobs_per_s']:.2f}× "
                "SQLite's floor below; mean of 2 runs, alternated with the floor's")
    results.add(section, f"batch scheduling: jobs/s of SQLite alone running the store's INSERT, 1,000 per "
                "transaction", fmt(batch_floor["jobs_per_s"]), "—", "—",
                f"perf/sqlite_floor.py --mode enqueue --batch 1000; CPU {batch_floor['cpu_us_per_job']:.1f} µs per job "
                "(Python's own part included)")
    results.add(section, f"{jobs:,} no-op jobs end to end: jobs/s (enqueued one transaction each, then run)",
                fmt(bulk["end_to_end_jobs_per_s"]), fmt(peer_bulk["end_to_end_jobs_per_s"]),
                ratio_higher_better(bulk["end_to_end_jobs_per_s"], peer_bulk["end_to_end_jobs_per_s"]),
                "jobs / (enqueue time + run time) of each run above; " + ALTERNATED_NOTE)
    for key, label in (("latency_p50_ms", "p50"), ("latency_p99_ms", "p99")):
        results.add(section, f"enqueue→start latency {label}, 2,000 jobs at 500/s", fmt(trickle[key], " ms", 1),
                    fmt(peer_trickle[key], " ms", 1), ratio_lower_better(trickle[key], peer_trickle[key]),
                    "both: worker's clock at handler start − enqueuer's clock (one machine)" if label == "p50" else "")


def mongo(results, jobs):
    """3. MongoDB commands per job, beside the seed's Node version."""
    uri = os.environ.get("MONGODB_URI")
    server = None
    if not uri:
        log("starting the MongoDB test server (scripts/mongo-test-server)")
        server = subprocess.Popen([os.path.join(ROOT, "scripts", "mongo-test-server")], stdout=subprocess.PIPE,
                                  text=True, cwd=ROOT)
        uri = server.stdout.readline().strip()
        if not uri.startswith("mongodb://"):
            raise RuntimeError("the MongoDB test server gave no URI")
    try:
        env = dict(os.environ, MONGODB_URI=uri)
        result = run([os.path.join(RELEASE, "QueueBenchmark"), "mongo", "--jobs", str(jobs)], 1200, env=env)[1]
        # 3 batches: the count per batch is what matters, and the emulator takes ~20 s per batch.
        scheduling = run([os.path.join(RELEASE, "QueueBenchmark"), "mongo", "--mode", "schedule", "--jobs", "3000",
                          "--batch", "1000"], 1200, env=env)[1]
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
    emulator = server is not None
    section = "3. MongoDB"
    results.add(section, "commands per job, claim to completion (APM count / jobs)",
                fmt(result["commands_per_job"], "", 2), fmt(SEED_COMMANDS_PER_JOB, "", 0),
                f"{SEED_COMMANDS_PER_JOB / result['commands_per_job']:.1f}× fewer",
                "seed: counted from its documented lifecycle (perf/README.md)")
    results.add(section, "commands per scheduled job, schedule(many:) of 1,000 (APM count / jobs)",
                fmt(scheduling["commands_per_job"], "", 4), "—", "—",
                f"goal ≤ 0.002; {scheduling['jobs']:,} jobs: per batch one find (no id taken) and one insert")
    results.add(section, f"jobs/s over {jobs:,} jobs ({'emulator: regression figure only' if emulator else 'MongoDB'})",
                fmt(result["jobs_per_s"]), "—", "—", "mongoeco is ~20× slower than MongoDB" if emulator else "")


def precision(results, scratch, seconds):
    """4. Scheduling precision: per-second cron and 1,000 delayed jobs."""
    path = os.path.join(scratch, "precision-ours.txt")
    result = ours("precision", "--store", "sqlite", "--seconds", str(seconds), "--delayed", "1000", "--latencies", path)
    results.chart(f"lateness: per-second cron + 1,000 delayed jobs ({seconds} s)", "ours (SQLite)", path)
    peer_path = os.path.join(scratch, "precision-huey.txt")
    peer = huey("delayed", "--jobs", "1000", "--seconds", str(seconds), "--workers", "2", "--latencies", peer_path,
                timeout=seconds + 300)
    results.chart(f"lateness: per-second cron + 1,000 delayed jobs ({seconds} s)", "huey (delayed jobs)", peer_path)
    section = "4. Scheduling precision (SQLite, one worker)"
    for key, peer_key, label in (("p50_ms", "lateness_p50_ms", "p50"), ("p99_ms", "lateness_p99_ms", "p99"),
                                 ("max_ms", "lateness_max_ms", "max")):
        results.add(section, f"lateness {label}: {result['ticks']} cron ticks + {result['delayed']} delayed jobs",
                    fmt(result[key], " ms", 2), fmt(peer[peer_key], " ms", 1),
                    ratio_lower_better(result[key], peer[peer_key]),
                    "huey: delayed jobs only (its crons have minute resolution)" if label == "p50" else "")
    results.add(section, "cron ticks alone: lateness p99 / max",
                f"{result['cron_p99_ms']:.2f} / {result['cron_max_ms']:.2f} ms", "impossible", "—",
                "huey's periodic tasks cannot run every second")


def crash(results, runs):
    """5. Crash detection: SIGKILL to recovery."""
    result = ours("crash", "--runs", str(runs), timeout=runs * 90)
    peer = huey("crash", timeout=300)
    section = "5. Crash detection"
    peer_value = f"{peer['seconds']:.1f} s" if peer.get("recovered") else "never (job lost)"
    results.add(section, f"SIGKILL → job recovered, median of {runs} (max)",
                f"{result['median_s']:.1f} s ({result['max_s']:.1f} s)", peer_value, "—",
                f"defaults: heartbeat {result['heartbeat_s']:.0f} s, dead after {result['dead_after_s']:.0f} s; "
                + "huey: " + peer.get("note", "")[:160])


def queue_on_each_backend(results, scratch, engine_jobs, sqlite_jobs):
    """7. The engine and SQLite bulk figures on each loop backend: epoll (the default) beside
    io_uring (JOB_PROCESSOR_LOOP=io_uring), in the order epoll, io_uring, io_uring, epoll."""
    def on(backend, *arguments):
        env = dict(os.environ, JOB_PROCESSOR_LOOP=backend)
        return run([os.path.join(RELEASE, "QueueBenchmark"), *arguments], 900, env=env)[1]

    section = "7. The queue on each loop backend (ours: epoll, the default; peer column: io_uring)"
    note = "JOB_PROCESSOR_LOOP=io_uring for the peer column; means of 2 runs each, alternated"
    engine_arguments = ("engine", "--mode", "bulk", "--jobs", str(engine_jobs))
    sqlite_arguments = ("sqlite", "--mode", "bulk", "--jobs", str(sqlite_jobs), "--workers", "2",
                        "--directory", scratch)
    for arguments, rows in (
        (engine_arguments, ((f"engine: {engine_jobs:,} no-op jobs, run only: jobs/s", "jobs_per_s", "", 0),
                            ("engine: CPU per job, all threads", "cpu_us_per_job", " µs", 2))),
        (sqlite_arguments, ((f"SQLite: {sqlite_jobs:,} jobs, 2 worker processes: jobs/s", "jobs_per_s", "", 0),
                            ("SQLite: worker CPU per job", "worker_cpu_us_per_job", " µs", 1))),
    ):
        epoll_runs, uring_runs = alternated(lambda: on("epoll", *arguments), lambda: on("io_uring", *arguments))
        for label, key, unit, digits in rows:
            epoll_value, uring_value = mean_of(epoll_runs, key), mean_of(uring_runs, key)
            ratio = (ratio_higher_better if key == "jobs_per_s" else ratio_lower_better)(epoll_value, uring_value)
            results.add(section, label, fmt(epoll_value, unit, digits), fmt(uring_value, unit, digits), ratio, note)
            note = ""


def metrics_and_dashboard(results, scratch, engine_jobs, dashboard_jobs):
    """8. What metrics cost per job: the engine bulk figures with no metrics backend (the
    default) beside swift-prometheus bootstrapped, alternated; and the dashboard overview's
    latency on a SQLite store of `dashboard_jobs` jobs."""
    section = "8. Metrics and the dashboard (ours: no metrics backend; peer column: swift-prometheus bootstrapped)"
    arguments = ("engine", "--mode", "bulk", "--jobs", str(engine_jobs))
    none_runs, prometheus_runs = alternated(lambda: ours(*arguments, "--metrics", "none"),
                                            lambda: ours(*arguments, "--metrics", "prometheus"))
    note = "the same engine run with the metrics backend bootstrapped in the peer column; means of 2 runs each, alternated"
    for label, key, unit, digits in ((f"engine: {engine_jobs:,} no-op jobs, run only: jobs/s", "jobs_per_s", "", 0),
                                     ("engine: CPU per job, all threads", "cpu_us_per_job", " µs", 2)):
        none_value, prometheus_value = mean_of(none_runs, key), mean_of(prometheus_runs, key)
        ratio = (ratio_higher_better if key == "jobs_per_s" else ratio_lower_better)(none_value, prometheus_value)
        if key == "cpu_us_per_job" and none_value is not None and prometheus_value is not None:
            note = f"metrics cost {prometheus_value - none_value:+.2f} µs of CPU per job"
        results.add(section, label, fmt(none_value, unit, digits), fmt(prometheus_value, unit, digits), ratio, note)
        note = ""
    dashboard = ours("dashboard", "--jobs", str(dashboard_jobs), "--directory", scratch)
    for key, label in (("p50_ms", "p50"), ("p99_ms", "p99")):
        results.add(section, f"dashboard overview (GET /) on {dashboard_jobs:,} jobs, SQLite: {label}",
                    fmt(dashboard[key], " ms", 1), "—", "—",
                    "goal: p99 under 50 ms; 300 sequential requests over loopback HTTP, each on a new connection"
                    if label == "p50" else "")


def loop_and_cron(results):
    """6. The loop's own figures on each backend (epoll, io_uring) beside SwiftNIO's event loop;
    the cron parser beside croniter."""
    output, _ = run([os.path.join(RELEASE, "LoopBenchmark")], 900)
    peer_output, _ = run([os.path.join(SWIFT_PEERS_BUILD, "release", "NIOLoopBench")], 600)
    peer = dict(line.split(": ", 1) for line in peer_output.splitlines() if ": " in line)
    section = "6. Loop and cron"
    # LoopBenchmark prints "[backend] figure: value"; rows go figure by figure, each backend
    # beside the same SwiftNIO figure (NIO's system calls are not counted: "—").
    figures = {}
    for line in output.splitlines():
        match = re.match(r"^\[([a-z_]+)\] (.+?): (.+)$", line)
        if match:
            backend, name, value = match.groups()
            figures.setdefault(name, []).append((backend, value))
    for index, (name, values) in enumerate(figures.items()):
        peer_value = peer.get(name)
        for backend, value in values:
            ours_number, peer_number = leading_number(value), leading_number(peer_value)
            if "latency" in name or "lateness" in name:
                ratio = ratio_lower_better(ours_number, peer_number)
            else:
                ratio = ratio_higher_better(ours_number, peer_number)
            note = "peer: SwiftNIO's event loop (1 thread, epoll)" if index == 0 and backend == values[0][0] else ""
            results.add(section, f"loop on {backend}: {name}", value, peer_value or "—", ratio, note)
    cron_output, _ = run([os.path.join(RELEASE, "CronBenchmark"), "3"], 120)
    ours_rate = float(cron_output.split()[1])
    peer_output, _ = run([VENV_PYTHON, os.path.join(ROOT, "perf", "cron-peer", "croniter_bench.py"), "3"], 120)
    peer_rate = float(peer_output.split()[1])
    results.add(section, "cron: next occurrences per second (20 expressions × 5 zones)", fmt(ours_rate),
                fmt(peer_rate), ratio_higher_better(ours_rate, peer_rate), "peer: croniter 7.0.0")


def leading_number(text):
    match = re.match(r"\s*([0-9.]+)", text or "")
    return float(match.group(1)) if match else None


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    swift = subprocess.run(["swift", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "swift": swift.stdout.splitlines()[0] if swift.stdout else "?",
        "python": platform.python_version(),
        "load": "%.2f %.2f %.2f" % os.getloadavg(),
    }


def write_results(results, started, elapsed, host):
    lines = [
        "# Benchmark results",
        "",
        f"Written by `perf/run` on {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} minutes. "
        "Every figure comes from that one run on this machine; peers ran in the same run, one at a time.",
        "",
        f"Machine: {host['cpu']}, {host['memory']}, {host['os']}; {host['swift']}; Python {host['python']} "
        f"(peers); load average at the end {host['load']}.",
        "",
        "| figure | ours | peer | ratio | note |",
        "| --- | --- | --- | --- | --- |",
    ]
    section = None
    for row_section, figure, ours_value, peer_value, ratio, note in results.rows:
        if row_section != section:
            section = row_section
            lines.append(f"| **{section}** | | | | |")
        lines.append(f"| {figure} | {ours_value} | {peer_value} | {ratio} | {note} |")
    lines += ["", "Latency distributions: `perf/latency.png`. What each figure measures: `perf/README.md`.", ""]
    with open(os.path.join(ROOT, "perf", "RESULTS.md"), "w") as out:
        out.write("\n".join(lines))


def write_chart(results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(results.distributions.items())
    if not panels:
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.5), squeeze=False)
    for axis, (title, series) in zip(axes[0], panels):
        for label, path in series:
            with open(path) as values:
                samples = sorted(max(float(line), 1.0) / 1000 for line in values if line.strip())
            if not samples:
                continue
            fractions = [(index + 1) / len(samples) for index in range(len(samples))]
            p99 = samples[max(0, math.ceil(0.99 * len(samples)) - 1)]  # nearest rank, as the benchmarks compute it
            axis.plot(samples, fractions, label=f"{label} (p99 {p99:.2f} ms)")
        axis.set_xscale("log")
        axis.set_xlabel("milliseconds (log scale)")
        axis.set_ylabel("fraction of jobs")
        axis.set_title(title, fontsize=10)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(os.path.join(ROOT, "perf", "latency.png"), dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine-jobs", type=int, default=100_000)
    parser.add_argument("--sqlite-jobs", type=int, default=20_000)
    parser.add_argument("--mongo-jobs", type=int, default=1_000)
    parser.add_argument("--precision-seconds", type=int, default=60)
    parser.add_argument("--crash-runs", type=int, default=3)
    parser.add_argument("--dashboard-jobs", type=int, default=200_000)
    options = parser.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc)
    clock = time.monotonic()
    results = Results()
    scratch = tempfile.mkdtemp(prefix="perf-run-")
    try:
        # The Swift peers (SwiftNIO's loop; swift-jobs when a checkout is found), in one build.
        run(["swift", "build", "-c", "release", "--package-path", SWIFT_PEERS, "--scratch-path", SWIFT_PEERS_BUILD],
            1800)
        engine(results, scratch, options.engine_jobs)
        sqlite(results, scratch, options.sqlite_jobs)
        mongo(results, options.mongo_jobs)
        precision(results, scratch, options.precision_seconds)
        crash(results, options.crash_runs)
        queue_on_each_backend(results, scratch, options.engine_jobs, options.sqlite_jobs)
        loop_and_cron(results)
        metrics_and_dashboard(results, scratch, options.engine_jobs, options.dashboard_jobs)
        elapsed = time.monotonic() - clock
        write_results(results, started, elapsed, machine())
        write_chart(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    log(f"wrote perf/RESULTS.md and perf/latency.png in {(time.monotonic() - clock) / 60:.1f} minutes")
    print(open(os.path.join(ROOT, "perf", "RESULTS.md")).read())


if __name__ == "__main__":
    main()
