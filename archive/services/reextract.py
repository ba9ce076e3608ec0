"""Running today's extractors on stored originals: what would change, and, when asked,
recording each change through `document_update` (a metadata_change event per document).

Only metadata can change: the text is what annotations are anchored to, so a parser that now
reads a different text changes nothing but is reported. A field a person set by hand (a
metadata_change event with an actor) is never overwritten, and no field is emptied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from archive import storage
from archive.ingest import IngestRefused, ParsedDocument, SourceName, parse, validate_parsed
from archive.models import Document, EventType, Source
from archive.services.documents import document_update
from archive.services.provenance import kaynak_agent
from archive.services.sources import sources_resolve
from archive.text import normalize_name

REEXTRACT_AGENT = kaynak_agent("reextract command")
_SOURCES = ("original_outlet", "reprinter")
# What a parser reads that a curator may also correct.
_FIELDS = (
    "title",
    "original_outlet",
    "original_place",
    "original_published_on",
    "byline",
    "original_url",
    "reprinter",
    "reprinted_on",
    "source_line",
)


@dataclass
class Reextraction:
    document: Document
    layout: str = ""
    # field -> (before as shown, after as shown)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept_by_hand: list[str] = field(default_factory=list)
    refused: str = ""
    text_differs: bool = False
    applied: bool = False


def fields_set_by_hand(document: Document) -> set[str]:
    """Fields a person changed (a metadata_change event with an actor), from the event chain."""
    changed: set[str] = set()
    events = document.events.filter(event_type=EventType.METADATA_CHANGE, actor__isnull=False)
    for detail in events.values_list("detail", flat=True):
        changed.update((detail or {}).get("changes", {}))
    return changed


def _same_source(current: Source | None, named: SourceName) -> bool:
    if current is None:
        return False
    names = {current.name, *current.aliases.values_list("name", flat=True)}
    return normalize_name(named.name) in {normalize_name(name) for name in names}


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, SourceName | Source):
        return value.name
    return str(value)


@transaction.atomic
def document_reextract(*, document: Document, layout: str | None, apply: bool) -> Reextraction:
    """Parse `document`'s stored original again (with `layout`, or every parser in order) and
    compare; with `apply`, record the changes as one metadata_change event."""
    result = Reextraction(document=document)
    with storage.open_original(document.sha256) as handle:
        data = handle.read()
    try:
        parsed: ParsedDocument = parse(data, layouts=(layout,) if layout else None)
        validate_parsed(parsed, today=document.created_at.date())
    except IngestRefused as refusal:
        result.refused = refusal.message
        return result
    if parsed.parts or document.part:
        # A digest's article is compared with the same article of the file read again.
        if len(parsed.parts) != document.part_count:
            result.refused = (
                f"the file now reads as {len(parsed.parts) or 'one'} article(s), not "
                f"{document.part_count or 'one'}; nothing is changed"
            )
            return result
        parsed = parsed.parts[document.part - 1]
    result.layout = parsed.layout
    result.text_differs = parsed.text != document.text
    by_hand = fields_set_by_hand(document)
    proposed: dict[str, Any] = {}
    for name in _FIELDS:
        after = getattr(parsed, name)
        if after in (None, ""):
            continue  # a parser that reads less never empties a field
        before = getattr(document, name)
        same = _same_source(before, after) if name in _SOURCES else before == after
        if same:
            continue
        if name in by_hand:
            result.kept_by_hand.append(name)
            continue
        proposed[name] = after
        result.changes[name] = (_shown(before), _shown(after))
    if apply and proposed:
        references = [proposed[name] for name in _SOURCES if name in proposed]
        sources = sources_resolve(references) if references else {}
        values: dict[str, Any] = {
            name: sources[value] if name in _SOURCES else value for name, value in proposed.items()
        }
        document_update(
            document=document, actor=None, agent=REEXTRACT_AGENT, reason="reextract", **values
        )
        result.applied = True
    return result
