"""Facsimiles: attaching, refusing hostile files, derivatives, retries, fixity, guards."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from PIL import Image, ImageFile

from archive import storage
from archive.ingest import ImageRefused
from archive.ingest.images import inspect_image
from archive.models import (
    DerivativeState,
    EventOutcome,
    EventType,
    Facsimile,
    ProvenanceEvent,
)
from archive.selectors import provenance_chain_break
from archive.services import IngestMethod, document_fixity_check, facsimile_attach
from archive.services.facsimiles import make_facsimile_derivatives
from archive.services.storage_check import storage_check
from kaynak.tasks import DBTaskResult
from tests import images
from tests.conftest import stored_files
from tests.factories import DocumentFactory, FacsimileFactory

pytestmark = pytest.mark.django_db


def attach(document, data: bytes, filename: str = "scan.jpg", **kwargs) -> Facsimile:
    return facsimile_attach(
        document=document, data=data, filename=filename, actor=None, method=IngestMethod.API
    ).facsimile


def derivative_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "derivatives"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def opened(path: Path) -> Image.Image:
    return Image.open(io.BytesIO(path.read_bytes()))


@pytest.fixture
def document():
    return DocumentFactory()


@pytest.fixture
def nothing_more_stored(document, data_dir):
    """After the test, the data folder holds the document's original and nothing else."""
    yield
    assert stored_files(data_dir) == [storage.original_path(document.sha256)]
    assert derivative_files(data_dir) == []


@pytest.fixture
def made(django_capture_on_commit_callbacks):
    """Attach and run the after-commit derivative step, as a real commit would."""

    def attach_and_derive(document, data: bytes, filename: str = "scan.jpg") -> Facsimile:
        with django_capture_on_commit_callbacks(execute=True):
            facsimile = attach(document, data, filename)
        facsimile.refresh_from_db()
        return facsimile

    return attach_and_derive


# --- attaching ----------------------------------------------------------------------------


def test_attaching_keeps_the_original_bytes_with_their_fixity_and_records_it(document) -> None:
    data = images.jpeg(800, 600)
    facsimile = attach(document, data, "Clipping 1987.JPG")

    assert storage.original_path(facsimile.sha256).read_bytes() == data
    assert facsimile.sha256 == storage.sha256_hex(data)
    assert (facsimile.size_bytes, facsimile.format, facsimile.media_type) == (
        len(data),
        "JPEG",
        "image/jpeg",
    )
    assert (facsimile.width, facsimile.height, facsimile.page_count) == (800, 600, 1)
    assert (facsimile.position, facsimile.original_filename) == (1, "Clipping 1987.JPG")
    assert facsimile.derivative_state == DerivativeState.PENDING
    event = document.events.get(event_type=EventType.FACSIMILE_ATTACHED)
    assert event.outcome == EventOutcome.SUCCESS
    assert event.detail["facsimile"] == facsimile.pk
    assert event.detail["sha256"] == facsimile.sha256
    assert event.detail["method"] == "api"
    assert provenance_chain_break(document=document) is None


@pytest.mark.parametrize(
    ("data", "format", "media_type"),
    [
        (images.png(), "PNG", "image/png"),
        (images.tiff(), "TIFF", "image/tiff"),
        (images.webp(), "WEBP", "image/webp"),
    ],
)
def test_png_tiff_and_webp_are_accepted(document, data, format, media_type) -> None:
    facsimile = attach(document, data, "scan.img")
    assert (facsimile.format, facsimile.media_type) == (format, media_type)


def test_facsimiles_take_the_next_position(document) -> None:
    first = attach(document, images.jpeg(seed=1))
    second = attach(document, images.jpeg(seed=2))
    other = attach(DocumentFactory(), images.jpeg(seed=3))
    assert (first.position, second.position, other.position) == (1, 2, 1)


def test_the_same_bytes_again_return_the_existing_facsimile_and_record_the_resubmission(
    document,
) -> None:
    data = images.jpeg()
    first = attach(document, data)
    result = facsimile_attach(
        document=document, data=data, filename="again.jpg", actor=None, method=IngestMethod.WEB
    )
    assert (result.created, result.facsimile.pk) == (False, first.pk)
    assert Facsimile.objects.count() == 1
    duplicate = document.events.get(event_type=EventType.DUPLICATE_SUBMISSION)
    assert (duplicate.detail["facsimile"], duplicate.detail["filename"]) == (first.pk, "again.jpg")


def test_one_scan_may_belong_to_two_documents_and_is_stored_once(document, data_dir) -> None:
    data = images.jpeg()
    first = attach(document, data)
    second = attach(DocumentFactory(), data)
    assert first.pk != second.pk
    assert first.sha256 == second.sha256
    originals = [path.name for path in stored_files(data_dir)]
    assert originals.count(first.sha256) == 1


def test_a_multi_page_tiff_is_accepted_and_says_only_its_first_page_is_shown(
    document, made
) -> None:
    facsimile = made(document, images.tiff(pages=3), "pages.tif")
    assert facsimile.page_count == 3
    assert facsimile.notes == [
        "the file has 3 pages; only the first is shown (the original keeps them all)"
    ]
    event = document.events.get(event_type=EventType.FACSIMILE_ATTACHED)
    assert event.outcome == EventOutcome.WARNING
    assert event.detail["notes"] == facsimile.notes
    # The first page is red, the others blue: the display image is the first page.
    display = opened(storage.derivative_path(facsimile.sha256, "display")).convert("RGB")
    red, _green, blue = display.getpixel((display.width // 2, display.height // 2))
    assert red > 180 and blue < 80


def test_a_failure_while_attaching_leaves_no_row_and_only_an_orphan(
    document, monkeypatch, data_dir
) -> None:
    def broken(**kwargs):
        raise IntegrityError("the database went away")

    monkeypatch.setattr("archive.services.facsimiles.provenance_record", broken)
    with pytest.raises(IntegrityError):
        attach(document, images.jpeg())
    assert Facsimile.objects.count() == 0
    report = storage_check()
    assert [orphan.path for orphan in report.orphans] == [
        storage.original_path(storage.sha256_hex(images.jpeg()))
    ]
    assert report.missing == []
    assert derivative_files(data_dir) == []


def test_a_failed_attachment_never_removes_a_file_another_facsimile_refers_to(
    document, monkeypatch
) -> None:
    # One scan, two articles: attaching to the other document committed, having found the
    # file that this attachment (which then fails) had just created.
    other = attach(DocumentFactory(), images.jpeg(), "page.jpg")
    path = storage.original_path(other.sha256)
    path.unlink()

    def broken(**kwargs):
        raise IntegrityError("the database went away")

    monkeypatch.setattr("archive.services.facsimiles.provenance_record", broken)
    with pytest.raises(IntegrityError):
        attach(document, images.jpeg())
    assert path.read_bytes() == images.jpeg()
    assert storage_check().orphans == []


# --- bad input ----------------------------------------------------------------------------


BAD_INPUT = {
    "text named .jpg": (images.TEXT, "not_an_image", "the file is text, not a JPEG"),
    "PDF named .png": (images.PDF, "unsupported_format", "the file is a PDF document, not a"),
    "truncated JPEG": (images.truncated(images.jpeg(600, 400)), "truncated", "truncated"),
    "truncated PNG": (images.truncated(images.png(600, 400)), "truncated", "truncated"),
    "decompression bomb": (
        images.decompression_bomb(),
        "too_many_pixels",
        "more than the limit of 100,000,000 pixels (KAYNAK_MAX_IMAGE_PIXELS)",
    ),
    "SVG": (images.SVG, "unsupported_format", "SVG drawing, which can carry scripts"),
    "GIF": (
        images.image_bytes(Image.new("P", (10, 10)), "GIF"),
        "unsupported_format",
        "a GIF image, not a JPEG, PNG, TIFF or WebP image",
    ),
    "empty file": (b"", "empty", "the file is empty"),
}


@pytest.mark.parametrize(("data", "code", "message"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_saying_why_and_nothing_is_stored(
    document, data, code, message, nothing_more_stored
) -> None:
    events_before = document.events.count()
    with pytest.raises(ImageRefused) as refusal:
        attach(document, data, "scan.jpg")
    assert refusal.value.code == code
    assert message in refusal.value.message
    assert Facsimile.objects.count() == 0
    assert document.events.count() == events_before


def test_a_file_over_the_size_limit_is_refused(document, settings, nothing_more_stored) -> None:
    data = images.jpeg()
    settings.KAYNAK_MAX_IMAGE_BYTES = len(data) - 1
    with pytest.raises(
        ImageRefused, match=r"over the limit of .* \(KAYNAK_MAX_IMAGE_BYTES\)"
    ) as err:
        attach(document, data)
    assert err.value.code == "too_large"
    assert Facsimile.objects.count() == 0


def test_a_bomb_is_refused_from_its_header_without_decoding_a_pixel(monkeypatch) -> None:
    bomb = images.decompression_bomb()

    def no_decoding(self, *args, **kwargs):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "load", no_decoding)
    with pytest.raises(ImageRefused) as refusal:
        inspect_image(bomb)
    assert refusal.value.code == "too_many_pixels"
    assert "it was not decoded" in refusal.value.message


def test_the_pixel_limit_is_configurable(document, settings) -> None:
    settings.KAYNAK_MAX_IMAGE_PIXELS = 100 * 100
    with pytest.raises(ImageRefused, match="more than the limit of 10,000 pixels") as refusal:
        attach(document, images.jpeg(101, 100, seed=1))
    assert refusal.value.extra["limit_pixels"] == 10_000
    assert attach(document, images.jpeg(100, 100, seed=2)).width == 100


def test_truncated_images_stay_refused_when_pillow_is_told_to_load_them(monkeypatch) -> None:
    # Some library in the process could switch Pillow to decoding partial files.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ImageRefused, match="truncated"):
        inspect_image(images.truncated(images.jpeg(600, 400)))


# --- derivatives --------------------------------------------------------------------------


def test_derivatives_are_made_by_a_task_queued_with_the_attachment(
    document, data_dir, drain
) -> None:
    facsimile = attach(document, images.jpeg(3000, 1000))
    assert derivative_files(data_dir) == []
    queued = DBTaskResult.objects.get(task_path=make_facsimile_derivatives.module_path)
    assert queued.args_kwargs["args"] == [facsimile.pk]

    drain()
    facsimile.refresh_from_db()
    assert facsimile.derivative_state == DerivativeState.READY
    assert (facsimile.display_width, facsimile.display_height) == (1600, 533)
    assert (facsimile.thumbnail_width, facsimile.thumbnail_height) == (320, 107)
    thumbnail = opened(storage.derivative_path(facsimile.sha256, "thumbnail"))
    display = opened(storage.derivative_path(facsimile.sha256, "display"))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (320, 107))
    assert (display.format, display.size) == ("JPEG", (1600, 533))
    event = document.events.get(event_type=EventType.DERIVATIVES_MADE)
    assert event.detail == {
        "facsimile": facsimile.pk,
        "sha256": facsimile.sha256,
        "thumbnail": [320, 107],
        "display": [1600, 533],
    }
    assert provenance_chain_break(document=document) is None


def test_a_rolled_back_attachment_makes_no_derivatives(
    document, data_dir, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        attach(document, images.jpeg())
        raise RuntimeError("the caller changed its mind")
    assert callbacks == []
    assert Facsimile.objects.count() == 0
    # The derivatives task went with the rollback.
    assert not DBTaskResult.objects.filter(task_path=make_facsimile_derivatives.module_path)


def test_small_images_are_not_enlarged(document, made) -> None:
    facsimile = made(document, images.png(200, 100))
    assert (facsimile.display_width, facsimile.display_height) == (200, 100)
    assert (facsimile.thumbnail_width, facsimile.thumbnail_height) == (200, 100)


def test_derivatives_are_upright_and_carry_no_exif_gps_or_comment(document, made) -> None:
    data = images.camera_jpeg()
    original = Image.open(io.BytesIO(data))
    assert original.getexif().get_ifd(images.GPS_IFD)  # the original has them…
    facsimile = made(document, data, "phone.jpg")
    assert storage.original_path(facsimile.sha256).read_bytes() == data  # …and keeps them

    for kind in ("thumbnail", "display"):
        derivative = opened(storage.derivative_path(facsimile.sha256, kind))
        # Stored 600 × 300 with "rotate 90° clockwise": shown 300 wide, 600 high, and the
        # left (red) half of the stored picture is now on top.
        assert derivative.height == 2 * derivative.width
        top = derivative.convert("RGB").getpixel((derivative.width // 2, derivative.height // 8))
        bottom = derivative.convert("RGB").getpixel(
            (derivative.width // 2, derivative.height * 7 // 8)
        )
        assert top[0] > 180 and top[2] < 80, top
        assert bottom[2] > 180 and bottom[0] < 80, bottom
        assert len(derivative.getexif()) == 0
        assert not {"exif", "comment", "xmp"} & set(derivative.info)
        raw = storage.derivative_path(facsimile.sha256, kind).read_bytes()
        assert b"Invented Camera" not in raw and b"taken at home" not in raw


def test_transparency_is_laid_on_white(document, made) -> None:
    facsimile = made(document, images.png(100, 100, mode="RGBA"))
    display = opened(storage.derivative_path(facsimile.sha256, "display")).convert("RGB")
    red, green, _blue = display.getpixel((50, 50))
    assert red > 200 and green > 100  # half-transparent red on paper: pink, not dark red


def test_a_derivative_failure_is_recorded_and_the_command_retries_it(
    document, made, data_dir, monkeypatch
) -> None:
    def failing(original, targets):
        raise OSError("read error on the data disk")

    # The stored original cannot be read when the derivatives are first made (a disk hiccup).
    with monkeypatch.context() as patch:
        patch.setattr("archive.services.facsimiles.render_derivatives", failing)
        facsimile = made(document, images.jpeg())
    assert facsimile.derivative_state == DerivativeState.FAILED
    assert facsimile.derivative_error == "OSError: read error on the data disk"
    failure = document.events.get(event_type=EventType.DERIVATIVE_FAILURE)
    assert failure.outcome == EventOutcome.FAILURE
    assert failure.detail["error"] == "OSError: read error on the data disk"
    assert derivative_files(data_dir) == []

    out = StringIO()
    call_command("facsimile_derivatives", "--retry-failed", "--no-progress", stdout=out)
    assert "Derivatives made: 1, failed: 0." in out.getvalue()
    facsimile.refresh_from_db()
    assert (facsimile.derivative_state, facsimile.derivative_error) == ("ready", "")
    retried = document.events.filter(event_type=EventType.DERIVATIVES_MADE).get()
    assert retried.agent == "kaynak 0.1.0 facsimile_derivatives command"
    assert provenance_chain_break(document=document) is None


def test_the_command_fails_while_a_facsimile_still_cannot_be_rendered(document, made) -> None:
    facsimile = made(document, images.jpeg())
    storage.original_path(facsimile.sha256).unlink()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="Derivatives failed for 1 facsimile"):
        call_command("facsimile_derivatives", "--all", "--no-progress", stdout=out, stderr=err)
    assert f"FAILED facsimile {facsimile.pk}" in err.getvalue()
    assert "FileNotFoundError" in err.getvalue()


def test_pending_derivatives_wait_for_the_command_when_made_on_attach_is_off(
    document, settings, django_capture_on_commit_callbacks
) -> None:
    settings.KAYNAK_DERIVATIVES_ON_ATTACH = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        facsimile = attach(document, images.jpeg())
    assert callbacks == []
    call_command("facsimile_derivatives", "--no-progress", stdout=StringIO())
    facsimile.refresh_from_db()
    assert facsimile.derivative_state == DerivativeState.READY


def test_a_failed_render_never_leaves_a_half_written_derivative(
    document, made, monkeypatch, data_dir
) -> None:
    facsimile = made(document, images.jpeg(2000, 1000))
    display = storage.derivative_path(facsimile.sha256, "display")
    before = display.read_bytes()

    def half_then_fail(self, target, *args, **kwargs):
        target.write(b"\xff\xd8\xff half a JPEG")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", half_then_fail)
    call = ["facsimile_derivatives", "--all", "--no-progress"]
    with pytest.raises(CommandError):
        call_command(*call, stdout=StringIO(), stderr=StringIO())
    assert display.read_bytes() == before
    assert [path.name for path in derivative_files(data_dir)] == [
        f"{facsimile.sha256}.display.jpg",
        f"{facsimile.sha256}.thumbnail.jpg",
    ]


# --- fixity -------------------------------------------------------------------------------


def test_fixity_check_covers_facsimile_originals(document) -> None:
    facsimile = attach(document, images.jpeg())
    event = document_fixity_check(document=document, actor=None, agent="test")
    assert event.outcome == EventOutcome.SUCCESS
    assert event.detail["facsimiles"] == [
        {
            "facsimile": facsimile.pk,
            "expected_sha256": facsimile.sha256,
            "actual_sha256": facsimile.sha256,
        }
    ]


def test_fixity_check_reports_a_changed_facsimile_original(document) -> None:
    facsimile = attach(document, images.jpeg(), "page.jpg")
    path = storage.original_path(facsimile.sha256)
    path.chmod(0o644)
    path.write_bytes(b"not the scan any more")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("fixity_check", "--no-progress", stdout=out, stderr=err)
    assert "the stored original of facsimile 1 (page.jpg) has changed" in err.getvalue()
    event = document.events.filter(event_type=EventType.FIXITY_CHECK).get()
    assert event.outcome == EventOutcome.FAILURE
    assert event.detail["facsimiles"][0]["actual_sha256"] == storage.sha256_hex(
        b"not the scan any more"
    )


def test_fixity_check_reports_a_missing_facsimile_original(document) -> None:
    facsimile = attach(document, images.jpeg(), "page.jpg")
    storage.original_path(facsimile.sha256).unlink()
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("fixity_check", "--no-progress", stdout=StringIO(), stderr=err)
    assert "the stored original of facsimile 1 (page.jpg) is missing" in err.getvalue()


# --- database guards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("sha256", "0" * 64),
        ("size_bytes", 1),
        ("width", 1),
        ("format", "PNG"),
        ("original_filename", "renamed.jpg"),
        ("page_count", 2),
    ],
)
def test_a_facsimiles_stored_original_cannot_change(column: str, value) -> None:
    facsimile = FacsimileFactory()
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Facsimile.objects.filter(pk=facsimile.pk).update(**{column: value})


def test_a_facsimile_cannot_move_to_another_document() -> None:
    facsimile = FacsimileFactory()
    other = DocumentFactory()
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Facsimile.objects.filter(pk=facsimile.pk).update(document=other)


def test_derivative_state_and_position_may_change() -> None:
    facsimile = FacsimileFactory()
    Facsimile.objects.filter(pk=facsimile.pk).update(
        derivative_state=DerivativeState.FAILED, derivative_error="x", position=5
    )
    facsimile.refresh_from_db()
    assert (facsimile.derivative_state, facsimile.position) == ("failed", 5)


def test_ready_derivatives_need_their_sizes() -> None:
    facsimile = FacsimileFactory()
    with (
        pytest.raises(IntegrityError, match="ready_has_derivatives"),
        transaction.atomic(),
    ):
        Facsimile.objects.filter(pk=facsimile.pk).update(derivative_state=DerivativeState.READY)


def test_the_same_scan_twice_on_one_document_is_refused_by_the_database(document) -> None:
    facsimile = FacsimileFactory(document=document)
    fields = {
        field.attname: getattr(facsimile, field.attname)
        for field in Facsimile._meta.concrete_fields
        if not field.primary_key
    }
    # SQLite names the constraint's columns, PostgreSQL its name.
    rule = r"archive_facsimile_unique_sha256|archive_facsimile\.document_id, archive_facsimile\.sha"
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        Facsimile.objects.create(**{**fields, "position": 2})


def test_the_new_event_types_are_accepted_and_unknown_ones_refused(document) -> None:
    facsimile = FacsimileFactory(document=document)
    assert document.events.filter(event_type=EventType.FACSIMILE_ATTACHED).exists()
    event = document.events.last()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProvenanceEvent.objects.create(
            document=document,
            sequence=event.sequence + 1,
            event_type="facsimile_deleted",
            occurred_at=event.occurred_at,
            agent="test",
            outcome="success",
            previous_hash=event.event_hash,
            event_hash="f" * 64,
        )
    assert facsimile.pk
