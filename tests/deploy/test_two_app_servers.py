"""Two app servers (gunicorn, deploy/gunicorn.conf.py) on different loopback ports, one
database and one data folder, one worker: what one server writes the other serves, and an
edit through one with the ETag the other gave before a change is refused (412).

Runs with each search backend the database allows: the Whoosh index in the shared data
folder, and on PostgreSQL also KAYNAK_SEARCH_BACKEND=postgres (the index in the shared
database, as several machines would run it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.deploy.test_deploy_files import ROOT, free_port, health, started, wait_for

# The documented lag from commit to searchable is about a second (README "The background
# worker"); searches also read queued documents from the database, so this is generous.
SEARCHABLE_WITHIN_SECONDS = 10.0
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "--config", "deploy/gunicorn.conf.py"]
GUNICORN += ["kaynak.wsgi"]
WORKER = [sys.executable, "manage.py", "db_worker", "--no-reload", "--verbosity", "0"]


@contextmanager
def app_servers_and_a_worker(
    server_envs: list[dict[str, str]], worker_env: dict[str, str], *, backend: str, log: Path
) -> Iterator[list[int]]:
    """A gunicorn app server per environment, each on a free loopback port, and a worker; the
    block runs once every server answers /healthz with 200 and the search `backend`. Yields
    the servers' ports; all are stopped after it."""
    ports = [free_port() for _ in server_envs]
    with ExitStack() as running:
        for port, env in zip(ports, server_envs, strict=True):
            bound = {**env, "KAYNAK_BIND": f"127.0.0.1:{port}"}
            running.enter_context(started(GUNICORN, env=bound, log=log))
        running.enter_context(started(WORKER, env=worker_env, log=log))
        for port in ports:
            status, body = wait_for(
                lambda p=port: health(p), seconds=60, what="no /healthz", log=log
            )
            assert status == 200, body
            assert body["checks"]["search_index"]["backend"] == backend, body
        yield ports


def call(
    port: int,
    token: str,
    method: str,
    path: str,
    *,
    body: dict | None = None,
    if_match: str | None = None,
    upload: tuple[str, bytes] | None = None,
) -> tuple[int, str | None, dict]:
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if upload is not None:
        boundary = uuid.uuid4().hex
        name, content = upload
        data = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    if if_match:
        headers["If-Match"] = if_match
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("ETag"), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("ETag"), json.loads(error.read() or b"{}")


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_app_servers_share_documents_search_and_annotation_versions(
    tmp_path: Path, shared_database: str, search_backend: str
) -> None:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("KAYNAK_")},
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "two-app-servers-test",
        "KAYNAK_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,kaynak.example.org",  # the name health() sends
        "KAYNAK_WEB_WORKERS": "1",
        "KAYNAK_SEARCH_BACKEND": search_backend,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    manage("migrate", "--noinput", env=env)
    manage("demo_setup", "--credentials", str(tmp_path / "credentials.json"), env=env)
    token = manage("drf_create_token", "researcher", env=env).split()[2]
    log = tmp_path / "servers.log"
    with app_servers_and_a_worker([env, env], env, backend=search_backend, log=log) as ports:
        first, second = ports
        # A document sent to the first server is found through the second.
        record = {
            "title": "Lighthouse keeper's ledger",
            "body": "The keeper noted a zephyrine glow over the shoals every night in March.",
        }
        status, _, created = call(
            first, token, "POST", "/documents/", upload=("ledger.json", json.dumps(record).encode())
        )
        assert status == 201, created
        sent = time.monotonic()

        def found() -> bool:
            _, _, results = call(second, token, "GET", "/search/?q=zephyrine")
            return [hit["document"]["id"] for hit in results["results"]] == [created["id"]]

        wait_for(
            found,
            seconds=SEARCHABLE_WITHIN_SECONDS,
            what="not found through the other server",
            log=log,
        )
        print(f"searchable through the other server after {time.monotonic() - sent:.2f} s")
        status, _, shown = call(second, token, "GET", f"/documents/{created['id']}/")
        assert status == 200 and shown["title"] == record["title"]

        # An annotation made through the first server, edited through the second; the first
        # server's ETag is then stale, and an edit with it is refused on either server.
        status, first_etag, annotation = call(
            first,
            token,
            "POST",
            f"/documents/{created['id']}/annotations/",
            body={"start": 0, "end": 10, "comment": "first reading", "visibility": "private"},
        )
        assert status == 201 and first_etag
        path = f"/annotations/{annotation['id']}/"
        status, second_etag, _ = call(
            second, token, "PATCH", path, body={"comment": "second reading"}, if_match=first_etag
        )
        assert status == 200 and second_etag and second_etag != first_etag
        for port in (first, second):
            status, _, refused = call(
                port, token, "PATCH", path, body={"comment": "stale"}, if_match=first_etag
            )
            assert status == 412, refused
        status, _, current = call(first, token, "GET", path)
        assert current["comment"] == "second reading"
