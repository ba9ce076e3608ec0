"""Tampering by someone with direct database access (the triggers dropped first, as such a
person could), and the `fixity_check` failure that names what was tampered with."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from annotations.models import AnnotationRevision
from annotations.services import annotation_create, annotation_update
from archive import storage
from archive.models import (
    Document,
    EventType,
    ProvenanceCheckpoint,
    ProvenanceEvent,
    SourceEvent,
)
from archive.services import (
    IngestMethod,
    document_ingest,
    document_restore,
    document_update,
    document_withdraw,
)
from archive.services.checkpoints import provenance_checkpoint
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def fixity(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("fixity_check", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fixity_failing(*args: str) -> str:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="Fixity check failed"):
        call_command("fixity_check", *args, "--no-progress", stdout=out, stderr=err)
    return err.getvalue()


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


@pytest.fixture
def document() -> Document:
    """A document with a chain of two events: its ingestion and a duplicate submission."""
    document = DocumentFactory()
    data = storage.original_path(document.sha256).read_bytes()
    document_ingest(data=data, filename="again.txt", actor=None, method=IngestMethod.API)
    return document


def rewrite_chain_from(document: Document, sequence: int, **changes) -> None:
    """Change one event and recompute its hash and every later one's, as a careful forger
    would, so that the chain itself holds."""
    previous_hash = None
    for event in document.events.order_by("sequence"):
        if event.sequence == sequence:
            for name, value in changes.items():
                setattr(event, name, value)
        if event.sequence >= sequence:
            if previous_hash is not None:
                event.previous_hash = previous_hash
            event.event_hash = event.compute_hash()
            ProvenanceEvent.objects.filter(pk=event.pk).update(
                detail=event.detail, previous_hash=event.previous_hash, event_hash=event.event_hash
            )
        previous_hash = event.event_hash


# --- The chain covers what it protects ----------------------------------------------------


def test_an_untampered_archive_passes_after_every_kind_of_change(document, curator) -> None:
    outlet = SourceFactory(name="Harbour Gazette")
    document_update(document=document, actor=curator, agent="test", title="A CORRECTED TITLE")
    document_update(document=document, actor=curator, agent="test", original_outlet=outlet)
    document_withdraw(document=document, actor=curator, agent="test", reason="checking")
    document_restore(document=document, actor=curator, agent="test")
    provenance_checkpoint()
    out, err = fixity()
    assert "Checked: 1, passed: 1, failed: 0 against checkpoint 1." in out
    assert err == ""


def test_the_ingestion_event_records_the_state_as_ingested(document) -> None:
    state = document.events.get(sequence=1).detail["state"]
    assert state["title"] == document.title
    assert state["sha256"] == document.sha256
    assert state["text_sha256"] == storage.sha256_hex(document.text.encode())
    assert state["original_outlet"] == document.original_outlet_id
    assert state["reprinted_on"] == document.reprinted_on.isoformat()
    assert state["size_bytes"] == document.size_bytes
    assert state["original_filename"] == document.original_filename
    assert state["withdrawn_at"] is None


def test_an_update_of_title_and_text_is_a_failure_naming_both(document, triggers_dropped) -> None:
    sql(
        "UPDATE archive_document SET title = %s, text = %s WHERE id = %s",
        ["A FORGED TITLE", "A forged text.", document.pk],
    )
    err = fixity_failing()
    assert f"FAILED document {document.pk} (A FORGED TITLE)" in err
    assert "title changed without an event: the chain says 'INVENTED HEADLINE" in err
    assert "'A FORGED TITLE'" in err
    assert "text_sha256 changed without an event" in err


def test_an_update_of_a_provenance_field_is_a_failure_naming_it(document, triggers_dropped) -> None:
    other = SourceFactory(name="Another Outlet")
    sql(
        "UPDATE archive_document SET original_outlet_id = %s, byline = %s WHERE id = %s",
        [other.pk, "Someone Else", document.pk],
    )
    err = fixity_failing()
    assert "original_outlet changed without an event" in err
    assert (
        "byline changed without an event: the chain says '', the document has 'Someone Else'" in err
    )


def test_a_change_between_two_recorded_edits_is_caught(document, curator, triggers_dropped) -> None:
    sql("UPDATE archive_document SET title = %s WHERE id = %s", ["FORGED IN BETWEEN", document.pk])
    document_update(document=document, actor=curator, agent="test", title="A LATER CORRECTION")
    err = fixity_failing()
    assert "title changed without an event before event 3 (metadata_change)" in err


def test_a_renamed_source_is_not_a_change_of_the_document(document, curator) -> None:
    from archive.services import source_update

    source_update(source=document.original_outlet, actor=curator, name="Northern Ledger Daily")
    out, _ = fixity()
    assert "failed: 0" in out


def test_pointing_the_checksum_at_another_stored_file_is_caught(document, triggers_dropped) -> None:
    other_bytes = b"Another stored file, left by a crashed ingest."
    other = storage.sha256_hex(other_bytes)
    storage.make_durable([storage.store_original(other_bytes, other)])
    sql(
        "UPDATE archive_document SET sha256 = %s, size_bytes = %s WHERE id = %s",
        [other, len(other_bytes), document.pk],
    )
    err = fixity_failing()
    # The stored file matches its (forged) checksum: only the chain knows better.
    assert "the stored original" not in err
    assert f"sha256 changed without an event: the chain says '{document.sha256}'" in err
    assert "size_bytes changed without an event" in err


def test_a_document_ingested_before_state_records_gets_a_note(document, triggers_dropped) -> None:
    ingestion = document.events.get(sequence=1)
    legacy = {key: value for key, value in ingestion.detail.items() if key != "state"}
    rewrite_chain_from(document, 1, detail=legacy)
    out, err = fixity()
    assert f"Note: document {document.pk}: chain predates state records" in out
    assert "failed: 0" in out
    assert err == ""


# --- Checkpoints ----------------------------------------------------------------------------


def test_deleting_the_newest_event_is_caught_by_the_checkpoint(document, triggers_dropped) -> None:
    provenance_checkpoint()
    document.events.filter(sequence=2).delete()
    err = fixity_failing()
    assert (
        f"document {document.pk}'s chain is shorter than at checkpoint 1: event 2 is missing "
        "(truncated)"
    ) in err


def test_a_rewritten_chain_is_caught_by_the_checkpoint(document, triggers_dropped) -> None:
    provenance_checkpoint()
    first = document.events.get(sequence=1)
    rewrite_chain_from(document, 1, detail={**first.detail, "filename": "forged.txt"})
    err = fixity_failing()
    assert "provenance chain broken" not in err  # the forger recomputed every hash
    assert (
        f"document {document.pk}'s event 2 differs from checkpoint 1: the chain was rewritten"
    ) in err


def test_a_document_deleted_with_its_events_is_caught(document, triggers_dropped) -> None:
    kept = DocumentFactory()
    provenance_checkpoint()
    document.events.all().delete()
    Document.objects.filter(pk=document.pk).delete()
    err = fixity_failing()
    assert f"FAILED document {document.pk}:" in err
    assert (
        f"document {document.pk} had 2 event(s) at checkpoint 1 and has none now: "
        "deleted with its history"
    ) in err
    assert f"document {kept.pk}" not in err


def test_an_altered_annotation_revision_is_caught(document, researcher, triggers_dropped) -> None:
    annotation = annotation_create(document=document, creator=researcher, quote="bridge")
    annotation_update(
        annotation=annotation, actor=researcher, expected_version=1, comment="first thoughts"
    )
    AnnotationRevision.objects.filter(annotation=annotation, version=1).update(reason="forged")
    err = fixity_failing()
    assert f"FAILED annotation {annotation.pk}:" in err
    assert "revision chain broken: revision 1 (created) was altered after it was recorded" in err


def test_an_altered_source_event_is_caught(document, triggers_dropped) -> None:
    source = document.original_outlet
    SourceEvent.objects.filter(source=source, sequence=1).update(reason="forged")
    err = fixity_failing()
    assert f"FAILED source {source.pk}:" in err
    assert "event chain broken: event 1 (creation) was altered after it was recorded" in err


def test_a_rewritten_annotation_history_is_caught_by_the_checkpoint(
    document, researcher, triggers_dropped
) -> None:
    annotation = annotation_create(document=document, creator=researcher, quote="bridge")
    provenance_checkpoint()
    revision = AnnotationRevision.objects.get(annotation=annotation)
    revision.reason = "forged"
    revision.revision_hash = revision.compute_hash()
    AnnotationRevision.objects.filter(pk=revision.pk).update(
        reason=revision.reason, revision_hash=revision.revision_hash
    )
    err = fixity_failing()
    assert (
        f"annotation {annotation.pk}'s revision 1 differs from checkpoint 1: the chain was "
        "rewritten"
    ) in err


def test_deleting_the_newest_checkpoint_is_caught(document, triggers_dropped) -> None:
    provenance_checkpoint()
    DocumentFactory()
    provenance_checkpoint()
    fixity()  # passes, and records in each document's chain that it checked checkpoint 2
    ProvenanceCheckpoint.objects.filter(number=2).delete()
    err = fixity_failing()
    assert "FAILED checkpoints:" in err
    assert "checkpoint 2 is missing or altered: document" in err


def test_deleting_a_checkpoint_between_others_breaks_the_checkpoint_chain(
    document, triggers_dropped
) -> None:
    for _ in range(3):
        DocumentFactory()
        provenance_checkpoint()
    ProvenanceCheckpoint.objects.filter(number=2).delete()
    err = fixity_failing()
    assert "checkpoint chain broken: checkpoint 2 is missing (found 3 next)" in err


def test_an_altered_checkpoint_is_caught(document, triggers_dropped) -> None:
    provenance_checkpoint()
    ProvenanceCheckpoint.objects.update(document_count=99)
    err = fixity_failing()
    assert "checkpoint 1 was altered after it was recorded" in err


def test_checkpoint_heads_edited_into_nonsense_are_reported_not_a_crash(
    document, triggers_dropped
) -> None:
    provenance_checkpoint()
    ProvenanceCheckpoint.objects.update(heads={"document": "not a list of heads"})
    err = fixity_failing()
    assert "checkpoint 1's heads do not give its Merkle root: altered" in err


def test_a_checkpoint_is_refused_when_chains_no_longer_extend_the_last(
    document, triggers_dropped
) -> None:
    provenance_checkpoint()
    document.events.filter(sequence=2).delete()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="no checkpoint made: the chains no longer extend"):
        call_command("provenance_checkpoint", stdout=out, stderr=err)
    assert ProvenanceCheckpoint.objects.count() == 1


# --- Exports --------------------------------------------------------------------------------


def export(path: Path) -> dict:
    call_command("provenance_checkpoint", "--export", str(path), stdout=StringIO())
    return json.loads(path.read_text())


def test_a_rewrite_of_every_table_is_caught_by_the_export(
    document, tmp_path: Path, triggers_dropped
) -> None:
    kept = export(tmp_path / "checkpoint.json")
    assert kept["checkpoint"]["number"] == 1
    assert "heads" not in kept["checkpoint"]  # small: the Merkle root stands for them
    # The forger rewrites a chain, then the checkpoints to match: the database agrees with
    # itself again.
    first = document.events.get(sequence=1)
    rewrite_chain_from(document, 1, detail={**first.detail, "filename": "forged.txt"})
    ProvenanceCheckpoint.objects.all().delete()
    provenance_checkpoint()
    out, _ = fixity()
    assert "failed: 0 against checkpoint 1." in out

    err = fixity_failing("--against", str(tmp_path / "checkpoint.json"))
    assert "checkpoint 1 in the database differs from the export" in err


def test_the_export_verifies_an_untampered_archive(document, tmp_path: Path, curator) -> None:
    export(tmp_path / "checkpoint.json")
    document_update(document=document, actor=curator, agent="test", byline="A. Writer")
    out, err = fixity("--against", str(tmp_path / "checkpoint.json"))
    assert "failed: 0 against checkpoint 1." in out
    assert err == ""


def test_a_signed_export_catches_an_edited_file(document, tmp_path: Path, settings) -> None:
    settings.KAYNAK_CHECKPOINT_KEY = "archivist-kept-key"
    path = tmp_path / "checkpoint.json"
    payload = export(path)
    assert payload["signature"]["algorithm"] == "HMAC-SHA256"
    out, _ = fixity("--against", str(path))
    assert "failed: 0" in out

    payload["checkpoint"]["document_count"] = 5
    path.write_text(json.dumps(payload))
    err = fixity_failing("--against", str(path))
    assert "the export's signature does not match: the file was altered" in err


def test_an_unsigned_export_is_refused_when_a_key_is_set(
    document, tmp_path: Path, settings
) -> None:
    path = tmp_path / "checkpoint.json"
    export(path)
    settings.KAYNAK_CHECKPOINT_KEY = "archivist-kept-key"
    err = fixity_failing("--against", str(path))
    assert "the export is not signed, but KAYNAK_CHECKPOINT_KEY is set" in err


def test_an_export_that_is_not_one_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="is not a Kaynak checkpoint export"):
        call_command("fixity_check", "--against", str(path), stdout=StringIO())


def test_a_damaged_export_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint.json"
    path.write_text('{"format": "kaynak-checkpoint/1", "checkpoint": [1, 2]}')
    with pytest.raises(CommandError, match="is damaged"):
        call_command("fixity_check", "--against", str(path), stdout=StringIO())


def test_fixity_events_record_the_checkpoint_they_verified(document) -> None:
    checkpoint = provenance_checkpoint()
    fixity()
    event = document.events.filter(event_type=EventType.FIXITY_CHECK).get()
    assert event.detail["checkpoint"] == {
        "number": 1,
        "hash": checkpoint.checkpoint_hash,
    }


def test_an_export_to_a_folder_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="checkpoint 1 was made but not exported"):
        call_command(
            "provenance_checkpoint",
            "--export",
            str(tmp_path / "no" / "such.json"),
            stdout=StringIO(),
        )
    assert ProvenanceCheckpoint.objects.count() == 1
