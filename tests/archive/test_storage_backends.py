"""The storage suite on both backends: the local folders and an S3 bucket on moto's server.

Each test runs twice (the `backend` fixture); what differs between backends is only how a
test reaches behind the app's back (a file, or an object put with boto3 directly).
"""

from __future__ import annotations

import base64
import hashlib
import io
import multiprocessing
import shutil
import urllib.request
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from archive import storage, storage_s3
from archive.ingest import Submission
from archive.models import DerivativeState, Document
from archive.services import (
    IngestMethod,
    document_ingest,
    documents_ingest_many,
    facsimile_attach,
)
from archive.services.storage_check import storage_check
from archive.storage_s3 import s3_store
from tests import images
from tests.factories import reprint_bytes

pytestmark = pytest.mark.django_db


def ingest(data: bytes) -> Document:
    return document_ingest(
        data=data, filename="reprint.txt", actor=None, method=IngestMethod.API
    ).document


def stored_names(backend: str) -> list[str]:
    if backend == "s3":
        return sorted(name for page in s3_store().list_pages() for name, _ in page)
    return sorted(storage.local_names())


def replace_behind_the_apps_back(backend: str, sha256: str, data: bytes) -> None:
    """What a disk error or a careless operator does: the bytes change, the name does not."""
    if backend == "s3":
        store = s3_store()
        store.client.put_object(
            Bucket=store.config.bucket, Key=store.key(storage.original_name(sha256)), Body=data
        )
    else:
        path = storage.original_path(sha256)
        path.chmod(0o644)
        path.write_bytes(data)


def test_ingest_stores_the_exact_bytes_under_their_checksum(backend) -> None:
    data = reprint_bytes()
    document = ingest(data)
    assert stored_names(backend) == [storage.original_name(document.sha256)]
    with storage.open_original(document.sha256) as handle:
        assert handle.read() == data
    assert storage.original_size(document.sha256) == len(data)
    assert storage.hash_stored_original(document.sha256) == hashlib.sha256(data).hexdigest()


def test_duplicate_ingest_stores_the_bytes_once(backend) -> None:
    data = reprint_bytes()
    first = document_ingest(data=data, filename="a.txt", actor=None, method=IngestMethod.API)
    again = document_ingest(data=data, filename="b.txt", actor=None, method=IngestMethod.API)
    assert first.created and not again.created
    assert again.document.pk == first.document.pk
    assert stored_names(backend) == [storage.original_name(first.document.sha256)]


def test_a_bulk_ingest_stores_every_original_of_the_batch(backend) -> None:
    items = [
        Submission(
            data=reprint_bytes(title=f"BULLETIN NUMBER {number}"),
            filename=f"{number}.txt",
            label=str(number),
        )
        for number in range(12)
    ]
    items.append(items[3])  # the same bytes twice in one batch
    reports = list(
        documents_ingest_many(items=items, actor=None, method=IngestMethod.COMMAND, batch_size=20)
    )
    assert sorted(report.status for report in reports).count("ingested") == 12
    names = [storage.original_name(storage.sha256_hex(item.data)) for item in items[:12]]
    assert stored_names(backend) == sorted(names)
    for item in items[:12]:
        assert storage.hash_stored_original(storage.sha256_hex(item.data)) == storage.sha256_hex(
            item.data
        )


def test_storing_bytes_found_already_reports_them_as_not_created(backend) -> None:
    data = b"the same reprint, twice"
    sha256 = storage.sha256_hex(data)
    assert storage.store_original(data, sha256).created
    assert not storage.store_original(data, sha256).created
    assert storage.hash_stored_original(sha256) == sha256


def _put_in_a_process(data: bytes, sha256: str, ready, results) -> None:
    # A forked child must not share the parent's HTTP connections.
    storage_s3._store.cache_clear()
    ready.wait()
    results.put(storage.store_original(data, sha256).created)


def test_two_processes_storing_the_same_bytes_at_once_both_succeed_and_leave_one(
    backend,
) -> None:
    data = b"one scan sent through two servers at the same moment" * 4096
    sha256 = storage.sha256_hex(data)
    context = multiprocessing.get_context("fork")
    ready, results = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_put_in_a_process, args=(data, sha256, ready, results))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    created = sorted(results.get(timeout=5) for _ in workers)
    assert created == [False, True]  # exactly one wrote it; the other found it
    assert stored_names(backend) == [storage.original_name(sha256)]
    assert storage.hash_stored_original(sha256) == sha256


def test_an_s3_put_sends_the_sha256_for_the_store_to_check(s3_bucket) -> None:
    # AWS refuses an object whose bytes do not match this header (BadDigest); moto does not
    # check it, so the test looks at the request itself, on the wire.
    sent = []
    s3_bucket.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers))
    )
    data = b"checked by the store on arrival"
    sha256 = storage.sha256_hex(data)
    storage.store_original(data, sha256)
    [headers] = sent
    assert headers["x-amz-checksum-sha256"] == base64.b64encode(bytes.fromhex(sha256))
    assert headers["If-None-Match"] == b"*"


def test_an_s3_original_is_never_overwritten(s3_bucket) -> None:
    data = b"the first bytes under this name"
    sha256 = storage.sha256_hex(data)
    assert s3_bucket.put(storage.original_name(sha256), data)
    assert not s3_bucket.put(storage.original_name(sha256), b"anything else")
    assert storage.hash_stored_original(sha256) == sha256


def test_facsimile_derivatives_are_made_from_the_store_and_served(
    backend, researcher_client, django_capture_on_commit_callbacks
) -> None:
    document = ingest(reprint_bytes())
    data = images.jpeg(2000, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        facsimile = facsimile_attach(
            document=document, data=data, filename="scan.jpg", actor=None, method=IngestMethod.API
        ).facsimile
    facsimile.refresh_from_db()
    assert facsimile.derivative_state == DerivativeState.READY
    assert storage.derivative_name(facsimile.sha256, "thumbnail") in stored_names(backend)
    response = researcher_client.get(f"/api/facsimiles/{facsimile.pk}/thumbnail")
    assert response.status_code == 200
    thumbnail = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 160))
    original = researcher_client.get(f"/api/facsimiles/{facsimile.pk}/original")
    assert b"".join(original.streaming_content) == data
    if backend == "s3":  # nothing stays on this server's disk for another to miss
        assert list(storage.local_names()) == []


def test_an_original_streams_through_the_app_with_its_headers(backend, researcher_client) -> None:
    data = reprint_bytes()
    document = ingest(data)
    response = researcher_client.get(f"/api/documents/{document.pk}/original")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{document.sha256}"'
    assert response["Repr-Digest"].startswith("sha-256=:")


def test_a_presigned_download_redirects_to_the_bucket_only_after_the_permission_check(
    s3_bucket, settings, researcher_client, anonymous_client
) -> None:
    settings.KAYNAK_S3_PRESIGNED_SECONDS = 60
    data = reprint_bytes()
    document = ingest(data)
    refused = anonymous_client.get(f"/api/documents/{document.pk}/original")
    assert refused.status_code == 401
    assert "Location" not in refused
    response = researcher_client.get(f"/api/documents/{document.pk}/original")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert "X-Amz-Expires=60" in response["Location"]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:
        assert fetched.read() == data
        assert fetched.headers["Content-Disposition"] == 'attachment; filename="reprint.txt"'
    missing = researcher_client.get(f"/api/documents/{document.pk + 1000}/original")
    assert missing.status_code == 404


def test_fixity_check_finds_an_original_altered_behind_the_apps_back(backend) -> None:
    document = ingest(reprint_bytes())
    call_command("fixity_check", stdout=StringIO(), stderr=StringIO())
    replace_behind_the_apps_back(backend, document.sha256, b"flipped bits")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("fixity_check", stdout=StringIO(), stderr=err)
    assert storage.sha256_hex(b"flipped bits") in err.getvalue()


def test_storage_check_collects_orphans_and_keeps_what_rows_refer_to(backend) -> None:
    document = ingest(reprint_bytes())
    orphan = b"stored by an ingest that then failed"
    storage.store_original(orphan, storage.sha256_hex(orphan))
    young = storage_check(delete_orphans=True, grace=timedelta(hours=1))
    assert [str(storage.relative_to_data_dir(item.path)) for item in young.orphans] == [
        storage.original_name(storage.sha256_hex(orphan))
    ]
    assert not young.removed  # within the grace period: an ingest may still be in flight
    collected = storage_check(delete_orphans=True, grace=timedelta(0))
    assert [item.path.name for item in collected.removed] == [storage.sha256_hex(orphan)]
    assert stored_names(backend) == [storage.original_name(document.sha256)]
    assert not storage_check().orphans and not storage_check().missing


def test_storage_check_reports_a_row_whose_original_is_missing(backend) -> None:
    document = ingest(reprint_bytes())
    if backend == "s3":
        store = s3_store()
        store.client.delete_object(
            Bucket=store.config.bucket, Key=store.key(storage.original_name(document.sha256))
        )
    else:
        storage.original_path(document.sha256).unlink()
    [missing] = storage_check().missing
    assert missing.sha256 == document.sha256


# --- storage_migrate ------------------------------------------------------------------------


def migrate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("storage_migrate", "--no-progress", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def archive_with_a_facsimile(s3_bucket, settings, django_capture_on_commit_callbacks) -> Document:
    """An archive on the local folders, with an empty bucket configured beside it."""
    settings.KAYNAK_STORAGE = "local"
    document = ingest(reprint_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        facsimile_attach(
            document=document,
            data=images.jpeg(),
            filename="scan.jpg",
            actor=None,
            method=IngestMethod.API,
        )
    return document


def test_migrating_to_s3_copies_and_verifies_every_file_and_switches_nothing(
    s3_bucket, settings, archive_with_a_facsimile
) -> None:
    local = sorted(storage.local_names())
    assert len(local) == 4  # document, facsimile, thumbnail, display image
    out, _ = migrate("--to", "s3", "--dry-run")
    assert "4 files would be copied from local to s3 (dry run: nothing copied)." in out
    assert stored_names("s3") == []
    out, _ = migrate("--to", "s3")
    assert "4 copied, 0 already there, 0 failed; 4 files verified on s3." in out
    assert "KAYNAK_STORAGE=s3" in out
    assert settings.KAYNAK_STORAGE == "local"
    assert stored_names("s3") == local
    settings.KAYNAK_STORAGE = "s3"  # what the operator does next: the archive reads the same
    call_command("fixity_check", stdout=StringIO(), stderr=StringIO())


def test_a_migration_interrupted_half_way_resumes_without_copying_again(
    s3_bucket, settings, archive_with_a_facsimile, monkeypatch
) -> None:
    put, calls = s3_bucket.put, []

    def killed_after_two(name: str, data: bytes, **kwargs) -> bool:
        if len(calls) == 2:
            raise KeyboardInterrupt  # what a kill does to the loop
        calls.append(name)
        return put(name, data, **kwargs)

    monkeypatch.setattr(s3_bucket, "put", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        migrate("--to", "s3")
    monkeypatch.setattr(s3_bucket, "put", put)
    out, _ = migrate("--to", "s3")
    assert "2 copied, 2 already there, 0 failed; 4 files verified on s3." in out


def test_a_damaged_source_file_is_not_copied_and_the_switch_is_withheld(
    s3_bucket, settings, archive_with_a_facsimile
) -> None:
    replace_behind_the_apps_back("local", archive_with_a_facsimile.sha256, b"rotted")
    err = StringIO()
    with pytest.raises(CommandError, match="keep KAYNAK_STORAGE=local"):
        call_command(
            "storage_migrate", "--to", "s3", "--no-progress", stdout=StringIO(), stderr=err
        )
    assert f"FAILED {storage.original_name(archive_with_a_facsimile.sha256)}: damaged" in (
        err.getvalue()
    )
    assert storage.original_name(archive_with_a_facsimile.sha256) not in stored_names("s3")


def test_migrating_back_from_s3_to_local_restores_every_file(
    s3_bucket, settings, archive_with_a_facsimile, data_dir
) -> None:
    migrate("--to", "s3")
    settings.KAYNAK_STORAGE = "s3"
    names = stored_names("s3")
    assert len(names) == 4
    shutil.rmtree(data_dir)  # a new server, with an empty disk
    out, _ = migrate("--to", "local")
    assert "4 copied, 0 already there, 0 failed; 4 files verified on local." in out
    settings.KAYNAK_STORAGE = "local"
    assert sorted(storage.local_names()) == names
    with storage.open_original(archive_with_a_facsimile.sha256) as handle:
        assert storage.sha256_hex(handle.read()) == archive_with_a_facsimile.sha256


def test_migrating_to_the_storage_in_use_is_refused(backend) -> None:
    with pytest.raises(CommandError, match=f"KAYNAK_STORAGE is {backend} already"):
        migrate("--to", backend)
