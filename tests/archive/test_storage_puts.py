"""Originals stored ahead of their rows (issue 19, §5): a bulk ingest puts each new original as
soon as it has parsed, several at once on S3, and writes no row before every object it refers
to is stored. On both backends where the backend matters (the `backend` fixture)."""

from __future__ import annotations

import threading
import time
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

import archive.services.ingest
from archive import storage, storage_s3
from archive.ingest import Submission
from archive.models import Document, ProvenanceEvent
from archive.services import IngestMethod, documents_ingest_many
from archive.storage_s3 import S3Store, s3_store
from tests.factories import reprint_bytes

pytestmark = pytest.mark.django_db


def bulletins(count: int) -> list[Submission]:
    return [
        Submission(
            data=reprint_bytes(title=f"HARBOUR BULLETIN NUMBER {number}"),
            filename=f"{number}.txt",
            label=str(number),
        )
        for number in range(count)
    ]


def stored_names(backend: str) -> list[str]:
    if backend == "s3":
        return sorted(name for page in s3_store().list_pages() for name, _ in page)
    return sorted(storage.local_names())


def ingest_all(items: list[Submission]) -> list[str]:
    reports = documents_ingest_many(
        items=items, actor=None, method=IngestMethod.COMMAND, batch_size=100
    )
    return [report.status for report in reports]


def test_a_bulk_ingest_stores_every_original_before_any_row_refers_to_it(
    backend, monkeypatch
) -> None:
    items = bulletins(10)
    missing_at_insert = []
    bulk_create = Document.objects.bulk_create

    def checking_bulk_create(documents, *args, **kwargs):
        documents = list(documents)
        missing_at_insert.extend(
            document.sha256
            for document in documents
            if not storage.original_exists(document.sha256)
        )
        return bulk_create(documents, *args, **kwargs)

    monkeypatch.setattr(Document.objects, "bulk_create", checking_bulk_create)
    assert ingest_all(items) == ["ingested"] * 10
    assert missing_at_insert == []
    assert Document.objects.count() == 10


def test_a_submission_refused_by_parsing_is_never_stored(backend) -> None:
    items = bulletins(3)
    items.insert(1, Submission(data=b"\x89PNG\r\n\x1a\n\x00\x00", filename="x.txt", label="png"))
    assert ingest_all(items) == ["ingested", "refused", "ingested", "ingested"]
    kept = [item for item in items if item.label != "png"]
    assert stored_names(backend) == sorted(
        storage.original_name(storage.sha256_hex(item.data)) for item in kept
    )


def test_the_ingest_command_puts_several_originals_at_once_while_parsing_the_rest(
    s3_bucket, monkeypatch, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    items = bulletins(12)
    for item in items:
        (folder / item.filename).write_bytes(item.data)
    events: list[str] = []
    in_flight, most_in_flight = [0], [0]
    lock, first_put = threading.Lock(), threading.Event()
    put_original, parse = S3Store.put_original, archive.services.ingest.parse

    def slow_put(self, data, sha256):
        with lock:
            events.append("put")
            in_flight[0] += 1
            most_in_flight[0] = max(most_in_flight[0], in_flight[0])
        first_put.set()
        time.sleep(0.05)  # a store farther away than loopback
        try:
            return put_original(self, data, sha256)
        finally:
            with lock:
                in_flight[0] -= 1

    def recorded_parse(*args, **kwargs):
        if events.count("parse") == len(items) - 1:
            # The last one: the puts of those before it are under way by now, unless they
            # wait for parsing to end (then this gives up after a while and the test fails).
            first_put.wait(timeout=10)
        with lock:
            events.append("parse")
        return parse(*args, **kwargs)

    monkeypatch.setattr(S3Store, "put_original", slow_put)
    monkeypatch.setattr(archive.services.ingest, "parse", recorded_parse)
    call_command("ingest", str(folder), "--no-progress", stdout=StringIO(), stderr=StringIO())

    assert Document.objects.count() == 12
    assert events.count("put") == 12
    assert most_in_flight[0] > 1  # concurrent, not one after another
    # The first put went out before the last submission was parsed: overlapped, not after.
    assert events.index("put") < len(events) - 1 - events[::-1].index("parse")
    assert stored_names("s3") == sorted(
        storage.original_name(storage.sha256_hex(item.data)) for item in items
    )


def test_a_failed_put_commits_no_row_and_leaves_no_put_running(s3_bucket, monkeypatch) -> None:
    items = bulletins(8)
    failing = storage.sha256_hex(items[5].data)
    put_original = S3Store.put_original

    def put_or_fail(self, data, sha256):
        if sha256 == failing:
            raise ConnectionError("the store went away")
        return put_original(self, data, sha256)

    monkeypatch.setattr(S3Store, "put_original", put_or_fail)
    with pytest.raises(ConnectionError, match="the store went away"):
        ingest_all(items)
    assert Document.objects.count() == 0
    assert ProvenanceEvent.objects.count() == 0
    assert storage.original_name(failing) not in stored_names("s3")
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("kaynak-put")]


def test_identical_puts_from_threads_at_once_all_succeed_and_leave_one_object(backend) -> None:
    data = b"one facsimile scan, sent by eight requests of one server at the same moment" * 512
    sha256 = storage.sha256_hex(data)
    ready = threading.Barrier(8)
    results: list[bool] = []
    errors: list[BaseException] = []

    def put() -> None:
        ready.wait()
        try:
            results.append(storage.store_original(data, sha256).created)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == 8
    if backend == "local":
        assert sorted(results) == [False] * 7 + [True]  # link() lets exactly one in
    else:
        # AWS lets exactly one conditional put in; moto checks and then writes, so two may
        # both be told "created". Either way the bytes are the same and one object remains.
        assert True in results
    assert stored_names(backend) == [storage.original_name(sha256)]
    assert storage.hash_stored_original(sha256) == sha256


def test_the_s3_put_sends_the_checksum_ingest_recorded_without_hashing_again(
    s3_bucket, monkeypatch
) -> None:
    sent = []
    s3_bucket.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers))
    )
    data = b"hashed once, when it arrived"
    sha256 = storage.sha256_hex(data)

    def no_second_hash(*args, **kwargs):
        raise AssertionError("the bytes were hashed again")

    # Only the storage module's hashlib: boto3 hashes a payload to sign it over plain HTTP.
    monkeypatch.setattr(storage_s3, "hashlib", SimpleNamespace(sha256=no_second_hash))
    assert storage.store_original(data, sha256).created
    [headers] = sent
    assert headers["x-amz-checksum-sha256"] == storage_s3.base64.b64encode(bytes.fromhex(sha256))


def test_one_pooled_client_serves_every_put_of_the_process(s3_bucket) -> None:
    assert s3_store() is s3_bucket
    config = s3_bucket.client.meta.config
    assert config.max_pool_connections > storage._S3_CONCURRENCY
    assert config.tcp_keepalive


def test_other_bytes_found_under_the_name_are_refused_not_referred_to(backend) -> None:
    data = b"the reprint as it was received"
    sha256 = storage.sha256_hex(data)
    damaged = b"the reprint after a disk error, a little longer"
    if backend == "s3":
        store = s3_store()
        store.client.put_object(
            Bucket=store.config.bucket, Key=store.key(storage.original_name(sha256)), Body=damaged
        )
    else:
        path = storage.original_path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(damaged)
    with pytest.raises(storage.StoredBytesDiffer, match=sha256):
        storage.store_original(data, sha256)
    with storage.open_original(sha256) as handle:
        assert handle.read() == damaged  # never overwritten: fixity_check reports it


def test_an_upload_meeting_damaged_stored_bytes_is_refused_with_what_to_run_and_records_nothing(
    backend, researcher_client
) -> None:
    data = reprint_bytes(title="A LEDGER OF LAMPLIGHTERS")
    sha256 = storage.sha256_hex(data)
    if backend == "s3":
        store = s3_store()
        store.client.put_object(
            Bucket=store.config.bucket, Key=store.key(storage.original_name(sha256)), Body=b"x"
        )
    else:
        path = storage.original_path(sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    response = researcher_client.post(
        "/api/documents/", {"file": SimpleUploadedFile("ledger.txt", data)}, format="multipart"
    )
    assert response.status_code == 500
    assert response.json()["code"] == "stored_file_damaged"
    assert "fixity_check" in response.json()["detail"]
    assert not Document.objects.exists()


def test_a_single_upload_puts_its_original_in_its_own_thread(s3_bucket, monkeypatch) -> None:
    threads = []
    put_original = S3Store.put_original

    def recorded_put(self, data, sha256):
        threads.append(threading.current_thread())
        return put_original(self, data, sha256)

    monkeypatch.setattr(S3Store, "put_original", recorded_put)
    assert ingest_all(bulletins(1)) == ["ingested"]
    assert threads == [threading.current_thread()]
    assert ingest_all(bulletins(3)[1:]) == ["ingested", "ingested"]
    assert [thread.name.startswith("kaynak-put") for thread in threads[1:]] == [True, True]
