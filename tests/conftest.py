from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import TestCase
from rest_framework.test import APIClient

from archive.models import Document
from archive.storage_s3 import S3Store, s3_store
from kaynak.tasks import run_pending_tasks
from tests.factories import CuratorFactory, DocumentFactory, UserFactory

pytest_plugins = ["tests.no_skips"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    """Every test stores originals (and later the index) in a folder of its own."""
    settings.KAYNAK_DATA_DIR = tmp_path / "data"
    return settings.KAYNAK_DATA_DIR


@pytest.fixture
def django_capture_on_commit_callbacks() -> Callable[..., AbstractContextManager]:
    """pytest-django's fixture of that name, and then the worker: a test's data is never
    committed, so with `execute=True` the block's after-commit callbacks run and then the
    tasks it queued (index updates, derivatives), as a real commit and the worker would."""

    @contextmanager
    def capture(*, using: str = DEFAULT_DB_ALIAS, execute: bool = False) -> Iterator[list]:
        with TestCase.captureOnCommitCallbacks(using=using, execute=execute) as callbacks:
            yield callbacks
        if execute:
            run_pending_tasks()

    return capture


@pytest.fixture
def drain(db) -> Callable[[], int]:
    """Run the queued tasks now, as the worker would; returns how many ran."""
    return run_pending_tasks


@pytest.fixture
def indexed(db, django_capture_on_commit_callbacks) -> Callable[..., Document]:
    """Make a document and run its index update, as a real commit and the worker would."""

    def make(**kwargs) -> Document:
        with django_capture_on_commit_callbacks(execute=True):
            return DocumentFactory(**kwargs)

    return make


@pytest.fixture
def researcher(db):
    return UserFactory(username="researcher")


@pytest.fixture
def curator(db):
    """Staff in the `curator` group, as `make run` and real deployments make them."""
    return CuratorFactory(username="curator")


# The personas of the permission tests: an owner and a colleague in one team, an outsider in
# none (with `curator` above and anonymous as None).
@pytest.fixture
def team(db) -> Group:
    return Group.objects.create(name="harbour desk")


@pytest.fixture
def owner(team):
    user = UserFactory(username="owner")
    user.groups.add(team)
    return user


@pytest.fixture
def colleague(team):
    user = UserFactory(username="colleague")
    user.groups.add(team)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def client_for() -> Callable[..., APIClient]:
    """An API client signed in as a persona (None: anonymous)."""

    def make(user) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def researcher_client(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


@pytest.fixture
def vendor() -> str:
    return connection.vendor


# What someone with direct database access drops to tamper: the append-only triggers of every
# history and of the checkpoints, and the guard that keeps a document's original and text.
_DOCUMENT_GUARDS = {
    "postgresql": ["DROP TRIGGER IF EXISTS archive_document_guard ON archive_document"],
    "sqlite": ["DROP TRIGGER IF EXISTS archive_document_original_immutable"],
}


def append_only_models() -> tuple[type, ...]:
    """The models whose tables carry append-only triggers (see tests/kaynak/test_db.py)."""
    from annotations.models import AnnotationRevision, ReplyRevision
    from archive.models import ProvenanceCheckpoint, ProvenanceEvent, SourceEvent
    from search.models import SavedSearchEvent

    return (
        ProvenanceEvent,
        SourceEvent,
        AnnotationRevision,
        ReplyRevision,
        ProvenanceCheckpoint,
        SavedSearchEvent,
    )


@pytest.fixture
def triggers_dropped(db) -> None:
    """Drop the append-only triggers of the provenance log, the source events, the annotation
    revisions and the checkpoints, and the guard of documents' originals and texts, as
    someone with direct database access could; the test's transaction rolls the drop back."""
    from kaynak.db import drop_append_only_sql

    with connection.cursor() as cursor:
        for model in append_only_models():
            for statement in drop_append_only_sql(connection.vendor, model._meta.db_table):
                cursor.execute(statement)
        for statement in _DOCUMENT_GUARDS[connection.vendor]:
            cursor.execute(statement)


@pytest.fixture(scope="session", autouse=True)
def flushing_steps_past_append_only_triggers() -> Iterator[None]:
    """Tests that commit (the live server's) empty every table afterwards. PostgreSQL does it
    with TRUNCATE, which row triggers do not see; SQLite with DELETE, which the append-only
    triggers refuse. So on SQLite the flush drops them, empties the tables and makes them
    again, all in its one transaction."""
    if connection.vendor != "sqlite":
        yield
        return
    from kaynak.db import append_only_sql, drop_append_only_sql

    tables = [model._meta.db_table for model in append_only_models()]
    operations = type(connection.ops)
    original = operations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        drops = [sql for table in tables for sql in drop_append_only_sql("sqlite", table)]
        creates = [sql for table in tables for sql in append_only_sql("sqlite", table)]
        return original(self, [*drops, *sql_list, *creates])

    operations.execute_sql_flush = execute_sql_flush
    yield
    operations.execute_sql_flush = original


def stored_files(data_dir: Path) -> list[Path]:
    """Every stored original under the data folder (temporary files included)."""
    originals = data_dir / "originals"
    return (
        sorted(path for path in originals.rglob("*") if path.is_file())
        if originals.exists()
        else []
    )


@pytest.fixture
def no_stored_files(data_dir: Path) -> Iterator[None]:
    yield
    assert stored_files(data_dir) == []


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on a free loopback port, for the whole session: a real
    S3 protocol server (HTTP, signatures, conditional puts), with no network beyond loopback.
    Its credentials are dummies, set for boto3's usual lookup."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    saved = {name: os.environ.get(name) for name in _S3_ENV}
    os.environ.update(_S3_ENV)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "kaynak-test",
    "AWS_SECRET_ACCESS_KEY": "kaynak-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def s3_bucket(settings, s3_endpoint: str) -> S3Store:
    """KAYNAK_STORAGE=s3 on a fresh bucket of its own (under a prefix, as deployments may)."""
    bucket = f"kaynak-test-{uuid.uuid4().hex[:16]}"
    settings.KAYNAK_STORAGE = "s3"
    settings.KAYNAK_S3_BUCKET = bucket
    settings.KAYNAK_S3_PREFIX = "archive"
    settings.KAYNAK_S3_ENDPOINT_URL = s3_endpoint
    settings.KAYNAK_S3_PRESIGNED_SECONDS = 0
    store = s3_store()
    store.client.create_bucket(Bucket=bucket)
    return store


@pytest.fixture(params=["local", "s3"])
def backend(request) -> str:
    """Run a test once on the local folders and once on a bucket of moto's server."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
    return request.param


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A database URL of the engine under test that a test and the processes it starts
    (servers, commands, workers) all commit to: a SQLite file, or a PostgreSQL database of
    its own, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path}/shared.sqlite3"
        return
    settings = connection.settings_dict
    name = f"kaynak_shared_{uuid.uuid4().hex[:12]}"
    server = f"host={settings['HOST']} port={settings['PORT'] or 5432} user={settings['USER']}"
    if settings["PASSWORD"]:
        server += f" password={settings['PASSWORD']}"
    with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    try:
        yield (
            f"postgres://{settings['USER']}{password}@{settings['HOST']}:"
            f"{settings['PORT'] or 5432}/{name}"
        )
    finally:
        with psycopg.connect(f"{server} dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", autouse=True)
def no_connection_outlives_the_suite(django_db_setup, django_db_blocker) -> Iterator[None]:
    """PostgreSQL refuses to drop the test database while any session is still connected to
    it, and a connection opened by a thread a test started (a live server's, a worker's) can
    outlive its test. After the last test, end such sessions, naming them, so the teardown
    drops the database instead of failing the run after every test passed."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, application_name, state, left(query, 120) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        for pid, application, state, query in cursor.fetchall():
            print(f"ending a session left connected: pid {pid} {application} {state}: {query}")
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()


def search_backends() -> list[str]:
    """The backends the search suite runs on: Whoosh everywhere, and PostgreSQL full-text
    search when the tests run on PostgreSQL (on SQLite it is not a skipped case: it is not a
    case at all)."""
    on_postgres = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    return ["whoosh", "postgres"] if on_postgres else ["whoosh"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "search_backend" in metafunc.fixturenames:
        only_whoosh = metafunc.definition.get_closest_marker("whoosh_only") is not None
        backends = ["whoosh"] if only_whoosh else search_backends()
        metafunc.parametrize("search_backend", backends, indirect=True)


@pytest.fixture
def search_backend(request: pytest.FixtureRequest, settings) -> str:
    """Run the test on each backend (a module opts in with
    `pytestmark = pytest.mark.usefixtures("search_backend")`)."""
    settings.KAYNAK_SEARCH_BACKEND = request.param
    return request.param
