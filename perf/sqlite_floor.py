"""The SQLite floor of benchmark 2: the statements SQLiteJobStore runs per job, with nothing else.

Why: the issue's goals for the SQLite rows are ratios to huey. This measures how fast SQLite
itself runs the statements of our store on this machine, without our worker, our store's Swift
code or any thread hop: one process, Python's sqlite3 (a thin C binding, over the same
libsqlite3 as our store) executing the same SQL on the same schema with the same settings.
No job processor on this schema can go faster than this, so it bounds the ratio any change to
our code could reach.

    python perf/sqlite_floor.py --schema-from DIR/jobs.sqlite --dir DIR [--jobs 20000] [--batch 16]
    python perf/sqlite_floor.py --mode enqueue --schema-from DIR/jobs.sqlite --dir DIR [--jobs 20000] [--batch 1]

--schema-from: a file prepared by our store (`QueueBenchmark sqlite --mode store --directory
DIR` leaves one); its tables and indexes are copied into DIR/floor.sqlite, so the schema is
ours as it is, not a copy that could drift. The statements below are those of
Sources/QueueSQLite/SQLiteJobStore+Transitions.swift, JobRow.swift and SQLiteSchema.swift.

--mode drain (the default): the claims and endings of a worker (claim: the probe of the
index of prioritized jobs, the earliest due ids, one UPDATE per id with its expiry guard, one
read of the claimed rows; ending: one UPDATE per job; each transaction
records the previous batch's endings, then claims in a savepoint), as in the store mode of
`QueueBenchmark sqlite`, --batch jobs per transaction.

--mode enqueue: the scheduling of jobs, as `schedule("noop", payload:)` stores them (the
store's INSERT, every column bound, the payload the BSON bytes of the benchmark's `{"t":
<double>}`), --batch jobs per `BEGIN IMMEDIATE ... COMMIT` (1: one transaction per job, as one
`schedule` call; 1,000: as one `schedule(many:)` call of 1,000 jobs), as in the enqueue mode of
`QueueBenchmark sqlite`. SQLite checkpoints the log itself, on the committing connection, at
the store's threshold (1,000 pages, SQLite's default).

Prints one JSON object on its last line.
"""

import argparse
import json
import os
import sqlite3
import struct
import time

CLAIMABLE = "('pending', 'paused')"
RUNNABLE = "('simple', 'cron_task')"
CANDIDATES = (f"SELECT id, scheduled_for FROM jobs WHERE status IN {CLAIMABLE} AND type IN {RUNNABLE} AND name = ?"
              " AND scheduled_for <= ? ORDER BY scheduled_for, id LIMIT ?")
# The claim's probe for jobs above the default priority (an empty partial index when none has one).
ANY_PRIORITIZED = (f"SELECT 1 FROM jobs INDEXED BY jobs_prioritized WHERE status IN {CLAIMABLE} AND type IN {RUNNABLE}"
                   " AND priority > 0 LIMIT 1")
CLAIM = (f"UPDATE jobs SET status = 'running', worker_id = ?, updated_at = ?, started_at = COALESCE(started_at, ?)"
         f" WHERE id = ? AND +status IN {CLAIMABLE} AND +type IN {RUNNABLE}"
         " AND NOT (expires_at IS NOT NULL AND expires_at <= ? AND status = 'pending' AND started_at IS NULL)")
FINISH = ("UPDATE jobs SET status = ?, output = ?, updated_at = ?, worker_id = NULL, ended_at = COALESCE(?, ended_at),"
          " scheduled_for = COALESCE(?, scheduled_for) WHERE id = ? AND status = 'running' AND worker_id = ?")
# The columns every version has, then those of later versions with what a new job holds in them
# (no trace context, priority 0, no expiry, no unique key, no attempts): JobRow.insertSQL binds
# every column of the table, and a claim reads them all back.
BASE_COLUMNS = ["id", "name", "type", "status", "payload", "output", "scheduled_for", "started_at", "ended_at",
                "updated_at", "created_at", "worker_id", "sync", "cron_string", "concurrency_mode"]
NEW_JOB_VALUES = {"trace_context": None, "priority": 0, "expires_at": None, "unique_key": None, "attempts": 0,
                  "max_attempts": None, "attempt_errors": None}


def table_columns(db):
    names = [row[1] for row in db.execute("PRAGMA table_info(jobs)")]
    unknown = [name for name in names if name not in BASE_COLUMNS and name not in NEW_JOB_VALUES]
    if unknown:
        raise SystemExit(f"sqlite_floor: jobs has columns this script does not fill: {unknown}")
    return names


def read_claimed(columns, count):
    values = ", ".join(["(?)"] * count)
    return (f"WITH wanted(job_id) AS (VALUES {values}) SELECT {', '.join(columns)} FROM wanted CROSS JOIN jobs"
            " ON jobs.id = wanted.job_id")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["drain", "enqueue"], default="drain")
    parser.add_argument("--schema-from", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=None, help="jobs per transaction (drain: 16, enqueue: 1)")
    options = parser.parse_args()
    if options.batch is None:
        options.batch = 16 if options.mode == "drain" else 1

    source = sqlite3.connect(f"file:{options.schema_from}?mode=ro", uri=True)
    schema = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL"
        " AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY type = 'index', rowid")]
    source.close()
    path = os.path.join(options.dir, "floor.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")  # our store's default durability (.processCrash)
    for statement in schema:
        db.execute(statement)
    (enqueue if options.mode == "enqueue" else drain)(db, options)


def enqueue(db, options):
    """`--batch` new jobs per transaction, until `--jobs` are stored. The rows are built before
    the clock starts, so that the figure is SQLite's work (and the binding's), not Python's."""
    base = int.from_bytes(os.urandom(5), "big") << 56
    columns = table_columns(db)
    extra = tuple(NEW_JOB_VALUES[name] for name in columns[len(BASE_COLUMNS):])
    insert = f"INSERT INTO jobs ({', '.join(columns)}) VALUES ({', '.join(['?'] * len(columns))})"
    rows = []
    for index in range(options.jobs):
        # As the benchmark's jobs are created: a millisecond clock, 20 jobs per millisecond.
        now = int(time.time() * 1000) + index // 20
        # BSON of {"t": <double>}: length, type 0x01, key "t", 8 bytes, terminator.
        payload = struct.pack("<i", 16) + b"\x01t\x00" + struct.pack("<d", time.monotonic()) + b"\x00"
        rows.append((format(base + index, "024x"), "noop", "simple", "pending", payload, None, now, None, None, now,
                     now, None, 0, None, "concurrent") + extra)
    started, started_cpu = time.monotonic(), time.process_time()
    for start in range(0, options.jobs, options.batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, rows[start:start + options.batch])
        db.execute("COMMIT")
    seconds, cpu = time.monotonic() - started, time.process_time() - started_cpu
    pending = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'pending'").fetchone()[0]
    if pending != options.jobs:
        raise SystemExit(f"sqlite_floor: {pending} jobs stored for {options.jobs}")
    print(json.dumps({"benchmark": "sqlite floor", "mode": "enqueue", "jobs": options.jobs, "batch": options.batch,
                      "jobs_per_s": options.jobs / seconds, "cpu_us_per_job": cpu / options.jobs * 1e6,
                      "sqlite": sqlite3.sqlite_version}))


def drain(db, options):
    """Claims and endings of `--batch` jobs per transaction, until the `--jobs` jobs are done."""
    # The jobs, as `schedule("noop")` stores them (no payload), in one transaction: setup, untimed.
    now = int(time.time() * 1000)
    db.execute("BEGIN")
    base = int.from_bytes(os.urandom(5), "big") << 56
    db.executemany(
        "INSERT INTO jobs (id, name, type, status, payload, output, scheduled_for, started_at, ended_at,"
        " updated_at, created_at, worker_id, sync, cron_string, concurrency_mode)"
        " VALUES (?, 'noop', 'simple', 'pending', NULL, NULL, ?, NULL, NULL, ?, ?, NULL, 0, NULL, 'concurrent')",
        ((format(base + index, "024x"), now, now, now) for index in range(options.jobs)))
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    columns = table_columns(db)
    worker = os.urandom(12).hex()
    started, started_cpu = time.monotonic(), time.process_time()
    batch, ended = [], 0
    while True:
        milliseconds = int(time.time() * 1000)
        db.execute("BEGIN IMMEDIATE")
        for job_id in batch:
            db.execute(FINISH, ("finished", None, milliseconds, milliseconds, None, job_id, worker))
            ended += 1
        db.execute("SAVEPOINT claim")
        db.execute(ANY_PRIORITIZED).fetchone()
        ids = [job_id for job_id, _ in db.execute(CANDIDATES, ("noop", milliseconds, options.batch))]
        claimed = []
        for job_id in ids:
            if db.execute(CLAIM, (worker, milliseconds, milliseconds, job_id, milliseconds)).rowcount > 0:
                claimed.append(job_id)
        if claimed:
            rows = db.execute(read_claimed(columns, len(claimed)), claimed).fetchall()
            assert len(rows) == len(claimed)
        db.execute("RELEASE claim")
        db.execute("COMMIT")
        if not claimed:
            break
        batch = claimed
    seconds, cpu = time.monotonic() - started, time.process_time() - started_cpu
    finished = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'finished'").fetchone()[0]
    if finished != options.jobs or ended != options.jobs:
        raise SystemExit(f"sqlite_floor: {finished} jobs finished, {ended} endings, for {options.jobs} jobs")
    print(json.dumps({"benchmark": "sqlite floor", "mode": "drain", "jobs": options.jobs, "batch": options.batch,
                      "jobs_per_s": ended / seconds, "cpu_us_per_job": cpu / ended * 1e6,
                      "sqlite": sqlite3.sqlite_version}))


if __name__ == "__main__":
    main()
