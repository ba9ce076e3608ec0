"""Recovery without a person: a process killed at a bad moment leaves its committed changes'
index tasks in the queue, and a worker started afterwards brings the index in step."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import psycopg

from tests.archive.search.test_concurrency import finished, manage, shared_database  # noqa: F401

BATCH = 40
BATCHES = 8


def committed_documents(database_url: str) -> int:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30) as db:
            return db.execute("SELECT count(*) FROM archive_document").fetchone()[0]
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute("SELECT count(*) FROM archive_document").fetchone()[0]


def test_an_ingest_killed_after_its_first_batch_is_indexed_by_the_next_worker(
    tmp_path: Path,
    shared_database: str,  # noqa: F811
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "crash-test",
    }
    finished(manage("migrate", "--noinput", env=env))
    bulk = tmp_path / "bulk.jsonl"
    bulk.write_text(
        "\n".join(
            json.dumps(
                {
                    "title": f"Harbour notice {number}",
                    "body": f"The harbour office posted notice {number} about berth "
                    f"{number % 17} and the tide tables for week {number}.",
                }
            )
            for number in range(BATCH * BATCHES)
        )
    )
    ingest = manage("ingest", str(bulk), "--batch-size", str(BATCH), "--no-progress", env=env)
    deadline = time.monotonic() + 120
    while committed_documents(shared_database) < BATCH:
        assert ingest.poll() is None, "the ingest ended before it could be killed"
        assert time.monotonic() < deadline, "no batch committed in time"
        time.sleep(0.02)
    ingest.send_signal(signal.SIGKILL)
    ingest.communicate(timeout=30)
    committed = committed_documents(shared_database)
    assert BATCH <= committed < BATCH * BATCHES  # killed part way

    drift = manage("search_index", "check", env=env)
    out, _ = drift.communicate(timeout=120)
    assert drift.returncode != 0  # the index is behind: nothing was indexed yet
    assert "index tasks queued or running: 0" not in out

    finished(manage("db_worker", "--batch", "--no-reload", "--no-startup-delay", env=env))
    [report] = finished(manage("search_index", "check", env=env))
    assert "missing: 0" in report and "stale: 0" in report
    assert "index tasks queued or running: 0" in report
    assert "The index matches the database." in report

    # The same file again: every committed document is a duplicate, the rest are new, and
    # the index stays in step.
    finished(manage("ingest", str(bulk), "--batch-size", str(BATCH), "--no-progress", env=env))
    [report] = finished(manage("search_index", "check", env=env))
    assert "The index matches the database." in report
    assert committed_documents(shared_database) == BATCH * BATCHES
