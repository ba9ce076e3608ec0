"""Ten identical uploads at the same moment, against a real server process (issue 10, §1).

A double-click or a client retry sends the same new file several times at once. One request
creates the document; the others are duplicates; and the stored original the committed row
points to must survive whichever request lost the race for the row.

The server is `manage.py runserver --noreload` (threaded: one connection per request) in a
subprocess, on a database of the engine under test that it and this test share, and on a
temporary data folder. pytest-django's `live_server` would hide the race on SQLite (one
shared in-memory connection).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
AT_ONCE = 10
TIMEOUT = 20  # seconds, for any one request


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    finished = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert finished.returncode == 0, f"{finished.stdout}\n{finished.stderr}"
    return finished.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    env: dict[str, str]

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Authorization": f"Token {self.token}", "Accept": "*/*"}
        if content_type:
            headers["Content-Type"] = content_type
        call = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(call, timeout=TIMEOUT) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def upload(self, data: bytes, filename: str) -> tuple[int, dict]:
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode(),
                b"Content-Type: text/plain\r\n\r\n",
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        status, answer = self.request(
            "POST", "/api/documents/", body, f"multipart/form-data; boundary={boundary}"
        )
        return status, json.loads(answer)


@pytest.fixture
def server(tmp_path: Path, shared_database: str) -> Iterator[Server]:
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "race-test-only",
        "PYTHONUNBUFFERED": "1",
    }
    manage("migrate", "--noinput", env=env)
    token = manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model;"
        "from rest_framework.authtoken.models import Token;"
        "user = get_user_model().objects.create_user('uploader', password='not-used-here');"
        "print(Token.objects.create(user=user).key)",
        env=env,
    ).split()[-1]  # after the shell's banner
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = Server(f"http://127.0.0.1:{port}", token, env)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if running.request("GET", "/api/documents/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_identical_uploads_at_once_make_one_document_whose_original_survives(
    server: Server,
) -> None:
    for number in range(ROUNDS):
        data = f"Twice-sent notice number {number}\n\nRound {number} of the race.\n".encode()
        sha256 = hashlib.sha256(data).hexdigest()
        start = threading.Barrier(AT_ONCE)

        def send(data: bytes = data, start: threading.Barrier = start) -> tuple[int, dict]:
            start.wait(timeout=TIMEOUT)
            return server.upload(data, "notice.txt")

        with ThreadPoolExecutor(AT_ONCE) as pool:
            answers = list(pool.map(lambda _: send(), range(AT_ONCE)))

        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] * (AT_ONCE - 1) + [201], (number, answers)
        assert {body["id"] for _, body in answers} == {answers[0][1]["id"]}
        document_id = answers[0][1]["id"]
        status, listing = server.request("GET", "/api/documents/?page_size=100")
        assert status == 200
        assert json.loads(listing)["count"] == number + 1  # one row, not one per request
        status, original = server.request("GET", f"/api/documents/{document_id}/original")
        assert (status, original) == (200, data), f"round {number}: {original[:200]!r}"
        assert hashlib.sha256(original).hexdigest() == sha256

    fixity = manage("fixity_check", "--no-progress", env=server.env)
    assert f"Checked: {ROUNDS}, passed: {ROUNDS}, failed: 0." in fixity
    # The losers of each race left nothing behind: their bytes are the winner's file.
    check = manage("storage_check", env=server.env)
    assert f"Stored files: {ROUNDS}, orphans: 0 (removed: 0), rows whose original is " in check
