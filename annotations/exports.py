"""The annotation downloads (W3C JSON-LD collection, JSON Lines, CSV) as pure functions of
what the view has already read and serialised: no queries, no permission checks here."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rest_framework.request import Request

from annotations import w3c
from annotations.models import Annotation
from archive.models import Document

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


def annotations_jsonld(
    document: Document, annotations: Sequence[Annotation], *, request: Request
) -> str:
    """A W3C AnnotationCollection with every annotation in one embedded first page."""
    view = w3c.ContainerView(
        base=w3c.container_iri(request, document.pk),
        query={},
        iris=False,
        total=len(annotations),
        page_size=max(1, len(annotations)),
    )
    collection = w3c.collection_to_w3c(
        document, view, first_items=list(annotations), request=request
    )
    return json.dumps(collection, ensure_ascii=False, indent=2)


def annotations_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """One serialised annotation per line."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def annotations_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """One serialised annotation per row, tags and source tags joined with "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells = [
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
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()
