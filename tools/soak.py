"""Soak: a minute of concurrent work against a real server on PostgreSQL, with the background
worker killed and restarted twice, then a check that nothing was lost.

    make soak            (SOAK_SECONDS=60, SOAK_CLIENTS=8 by default)

It makes a throwaway database (`kaynak_soak` on the PostgreSQL of KAYNAK_SOAK_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/kaynak_soak) and data folder, serves them with
gunicorn on a free loopback port, and starts `manage.py db_worker`. Clients then, for
SOAK_SECONDS:

- upload a few "popular" files many times at once (a double click, a client retry), and new
  files of their own;
- edit annotations read-modify-write with If-Match, each successful edit appending a token to
  the comment (a 412 is a refused stale edit, not an error);
- a curator merges two sources a third of the way in and undoes it at two thirds.

The worker is SIGKILLed at a quarter and at a half of the time and restarted. Afterwards the
queue is drained and a checkpoint taken, then: every popular file is exactly one document; no
stored original is missing; no successful edit was lost; every provenance chain verifies
against the checkpoint; the index matches the database. Any 5xx, lost write or drift fails
the run (exit 1). Only loopback addresses are contacted; every loop is bounded in time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))
DATABASE_URL = os.environ.get(
    "KAYNAK_SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kaynak_soak"
)
REQUEST_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kaynak.settings",
        "SECRET_KEY": "kaynak-soak-only-" + "x" * 40,
        "DATABASE_URL": DATABASE_URL,
        "KAYNAK_DATA_DIR": str(data_dir),
        "KAYNAK_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


def recreate_database() -> None:
    """Drop and create the soak database through the server's maintenance database."""
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


# --- Files -------------------------------------------------------------------------------


def reprint(title: str, outlet: str, body: str) -> bytes:
    """An invented AVİM-layout reprint (see ../shared/layouts/avim-reprint.md)."""
    return (
        "\n\nAVRASYA İNCELEMELERİ MERKEZİ CENTER FOR EURASIAN STUDIES\n\n"
        f"{title.upper()}\n\n12.03.2024\n\n{outlet}, March 10 2024\n\n{body}\n\nKaynak/Source:"
    ).encode()


def paragraph(seed: str) -> str:
    rng = random.Random(seed)
    words = ["harbour", "ferry", "tariff", "council", "valley", "ceasefire", "museum", "rail"]
    return " ".join(rng.choice(words) for _ in range(120)) + "."


# --- HTTP --------------------------------------------------------------------------------


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, detail: str = "") -> None:
        with self.lock:
            self.counts[(kind, status)] += 1
            if status >= 500 or status == 0:
                self.errors.append(f"{kind}: {status} {detail[:300]}")


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Accept", "application/json")
        if content_type:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except OSError as error:
            return 0, {}, str(error).encode()

    def json(self, method: str, path: str, payload: object, **kwargs) -> tuple[int, dict, object]:
        data = None if payload is None else json.dumps(payload).encode()
        status, headers, body = self.request(
            method, path, body=data, content_type="application/json", **kwargs
        )
        try:
            return status, headers, json.loads(body or b"null")
        except ValueError:
            return status, headers, body.decode(errors="replace")

    def upload(self, filename: str, data: bytes) -> tuple[int, object]:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        status, _, raw = self.request(
            "POST",
            "/api/documents/",
            body=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


# --- The run -----------------------------------------------------------------------------


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # answering at all is enough
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not answer within {seconds:.0f} s")


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PYTHON, "-m", "gunicorn", "kaynak.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4",
            "--timeout", "60",
        ],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "manage.py", "db_worker"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def setup_archive() -> dict[str, object]:
    """Users with tokens, sources to merge, and annotations to edit (through the services)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotations.services import SourceTagInput, annotation_create, tag_create
    from archive.services.ingest import IngestMethod, document_ingest

    call_command("migrate", verbosity=0)
    users = get_user_model()
    researcher = users.objects.create_user("soak-researcher", password="soak-only-password")
    curator = users.objects.create_user(
        "soak-curator", password="soak-only-password", is_staff=True
    )
    curator.groups.add(Group.objects.get(name="curator"))
    documents = [
        document_ingest(
            data=reprint(f"Soak seed {n}", outlet, paragraph(f"seed-{n}")),
            filename=f"seed-{n}.txt",
            actor=curator,
            method=IngestMethod.COMMAND,
        ).document
        for n, outlet in enumerate(["Northern Ledger", "Northern Ledger Daily", "Valley Post"])
    ]
    tag_create(name="soak", actor=researcher)
    annotations = [
        annotation_create(
            document=documents[n % len(documents)],
            creator=researcher,
            start=10 * n,
            end=10 * n + 8,
            comment="",
            visibility="public",
            tags=["soak"],
            # Tags of the source the curator merges away, so the merge reaches annotations.
            source_tags=[SourceTagInput(source=documents[1].original_outlet.slug)],
        ).pk
        for n in range(6)
    ]
    return {
        "researcher": Token.objects.create(user=researcher).key,
        "curator": Token.objects.create(user=curator).key,
        "annotations": annotations,
        "merge_into": documents[0].original_outlet.slug,
        "merge_from": documents[1].original_outlet.slug,
    }


def run() -> int:
    recreate_database()
    work = Path(tempfile.mkdtemp(prefix="kaynak-soak-"))
    env = environment(work / "data")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    setup = setup_archive()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, work / "server.log")
    worker = start_worker(env, work / "worker.log")
    try:
        wait_for(base + "/api/", 60)
        return load(base, setup, env, work, worker_box=[worker])
    finally:
        for process in (server,):
            process.terminate()
            process.wait(timeout=30)


def load(base: str, setup: dict, env: dict[str, str], work: Path, worker_box: list) -> int:
    tally = Tally()
    researcher = Client(base, setup["researcher"])
    curator = Client(base, setup["curator"])
    popular = [
        reprint(f"Popular story {n}", "Harbour Gazette", paragraph(f"popular-{n}"))
        for n in range(4)
    ]
    edits_made: dict[int, set[str]] = {pk: set() for pk in setup["annotations"]}
    edits_lock = threading.Lock()
    stop = time.monotonic() + SECONDS
    kills = 0

    def client(number: int) -> None:
        rng = random.Random(number)
        sequence = 0
        while time.monotonic() < stop:
            sequence += 1
            choice = rng.random()
            if choice < 0.35:
                data = rng.choice(popular)
                status, _ = researcher.upload("popular.txt", data)
                tally.add("upload identical", status)
            elif choice < 0.55:
                name = f"{number}-{sequence}"
                data = reprint(f"Own story {name}", "Valley Post", paragraph(name))
                status, _ = researcher.upload(f"own-{number}-{sequence}.txt", data)
                tally.add("upload new", status)
            else:
                pk = rng.choice(setup["annotations"])
                status, headers, body = researcher.json("GET", f"/api/annotations/{pk}/", None)
                tally.add("annotation read", status)
                if status != 200:
                    continue
                token = f"t{number}x{sequence}"
                comment = (body.get("comment") or "") + f" {token}"
                status, _, _ = researcher.json(
                    "PATCH",
                    f"/api/annotations/{pk}/",
                    {"comment": comment},
                    headers={"If-Match": headers.get("ETag", "")},
                )
                tally.add("annotation edit", status)
                if status == 200:
                    with edits_lock:
                        edits_made[pk].add(token)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, started + SECONDS * fraction - time.monotonic()))

    at(0.25)
    worker_box[0].send_signal(signal.SIGKILL)
    worker_box[0].wait()
    kills += 1
    worker_box[0] = start_worker(env, work / "worker.log")
    at(1 / 3)
    status, _, _ = curator.json(
        "POST",
        f"/api/sources/{setup['merge_into']}/merge/",
        {"sources": [setup["merge_from"]], "reason": "soak: one outlet, two spellings"},
    )
    tally.add("source merge", status)
    at(0.5)
    worker_box[0].send_signal(signal.SIGKILL)
    worker_box[0].wait()
    kills += 1
    worker_box[0] = start_worker(env, work / "worker.log")
    at(2 / 3)
    status, _, _ = curator.json(
        "POST",
        f"/api/sources/{setup['merge_into']}/unmerge/",
        {"reason": "soak: undo"},
    )
    tally.add("source unmerge", status)
    for thread in threads:
        thread.join(timeout=SECONDS + 2 * REQUEST_TIMEOUT)

    problems = verify(popular, edits_made, worker_box[0])
    worker_box[0].terminate()
    worker_box[0].wait(timeout=30)
    report(tally, kills, problems)
    return 1 if problems or tally.errors else 0


def verify(popular: list[bytes], edits_made: dict[int, set[str]], worker) -> list[str]:
    """What must hold once the worker has drained the queue."""
    from annotations.models import Annotation
    from archive.models import Document
    from archive.storage import sha256_hex

    problems: list[str] = []
    if not drained(seconds=120):
        problems.append(f"the worker did not drain the queue within 120 s: {queue_state()}")
    for data in popular:
        count = Document.objects.filter(sha256=sha256_hex(data)).count()
        if count != 1:
            problems.append(f"a popular file is {count} documents, not one")
    for pk, tokens in edits_made.items():
        comment = Annotation.objects.get(pk=pk).comment
        lost = {token for token in tokens if f" {token}" not in f" {comment} "}
        if lost:
            problems.append(f"annotation {pk} lost {len(lost)} acknowledged edits")
    problems.extend(archive_problems())
    return problems


def drained(seconds: float) -> bool:
    """Wait until the worker has run every task that is due and none is running (the
    periodic checkpoint, queued a minute ahead, is not due)."""
    from kaynak.tasks import DBTaskResult, TaskResultStatus

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        if not DBTaskResult.objects.ready().exists() and not running.exists():
            return True
        time.sleep(0.5)
    return False


def queue_state() -> str:
    from django.db.models import Count

    from kaynak.tasks import DBTaskResult

    counts = DBTaskResult.objects.values_list("status").annotate(Count("id"))
    return ", ".join(f"{status} {count}" for status, count in counts)


def archive_problems() -> list[str]:
    """Storage, every chain against a fresh checkpoint, and the index, as an operator's
    commands see them (each fails with CommandError on what it finds)."""
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    problems = []
    for command in (
        ["storage_check"],
        ["provenance_checkpoint"],
        ["fixity_check", "--no-progress"],
        ["search_index", "check"],
    ):
        out, err = StringIO(), StringIO()
        try:
            call_command(*command, stdout=out, stderr=err)
        except CommandError as error:
            found = (out.getvalue() + err.getvalue())[-2000:]
            problems.append(f"{' '.join(command)}: {error}\n{found}")
        print(f"  {' '.join(command)}: {out.getvalue().strip().splitlines()[-1:]}")
    return problems


def report(tally: Tally, kills: int, problems: list[str]) -> None:
    print(f"Soak: {SECONDS:.0f} s, {CLIENTS} clients, worker killed {kills} times")
    for (kind, status), count in sorted(tally.counts.items()):
        print(f"  {kind:<18} {status}: {count}")
    print(f"  operations: {sum(tally.counts.values())}, server errors: {len(tally.errors)}")
    for error in tally.errors[:20]:
        print(f"  ERROR {error}")
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print("Soak passed." if not problems and not tally.errors else "Soak FAILED.")


if __name__ == "__main__":
    sys.exit(run())
