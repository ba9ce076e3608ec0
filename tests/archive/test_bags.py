"""Export, verify and restore of bags (issue 17). Text is invented."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.bags.export import bag_export
from archive.bags.verify import bag_verify
from tests.archive.bags_support import build_archive, manage, remote_snapshot, snapshot


@pytest.fixture
def archive(db):
    return build_archive()


def test_round_trip_into_a_fresh_database_restores_every_table(archive, tmp_path: Path):
    bag = tmp_path / "archive-bag"
    bag_export(destination=bag, with_annotations=True)
    before = snapshot()
    bag_verify(bag)

    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    data = tmp_path / "fresh-data"
    manage("migrate", "--noinput", database_url=url, data_dir=data)
    done = manage("import_bag", str(bag), database_url=url, data_dir=data, check=False)
    assert done.returncode == 0, done.stderr
    after = remote_snapshot(database_url=url, data_dir=data)
    assert after == before
    fixity = manage("fixity_check", "--no-progress", database_url=url, data_dir=data, check=False)
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr
