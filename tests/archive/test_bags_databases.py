"""A bag exported from one database restores into another: SQLite to PostgreSQL and back,
each through `manage.py` as an operator runs it (issue 17). Text is invented."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import transaction
from django.test import override_settings

from archive.bags.export import bag_export
from tests.archive.bags_support import build_archive, manage, remote_snapshot, snapshot

# A database of this worktree's own, dropped and made afresh by the test.
ROUNDTRIP_URL = os.environ.get(
    "KAYNAK_BAGS_ROUNDTRIP_URL", "postgres://postgres@127.0.0.1:5432/wt_bags_roundtrip"
)


def _fresh_postgres_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture
def sqlite_bag(db, tmp_path: Path, django_db_blocker):
    """A bag exported by this test run (on SQLite under `make test`), and its snapshot."""
    bag = tmp_path / "from-this-run"
    with override_settings(KAYNAK_DATA_DIR=tmp_path / "data"), transaction.atomic():
        build_archive()
        bag_export(destination=bag, with_annotations=True)
        expected = snapshot()
        transaction.set_rollback(True)
    return bag, expected


def test_a_bag_restores_into_postgresql_and_back_into_sqlite_unchanged(sqlite_bag, tmp_path):
    bag, expected = sqlite_bag
    _fresh_postgres_database(ROUNDTRIP_URL)
    pg_data = tmp_path / "pg-data"
    manage("migrate", "--noinput", database_url=ROUNDTRIP_URL, data_dir=pg_data)
    done = manage("import_bag", str(bag), database_url=ROUNDTRIP_URL, data_dir=pg_data, check=False)
    assert done.returncode == 0, done.stderr
    assert remote_snapshot(database_url=ROUNDTRIP_URL, data_dir=pg_data) == expected
    fixity = manage("fixity_check", "--no-progress", database_url=ROUNDTRIP_URL, data_dir=pg_data)
    assert fixity.returncode == 0

    back = tmp_path / "from-postgresql"
    manage(
        "export_bag", str(back), "--with-annotations", database_url=ROUNDTRIP_URL, data_dir=pg_data
    )
    sqlite_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    sqlite_data = tmp_path / "sqlite-data"
    manage("migrate", "--noinput", database_url=sqlite_url, data_dir=sqlite_data)
    done = manage(
        "import_bag", str(back), database_url=sqlite_url, data_dir=sqlite_data, check=False
    )
    assert done.returncode == 0, done.stderr
    returned = remote_snapshot(database_url=sqlite_url, data_dir=sqlite_data)
    # What the PostgreSQL archive appended (its restore and fixity events) travels back at
    # the end of each chain; before them, and in every other table, nothing changed.
    events = "archive.ProvenanceEvent"
    originals = {row["id"] for row in expected[events]}
    assert [row for row in returned[events] if row["id"] in originals] == expected[events]
    assert {row["event_type"] for row in returned[events] if row["id"] not in originals} == {
        "fixity_check"
    }
    assert {key: value for key, value in returned.items() if key != events} == {
        key: value for key, value in expected.items() if key != events
    }
    fixity = manage("fixity_check", "--no-progress", database_url=sqlite_url, data_dir=sqlite_data)
    assert fixity.returncode == 0
