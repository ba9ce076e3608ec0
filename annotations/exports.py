"""The annotation downloads (W3C JSON-LD collection, JSON Lines, CSV) as pure functions of
what the view has already read and serialised: no queries of their own (the view's
iterator reads as they go), no permission checks here."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from rest_framework.request import Request

from annotations import w3c
from annotations.models import Annotation, Reply

CSV_COLUMNS = [
    "id",
    "document",
    "start",
    "end",
    "quote",
    "comment",
    "tags",
    "source_tags",
    "visibility",
    "group",
    "creator",
    "created_at",
    "modified_at",
    "version",
]
# A spreadsheet reads a cell beginning with one of these as a formula (or, for tab and
# carriage return, strips it and then may): a comment "=HYPERLINK(…)" would run on opening.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would take for a formula, prefixed with an apostrophe so
    it is shown as the text it is (OWASP's advice); other cells unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cells(row: Mapping[str, Any]) -> list[Any]:
    return [
        row["id"],
        row["document"],
        row["start"],
        row["end"],
        row["quote"],
        row["comment"],
        "; ".join(tag["name"] for tag in row["tags"]),
        "; ".join(f"{item['role']}:{item['source']['slug']}" for item in row["source_tags"]),
        row["visibility"],
        row["group"]["name"] if row["group"] else "",
        row["creator"],
        row["created_at"],
        row["modified_at"],
        row["version"],
    ]


# --- Streamed exports of any annotation search ------------------------------------------------
#
# The annotations come in as an iterator (the view reads them in chunks, their replies
# prefetched per chunk) and go out as text chunks of about CHUNK_CHARACTERS: nothing holds
# more than one chunk of annotations, whatever the number exported.

CHUNK_CHARACTERS = 64 * 1024
EXPORT_PAGE_SIZE = 1000
# An annotation's row, then one row per reply: `kind` says which, `reply_to` whose reply.
STREAM_CSV_COLUMNS = [*CSV_COLUMNS, "kind", "reply_to"]


def _chunked(parts: Iterable[str]) -> Iterator[str]:
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= CHUNK_CHARACTERS:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def _reply_row(reply: Reply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "author": reply.author.username,
        "body": reply.body,
        "created_at": reply.created_at.isoformat(),
    }


class _Line:
    """A file for csv.writer that hands back what it is given (one row at a time)."""

    def write(self, value: str) -> str:
        return value


def stream_jsonl(
    annotations: Iterable[Annotation], serialize: Callable[[Annotation], Mapping[str, Any]]
) -> Iterator[str]:
    """One annotation per line, in Kaynak's JSON, its replies (with their text) in it."""
    return _chunked(
        json.dumps(
            {**serialize(item), "replies": [_reply_row(reply) for reply in item.reply_list]},
            ensure_ascii=False,
        )
        + "\n"
        for item in annotations
    )


def stream_csv(
    annotations: Iterable[Annotation], serialize: Callable[[Annotation], Mapping[str, Any]]
) -> Iterator[str]:
    """CSV: a row per annotation, then a row per reply (`kind` reply, the text in `comment`,
    the author in `creator`), every cell neutralised for spreadsheets."""
    writer = csv.writer(_Line())

    def rows() -> Iterator[str]:
        yield writer.writerow(STREAM_CSV_COLUMNS)
        for item in annotations:
            row = serialize(item)
            yield writer.writerow(
                [spreadsheet_safe(cell) for cell in [*_csv_cells(row), "annotation", ""]]
            )
            for reply in item.reply_list:
                cells: dict[str, Any] = dict.fromkeys(STREAM_CSV_COLUMNS, "")
                cells.update(
                    id=reply.pk,
                    document=item.document_id,
                    comment=reply.body,
                    creator=reply.author.username,
                    created_at=reply.created_at.isoformat(),
                    kind="reply",
                    reply_to=item.pk,
                )
                yield writer.writerow([spreadsheet_safe(cells[name]) for name in cells])

    return _chunked(rows())


def _w3c_items(annotations: Iterable[Annotation], request: Request) -> Iterator[dict]:
    for item in annotations:
        yield w3c.annotation_to_w3c(item, request, context=False)
        for reply in item.reply_list:
            yield w3c.reply_to_w3c(reply, item, request)


def stream_jsonld(
    annotations: Iterable[Annotation],
    *,
    total: int,
    iri: str,
    label: str,
    request: Request,
    page_size: int = EXPORT_PAGE_SIZE,
) -> Iterator[str]:
    """A W3C AnnotationCollection of `total` items (annotations, each followed by its replies
    as `replying` annotations) and all its AnnotationPages of `page_size` items, as one
    JSON-LD document: `@graph` holds the collection, then each page in turn (linked by
    `first`, `next`, `prev`, `last` and `partOf`, IRIs that are fragments of the export's),
    so the file is written as it is read. The model wants `next` to be an IRI, so a page
    cannot be embedded in the one before it."""
    pages = max(1, math.ceil(total / page_size))

    def page_iri(number: int) -> str:
        return f"{iri}#page-{number}"

    def parts() -> Iterator[str]:
        collection: dict[str, Any] = {
            "id": iri,
            "type": "AnnotationCollection",
            "label": label,
            "total": total,
        }
        if total:
            collection.update(first=page_iri(1), last=page_iri(pages))
        context = json.dumps(w3c.EXTENDED_CONTEXT)
        yield f'{{"@context": {context}, "@graph": [{json.dumps(collection, ensure_ascii=False)}'
        page = 0
        for index, item in enumerate(_w3c_items(annotations, request)):
            if index % page_size == 0:
                page += 1
                opening: dict[str, Any] = {
                    "id": page_iri(page),
                    "type": "AnnotationPage",
                    "partOf": {"id": iri, "type": "AnnotationCollection", "total": total},
                    "startIndex": index,
                }
                if page > 1:
                    opening["prev"] = page_iri(page - 1)
                if page < pages:
                    opening["next"] = page_iri(page + 1)
                yield ("]}" if page > 1 else "") + f', {json.dumps(opening)[:-1]}, "items": ['
            else:
                yield ", "
            yield json.dumps(item, ensure_ascii=False)
        yield ("]}" if page else "") + "]}"

    return _chunked(parts())
