"""Histories as a curator reads them: each event's detail as labelled lines, a change as its
before and after, ids resolved to the names of the sources, documents and aliases they stand
for. The events themselves keep the raw detail (their hashes cover it); this only reads it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.html import format_html, format_html_join

from archive.models import (
    Document,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
    SourceEventType,
    SourceKind,
)
from archive.selectors import ReadBack

EMPTY = "—"

LABELS = {
    # Documents
    "title": "Title",
    "language": "Language",
    "original_outlet": "Outlet",
    "original_place": "Place",
    "original_published_on": "Original date",
    "byline": "Byline",
    "original_url": "Original URL",
    "reprinter": "Reprinted by",
    "reprinted_on": "Reprint date",
    "source_line": "Source line",
    "withdrawn_at": "Withdrawn",
    "withdrawal_reason": "Reason for withdrawal",
    "review_requested_at": "Flagged for a curator",
    "method": "Came through",
    "filename": "File",
    "layout": "Read as",
    "encoding": "Encoding",
    "size_bytes": "Size",
    "sha256": "SHA-256",
    "warnings": "Warnings",
    "field_rules": "Rules that read the fields",
    "split": "Article",
    "os_user": "Operating-system user",
    "reason": "Reason",
    "refused": "Refused",
    "notes": "Notes",
    "facsimile": "Facsimile",
    "error": "Error",
    "outcome": "Outcome",
    "path": "Path",
    "line": "Line",
    "container": "Bulk file",
    # Sources
    "name": "Name",
    "kind": "Kind",
    "description": "Description",
    "url": "Web site",
    "aliases": "Aliases",
    "alias": "Alias",
    "sources": "Sources",
    "documents_as_outlet": "Documents moved as outlet",
    "documents_as_reprinter": "Documents moved as reprinter",
    "source_tags": "Source tags moved",
    "source_tags_removed": "Source tags removed (already on the target)",
    "tombstones": "Earlier merges repointed",
    "source_merge": "Caused by a merge",
    "source_unmerge": "Caused by undoing a merge",
}
# Recorded for the machine (the state replay, the chain), not for a reader of the history.
_HIDDEN = {"state", "extra_fields", "checkpoint", "context"}
_SOURCE_FIELDS = {"original_outlet", "reprinter"}
_DATE_FIELDS = {"original_published_on", "reprinted_on"}
_MOMENT_FIELDS = {"withdrawn_at", "review_requested_at"}
_READ_FIELDS = (
    "title",
    "original_outlet",
    "original_place",
    "original_published_on",
    "byline",
    "reprinter",
    "reprinted_on",
)
_SHOWN_TITLES = 5
# How bytes reached Kaynak (IngestMethod), in words.
_METHODS = {
    "command": "manage.py ingest",
    "api": "the API",
    "web": "the upload page",
    "admin": "the admin",
    "sample": "the sample data loader",
}


@dataclass(frozen=True)
class Line:
    """One labelled line of an event: a value, or a change from `before` to `after`."""

    label: str
    value: str = ""
    before: str | None = None
    after: str | None = None

    @property
    def is_change(self) -> bool:
        return self.before is not None


@dataclass
class Names:
    """Ids found in a batch of events, resolved with one query per kind."""

    sources: dict[int, str]
    documents: dict[int, str]
    aliases: dict[int, str]

    @classmethod
    def for_details(cls, details: Iterable[dict[str, Any]]) -> Names:
        source_ids: set[int] = set()
        document_ids: set[int] = set()
        alias_ids: set[int] = set()
        for detail in details:
            for name in _SOURCE_FIELDS:
                value = (detail.get("state") or {}).get(name)
                if isinstance(value, int):
                    source_ids.add(value)
            for key in ("documents_as_outlet", "documents_as_reprinter"):
                for document_id, source_id in _pairs(detail.get(key)):
                    document_ids.add(document_id)
                    source_ids.add(source_id)
            # A merge records [alias id, source id] pairs; a creation, the names themselves.
            for alias_id, source_id in _pairs(detail.get("aliases")):
                alias_ids.add(alias_id)
                source_ids.add(source_id)
            for tombstone, target in _pairs(detail.get("tombstones")):
                source_ids.update((tombstone, target))
        return cls(
            sources=dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "name")),
            documents=dict(Document.objects.filter(pk__in=document_ids).values_list("pk", "title")),
            aliases=dict(SourceAlias.objects.filter(pk__in=alias_ids).values_list("pk", "name")),
        )

    def source(self, value: Any) -> str:
        if isinstance(value, dict):  # {"id", "name"} as metadata changes record a source
            source_id = value.get("id")
            known = self.sources.get(source_id) if isinstance(source_id, int) else None
            return known if known is not None else str(value.get("name") or EMPTY)
        if isinstance(value, int):
            return self.sources.get(value, f"a source since removed (#{value})")
        return EMPTY


def _pairs(value: Any) -> list[tuple[int, int]]:
    """The [id, id] pairs of a merge's record; nothing for any other shape."""
    if not isinstance(value, list):
        return []
    return [
        (item[0], item[1])
        for item in value
        if isinstance(item, list | tuple)
        and len(item) == 2
        and all(isinstance(part, int) for part in item)
    ]


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def _moment(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def _day(value: str) -> str:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


def shown(key: str, value: Any, names: Names) -> str:
    """A recorded value as a reader sees it."""
    if key in _SOURCE_FIELDS:
        return names.source(value)
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if key in _DATE_FIELDS and isinstance(value, str):
        return _day(value)
    if key in _MOMENT_FIELDS and isinstance(value, str):
        return _moment(value)
    if key == "method" and value in _METHODS:
        return _METHODS[value]
    if key == "size_bytes" and isinstance(value, int):
        return f"{value:,} bytes"
    if key == "sha256" and isinstance(value, str):
        return f"{value[:12]}…"
    if key == "kind" and value in SourceKind.values:
        return SourceKind(value).label
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(shown(key, item, names) for item in value)
    if isinstance(value, dict):
        if "name" in value:
            return str(value["name"])
        return "; ".join(f"{_label(k)}: {shown(k, v, names)}" for k, v in value.items())
    return str(value)


def _changes(changes: dict[str, Any], names: Names) -> list[Line]:
    return [
        Line(
            _label(key),
            before=shown(key, change.get("before"), names),
            after=shown(key, change.get("after"), names),
        )
        for key, change in changes.items()
    ]


def _titles(pairs: list[list[int]], names: Names) -> str:
    titles = [
        names.documents.get(document_id, f"#{document_id}") for document_id, _ in _pairs(pairs)
    ]
    more = len(titles) - _SHOWN_TITLES
    listed = "; ".join(f"“{title}”" for title in titles[:_SHOWN_TITLES])
    return f"{len(titles)}: {listed}" + (f"; and {more} more" if more > 0 else "")


def document_event_lines(event: ProvenanceEvent, names: Names) -> list[Line]:
    """A document event's detail as labelled lines."""
    detail = dict(event.detail or {})
    lines: list[Line] = []
    state = detail.get("state") or {}
    if state:  # the ingestion: what was read, by name
        read = [
            f"{_label(key)}: {shown(key, state.get(key), names)}"
            for key in _READ_FIELDS
            if state.get(key) not in (None, "")
        ]
        lines.append(Line("Read", "; ".join(read) or EMPTY))
    for key, value in detail.items():
        if key in _HIDDEN:
            continue
        if key == "changes":
            lines += _changes(value, names)
        elif key == "split" and isinstance(value, dict):
            lines.append(Line(_label(key), f"{value.get('part')} of {value.get('of')} in the file"))
        elif key == "field_rules" and isinstance(value, dict):
            lines.append(
                Line(_label(key), "; ".join(f"{_label(k)}: {rule}" for k, rule in value.items()))
            )
        elif key in ("source_merge", "source_unmerge"):
            lines.append(Line(_label(key), f"source event #{value}"))
        else:
            lines.append(Line(_label(key), shown(key, value, names)))
    return lines


def source_event_lines(event: SourceEvent, names: Names) -> list[Line]:
    """A source event's detail as labelled lines."""
    detail = dict(event.detail or {})
    lines: list[Line] = []
    if event.event_type == SourceEventType.CREATION:
        for key, value in (detail.get("after") or {}).items():
            if value not in (None, ""):
                lines.append(Line(_label(key), shown(key, value, names)))
        if detail.get("aliases"):
            lines.append(Line("Aliases", "; ".join(detail["aliases"])))
        return lines
    for key, value in detail.items():
        if key == "changes":
            lines += _changes(value, names)
        elif key == "sources":
            lines.append(Line(_label(key), "; ".join(item.get("name", "") for item in value)))
        elif key in ("documents_as_outlet", "documents_as_reprinter"):
            if value:
                lines.append(Line(_label(key), _titles(value, names)))
        elif key == "aliases":
            if value:
                listed = "; ".join(
                    names.aliases.get(alias_id, f"#{alias_id}") for alias_id, _ in _pairs(value)
                )
                lines.append(Line(_label(key) + " moved", listed))
        elif key in ("source_tags", "source_tags_removed", "tombstones"):
            if value:
                lines.append(Line(_label(key), str(len(value))))
        else:
            lines.append(Line(_label(key), shown(key, value, names)))
    return lines


def _quoted(value: str) -> str:
    return "empty" if value == EMPTY else f"“{value}”"


def lines_html(lines: list[Line]) -> str:
    """The lines as an HTML list: a change reads "Outlet: was empty, now “Dervent Post”"."""
    if not lines:
        return EMPTY
    items = format_html_join(
        "",
        "<li><strong>{}</strong>: {}</li>",
        (
            (
                line.label,
                f"was {_quoted(line.before or EMPTY)}, now {_quoted(line.after or EMPTY)}"
                if line.is_change
                else line.value,
            )
            for line in lines
        ),
    )
    return format_html('<ul class="history-lines">{}</ul>', items)


def read_back_html(read: ReadBack) -> str:
    """What an upload read (`document_read_back`), with its warning, for the admin."""
    rows = format_html_join(
        "",
        "<li><strong>{}</strong>: {}{}</li>",
        (
            (
                field.label,
                field.value or "not found",
                " (corrected since)"
                if field.corrected
                else f" ({field.rule})"
                if field.rule
                else "",
            )
            for field in read.fields
        ),
    )
    warning = format_html('<p class="errornote">{}</p>', read.warning) if read.warning else ""
    return format_html(
        '<div>{}<p>Read as {}.</p><ul class="history-lines">{}</ul></div>',
        warning,
        read.layout_label,
        rows,
    )
