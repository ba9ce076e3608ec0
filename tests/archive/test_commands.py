from __future__ import annotations

import gzip
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive import storage
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent
from tests.conftest import stored_files
from tests.factories import DocumentFactory, reprint_bytes

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(command, *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(command: str, *args: str) -> tuple[str, str, CommandError]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(command, *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), failure.value


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def record(number: int, **changes) -> str:
    fields = {"title": f"Invented record {number}", "body": f"Body of record {number}."}
    return json.dumps({**fields, **changes})


# --- ingest ---------------------------------------------------------------------------------


def test_ingest_reads_folders_recursively_and_summarises(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a.txt", reprint_bytes(title="FIRST INVENTED HEADLINE"))
    write(tmp_path / "in" / "deeper" / "b.txt", reprint_bytes(title="SECOND INVENTED HEADLINE"))
    write(tmp_path / "in" / ".hidden" / "c.txt", reprint_bytes(title="HIDDEN HEADLINE"))

    out, _ = run("ingest", str(tmp_path / "in"))

    assert "Ingested: 2, duplicates: 0, refused: 0." in out
    assert set(Document.objects.values_list("original_filename", flat=True)) == {"a.txt", "b.txt"}
    event = ProvenanceEvent.objects.filter(event_type=EventType.INGESTION).first()
    assert event.agent == "kaynak 0.1.0 ingest command"
    assert event.detail["method"] == "command"
    assert event.detail["path"].endswith(".txt")


def test_ingest_records_the_named_actor(tmp_path: Path, researcher) -> None:
    path = write(tmp_path / "a.txt", reprint_bytes())
    run("ingest", str(path), "--actor", "researcher")
    assert ProvenanceEvent.objects.get().actor == researcher


def test_ingest_counts_duplicates(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", reprint_bytes())
    run("ingest", str(path))
    out, _ = run("ingest", str(path))
    assert "Ingested: 0, duplicates: 1, refused: 0." in out


def test_ingest_reports_each_refusal_and_exits_non_zero(tmp_path: Path, data_dir: Path) -> None:
    write(tmp_path / "good.txt", reprint_bytes())
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(tmp_path / "date.txt", reprint_bytes(title="OTHER HEADLINE", reprint_date="31.02.2017"))

    out, err, failure = run_failing("ingest", str(tmp_path))

    assert "Ingested: 1, duplicates: 0, refused: 3." in out
    assert f"refused {tmp_path / 'empty.txt'}: the file is empty" in err
    assert f"refused {tmp_path / 'picture.txt'}: the file is a PNG image, not text" in err
    assert f"refused {tmp_path / 'date.txt'}: the reprint date '31.02.2017' is not" in err
    assert "3 submission(s) refused" in str(failure)
    assert Document.objects.count() == 1
    assert len(stored_files(data_dir)) == 1


def test_ingest_refuses_a_file_over_the_limit_without_reading_it(tmp_path: Path, settings) -> None:
    settings.KAYNAK_MAX_UPLOAD_BYTES = 50
    path = write(tmp_path / "big.txt", reprint_bytes())
    _, err, _ = run_failing("ingest", str(path))
    assert "over the limit of 50 bytes (KAYNAK_MAX_UPLOAD_BYTES)" in err


def test_ingest_reports_a_missing_path(tmp_path: Path) -> None:
    _, err, _ = run_failing("ingest", str(tmp_path / "nowhere"))
    assert "nowhere: no such file or folder" in err


def test_ingest_rejects_unknown_actor(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("ingest", str(tmp_path), "--actor", "nobody")


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_jsonl_loads_good_lines_and_reports_the_bad_one_by_number(tmp_path: Path, suffix) -> None:
    lines = [
        record(1),
        record(2),
        '{"title": "broken", "body": ',
        "",
        record(4, published="2017-02-31"),
    ]
    data = "\n".join(lines).encode()
    path = write(tmp_path / f"bulk{suffix}", gzip.compress(data) if suffix.endswith("gz") else data)

    out, err, _ = run_failing("ingest", str(path))

    assert "Ingested: 2, duplicates: 0, refused: 2." in out
    assert f"refused {path}:3: not a valid json_record: not JSON" in err
    assert f"refused {path}:5: the original publication date '2017-02-31' is not" in err
    assert sorted(Document.objects.values_list("title", flat=True)) == [
        "Invented record 1",
        "Invented record 2",
    ]
    document = Document.objects.get(title="Invented record 2")
    assert storage.original_path(document.sha256).read_bytes() == record(2).encode()
    event = document.events.get()
    assert event.detail["line"] == 2
    assert event.detail["container"]["filename"] == path.name
    assert event.detail["container"]["sha256"] == storage.sha256_hex(path.read_bytes())


def test_jsonl_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    data = gzip.compress("\n".join(record(n) for n in range(1, 200)).encode())
    path = write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    _, err, _ = run_failing("ingest", str(path))
    assert "cannot be read past line" in err
    assert Document.objects.count() > 0


# --- fixity_check ---------------------------------------------------------------------------


def test_fixity_check_passes_and_records_an_event() -> None:
    document = DocumentFactory()
    out, _ = run("fixity_check")
    assert "Checked: 1, passed: 1, failed: 0." in out
    event = document.events.get(event_type=EventType.FIXITY_CHECK)
    assert event.outcome == EventOutcome.SUCCESS
    assert event.detail["actual_sha256"] == document.sha256


def _replace_stored_file(document: Document, data: bytes | None) -> None:
    path = storage.original_path(document.sha256)
    path.chmod(0o644)
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


def test_fixity_check_detects_a_corrupted_original() -> None:
    healthy, damaged = DocumentFactory(), DocumentFactory()
    _replace_stored_file(damaged, b"flipped bits")

    _, err, failure = run_failing("fixity_check")

    assert "Fixity check failed for 1 document(s)" in str(failure)
    assert f"FAILED document {damaged.pk}" in err
    assert "the stored original has changed" in err
    event = damaged.events.get(event_type=EventType.FIXITY_CHECK)
    assert event.outcome == EventOutcome.FAILURE
    assert event.detail["actual_sha256"] == storage.sha256_hex(b"flipped bits")
    assert healthy.events.get(event_type=EventType.FIXITY_CHECK).outcome == EventOutcome.SUCCESS


def test_fixity_check_counts_a_missing_original_as_failure() -> None:
    document = DocumentFactory()
    _replace_stored_file(document, None)
    _, err, _ = run_failing("fixity_check")
    assert "the stored original is missing" in err
    assert document.events.get(event_type=EventType.FIXITY_CHECK).detail["actual_sha256"] is None


def test_fixity_check_reports_a_broken_chain(triggers_dropped) -> None:
    document = DocumentFactory()
    ProvenanceEvent.objects.filter(document=document).update(agent="forged")
    _, err, _ = run_failing("fixity_check", "--document", str(document.pk))
    assert "provenance chain broken: event 1 (ingestion) was altered" in err


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_ingest_draws_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    for number in range(3):
        write(tmp_path / f"{number}.txt", reprint_bytes(title=f"HEADLINE NUMBER {number}"))
    terminal = Terminal()
    call_command("ingest", str(tmp_path), stdout=StringIO(), stderr=terminal)
    assert "3/3" in terminal.getvalue()
    assert "doc/s" in terminal.getvalue()
