from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytest_plugins = ["tests.no_skips"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    """Every test stores originals (and later the index) in a folder of its own."""
    settings.KAYNAK_DATA_DIR = tmp_path / "data"
    return settings.KAYNAK_DATA_DIR


@pytest.fixture(autouse=True)
def index_in_the_request(settings) -> None:
    """A test's data is never committed, so a background thread (another connection) could
    not read it: tests update the index in the committing thread."""
    settings.KAYNAK_INDEX_IN_BACKGROUND = False


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def researcher(db):
    return UserFactory(username="researcher")


@pytest.fixture
def curator(db):
    return UserFactory(username="curator", is_staff=True)


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


@pytest.fixture
def triggers_dropped(db) -> None:
    """Drop the provenance log's append-only triggers, as someone with direct database access
    could; the test's transaction rolls the drop back."""
    from archive.models import ProvenanceEvent
    from kaynak.db import append_only_trigger_names

    table = ProvenanceEvent._meta.db_table
    with connection.cursor() as cursor:
        for name in append_only_trigger_names(table):
            if connection.vendor == "postgresql":
                cursor.execute(f'DROP TRIGGER "{name}" ON "{table}"')
            else:
                cursor.execute(f'DROP TRIGGER "{name}"')


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
