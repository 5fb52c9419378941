#!/usr/bin/env python3
"""Peer benchmark: huey's SqliteHuey (see perf/peers/README.md).

    <venv-python> perf/peers/huey_bench.py MODE [options]

MODE is one of throughput, trickle, delayed, crash. Progress goes to stderr; the last stdout
line is one JSON object (on failure: {"peer", "version", "mode", "error"} and exit status 1).

This file is also the task module the consumer imports (`huey_bench.huey`, with this folder
on PYTHONPATH): when imported under its own name it builds the SqliteHuey instance from
HUEY_BENCH_DB and defines the tasks, which write their records into HUEY_BENCH_DIR. Run as
a script (`__main__`) it is the driver, and imports itself as `huey_bench` so that the task
names it enqueues (`huey_bench.noop`, ...) are the ones the consumer has registered.
"""
import os
import sys
import time

HUEY_VERSION = "2.6.0"  # the version installed in perf/.peers/venv (the newest 2.x on PyPI)
PEER = "huey SqliteHuey"
DB_ENV = "HUEY_BENCH_DB"
DIR_ENV = "HUEY_BENCH_DIR"
DRIVER_PID_ENV = "HUEY_BENCH_DRIVER_PID"  # set only in the consumer's environment
FSYNC_ENV = "HUEY_BENCH_FSYNC"  # "on"/"off": SqliteHuey(fsync=...); unset: huey's default
DB_NAME = "huey_bench.db"
RECORDS_PREFIX = "records-"  # records-<worker pid>.txt: "index t0 start end" per task run
CRASH_FILE = "crash-started.txt"  # "started <pid> <time>" per run of the sleeper task

if __name__ != "__main__":
    # ---- task module (imported by the consumer and by the driver) ----
    from huey import SqliteHuey

    _fsync = {"on": {"fsync": True}, "off": {"fsync": False}}.get(os.environ.get(FSYNC_ENV), {})
    huey = SqliteHuey(name="huey_bench", filename=os.environ[DB_ENV], **_fsync)

    def _die_with(parent_pid):
        """Linux: get SIGKILL when the parent dies (PR_SET_PDEATHSIG), so that a driver
        killed with SIGKILL leaves no consumer polling the database behind."""
        try:
            import ctypes
            ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
        except Exception:
            return
        if os.getppid() != parent_pid:  # the parent died before prctl
            os._exit(1)

    if os.environ.get(DRIVER_PID_ENV) and sys.platform.startswith("linux"):
        # Imported by the consumer's main process (only its environment has the variable):
        # it dies with the driver, and every process it forks (workers, scheduler, workers
        # the health check restarts) dies with it.
        _die_with(int(os.environ[DRIVER_PID_ENV]))
        _consumer_pid = os.getpid()
        os.register_at_fork(after_in_child=lambda: _die_with(_consumer_pid))

    _out = None
    _out_pid = None

    def _records():
        """This worker process's record file, opened after the fork, line-buffered (one
        write(2) per record, O_APPEND)."""
        global _out, _out_pid
        pid = os.getpid()
        if _out is None or _out_pid != pid:
            path = os.path.join(os.environ[DIR_ENV], "%s%d.txt" % (RECORDS_PREFIX, pid))
            _out = open(path, "a", buffering=1)
            _out_pid = pid
        return _out

    @huey.task()
    def noop(index, t0):
        """The no-op job. t0 is the enqueue time (throughput, trickle) or the due time
        (delayed), as time.time() in the driver."""
        start = time.time()
        end = time.time()
        _records().write("%d %.6f %.6f %.6f\n" % (index, t0, start, end))

    @huey.task()
    def sleeper(seconds):
        """The crash-mode job: says it started (and in which process), then sleeps."""
        with open(os.path.join(os.environ[DIR_ENV], CRASH_FILE), "a") as f:
            f.write("started %d %.6f\n" % (os.getpid(), time.time()))
            f.flush()
        time.sleep(seconds)


# ---------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------

def main():
    import argparse
    import atexit
    import json
    import math
    import shutil
    import signal
    import subprocess
    import tempfile
    from datetime import datetime, timezone

    here = os.path.dirname(os.path.abspath(__file__))

    def log(msg):
        print("[huey_bench] " + msg, file=sys.stderr, flush=True)

    class BenchError(Exception):
        pass

    parser = argparse.ArgumentParser(description="huey SqliteHuey peer benchmark")
    parser.add_argument("mode", choices=["throughput", "trickle", "delayed", "crash"])
    parser.add_argument("--jobs", type=int, default=None,
                        help="jobs (default: throughput 20000, trickle 2000, delayed 1000)")
    parser.add_argument("--workers", type=int, default=2, help="consumer worker processes")
    parser.add_argument("--rate", type=float, default=500.0, help="trickle: jobs/s enqueued")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="delayed: due times spread over this many seconds")
    parser.add_argument("--dir", default=None,
                        help="working folder (database, records, consumer.log); default: a "
                             "fresh temporary folder, removed afterwards")
    parser.add_argument("--latencies", default=None,
                        help="write every latency (lateness in delayed mode), in microseconds, "
                             "one per line")
    parser.add_argument("--fsync", choices=["default", "on", "off"], default="default",
                        help="SqliteHuey(fsync=True) is synchronous=FULL, False is OFF; "
                             "default: huey's own (2.x: OFF)")
    parser.add_argument("--delay", type=float, default=0.001,
                        help="consumer -d: initial polling delay in seconds")
    parser.add_argument("--max-delay", type=float, default=0.001,
                        help="consumer -m: maximum polling delay in seconds")
    parser.add_argument("--backoff", type=float, default=1.0,
                        help="consumer -b: polling back-off factor (>= 1)")
    args = parser.parse_args()
    defaults = {"throughput": 20000, "trickle": 2000, "delayed": 1000, "crash": 1}
    jobs = args.jobs if args.jobs is not None else defaults[args.mode]

    result = {"peer": PEER, "version": None, "mode": args.mode}
    consumer = {"proc": None, "log": None}
    temp_dir = None

    # SIGTERM/SIGHUP from a driver's timeout: unwind through the finally blocks.
    def on_signal(signum, frame):
        raise SystemExit("huey_bench: received signal %d" % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    def kill_group():
        proc = consumer["proc"]
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the consumer's own session, see start
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        consumer["proc"] = None

    atexit.register(kill_group)

    def consumer_log_tail(n=20):
        path = consumer["log"]
        if not path or not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def consumer_flags():
        return ["-w", str(args.workers), "-k", "process",
                "-d", repr(args.delay), "-m", repr(args.max_delay), "-b", repr(args.backoff),
                "-s", "1", "-q"]

    def start_consumer(work_dir, db_path):
        env = dict(os.environ)
        env[DB_ENV] = db_path
        env[DIR_ENV] = work_dir
        env[DRIVER_PID_ENV] = str(os.getpid())
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        cmd = [sys.executable, "-m", "huey.bin.huey_consumer", "huey_bench.huey"] + consumer_flags()
        consumer["log"] = os.path.join(work_dir, "consumer.log")
        logf = open(consumer["log"], "w")
        log("consumer: " + " ".join(cmd[1:]))
        started = time.time()
        consumer["proc"] = subprocess.Popen(cmd, env=env, cwd=work_dir, stdin=subprocess.DEVNULL,
                                            stdout=logf, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        logf.close()
        return started

    def check_consumer_alive():
        proc = consumer["proc"]
        if proc is not None and proc.poll() is not None:
            raise BenchError("consumer exited early with status %s; consumer.log ends with:\n%s"
                             % (proc.returncode, consumer_log_tail()))

    def stop_consumer():
        """SIGINT (huey's graceful stop: workers finish their task), then SIGTERM, then
        SIGKILL to the consumer's process group."""
        proc = consumer["proc"]
        if proc is None:
            return
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5)):
            if proc.poll() is not None:
                break
            try:
                proc.send_signal(sig)
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                log("consumer did not stop on %s" % signal.Signals(sig).name)
        kill_group()  # stragglers (workers are in the consumer's process group)

    class Records:
        """Reads the workers' record files incrementally: {index: (t0, start, end)}."""

        def __init__(self, work_dir):
            self.dir = work_dir
            self.offsets = {}
            self.partial = {}
            self.runs = {}
            self.reruns = 0

        def poll(self):
            for name in os.listdir(self.dir):
                if not (name.startswith(RECORDS_PREFIX) and name.endswith(".txt")):
                    continue
                path = os.path.join(self.dir, name)
                with open(path, "rb") as f:
                    f.seek(self.offsets.get(name, 0))
                    data = f.read()
                if not data:
                    continue
                self.offsets[name] = self.offsets.get(name, 0) + len(data)
                data = self.partial.pop(name, b"") + data
                lines = data.split(b"\n")
                if lines[-1]:
                    self.partial[name] = lines[-1]
                for line in lines[:-1]:
                    index, t0, start, end = line.split()
                    index = int(index)
                    if index in self.runs:
                        self.reruns += 1
                    else:
                        self.runs[index] = (float(t0), float(start), float(end))

        def wait_for(self, indexes, timeout, what):
            deadline = time.time() + timeout
            missing = set(indexes)
            next_note = time.time() + 10
            while True:
                self.poll()
                missing.difference_update(self.runs.keys() & missing)
                if not missing:
                    return
                check_consumer_alive()
                now = time.time()
                if now > deadline:
                    raise BenchError("timeout after %.0f s waiting for %s: %d of %d jobs never ran"
                                     % (timeout, what, len(missing), len(indexes)))
                if now > next_note:
                    log("%s: %d of %d done" % (what, len(indexes) - len(missing), len(indexes)))
                    next_note = now + 10
                time.sleep(0.05)

    def percentile(sorted_values, p):
        """Nearest-rank percentile of an ascending list."""
        if not sorted_values:
            return None
        rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
        return sorted_values[rank - 1]

    def ms(seconds):
        return None if seconds is None else round(seconds * 1000.0, 3)

    def write_latencies(values):
        """In job order (index 0 first), microseconds, one per line."""
        if args.latencies:
            with open(args.latencies, "w") as f:
                for v in values:
                    f.write("%d\n" % round(v * 1e6))

    def fresh_dir():
        nonlocal temp_dir
        if args.dir:
            work_dir = os.path.abspath(args.dir)
            os.makedirs(work_dir, exist_ok=True)
        else:
            work_dir = temp_dir = tempfile.mkdtemp(prefix="huey_bench-")
        for name in os.listdir(work_dir):
            if (name.startswith(DB_NAME) or name.startswith(RECORDS_PREFIX)
                    or name in (CRASH_FILE, "consumer.log")):
                os.remove(os.path.join(work_dir, name))
        return work_dir, os.path.join(work_dir, DB_NAME)

    def load_tasks(work_dir, db_path):
        if args.fsync != "default":
            os.environ[FSYNC_ENV] = args.fsync  # the consumer inherits it
        os.environ[DB_ENV] = db_path
        os.environ[DIR_ENV] = work_dir
        if here not in sys.path:
            sys.path.insert(0, here)
        import huey as huey_pkg
        import huey_bench as tasks
        result["version"] = huey_pkg.__version__
        if huey_pkg.__version__ != HUEY_VERSION:
            log("warning: huey %s installed, this benchmark is pinned to %s"
                % (huey_pkg.__version__, HUEY_VERSION))
        return tasks

    def common_fields(tasks):
        pragma = lambda name: tasks.huey.storage.sql("pragma " + name, results=True)[0][0]
        synchronous = pragma("synchronous")
        synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(synchronous, synchronous)
        return {"consumer_flags": " ".join(consumer_flags()),
                "sqlite": "journal_mode=%s synchronous=%s" % (pragma("journal_mode"), synchronous),
                "python": sys.version.split()[0]}

    def warm_up(tasks, records):
        tasks.noop(-1, time.time())
        records.wait_for([-1], 60, "warm-up job")
        time.sleep(0.5)  # let every worker process settle into its polling loop

    # ---- modes ----

    def run_throughput(tasks, work_dir, db_path):
        log("enqueueing %d jobs" % jobs)
        began = time.perf_counter()
        for i in range(jobs):
            tasks.noop(i, time.time())
        enqueue_s = time.perf_counter() - began
        log("enqueued in %.2f s (%.0f/s); starting the consumer" % (enqueue_s, jobs / enqueue_s))
        records = Records(work_dir)
        consumer_started = start_consumer(work_dir, db_path)
        records.wait_for(range(jobs), 600, "throughput")
        runs = [records.runs[i] for i in range(jobs)]
        last_end = max(r[2] for r in runs)
        first_start = min(r[1] for r in runs)
        write_latencies([r[1] - r[0] for r in runs])
        latencies = sorted(r[1] - r[0] for r in runs)
        result.update({
            "jobs": jobs, "workers": args.workers,
            "jobs_per_s": round(jobs / (last_end - consumer_started), 1),
            "enqueue_per_s": round(jobs / enqueue_s, 1),
            "latency_p50_ms": ms(percentile(latencies, 50)),
            "latency_p99_ms": ms(percentile(latencies, 99)),
            "seconds": round(last_end - consumer_started, 3),
            "consumer_startup_s": round(first_start - consumer_started, 3),
            "jobs_per_s_after_first_start": round((jobs - 1) / (last_end - first_start), 1),
            "reruns": records.reruns,
        })

    def run_trickle(tasks, work_dir, db_path):
        records = Records(work_dir)
        start_consumer(work_dir, db_path)
        warm_up(tasks, records)
        log("enqueueing %d jobs at %.0f/s" % (jobs, args.rate))
        interval = 1.0 / args.rate
        began = time.perf_counter()
        for i in range(jobs):
            due = began + i * interval
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            tasks.noop(i, time.time())
        enqueue_s = time.perf_counter() - began
        records.wait_for(range(jobs), 600, "trickle")
        latencies = [records.runs[i][1] - records.runs[i][0] for i in range(jobs)]
        write_latencies(latencies)
        latencies.sort()
        result.update({
            "jobs": jobs, "workers": args.workers, "rate": args.rate,
            "achieved_rate": round(jobs / enqueue_s, 1) if jobs > 1 else None,
            "latency_p50_ms": ms(percentile(latencies, 50)),
            "latency_p99_ms": ms(percentile(latencies, 99)),
            "latency_max_ms": ms(latencies[-1]) if latencies else None,
            "reruns": records.reruns,
        })

    def run_delayed(tasks, work_dir, db_path):
        records = Records(work_dir)
        start_consumer(work_dir, db_path)
        warm_up(tasks, records)
        first_due = time.time() + 2.0
        log("scheduling %d jobs due over %.0f s from %s" % (jobs, args.seconds, "now + 2 s"))
        for i in range(jobs):
            due = first_due + i * args.seconds / jobs
            tasks.noop.schedule(args=(i, due), eta=datetime.fromtimestamp(due, timezone.utc))
        scheduled_by = time.time()
        if scheduled_by > first_due:
            log("warning: scheduling took until %.3f s after the first due time"
                % (scheduled_by - first_due))
        records.wait_for(range(jobs), (first_due - time.time()) + args.seconds + 60, "delayed")
        lateness = [records.runs[i][1] - records.runs[i][0] for i in range(jobs)]
        write_latencies(lateness)
        lateness.sort()
        result.update({
            "jobs": jobs, "workers": args.workers, "seconds": args.seconds,
            "lateness_p50_ms": ms(percentile(lateness, 50)),
            "lateness_p99_ms": ms(percentile(lateness, 99)),
            "lateness_max_ms": ms(lateness[-1]) if lateness else None,
            "lateness_min_ms": ms(lateness[0]) if lateness else None,
            "reruns": records.reruns,
        })

    def children_of(pid):
        kids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == pid:
                kids.append(int(entry))
        return kids

    def run_crash(tasks, work_dir, db_path):
        crash_file = os.path.join(work_dir, CRASH_FILE)

        def started_lines():
            if not os.path.exists(crash_file):
                return []
            with open(crash_file) as f:
                return [line.split() for line in f if line.strip()]

        start_consumer(work_dir, db_path)
        handle = tasks.sleeper(600)
        task_id = handle.id
        deadline = time.time() + 60
        while not started_lines():
            check_consumer_alive()
            if time.time() > deadline:
                raise BenchError("the sleeping task never started")
            time.sleep(0.05)
        _, victim, _ = started_lines()[0]
        victim = int(victim)
        consumer_pid = consumer["proc"].pid
        workers_before = children_of(consumer_pid)
        if victim not in workers_before:
            raise BenchError("the task ran in pid %d, which is not a child of the consumer "
                             "(pid %d, children %s)" % (victim, consumer_pid, workers_before))
        time.sleep(0.5)  # well inside the task's sleep
        log("SIGKILL to worker pid %d (running task %s)" % (victim, task_id))
        os.kill(victim, signal.SIGKILL)
        killed_at = time.time()

        rerun_after = None
        failed_after = None
        replaced_after = None
        new_worker = None
        while time.time() < killed_at + 60:
            check_consumer_alive()
            now = time.time()
            if rerun_after is None and len(started_lines()) > 1:
                rerun_after = now - killed_at
            if failed_after is None and tasks.huey.storage.has_data_for_key(task_id):
                failed_after = now - killed_at
            if replaced_after is None:
                fresh = [p for p in children_of(consumer_pid) if p not in workers_before]
                if fresh:
                    replaced_after, new_worker = now - killed_at, fresh[0]
            if rerun_after is not None:
                break
            time.sleep(0.1)
        waited = time.time() - killed_at

        stored = None
        if tasks.huey.storage.has_data_for_key(task_id):
            try:
                stored = repr(handle.get(preserve=True))
            except Exception as exc:  # huey raises TaskException for a stored error
                stored = "error: %r" % (exc,)
        pending = tasks.huey.pending_count()
        scheduled = tasks.huey.scheduled_count()
        log_warnings = [line.strip() for line in consumer_log_tail(200).splitlines()
                        if "died" in line or "restart" in line.lower()]

        parts = []
        if rerun_after is not None:
            parts.append("the task ran again %.1f s after its worker was SIGKILLed" % rerun_after)
        else:
            parts.append("the task never ran again in the %.0f s after its worker process was "
                         "SIGKILLed" % waited)
        if stored is None:
            parts.append("nothing was stored for it in the result store (no error, no result)")
        else:
            parts.append("the result store holds %s" % stored)
        parts.append("queue holds %d task(s), schedule %d: SqliteHuey deletes the row when a "
                     "worker dequeues it, so nothing remembers a task in flight" % (pending, scheduled))
        if replaced_after is not None:
            parts.append("the consumer's health check replaced the dead worker (new pid %d) %.1f s "
                         "later, idle" % (new_worker, replaced_after))
        if log_warnings:
            parts.append("consumer log: \"%s\"" % " | ".join(log_warnings[-3:]))
        result.update({
            "recovered": rerun_after is not None,
            "seconds": None if rerun_after is None else round(rerun_after, 3),
            "marked_failed": stored is not None and stored.startswith("error"),
            "waited_s": round(waited, 1),
            "pending": pending, "scheduled": scheduled,
            "worker_replaced_after_s": None if replaced_after is None else round(replaced_after, 1),
            "note": "; ".join(parts) + ".",
        })

    exit_status = 0
    try:
        if jobs < 1:
            raise BenchError("--jobs must be at least 1")
        if args.workers < 1:
            raise BenchError("--workers must be at least 1")
        if args.mode == "trickle" and args.rate <= 0:
            raise BenchError("--rate must be positive")
        if args.mode == "delayed" and args.seconds < 0:
            raise BenchError("--seconds must not be negative")
        work_dir, db_path = fresh_dir()
        log("working folder %s" % work_dir)
        tasks = load_tasks(work_dir, db_path)
        result.update(common_fields(tasks))
        mode = {"throughput": run_throughput, "trickle": run_trickle,
                "delayed": run_delayed, "crash": run_crash}[args.mode]
        try:
            mode(tasks, work_dir, db_path)
        finally:
            stop_consumer()
    except Exception as exc:  # BenchError and anything unexpected
        exit_status = 1
        result = {"peer": PEER, "version": result.get("version"), "mode": args.mode,
                  "error": "%s: %s" % (type(exc).__name__, exc)}
        log("error: %s" % result["error"])
    except (SystemExit, KeyboardInterrupt) as exc:
        exit_status = 1
        result = {"peer": PEER, "version": result.get("version"), "mode": args.mode,
                  "error": str(exc) or type(exc).__name__}
        log("error: %s" % result["error"])
    finally:
        kill_group()
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return exit_status


if __name__ == "__main__":
    sys.exit(main())
