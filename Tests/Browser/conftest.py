"""Fixtures of the dashboard's browser tests: a SQLite store filled with the demo jobs, a worker
and the dashboard on it (the built `job-processor`, real processes), and headless Chromium
driven by Playwright."""
import os
import re
import sqlite3
import struct
import subprocess
import tempfile
import threading
import time

import pytest
from playwright.sync_api import sync_playwright

BINARY = os.environ["JOB_PROCESSOR_BINARY"]
CHROMIUM = os.environ["CHROMIUM"]
# A name, payload and error that would run script if a page printed them unescaped.
HOSTILE = '<script>window.__xss = 1</script>"><img src=x onerror="window.__xss = 2">'


def tool(*arguments, check=True):
    completed = subprocess.run([BINARY, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    if check and completed.returncode != 0:
        raise AssertionError(f"job-processor {' '.join(arguments)} exited {completed.returncode}: {completed.stderr}")
    return completed.stdout


class Background:
    """A `job-processor` command in the background; waits for the line it prints first."""

    def __init__(self, *arguments, wait_for=None, env=None):
        self.process = subprocess.Popen([BINARY, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=dict(os.environ, **(env or {})))
        self.lines = []
        self.found = threading.Event()
        self.pattern = re.compile(wait_for) if wait_for else None
        threading.Thread(target=self._read, daemon=True).start()
        if self.pattern and not self.found.wait(60):
            self.stop()
            raise AssertionError(f"job-processor {' '.join(arguments)} did not print {wait_for}: {self.lines} "
                                 f"{self.process.stderr.read() if self.process.poll() is not None else ''}")

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if self.pattern and self.pattern.search(line):
                self.match = self.pattern.search(line)
                self.found.set()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def bson_document(fields):
    """The BSON bytes of a document of strings and nulls (enough for a payload and an output)."""
    body = b""
    for key, value in fields.items():
        name = key.encode() + b"\x00"
        if value is None:
            body += b"\x0a" + name
        else:
            text = value.encode() + b"\x00"
            body += b"\x02" + name + struct.pack("<i", len(text)) + text
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def insert_hostile_job(path):
    """Stores, as a row of the store's own table, an errored job whose name, payload and error
    hold HOSTILE: the CLI refuses such a name, a store written by another program need not."""
    now = int(time.time() * 1000)
    job_id = "6" + os.urandom(11).hex() + "0"
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO jobs (id, name, type, status, payload, output, scheduled_for, started_at, ended_at, updated_at, "
            "created_at, worker_id, sync, cron_string, concurrency_mode) "
            "VALUES (?, ?, 'simple', 'errored', ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL, 'concurrent')",
            (job_id, HOSTILE, bson_document({"note": HOSTILE}),
             bson_document({"duration": "3ms", "result": None, "error": HOSTILE}), now, now, now, now, now))
    return job_id


@pytest.fixture(scope="session")
def fleet():
    """A store with the demo jobs, a worker running them, and the dashboard (no token, loopback)."""
    directory = tempfile.mkdtemp(prefix="browser-tests-")
    path = os.path.join(directory, "store.sqlite")
    store = f"sqlite:{path}"
    ids = {}
    ids["echo"] = tool("enqueue", "demo.echo", "--payload", '{"greeting": "hello dashboard", "n": 42}', "--store", store).split()
    tool("enqueue", "demo.echo", "--count", "30", "--payload", '{"n": 1}', "--store", store)
    tool("enqueue", "demo.fail", "--count", "3", "--payload", '{"message": "this job fails on purpose"}', "--store", store)
    tool("enqueue", "demo.sleep", "--count", "6", "--payload", '{"ms": 1500}', "--store", store)
    ids["block"] = tool("enqueue", "demo.block", "--payload", '{"ms": 600000}', "--store", store).split()
    ids["hostile"] = insert_hostile_job(path)
    worker = Background("worker", "--concurrency", "8", "--store", store)
    dashboard = Background("dashboard", "--port", "0", "--store", store, wait_for=r"dashboard: (http://\S+)")
    try:
        yield {"store": store, "path": path, "url": dashboard.match.group(1), "ids": ids, "worker": worker}
    finally:
        dashboard.stop()
        worker.stop()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        # As root (CI), Chromium runs only without its sandbox.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
