"""Recovery without a person: a process killed at a bad moment leaves its committed changes'
index tasks in the queue, and a worker started afterwards brings the index in step."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.search.test_concurrency import ROOT, finished, manage

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
    shared_database: str,
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Api:
    """A client for the real server, with a token and nothing but the standard library."""

    def __init__(self, port: int, token: str) -> None:
        self.base = f"http://127.0.0.1:{port}/api"
        self.token = token

    def call(self, method: str, path: str, body=None, *, if_match: str | None = None):
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Token {self.token}",
                "Content-Type": "application/json",
                **({"If-Match": if_match} if if_match else {}),
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("ETag"), json.loads(response.read())


def server_log(env: dict[str, str]) -> Path:
    """Where the servers of a test write what they print (their tracebacks, on a 500)."""
    return Path(env["KAYNAK_DATA_DIR"]).parent / "server.log"


def serve(port: int, env: dict[str, str]) -> subprocess.Popen:
    with server_log(env).open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            assert server.poll() is None, "the server did not start"
            assert time.monotonic() < deadline, "the server did not listen in time"
            time.sleep(0.1)


@pytest.fixture
def servers_output(tmp_path: Path) -> Iterator[None]:
    """After the test, the servers' output (shown by pytest only when the test failed)."""
    yield
    log = tmp_path / "server.log"
    if log.exists():
        print("--- what the servers printed (last 8,000 characters) ---")
        print(log.read_text(errors="replace")[-8000:])


@pytest.mark.usefixtures("servers_output")
def test_a_server_killed_right_after_annotation_edits_leaves_no_drift_once_drained(
    tmp_path: Path,
    shared_database: str,
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "crash-test",
        "KAYNAK_DEBUG": "0",
    }
    finished(manage("migrate", "--noinput", env=env))
    finished(manage("demo_setup", "--credentials", str(tmp_path / "credentials.json"), env=env))
    [created] = finished(manage("drf_create_token", "researcher", env=env))
    token = created.split()[2]
    port = free_port()
    server = serve(port, env)
    api = Api(port, token)
    try:
        _, _, listing = api.call("GET", "/documents/?page_size=10")
        documents = [item["id"] for item in listing["results"]]
        assert len(documents) >= 5
        api.call("POST", "/tags/", {"name": "Quay rumour"})
        annotations = []
        for document in documents:
            status, etag, body = api.call(
                "POST",
                f"/documents/{document}/annotations/",
                {"start": 0, "end": 4, "visibility": "public", "tags": ["Quay rumour"]},
            )
            assert status == 201
            annotations.append((body["id"], etag))
    finally:
        server.terminate()
        server.wait(timeout=30)
    finished(manage("db_worker", "--batch", "--no-reload", "--no-startup-delay", env=env))

    server = serve(port, env)
    try:
        _, _, found = api.call("GET", "/search/?q=" + urllib.parse.quote('tag:"quay rumour"'))
        assert found["total"] == len(documents)
        # Edits: half the annotations made private, the others' comments changed.
        for number, (annotation, etag) in enumerate(annotations):
            change = {"visibility": "private"} if number % 2 == 0 else {"comment": "checked"}
            status, _, _ = api.call("PATCH", f"/annotations/{annotation}/", change, if_match=etag)
            assert status == 200
    finally:
        server.send_signal(signal.SIGKILL)  # right after the last edit's response
        server.wait(timeout=30)

    private = len(annotations[::2])
    drift = manage("search_index", "check", env=env)
    out, _ = drift.communicate(timeout=120)
    assert drift.returncode != 0 and f"stale: {private}" in out  # the index is behind

    # A restarted server, the worker still stopped: nobody finds the private tags.
    server = serve(port, env)
    try:
        _, _, found = api.call("GET", "/search/?q=" + urllib.parse.quote('tag:"quay rumour"'))
        assert found["total"] == len(documents) - private
    finally:
        server.terminate()
        server.wait(timeout=30)

    finished(manage("db_worker", "--batch", "--no-reload", "--no-startup-delay", env=env))
    [report] = finished(manage("search_index", "check", env=env))
    assert "The index matches the database." in report
    assert "index tasks queued or running: 0" in report
