from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from archive import services, storage
from archive.ingest import IngestRefused, Submission
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent, Source, SourceKind
from archive.services import IngestMethod, document_ingest
from archive.services import ingest as ingest_service
from archive.services.storage_check import storage_check
from tests.conftest import stored_files
from tests.factories import SourceFactory, reprint_bytes

pytestmark = pytest.mark.django_db


def ingest(data: bytes, filename: str = "item.txt", **kwargs) -> services.IngestResult:
    kwargs.setdefault("actor", None)
    kwargs.setdefault("method", IngestMethod.COMMAND)
    return document_ingest(data=data, filename=filename, **kwargs)


def test_ingest_creates_document_with_provenance(researcher) -> None:
    data = reprint_bytes()
    result = ingest(data, "bridge.txt", actor=researcher, method=IngestMethod.API)

    document = result.document
    assert result.created
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert (document.size_bytes, document.media_type) == (len(data), "text/plain")
    assert (document.encoding, document.original_filename) == ("utf-8", "bridge.txt")
    assert document.layout == "avim_reprint"
    assert document.original_outlet.name == "Northern Ledger"
    assert document.reprinter.kind == SourceKind.THINK_TANK

    [event] = document.events.all()
    assert event.event_type == EventType.INGESTION
    assert event.actor == researcher
    assert event.agent == "kaynak 0.1.0 REST API upload"
    assert event.outcome == EventOutcome.SUCCESS
    assert event.detail["layout"] == "avim_reprint"
    assert event.detail["sha256"] == document.sha256
    assert event.detail["filename"] == "bridge.txt"


def test_stored_original_is_the_exact_bytes_received() -> None:
    data = "\ufeff".encode() + reprint_bytes().replace(b"\n", b"\r\n")
    document = ingest(data).document
    assert storage.original_path(document.sha256).read_bytes() == data
    assert "\r" not in document.text


def test_identical_bytes_return_the_existing_document_and_record_the_submission(researcher):
    first = ingest(reprint_bytes(), "first.txt").document
    again = ingest(reprint_bytes(), "second-name.txt", actor=researcher)

    assert not again.created
    assert again.document.pk == first.pk
    assert Document.objects.count() == 1
    events = list(first.events.order_by("sequence"))
    assert [event.event_type for event in events] == [
        EventType.INGESTION,
        EventType.DUPLICATE_SUBMISSION,
    ]
    assert events[1].actor == researcher
    assert events[1].detail["filename"] == "second-name.txt"
    assert events[1].previous_hash == events[0].event_hash


def test_duplicates_can_be_skipped_without_an_event() -> None:
    first = ingest(reprint_bytes()).document
    again = ingest(reprint_bytes(), record_duplicates=False)
    assert again.document.pk == first.pk
    assert first.events.count() == 1


def test_outlet_resolves_through_aliases_whatever_the_spelling() -> None:
    outlet = SourceFactory(name="Hürriyet Daily News", kind=SourceKind.OUTLET)
    document = ingest(reprint_bytes(outlet_line="Hurriyet Daily News, 8 February 2017")).document
    assert document.original_outlet == outlet


def test_new_outlet_is_created_as_an_outlet_with_its_name_as_alias() -> None:
    document = ingest(reprint_bytes(outlet_line="Caspian Review, March 3 2016")).document
    outlet = document.original_outlet
    assert (outlet.name, outlet.kind, outlet.slug) == ("Caspian Review", "outlet", "caspian-review")
    assert [alias.normalized_name for alias in outlet.aliases.all()] == ["caspian review"]


def test_avim_resolves_to_one_think_tank_across_documents() -> None:
    first = ingest(reprint_bytes(title="FIRST INVENTED HEADLINE")).document
    second = ingest(reprint_bytes(title="SECOND INVENTED HEADLINE")).document
    assert first.reprinter == second.reprinter
    assert Source.objects.filter(kind=SourceKind.THINK_TANK).count() == 1


def test_existing_avim_source_spelled_without_dots_is_reused() -> None:
    avim = SourceFactory(name="AVIM", kind=SourceKind.THINK_TANK)
    assert ingest(reprint_bytes()).document.reprinter == avim


def test_parse_warnings_make_the_outcome_a_warning() -> None:
    document = ingest(reprint_bytes(closing=None)).document
    event = document.events.get()
    assert event.outcome == EventOutcome.WARNING
    assert event.detail["warnings"] == ["no closing Kaynak/Source line"]


BAD_INPUTS = {
    "empty file": (b"", "empty"),
    "PNG given as text": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "binary"),
    "PDF given as text": (b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "binary"),
    "ZIP given as text": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
    "undecodable bytes": (b"Haber \x81\x8d metni", "undecodable"),
    "banner with no title": (
        b"AVRASYA INCELEMELERI MERKEZI CENTER FOR EURASIAN STUDIES\n\n06.09.2017\n\nBody.",
        "no_title",
    ),
    "impossible date": (reprint_bytes(reprint_date="31.02.2017"), "impossible_date"),
    "reprint before original": (
        reprint_bytes(reprint_date="01.09.2017"),
        "reprint_before_original",
    ),
}


@pytest.mark.parametrize(("data", "code"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_refused_and_leaves_nothing(data: bytes, code: str, data_dir: Path) -> None:
    with pytest.raises(IngestRefused) as refusal:
        ingest(data)
    assert refusal.value.code == code
    assert refusal.value.message
    assert Document.objects.count() == 0
    assert ProvenanceEvent.objects.count() == 0
    assert Source.objects.count() == 0
    assert stored_files(data_dir) == []


def test_file_over_the_size_limit_is_refused(settings, data_dir: Path) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 100
    with pytest.raises(IngestRefused, match="over the limit of 100 bytes") as refusal:
        ingest(reprint_bytes())
    assert refusal.value.code == "too_large"
    assert Document.objects.count() == 0
    assert stored_files(data_dir) == []


def test_future_dates_are_refused() -> None:
    tomorrow_but_one = timezone.now().date() + timedelta(days=3)
    data = reprint_bytes(reprint_date=tomorrow_but_one.strftime("%d.%m.%Y"))
    with pytest.raises(IngestRefused, match="is in the future"):
        ingest(data)


def test_failure_after_storing_the_bytes_leaves_only_an_orphan_for_the_storage_check(
    monkeypatch, data_dir: Path
) -> None:
    def fail(*args, **kwargs):
        raise RuntimeError("disk full while writing the event")

    monkeypatch.setattr(ProvenanceEvent.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        ingest(reprint_bytes())
    assert Document.objects.count() == 0
    assert Source.objects.count() == 0
    # A request never removes a stored file (another may be about to refer to it):
    report = storage_check()
    assert [orphan.path for orphan in report.orphans] == [
        storage.original_path(storage.sha256_hex(reprint_bytes()))
    ]
    assert report.missing == []


def test_a_request_that_stored_the_file_and_lost_the_row_race_leaves_the_file(
    monkeypatch,
) -> None:
    # The winner's row is committed, but its request found the file already linked by the
    # loser (so did not write it): the file on disk is the one the loser's call created.
    winner = ingest(reprint_bytes()).document
    path = storage.original_path(winner.sha256)
    path.unlink()
    # The loser looked for the row before the winner committed:
    monkeypatch.setattr(ingest_service, "documents_by_file", lambda sha256s: {})
    created = []
    store_original = storage.store_original
    monkeypatch.setattr(
        storage,
        "store_original",
        lambda data, sha256: created.append(store_original(data, sha256)) or created[-1],
    )
    loser = ingest(reprint_bytes())
    assert [stored.created for stored in created] == [True]  # the loser made the file…
    assert (loser.created, loser.document.pk) == (False, winner.pk)  # …and lost the row
    assert path.read_bytes() == reprint_bytes()
    event = services.document_fixity_check(document=winner, actor=None, agent="test")
    assert event.outcome == EventOutcome.SUCCESS
    assert storage_check().orphans == []


def test_bytes_that_arrive_twice_at_once_become_one_document(monkeypatch) -> None:
    document = ingest(reprint_bytes()).document
    path = storage.original_path(document.sha256)
    # The second submission does not see the first (as if it committed meanwhile):
    monkeypatch.setattr(ingest_service, "documents_by_file", lambda sha256s: {})
    again = ingest(reprint_bytes())
    assert (again.created, again.document.pk) == (False, document.pk)
    assert document.events.last().event_type == EventType.DUPLICATE_SUBMISSION
    assert path.read_bytes() == reprint_bytes()


def test_a_batch_the_database_refuses_is_retried_one_by_one(monkeypatch, data_dir: Path) -> None:
    # Let a reprint dated before its original slip past validation to the database's check.
    monkeypatch.setattr("archive.services.ingest.validate_parsed", lambda parsed, today: None)
    items = [
        Submission(data=reprint_bytes(title="GOOD HEADLINE ONE"), filename="1.txt", label="1"),
        Submission(
            data=reprint_bytes(title="BAD HEADLINE", reprint_date="01.01.2001"),
            filename="2.txt",
            label="2",
        ),
        Submission(data=reprint_bytes(title="GOOD HEADLINE TWO"), filename="3.txt", label="3"),
    ]
    reports = list(
        services.documents_ingest_many(items=items, actor=None, method=IngestMethod.COMMAND)
    )
    assert [report.status for report in reports] == ["ingested", "refused", "ingested"]
    assert "the database refused the document" in reports[1].reason
    assert Document.objects.count() == 2
    # The refused document's bytes were stored before the database said no: an orphan.
    refused = storage.original_path(storage.sha256_hex(items[1].data))
    assert len(stored_files(data_dir)) == 3
    assert [orphan.path for orphan in storage_check().orphans] == [refused]


def test_the_same_bytes_twice_in_one_batch_become_one_document() -> None:
    items = [
        Submission(data=reprint_bytes(), filename=f"{number}.txt", label=str(number))
        for number in range(2)
    ]
    reports = list(
        services.documents_ingest_many(items=items, actor=None, method=IngestMethod.COMMAND)
    )
    assert [report.status for report in reports] == ["ingested", "duplicate"]
    document = Document.objects.get()
    assert [event.detail["filename"] for event in document.events.all()] == ["0.txt", "1.txt"]


def test_an_outlet_name_without_letters_is_refused() -> None:
    with pytest.raises(IngestRefused, match="has no letters or digits"):
        ingest(reprint_bytes(outlet_line="---, May 4 2017"))


def test_a_source_created_meanwhile_by_another_process_is_reused() -> None:
    from archive.ingest import SourceName
    from archive.services.sources import _source_create_once

    existing = SourceFactory(name="Northern Ledger")
    # Our look-up missed it (it committed just after); creating it again finds it instead.
    assert _source_create_once(SourceName("NORTHERN LEDGER"), ["northern ledger"]) == existing
