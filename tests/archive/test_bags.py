"""Export, verify and restore of bags (issue 17). Text is invented."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import bagit
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from annotations.models import Annotation
from archive.bags import export as export_module
from archive.bags.export import bag_export
from archive.bags.records import BagRefused
from archive.bags.restore import bag_import
from archive.bags.verify import bag_verify
from archive.models import Document, EventType, ProvenanceEvent, Source, SourceEvent
from archive.services import document_update, source_unmerge
from search.searching import search
from tests.archive.bags_support import build_archive, manage, remote_snapshot, snapshot
from tests.factories import DocumentFactory, UserFactory


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker, tmp_path_factory) -> dict[str, Any]:
    """A bag of the sample archive, made in a transaction rolled back afterwards: every test
    starts from an empty archive and this bag (with the snapshot the bag was made from)."""
    folder = tmp_path_factory.mktemp("exported")
    bag = folder / "bag"
    with (
        django_db_blocker.unblock(),
        override_settings(KAYNAK_DATA_DIR=folder / "data"),
        transaction.atomic(),
    ):
        built = build_archive()
        bag_export(destination=bag, with_annotations=True)
        result = {
            "bag": bag,
            "snapshot": snapshot(),
            "withdrawn": built["documents"][2].pk,
            "with_facsimile": built["documents"][0].pk,
        }
        transaction.set_rollback(True)
    return result


@pytest.fixture
def bag(exported, db, tmp_path: Path) -> Path:
    """A copy of the bag for this test to change."""
    copy = tmp_path / "bag"
    shutil.copytree(exported["bag"], copy)
    return copy


def _rewrite(bag: Path, relative: str, change) -> None:
    """Change a payload file and bring the manifests up to date, so that only what Kaynak
    checks beyond BagIt can catch the change."""
    path = bag / relative
    path.write_bytes(change(path.read_bytes()))
    bagit.Bag(str(bag)).save(manifests=True)


def _refused(bag: Path, naming: str) -> None:
    with pytest.raises(BagRefused) as refused:
        bag_import(path=bag, actor=None)
    assert naming in str(refused.value)
    assert not Document.objects.exists()
    assert not Source.objects.exists()


# --- Export ----------------------------------------------------------------------------------


def test_bag_has_both_manifests_and_kaynak_bag_info(exported):
    bag = bagit.Bag(str(exported["bag"]))
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["Kaynak-Bag-Format"] == "1"
    assert bag.info["Kaynak-Document-Count"] == "3"
    assert bag.info["Kaynak-Annotations-Count"] == "2"
    assert bag.info["Source-Organization"]
    assert bag.info["Bagging-Date"]
    assert bag.is_valid()


def test_originals_are_stored_under_their_checksums_exactly_as_received(exported):
    data = exported["bag"] / "data"
    for row in exported["snapshot"]["archive.Document"] + exported["snapshot"]["archive.Facsimile"]:
        path = data / "originals" / row["sha256"][:2] / row["sha256"]
        assert export_module.storage.sha256_hex(path.read_bytes()) == row["sha256"]


def test_every_premis_file_is_valid_premis_3_naming_its_events_and_fixity(exported):
    contents = bag_verify(exported["bag"])
    assert len(contents.document_files) == 3
    premis = (
        exported["bag"] / "data/documents" / f"{exported['withdrawn']}.premis.xml"
    ).read_text()
    assert 'version="3.0"' in premis
    assert "<premis:eventType>withdrawal</premis:eventType>" in premis
    assert "<premis:messageDigestAlgorithm>SHA-256</premis:messageDigestAlgorithm>" in premis
    assert "<premis:agentType>software</premis:agentType>" in premis


def test_export_refuses_a_destination_that_exists(db, tmp_path: Path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(BagRefused, match="exists already"):
        bag_export(destination=tmp_path / "taken")


def test_a_failed_export_leaves_neither_a_bag_nor_a_partial_folder(db, tmp_path, monkeypatch):
    DocumentFactory()
    DocumentFactory()

    def fail(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(export_module, "document_premis", fail)
    with pytest.raises(OSError):
        bag_export(destination=tmp_path / "bag")
    assert os.listdir(tmp_path) == ["data"]


def test_incremental_bag_holds_only_documents_changed_since(db, tmp_path: Path):
    old = DocumentFactory()
    changed = DocumentFactory()
    moment = timezone.now()
    document_update(document=changed, actor=None, agent="test", byline="A. Writer")
    report = bag_export(destination=tmp_path / "bag", since=moment)
    names = sorted(p.name for p in (tmp_path / "bag/data/documents").glob("*.json"))
    assert old.pk != changed.pk
    assert names == [f"{changed.pk}.json"]
    assert report.documents == 1
    assert "incremental" in bagit.Bag(str(tmp_path / "bag")).info["Kaynak-Scope"]
    bag_verify(tmp_path / "bag")


def test_without_the_flag_a_bag_holds_tags_but_no_annotations(db, tmp_path: Path):
    build_archive()
    bag_export(destination=tmp_path / "bag")
    assert (tmp_path / "bag/data/tags.jsonl").exists()
    assert not (tmp_path / "bag/data/annotations.jsonl").exists()
    bag_verify(tmp_path / "bag")


# --- Restore ---------------------------------------------------------------------------------


def test_import_into_an_empty_archive_restores_every_table_and_appends_one_event_each(
    exported, bag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = bag_import(path=bag, actor=None)
    assert report.documents == 3
    assert report.index_rebuilt
    assert snapshot() == exported["snapshot"]
    for document in Document.objects.all():
        last = document.events.order_by("-sequence").first()
        assert last.event_type == EventType.RESTORED_FROM_BAG
        assert last.previous_hash == document.events.get(sequence=last.sequence - 1).event_hash
    assert Document.objects.get(pk=exported["withdrawn"]).is_withdrawn
    call_command("fixity_check", "--no-progress")


def test_restored_archive_is_searchable_and_its_merges_still_undoable(
    exported, bag, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        bag_import(path=bag, actor=None)
    researcher = UserFactory(username="researcher-after-restore")
    lighthouse = Document.objects.get(title="LIGHTHOUSE KEEPERS RETURN TO THE ISLAND")
    assert [hit.document_id for hit in search("lighthouse", user=researcher).hits] == [
        lighthouse.pk
    ]
    merge = SourceEvent.objects.get(event_type="merge", undone_by__isnull=True)
    source_unmerge(event=merge, actor=None, reason="Separate papers after all.")
    assert Source.objects.filter(merged_into__isnull=False).count() == 0


def test_restored_ids_do_not_collide_with_new_rows(exported, bag):
    bag_import(path=bag, actor=None)
    fresh = DocumentFactory(title="A NEW ARRIVAL AFTER THE RESTORE")
    assert fresh.pk > max(row["id"] for row in exported["snapshot"]["archive.Document"])


def test_import_into_a_non_empty_archive_is_refused_without_merge(exported, bag):
    DocumentFactory(title="ALREADY HERE")
    with pytest.raises(BagRefused, match="not empty"):
        bag_import(path=bag, actor=None)
    assert Document.objects.count() == 1


def test_merge_adds_what_is_missing_and_reports_conflicts_without_changing_records(exported, bag):
    bag_import(path=bag, actor=None)
    kept = Document.objects.get(pk=exported["with_facsimile"])
    document_update(document=kept, actor=None, agent="test", title="RETITLED")
    events_before = ProvenanceEvent.objects.count()
    report = bag_import(path=bag, actor=None, merge=True)
    assert report.documents == 0
    assert report.skipped == 3
    assert any("different title" in conflict for conflict in report.conflicts)
    assert Document.objects.get(pk=kept.pk).title == "RETITLED"
    assert ProvenanceEvent.objects.count() == events_before


def test_import_command_reports_and_verify_command_accepts(exported, bag, capsys):
    call_command("verify_bag", str(bag))
    call_command("import_bag", str(bag))
    assert "Imported 3 documents" in capsys.readouterr().out


# --- Bad input: each refused naming the file, nothing imported --------------------------------


def _a_document_file(bag: Path) -> str:
    return f"data/documents/{sorted(p.stem for p in (bag / 'data/documents').glob('*.json'))[0]}"


def test_a_changed_file_is_refused(bag):
    original = next(p for p in (bag / "data/originals").rglob("*") if p.is_file())
    original.write_bytes(original.read_bytes() + b" tampered")
    _refused(bag, str(original.relative_to(bag)))


def test_a_missing_file_is_refused(bag):
    path = bag / f"{_a_document_file(bag)}.premis.xml"
    path.unlink()
    _refused(bag, f"{_a_document_file(bag)}.premis.xml")


def test_a_manifest_line_for_a_file_that_is_not_there_is_refused(bag):
    with (bag / "manifest-sha256.txt").open("a") as manifest:
        manifest.write(f"{'0' * 64}  data/documents/9999.json\n")
    _refused(bag, "data/documents/9999.json")


def test_an_invalid_premis_file_is_refused(bag):
    name = f"{_a_document_file(bag)}.premis.xml"
    _rewrite(bag, name, lambda data: data.replace(b"premis:eventType", b"premis:eventKind"))
    _refused(bag, name)


def test_a_broken_event_chain_is_refused(bag):
    name = f"{_a_document_file(bag)}.json"

    def alter(data: bytes) -> bytes:
        record = json.loads(data)
        record["events"][0]["fields"]["agent"] = "someone else"
        return json.dumps(record).encode()

    _rewrite(bag, name, alter)
    _refused(bag, name)


def test_a_path_escaping_the_bag_is_refused(bag):
    with (bag / "manifest-sha256.txt").open("a") as manifest:
        manifest.write(f"{'0' * 64}  data/../../outside.txt\n")
    _refused(bag, "manifest-sha256.txt")


def test_a_symlink_inside_the_bag_is_refused(bag, tmp_path: Path):
    (tmp_path / "elsewhere.txt").write_text("not part of the bag")
    (bag / "data/documents/link.json").symlink_to(tmp_path / "elsewhere.txt")
    _refused(bag, "data/documents/link.json")


def test_a_bag_from_a_newer_kaynak_is_refused(bag):
    info = (
        (bag / "bag-info.txt").read_text().replace("Kaynak-Bag-Format: 1", "Kaynak-Bag-Format: 2")
    )
    (bag / "bag-info.txt").write_text(info)
    bagit.Bag(str(bag)).save(manifests=False)
    _refused(bag, "bag-info.txt")


def test_a_record_with_fields_this_kaynak_does_not_know_is_refused(bag):
    name = f"{_a_document_file(bag)}.json"

    def add(data: bytes) -> bytes:
        record = json.loads(data)
        record["document"]["fields"]["claims"] = []
        return json.dumps(record).encode()

    _rewrite(bag, name, add)
    _refused(bag, name)


def test_an_annotation_chain_broken_in_the_bag_is_refused(bag):
    def alter(data: bytes) -> bytes:
        lines = [json.loads(line) for line in data.decode().splitlines()]
        lines[0]["kaynak:records"]["revisions"][0]["fields"]["reason"] = "rewritten"
        return "".join(json.dumps(line) + "\n" for line in lines).encode()

    _rewrite(bag, "data/annotations.jsonl", alter)
    _refused(bag, "data/annotations.jsonl")


def test_verify_command_fails_naming_the_file(bag, capsys):
    name = f"{_a_document_file(bag)}.premis.xml"
    (bag / name).write_bytes(b"<not-premis/>")
    with pytest.raises(CommandError):
        call_command("verify_bag", str(bag))
    assert name in capsys.readouterr().err


def test_an_import_that_fails_late_rolls_everything_back(bag, monkeypatch, data_dir):
    from archive.bags import restore

    def fail(**kwargs):
        raise BagRefused(["data/annotations.jsonl: simulated failure after the documents"])

    monkeypatch.setattr(restore, "provenance_record", fail)
    _refused(bag, "simulated failure")
    assert not Annotation.objects.exists()


# --- Into another database ---------------------------------------------------------------------


def test_round_trip_through_a_fresh_database_keeps_every_table_and_fixity(exported, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    data = tmp_path / "fresh-data"
    manage("migrate", "--noinput", database_url=url, data_dir=data)
    done = manage("import_bag", str(exported["bag"]), database_url=url, data_dir=data, check=False)
    assert done.returncode == 0, done.stderr
    assert remote_snapshot(database_url=url, data_dir=data) == exported["snapshot"]
    fixity = manage("fixity_check", "--no-progress", database_url=url, data_dir=data, check=False)
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr


def test_a_bag_without_its_sources_file_is_refused_even_with_manifests_to_match(bag):
    (bag / "data/sources.jsonl").unlink()
    bagit.Bag(str(bag)).save(manifests=True)
    _refused(bag, "data/sources.jsonl")
