"""Several servers sharing nothing but PostgreSQL and an S3 bucket (issue 19 §3): two app
servers and a worker, each with its own empty data folder, the PostgreSQL search backend and
S3 storage. What one server receives, the other finds, serves byte for byte and verifies;
the worker, on a third process, makes the derivatives the second server then shows.

This arrangement needs PostgreSQL (the search index lives in the database), so the module is
collected on the PostgreSQL run only (tests/deploy/conftest.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
from PIL import Image

from tests.deploy.test_deploy_files import wait_for
from tests.deploy.test_two_app_servers import (
    SEARCHABLE_WITHIN_SECONDS,
    app_servers_and_a_worker,
    call,
    manage,
)

DERIVATIVES_WITHIN_SECONDS = 60.0


def fetch(port: int, token: str, path: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api{path}", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def scan() -> bytes:
    """A small invented page scan: a light page with two dark bars of "type"."""
    image = Image.new("RGB", (900, 1200), (236, 232, 220))
    for top in (200, 420):
        image.paste((40, 40, 40), (120, top, 780, top + 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def stored_locally(folder: Path) -> list[Path]:
    """Originals and derivatives a process kept on its own disk (there should be none)."""
    return sorted(
        path
        for name in ("originals", "facsimiles", "derivatives")
        if (folder / name).exists()
        for path in (folder / name).rglob("*")
        if path.is_file()
    )


def test_a_document_and_a_facsimile_sent_to_one_server_are_found_served_and_verified_by_another(
    tmp_path: Path, shared_database: str, s3_endpoint: str
) -> None:
    bucket = f"kaynak-servers-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    common = {
        **{name: value for name, value in os.environ.items() if not name.startswith("KAYNAK_")},
        "DATABASE_URL": shared_database,
        "SECRET_KEY": "several-servers-test",
        "KAYNAK_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,kaynak.example.org",  # the name health() sends
        "KAYNAK_WEB_WORKERS": "1",
        "KAYNAK_SEARCH_BACKEND": "postgres",
        "KAYNAK_STORAGE": "s3",
        "KAYNAK_S3_BUCKET": bucket,
        "KAYNAK_S3_PREFIX": "archive",
        "KAYNAK_S3_ENDPOINT_URL": s3_endpoint,
    }
    common.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    folders = {name: tmp_path / name for name in ("server-a", "server-b", "worker", "setup")}
    for folder in folders.values():
        folder.mkdir()

    def env(role: str) -> dict[str, str]:
        return {**common, "KAYNAK_DATA_DIR": str(folders[role])}

    manage("migrate", "--noinput", env=env("setup"))
    manage("demo_setup", "--credentials", str(tmp_path / "credentials.json"), env=env("setup"))
    token = manage("drf_create_token", "researcher", env=env("setup")).split()[2]
    log = tmp_path / "servers.log"
    servers = [env("server-a"), env("server-b")]
    with app_servers_and_a_worker(servers, env("worker"), backend="postgres", log=log) as ports:
        first, second = ports
        # A document sent to server A ...
        record = {
            "title": "Ferry timetable of the northern lakes",
            "body": "The quillwort ferry leaves the pier at dawn and returns before the fog.",
        }
        original = json.dumps(record).encode()
        status, _, created = call(
            first, token, "POST", "/documents/", upload=("timetable.json", original)
        )
        assert status == 201, created

        # ... is found through server B,
        def found() -> bool:
            _, _, results = call(second, token, "GET", "/search/?q=quillwort")
            return [hit["document"]["id"] for hit in results["results"]] == [created["id"]]

        wait_for(
            found,
            seconds=SEARCHABLE_WITHIN_SECONDS,
            what="not found through the other server",
            log=log,
        )
        # ... downloaded from B byte for byte,
        status, downloaded = fetch(second, token, f"/documents/{created['id']}/original")
        assert status == 200 and downloaded == original
        assert hashlib.sha256(downloaded).hexdigest() == created["sha256"]

        # A facsimile attached through A: its original comes back from B unchanged, and the
        # worker's thumbnail is served by B.
        page = scan()
        status, _, facsimile = call(
            first,
            token,
            "POST",
            f"/documents/{created['id']}/facsimiles/",
            upload=("page-1.png", page),
        )
        assert status == 201, facsimile
        status, downloaded = fetch(second, token, f"/facsimiles/{facsimile['id']}/original")
        assert status == 200 and downloaded == page

        def thumbnail_ready() -> bool:
            status, _ = fetch(second, token, f"/facsimiles/{facsimile['id']}/thumbnail")
            return status == 200

        wait_for(
            thumbnail_ready,
            seconds=DERIVATIVES_WITHIN_SECONDS,
            what="the worker's thumbnail was never served by the other server",
            log=log,
        )
        status, thumbnail = fetch(second, token, f"/facsimiles/{facsimile['id']}/thumbnail")
        assert status == 200
        assert max(Image.open(io.BytesIO(thumbnail)).size) <= 320

    # Server B's configuration re-hashes every stored original from the bucket.
    report = manage("fixity_check", "--no-progress", env=env("server-b"))
    assert "failed: 0" in report, report
    # Nothing was kept on any process's own disk: the bucket holds it all.
    for folder in folders.values():
        assert stored_locally(folder) == [], folder
    listed = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=bucket)
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert any(hashlib.sha256(page).hexdigest() in key for key in keys), keys
    assert any(created["sha256"] in key for key in keys), keys
