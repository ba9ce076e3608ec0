"""Checks every parsed document passes before anything is stored, whatever its layout."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from archive.document_dates import check_dates
from archive.ingest.errors import IngestRefused
from archive.ingest.parsers import ParsedDocument
from archive.models import Document, Source
from archive.text import normalize_name
from kaynak.errors import KaynakError


def check_size(size: int) -> None:
    limit = settings.KAYNAK_MAX_UPLOAD_BYTES
    if size > limit:
        raise IngestRefused(
            f"the file is {size:,} bytes, over the limit of {limit:,} bytes "
            "(KAYNAK_MAX_UPLOAD_BYTES)",
            code="too_large",
            size_bytes=size,
            limit_bytes=limit,
        )
    if size == 0:
        raise IngestRefused("the file is empty", code="empty")


def _max_length(model: type[models.Model], name: str) -> int:
    field = model._meta.get_field(name)
    if not isinstance(field, models.CharField) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} is not text of a limited length")
    return field.max_length


def validate_parsed(parsed: ParsedDocument, *, today: date) -> None:
    """Refuse what the database would refuse, with a message that says which value and why."""
    lengths = [
        ("title", parsed.title, _max_length(Document, "title")),
        ("byline", parsed.byline, _max_length(Document, "byline")),
        (
            "place on the outlet line",
            parsed.original_place,
            _max_length(Document, "original_place"),
        ),
        ("Kaynak/Source line", parsed.source_line, _max_length(Document, "source_line")),
        ("original URL", parsed.original_url, _max_length(Document, "original_url")),
        ("language", parsed.language, _max_length(Document, "language")),
    ]
    for source in (parsed.original_outlet, parsed.reprinter):
        if source:
            lengths.append(("source name", source.name, _max_length(Source, "name")))
            if not normalize_name(source.name):
                raise IngestRefused(
                    f"the source name {source.name!r} has no letters or digits", code="bad_name"
                )
    for what, value, limit in lengths:
        if len(value) > limit:
            raise IngestRefused(
                f"the {what} is {len(value):,} characters long, over the limit of {limit:,}",
                code="too_long",
            )

    try:
        check_dates(
            published=parsed.original_published_on, reprinted=parsed.reprinted_on, today=today
        )
    except KaynakError as problem:
        raise IngestRefused(problem.message, code=problem.code) from None
