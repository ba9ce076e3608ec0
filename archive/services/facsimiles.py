"""Facsimiles: attaching a scan of the printed reprint to its document, and making the
thumbnail and display image researchers see.

The API, the upload page and the admin all attach through `facsimile_attach`. The image is
checked completely before anything is stored (a refusal leaves no row and no file; a later
failure may leave the stored file, an orphan for `manage.py storage_check`); the
derivatives are a background task queued with the attachment (in its transaction), and a
failure there is recorded in the document's history and left for
`manage.py facsimile_derivatives` to retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from archive import storage
from archive.ingest import read_within_limit
from archive.ingest.images import check_image_size, inspect_image, render_derivatives
from archive.models import (
    DerivativeState,
    Document,
    EventOutcome,
    EventType,
    Facsimile,
)
from archive.services.ingest import IngestMethod
from archive.services.provenance import kaynak_agent, provenance_record
from kaynak.tasks import retried_task
from kaynak.users import Person

logger = logging.getLogger(__name__)

# Longest side, in pixels, of each derivative.
THUMBNAIL_SIZE = 320
DISPLAY_SIZE = 1600
DERIVATIVE_KINDS = {"thumbnail": THUMBNAIL_SIZE, "display": DISPLAY_SIZE}

_FILENAME_MAX = Facsimile._meta.get_field("original_filename").max_length


@dataclass(frozen=True)
class FacsimileResult:
    facsimile: Facsimile
    created: bool


def facsimile_attach(
    *,
    document: Document,
    data: bytes | File,
    filename: str,
    actor: Person | None,
    method: IngestMethod,
) -> FacsimileResult:
    """Attach an image of the printed reprint to `document`, keeping its bytes unchanged.

    Raises ImageRefused (a 400 in the API) for anything that is not a whole JPEG, PNG, TIFF
    or WebP within the size and pixel limits. The same bytes attached to the same document
    again return the existing facsimile and record a duplicate_submission event. `data` may
    be an upload not yet read: one over KAYNAK_MAX_IMAGE_BYTES is refused before it is read.
    """
    data = read_within_limit(data, check=check_image_size)
    # Decoding happens before the transaction: on SQLite the write lock is taken at BEGIN,
    # and nobody else should wait while a large scan is checked.
    info = inspect_image(data)
    sha256 = storage.sha256_hex(data)
    detail = {
        "method": method.value,
        "filename": filename,
        "sha256": sha256,
        "size_bytes": len(data),
        "format": info.format,
        "width": info.width,
        "height": info.height,
        "page_count": info.page_count,
    }
    with transaction.atomic():
        # The document's row lock serialises attachments to it, so positions do not
        # collide and the same scan sent twice at once is attached once.
        Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
        existing = Facsimile.objects.filter(document=document, sha256=sha256).first()
        if existing is not None:
            provenance_record(
                document=document,
                event_type=EventType.DUPLICATE_SUBMISSION,
                actor=actor,
                agent=method.agent,
                detail={**detail, "facsimile": existing.pk},
            )
            return FacsimileResult(existing, created=False)
        # Never removed if the transaction fails: the same scan may be attaching to another
        # document right now, having found this file stored (see `storage.store_original`).
        storage.make_durable([storage.store_original(data, sha256)])
        last = Facsimile.objects.filter(document=document).aggregate(last=Max("position"))
        facsimile = Facsimile.objects.create(
            document=document,
            position=(last["last"] or 0) + 1,
            sha256=sha256,
            size_bytes=len(data),
            format=info.format,
            media_type=info.media_type,
            width=info.width,
            height=info.height,
            page_count=info.page_count,
            original_filename=filename[:_FILENAME_MAX],
        )
        notes = facsimile.notes
        provenance_record(
            document=document,
            event_type=EventType.FACSIMILE_ATTACHED,
            actor=actor,
            agent=method.agent,
            outcome=EventOutcome.WARNING if notes else EventOutcome.SUCCESS,
            detail={**detail, "facsimile": facsimile.pk, **({"notes": notes} if notes else {})},
        )
        if settings.KAYNAK_DERIVATIVES_ON_ATTACH:
            make_facsimile_derivatives.enqueue(facsimile.pk)
    return FacsimileResult(facsimile, created=True)


@retried_task
def make_facsimile_derivatives(facsimile_id: int) -> None:
    """The derivatives task. A bad image is recorded by the service as a derivative failure
    (no retry helps it); anything else raised here (the database or the disk failing) is
    retried by the task queue."""
    facsimile = Facsimile.objects.select_related("document").filter(pk=facsimile_id).first()
    if facsimile is None:
        return  # gone since (its document was deleted)
    facsimile_make_derivatives(
        facsimile=facsimile, actor=None, agent=kaynak_agent("derivatives after attachment")
    )


def facsimile_make_derivatives(
    *, facsimile: Facsimile, actor: Person | None, agent: str
) -> Facsimile:
    """Render the thumbnail and display image from the stored original and record the result
    in the document's history: `derivatives_made`, or `derivative_failure` (outcome failure,
    state failed, the reason kept) without raising, so one bad file never stops a batch."""
    try:
        made = storage.make_derivatives(facsimile.sha256, DERIVATIVE_KINDS, render_derivatives)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"
        with transaction.atomic():
            facsimile.derivative_state = DerivativeState.FAILED
            facsimile.derivative_error = reason
            facsimile.save(update_fields=["derivative_state", "derivative_error"])
            provenance_record(
                document=facsimile.document,
                event_type=EventType.DERIVATIVE_FAILURE,
                actor=actor,
                agent=agent,
                outcome=EventOutcome.FAILURE,
                detail={"facsimile": facsimile.pk, "sha256": facsimile.sha256, "error": reason},
            )
        logger.warning("derivatives of facsimile %s failed: %s", facsimile.pk, reason)
        return facsimile

    thumbnail, display = made["thumbnail"], made["display"]
    with transaction.atomic():
        facsimile.derivative_state = DerivativeState.READY
        facsimile.derivative_error = ""
        facsimile.derivatives_made_at = timezone.now()
        facsimile.thumbnail_width, facsimile.thumbnail_height = thumbnail.width, thumbnail.height
        facsimile.display_width, facsimile.display_height = display.width, display.height
        facsimile.save(
            update_fields=[
                "derivative_state",
                "derivative_error",
                "derivatives_made_at",
                "thumbnail_width",
                "thumbnail_height",
                "display_width",
                "display_height",
            ]
        )
        provenance_record(
            document=facsimile.document,
            event_type=EventType.DERIVATIVES_MADE,
            actor=actor,
            agent=agent,
            detail={
                "facsimile": facsimile.pk,
                "sha256": facsimile.sha256,
                "thumbnail": [thumbnail.width, thumbnail.height],
                "display": [display.width, display.height],
            },
        )
    return facsimile
