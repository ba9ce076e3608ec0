"""`storage_check`: stored files without a row, rows without a file, and collecting orphans."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive import storage
from archive.ingest import IngestRefused
from archive.services import IngestMethod, document_fixity_check, document_ingest
from archive.services.storage_check import storage_check
from archive.storage import StoredKind
from tests import images
from tests.factories import DocumentFactory, FacsimileFactory, reprint_bytes

pytestmark = pytest.mark.django_db

DAY = 24 * 3600


def aged(path: Path, seconds: float = DAY) -> Path:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
    return path


def orphan_original(data: bytes, *, age: float = DAY) -> Path:
    return aged(storage.store_original(data, storage.sha256_hex(data)).path, age)


def put(path: Path, data: bytes = b"x", *, age: float = DAY) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return aged(path, age)


def relative(paths) -> set[str]:
    return {str(storage.relative_to_data_dir(path)) for path in paths}


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("storage_check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str, CommandError]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("storage_check", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), failure.value


def test_a_consistent_archive_has_no_orphans_and_no_missing_files() -> None:
    document = DocumentFactory()
    facsimile = FacsimileFactory(document=document)
    put(storage.derivative_path(facsimile.sha256, "thumbnail"))
    report = storage_check()
    assert (report.files, report.orphans, report.missing) == (3, [], [])


def test_reports_orphans_of_every_kind_and_no_file_a_row_refers_to() -> None:
    document = DocumentFactory()
    facsimile = FacsimileFactory(document=document)
    lost = orphan_original(b"bytes whose ingest failed")
    stale = put(storage.derivative_path("cd" * 32, "display"))  # of no facsimile
    crashed = put(storage.originals_dir() / "ab" / f"{storage.INCOMING_PREFIX}77-88-{'ab' * 32}")
    foreign = put(storage.originals_dir() / "ab" / "copied-here-by-hand.txt")

    report = storage_check()

    assert {(orphan.path, orphan.kind) for orphan in report.orphans} == {
        (lost, StoredKind.ORIGINAL),
        (stale, StoredKind.DERIVATIVE),
        (crashed, StoredKind.TEMPORARY),
        (foreign, StoredKind.FOREIGN),
    }
    assert all(orphan.age > timedelta(hours=23) for orphan in report.orphans)
    assert not any(orphan.removed for orphan in report.orphans)
    assert report.missing == []
    assert storage.original_path(document.sha256).exists()
    assert storage.original_path(facsimile.sha256).exists()


def test_names_documents_and_facsimiles_whose_file_is_missing() -> None:
    document = DocumentFactory(title="A HEADLINE WHOSE FILE IS GONE")
    facsimile = FacsimileFactory(document=document, filename="page.jpg")
    storage.original_path(document.sha256).unlink()
    storage.original_path(facsimile.sha256).unlink()

    report = storage_check()

    assert [(item.kind, item.id, item.sha256) for item in report.missing] == [
        ("document", document.pk, document.sha256),
        ("facsimile", facsimile.pk, facsimile.sha256),
    ]
    assert report.missing[0].label == "A HEADLINE WHOSE FILE IS GONE"
    assert report.missing[1].label == f"facsimile 1 (page.jpg) of document {document.pk}"


def test_a_missing_file_makes_the_command_fail_naming_the_row() -> None:
    document = DocumentFactory(title="A HEADLINE WHOSE FILE IS GONE")
    storage.original_path(document.sha256).unlink()
    out, err, failure = run_failing()
    assert "1 row(s) refer to a missing stored file" in str(failure)
    path = storage.relative_to_data_dir(storage.original_path(document.sha256))
    assert f"MISSING document {document.pk} (A HEADLINE WHOSE FILE IS GONE): {path}" in err
    assert "Stored files: 0, orphans: 0 (removed: 0), rows whose original is missing: 1." in out


def test_the_command_only_reports_orphans_unless_asked_to_delete_them() -> None:
    DocumentFactory()
    lost = orphan_original(b"bytes whose ingest failed")
    out, err = run()
    assert f"ORPHAN {storage.relative_to_data_dir(lost)} (original, 24 h 0 min old)" in out
    assert "Stored files: 2, orphans: 1 (removed: 0)" in out
    assert err == ""
    assert lost.exists()


def test_delete_orphans_removes_those_older_than_the_grace_period_only() -> None:
    document = DocumentFactory()
    aged(storage.original_path(document.sha256))  # old, but a row refers to it
    old = orphan_original(b"failed yesterday")
    young = orphan_original(b"failed a minute ago", age=60)
    temporary = put(storage.originals_dir() / "ab" / f"{storage.INCOMING_PREFIX}1-2-{'ab' * 32}")
    foreign = put(storage.originals_dir() / "ab" / "copied-here-by-hand.txt")

    out, _ = run("--delete-orphans")

    assert "orphans: 4 (removed: 2)" in out
    assert f"ORPHAN {storage.relative_to_data_dir(old)} (original, 24 h 0 min old, removed)" in out
    assert (old.exists(), temporary.exists()) == (False, False)
    assert (young.exists(), foreign.exists()) == (True, True)
    assert document_fixity_check(document=document, actor=None, agent="test").outcome == "success"

    out, _ = run("--delete-orphans", "--grace-seconds", "0")
    assert "orphans: 2 (removed: 1)" in out
    assert (young.exists(), foreign.exists()) == (False, True)
    assert relative(path for path in storage.originals_dir().rglob("*") if path.is_file()) == {
        str(storage.relative_to_data_dir(storage.original_path(document.sha256))),
        "originals/ab/copied-here-by-hand.txt",
    }


def test_derivatives_of_no_facsimile_are_collected_and_others_kept() -> None:
    facsimile = FacsimileFactory(data=images.jpeg())
    kept = put(storage.derivative_path(facsimile.sha256, "thumbnail"))
    stale = put(storage.derivative_path("cd" * 32, "thumbnail"))
    out, _ = run("--delete-orphans")
    assert "orphans: 1 (removed: 1)" in out
    assert (kept.exists(), stale.exists()) == (True, False)


def test_a_negative_grace_period_is_refused() -> None:
    _, _, failure = run_failing("--grace-seconds", "-1")
    assert "--grace-seconds must be 0 or more" in str(failure)


def test_a_failed_ingest_leaves_an_orphan_the_check_collects(monkeypatch) -> None:
    # Let a reprint dated before its original slip past validation to the database's check.
    monkeypatch.setattr("archive.services.ingest.validate_parsed", lambda parsed, today: None)
    data = reprint_bytes(reprint_date="01.01.2001")
    with pytest.raises(IngestRefused, match="the database refused the document"):
        document_ingest(data=data, filename="x.txt", actor=None, method=IngestMethod.API)
    path = storage.original_path(storage.sha256_hex(data))
    assert [orphan.path for orphan in storage_check().orphans] == [path]
    aged(path)
    out, _ = run("--delete-orphans")
    assert "orphans: 1 (removed: 1)" in out
    assert not path.exists()


# --- as part of fixity_check -----------------------------------------------------------


def fixity(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("fixity_check", "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_fixity_check_warns_of_orphans_and_still_passes() -> None:
    DocumentFactory()
    lost = orphan_original(b"bytes whose ingest failed")
    out, err = fixity()
    assert err == ""
    assert "Checked: 1, passed: 1, failed: 0." in out
    assert "WARNING: 1 stored file(s) no document or facsimile refers to" in out
    assert f"  - {storage.relative_to_data_dir(lost)} (original, 24 h 0 min old)" in out
    assert "Stored files: 2, orphans: 1, rows whose original is missing: 0." in out
    assert lost.exists()  # reported, never collected by fixity_check


def test_fixity_check_fails_on_a_missing_file_and_names_it() -> None:
    healthy = DocumentFactory()
    facsimile = FacsimileFactory(document=healthy, filename="page.jpg")
    storage.original_path(facsimile.sha256).unlink()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="Fixity check failed for 1 document"):
        call_command("fixity_check", "--no-progress", stdout=out, stderr=err)
    assert f"MISSING facsimile {facsimile.pk} (facsimile 1 (page.jpg) of document" in err.getvalue()
    assert "rows whose original is missing: 1." in out.getvalue()
    # The per-document event is still recorded.
    assert healthy.events.filter(event_type="fixity_check").get().outcome == "failure"


def test_fixity_check_of_chosen_documents_leaves_the_storage_check_out() -> None:
    document = DocumentFactory()
    orphan_original(b"bytes whose ingest failed")
    out, _ = fixity("--document", str(document.pk))
    assert "Checked: 1, passed: 1, failed: 0." in out
    assert "Stored files" not in out
    assert "WARNING" not in out
