"""The index schema and the mapping from a document to its index fields."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from whoosh.analysis import Analyzer
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from archive.models import Document, Source
from search.analysis import STEMMED_LANGUAGES, folding_analyzer, stemming_analyzer


def _text(analyzer: Analyzer, **options: Any) -> TEXT:
    # A query word the analyzer splits (`al-Ani`) is searched as a phrase.
    return TEXT(analyzer=analyzer, multitoken_query="phrase", **options)


def build_schema() -> Schema:
    folded = folding_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        fingerprint=STORED(),
        title=_text(folded, field_boost=3.0),
        body=_text(folded),
        **{
            f"stem_{language}": _text(stemming_analyzer(language)) for language in STEMMED_LANGUAGES
        },
        outlet=_text(folded),
        reprinter=_text(folded),
        tag=_text(folded),
        source=_text(folded),
        language=ID(),
        # Calendar dates as YYYYMMDD numbers: no time of day, so no time zone can move a
        # document across midnight, and numeric ranges need few terms. (64-bit signed: with
        # 32-bit unsigned fields Whoosh's ranges up to 99991231 match every document.)
        published=NUMERIC(int, bits=64, sortable=True),
        reprinted=NUMERIC(int, bits=64, sortable=True),
        year=ID(sortable=True),
        outlet_id=ID(sortable=True),
        reprinter_id=ID(sortable=True),
        tag_ids=KEYWORD(),
        source_ids=KEYWORD(),
    )


@dataclass(frozen=True)
class TagTerm:
    id: int
    name: str


@dataclass(frozen=True)
class SourceTerm:
    id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class AnnotationTerms:
    """What annotations add to a document's index entry: tags and source tags visible to
    everyone who can search. Filled by the annotations app; empty until then."""

    tags: tuple[TagTerm, ...] = ()
    sources: tuple[SourceTerm, ...] = ()


NO_ANNOTATION_TERMS = AnnotationTerms()


@dataclass(frozen=True)
class IndexedSource:
    id: int
    names: tuple[str, ...]

    @classmethod
    def of(cls, source: Source | None) -> IndexedSource | None:
        """`source` with its aliases (prefetched by the caller)."""
        if source is None:
            return None
        names = [source.name, *(alias.name for alias in source.aliases.all())]
        return cls(source.pk, tuple(dict.fromkeys(names)))


def document_fields(
    document: Document, terms: AnnotationTerms = NO_ANNOTATION_TERMS
) -> dict[str, Any]:
    """The index entry of `document`: a pure function of the document (with its sources and
    their aliases loaded) and its annotation terms."""
    outlet = IndexedSource.of(document.original_outlet)
    reprinter = IndexedSource.of(document.reprinter)
    published = document.original_published_on
    fields: dict[str, Any] = {
        "id": str(document.pk),
        "title": document.title,
        "body": document.text,
        "language": document.language,
        "outlet": " | ".join(outlet.names) if outlet else "",
        "reprinter": " | ".join(reprinter.names) if reprinter else "",
        "tag": " | ".join(tag.name for tag in terms.tags),
        "source": " | ".join(name for source in terms.sources for name in source.names),
        "tag_ids": " ".join(str(tag.id) for tag in terms.tags),
        "source_ids": " ".join(str(source.id) for source in terms.sources),
    }
    if document.language in STEMMED_LANGUAGES:
        fields[f"stem_{document.language}"] = f"{document.title}\n{document.text}"
    for name, value in (
        ("published", date_number(published)),
        ("reprinted", date_number(document.reprinted_on)),
        ("year", str(published.year) if published else None),
        ("outlet_id", str(outlet.id) if outlet else None),
        ("reprinter_id", str(reprinter.id) if reprinter else None),
    ):
        if value is not None:
            fields[name] = value
    fields["fingerprint"] = fingerprint(fields)
    return fields


def date_number(day: date | None) -> int | None:
    """2017-09-04 as 20170904."""
    return day.year * 10_000 + day.month * 100 + day.day if day else None


def fingerprint(fields: dict[str, Any]) -> str:
    """A digest of an entry's indexed values: `search_index check` compares it with the
    database to find stale entries."""
    content = {key: value for key, value in fields.items() if key != "fingerprint"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
