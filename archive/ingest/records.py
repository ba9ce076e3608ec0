"""What a parser returns: a document as read from a layout, before ingest stores it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from archive.models import SourceKind


@dataclass(frozen=True)
class SourceName:
    """A source as a document names it; ingest resolves it through the source aliases."""

    name: str
    kind: str = SourceKind.OUTLET
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    layout: str
    title: str
    text: str
    language: str
    media_type: str
    encoding: str
    original_outlet: SourceName | None = None
    original_place: str = ""
    original_published_on: date | None = None
    byline: str = ""
    reprinter: SourceName | None = None
    reprinted_on: date | None = None
    original_url: str = ""
    source_line: str = ""
    warnings: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Which rule of the parser set each field ({"original_outlet": "outlet_then_date", …}),
    # recorded in the ingestion event.
    field_rules: Mapping[str, str] = field(default_factory=dict)
    # A file holding several articles: one ParsedDocument per article, each with its
    # character range in the file's decoded text (`file_range`). Empty for one document.
    parts: tuple[ParsedDocument, ...] = ()
    file_range: tuple[int, int] | None = None


AVIM = SourceName(
    name="Center for Eurasian Studies (AVİM)",
    kind=SourceKind.THINK_TANK,
    aliases=("AVİM", "Avrasya İncelemeleri Merkezi", "Center for Eurasian Studies"),
)
