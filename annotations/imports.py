"""Importing W3C Web Annotations (https://www.w3.org/TR/annotation-model/) onto documents in
the archive: a single Annotation, an AnnotationCollection with its pages embedded (or in an
`@graph`, as Kaynak's own export writes them), an AnnotationPage, or a plain list of them,
as Kaynak, Hypothesis and Recogito write them.

Each annotation is anchored exactly or not at all: by its TextPositionSelector (checked
against its TextQuoteSelector, context included, when both are given) or by its
TextQuoteSelector (the quote with its prefix and suffix must occur once). Offsets count code
points of the document's text and quotes are compared as they are, which is how Kaynak's
export writes them, so an export imports back onto the same spans. A target without a
selector is the whole document (a page note).

Everything is written through the annotation services as the importing person (revisions and
events as for any other annotation), each item in a savepoint of its own: an item that fails
writes nothing, the others are kept. A dry run is the same code in a transaction rolled back
at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.urls import Resolver404, resolve

from annotations.anchoring import AnchorError, Span, span_from_offsets, span_from_quote
from annotations.models import (
    IMPORTED_CREATOR_MAX_LENGTH,
    IRI_MAX_LENGTH,
    Annotation,
    SourceRole,
    Tag,
    Visibility,
)
from annotations.selectors import visible_annotations
from annotations.services import (
    SourceTagInput,
    annotation_create,
    reply_create,
    tag_create,
)
from archive.models import Document, Source, SourceAlias
from archive.selectors import source_lookup, visible_documents
from archive.text import normalize_name
from kaynak.api import MAX_ID
from kaynak.errors import KaynakError
from kaynak.users import Person


class ImportRefused(KaynakError):
    """The payload as a whole is not something to import (nothing is written)."""

    code = "bad_import"


class PayloadTooLarge(ImportRefused):
    code = "payload_too_large"
    status_code = 413


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the payload is larger than the upload limit ({limit:,} bytes)", limit=limit
    )


class _ItemFailed(Exception):
    """One item cannot be imported, for the reason given."""


class ItemStatus(StrEnum):
    CREATED = "created"
    WOULD_CREATE = "would_create"
    SKIPPED = "skipped"
    FAILED = "failed"


class ItemKind(StrEnum):
    ANNOTATION = "annotation"
    REPLY = "reply"


@dataclass
class ItemResult:
    """What became of one annotation (or reply) of the payload. `index` counts the payload's
    annotations from 0 in the order they were read; replies given inside an annotation's
    bodies (Recogito's form) share their annotation's index."""

    index: int
    id: str
    kind: ItemKind
    status: ItemStatus
    reason: str = ""
    document: int | None = None
    annotation: int | None = None
    reply: int | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    dry_run: bool
    items: list[ItemResult] = field(default_factory=list)
    # About the payload as a whole (pages it names but does not hold).
    problems: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ItemStatus, 0)
        for item in self.items:
            counts[item.status] += 1
        return {str(status): count for status, count in counts.items()}


# --- The payload -----------------------------------------------------------------------------

OA = "http://www.w3.org/ns/oa#"
ANNOTATION_TYPES = {"Annotation", "oa:Annotation", f"{OA}Annotation"}
COLLECTION_TYPES = {"AnnotationCollection", "as:OrderedCollection", "BasicContainer"}
PAGE_TYPES = {"AnnotationPage", "as:OrderedCollectionPage"}
# How deep collections, pages and lists may nest: a real export nests two or three deep.
MAX_NESTING = 8


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def payload_from(received: Readable, *, size: int | None = None) -> Any:
    """The JSON of what was received (a request body, an uploaded file, a file), read no
    further than one byte past the upload limit: refused when its known `size` (a declared
    length, an upload's size) or what it holds is over the limit, or when it is not JSON."""
    limit = settings.KAYNAK_MAX_UPLOAD_BYTES
    if (size or 0) > limit:
        raise _too_large(limit)
    raw = received.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    try:
        return json.loads(raw)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise ImportRefused(
            f"the payload is not valid JSON: {error}", code="invalid_json"
        ) from None
    except RecursionError:
        raise ImportRefused(
            "the payload's JSON nests too deeply to read", code="invalid_json"
        ) from None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(node: dict) -> set[str]:
    return {
        item
        for key in ("type", "@type")
        for item in _as_list(node.get(key))
        if isinstance(item, str)
    }


def _node_id(node: Any) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, dict):
        for key in ("id", "@id"):
            if isinstance(node.get(key), str):
                return node[key]
    return ""


def _gather(payload: Any) -> tuple[list[Any], list[str]]:
    """The annotations of the payload, in order, and what is wrong with the payload as a
    whole (pages named but not included: they are not fetched)."""
    if isinstance(payload, dict):
        known = ANNOTATION_TYPES | COLLECTION_TYPES | PAGE_TYPES
        if not (_types(payload) & known or "@graph" in payload):
            raise ImportRefused(
                "not a Web Annotation: give an Annotation, an AnnotationCollection, an "
                "AnnotationPage or a list of annotations",
                code="not_an_annotation",
                fields={"type": ["Annotation, AnnotationCollection or AnnotationPage"]},
            )
    elif not isinstance(payload, list):
        raise ImportRefused(
            "not a Web Annotation: the payload must be a JSON object or a list",
            code="not_an_annotation",
        )
    items: list[Any] = []
    present: set[str] = set()
    named: list[str] = []

    def visit(node: Any, depth: int) -> None:
        if depth > MAX_NESTING:
            raise ImportRefused(f"collections and pages nest more than {MAX_NESTING} deep")
        if isinstance(node, list):
            for item in node:
                visit(item, depth + 1)
            return
        if not isinstance(node, dict):
            items.append(node)  # an IRI alone, or not an annotation: reported as failed
            return
        types = _types(node)
        if types & ANNOTATION_TYPES:
            items.append(node)
        elif "@graph" in node:
            visit(node["@graph"], depth + 1)
        elif types & COLLECTION_TYPES:
            present.add(_node_id(node))
            first = node.get("first")
            if isinstance(first, dict):
                visit(first, depth + 1)
            elif isinstance(first, str):
                named.append(first)
        elif types & PAGE_TYPES:
            present.add(_node_id(node))
            visit(_as_list(node.get("items")), depth + 1)
            if isinstance(node.get("next"), str):
                named.append(node["next"])
        else:
            items.append(node)

    visit(payload, 0)
    problems = [
        f"the page {iri} is not in the payload and was not fetched: import it separately"
        for iri in dict.fromkeys(named)
        if iri not in present
    ]
    return items, problems


# --- Addresses -------------------------------------------------------------------------------

DOCUMENT_VIEWS = {"api:document-detail", "pages:document", "api:document-annotations"}
ANNOTATION_VIEWS = {"api:document-annotation", "api:annotation-detail"}
SOURCE_VIEW = "api:source-detail"
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


@dataclass(frozen=True)
class Addresses:
    """Which IRIs are this archive's: those on one of `hosts` (host[:port], as the export's
    IRIs were written), and paths without a host."""

    hosts: frozenset[str]

    def resolve(self, iri: str) -> tuple[str, dict[str, Any]] | None:
        """The view name and arguments of one of our IRIs; None for others."""
        try:
            parts = urlsplit(iri)
        except ValueError:  # e.g. an unclosed IPv6 address
            return None
        if parts.scheme not in ("http", "https", "") or not parts.path:
            return None
        if parts.netloc and parts.netloc.lower() not in self.hosts:
            return None
        try:
            match = resolve(parts.path)
        except Resolver404:
            return None
        return match.view_name, match.kwargs

    def document_id(self, iri: str) -> int | None:
        found = self.resolve(iri)
        if found is None or found[0] not in DOCUMENT_VIEWS or found[1]["pk"] > MAX_ID:
            return None
        return int(found[1]["pk"])

    def annotation_id(self, iri: str) -> int | None:
        found = self.resolve(iri)
        if found is None or found[0] not in ANNOTATION_VIEWS or found[1]["pk"] > MAX_ID:
            return None
        return int(found[1]["pk"])

    def source_slug(self, iri: str) -> str | None:
        found = self.resolve(iri)
        if found is None or found[0] != SOURCE_VIEW:
            return None
        return str(found[1]["slug"])

    def is_ours(self, iri: str) -> bool:
        return self.resolve(iri) is not None


# --- One annotation --------------------------------------------------------------------------


@dataclass
class _Draft:
    """What one Web Annotation says, read but not yet resolved against the archive."""

    id: str
    document: Document | None = None
    span: Span | None = None
    comments: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)  # (body, creator name)
    canonical: str = ""
    via: list[str] = field(default_factory=list)
    creator: str = ""
    notes: list[str] = field(default_factory=list)


def _creator_name(value: Any) -> str:
    for item in _as_list(value):
        if isinstance(item, str) and item:
            return item[:IMPORTED_CREATOR_MAX_LENGTH]
        if isinstance(item, dict):
            for key in ("name", "nickname", "id", "@id"):
                if isinstance(item.get(key), str) and item[key]:
                    return item[key][:IMPORTED_CREATOR_MAX_LENGTH]
    return ""


def _purposes(body: dict) -> set[str]:
    return {
        item.removeprefix("oa:") for item in _as_list(body.get("purpose")) if isinstance(item, str)
    }


def _is_reply(node: dict) -> bool:
    return "replying" in {
        item.removeprefix("oa:")
        for item in _as_list(node.get("motivation"))
        if isinstance(item, str)
    }


def _text_of(body: dict) -> str | None:
    for key in ("value", "rdf:value", "chars"):
        if isinstance(body.get(key), str):
            return body[key]
    return None


def _target(node: dict) -> tuple[str, list[Any], bool]:
    """The target's source IRI, its selectors, and whether it has a selector at all."""
    targets = _as_list(node.get("target"))
    if not targets:
        raise _ItemFailed("the annotation has no target")
    if len(targets) > 1:
        raise _ItemFailed(
            f"the annotation has {len(targets)} targets; an annotation here is on one passage"
        )
    target = targets[0]
    if isinstance(target, str):
        return target, [], False
    if not isinstance(target, dict):
        raise _ItemFailed("the target is neither an IRI nor an object")
    source = target.get("source")
    if source is None:
        # A target given as a resource with an id of its own, not a SpecificResource.
        return _node_id(target), [], False
    selectors = _as_list(target.get("selector"))
    return _node_id(source), selectors, bool(selectors)


def _selector(selectors: list[Any], name: str) -> dict | None:
    found = [
        item
        for item in selectors
        if isinstance(item, dict) and _types(item) & {name, f"oa:{name}", f"{OA}{name}"}
    ]
    if len(found) > 1:
        raise _ItemFailed(f"the target has {len(found)} {name}s; give one")
    if found and found[0].get("refinedBy") is not None:
        raise _ItemFailed(f"a {name} refined by another selector cannot be anchored here")
    return found[0] if found else None


def _string(selector: dict, key: str, *, required: bool = False) -> str:
    value = selector.get(key, "")
    if not isinstance(value, str) or (required and not value):
        raise _ItemFailed(f"the selector's {key} must be {'a non-empty' if required else 'a'} text")
    return value


def _offset(selector: dict, key: str) -> int:
    value = selector.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _ItemFailed(f"the TextPositionSelector's {key} must be a whole number, 0 or more")
    return value


def _anchor(text: str, selectors: list[Any]) -> Span:
    """The one place the selectors describe, exactly, or _ItemFailed saying why not."""
    quote = _selector(selectors, "TextQuoteSelector")
    position = _selector(selectors, "TextPositionSelector")
    if quote is None and position is None:
        kinds = sorted(
            {kind for item in selectors if isinstance(item, dict) for kind in _types(item)}
        )
        raise _ItemFailed(
            "the target has no TextQuoteSelector or TextPositionSelector"
            + (f" (only {', '.join(kinds)})" if kinds else "")
            + ": it cannot be anchored exactly"
        )
    exact = prefix = suffix = ""
    if quote is not None:
        exact = _string(quote, "exact", required=True)
        prefix, suffix = _string(quote, "prefix"), _string(quote, "suffix")
    try:
        if position is None:
            return span_from_quote(text, exact, prefix=prefix, suffix=suffix)
        start, end = _offset(position, "start"), _offset(position, "end")
        span = span_from_offsets(text, start, end, quote=exact or None)
    except AnchorError as error:
        if error.code == "quote_mismatch":
            raise _ItemFailed(
                f"the TextPositionSelector ({start}–{end}) and the TextQuoteSelector disagree: "
                f"the text there reads {error.extra['found']!r}, the quote is {exact!r}"
            ) from None
        raise _ItemFailed(error.message) from None
    # The quote's context must be what surrounds the position too.
    prefix_fits = len(prefix) <= span.start and text.startswith(prefix, span.start - len(prefix))
    if not prefix_fits or not text.startswith(suffix, span.end):
        raise _ItemFailed(
            f"the TextPositionSelector ({span.start}–{span.end}) and the TextQuoteSelector "
            "disagree: the text around that place is not the quote's prefix and suffix"
        )
    return span


def _read_bodies(node: dict, draft: _Draft, addresses: Addresses) -> None:
    if isinstance(node.get("bodyValue"), str):
        draft.comments.append(node["bodyValue"])
    for body in _as_list(node.get("body")):
        if isinstance(body, str):
            if _ABSOLUTE_IRI.fullmatch(body):
                draft.notes.append(f"a body given only as an IRI ({body}) was not imported")
            elif body.strip():
                draft.comments.append(body)
            continue
        if not isinstance(body, dict):
            draft.notes.append("a body that is neither text nor an object was not imported")
            continue
        purposes = _purposes(body)
        text = _text_of(body)
        if "SpecificResource" in _types(body) or (
            "identifying" in purposes and body.get("source") is not None
        ):
            draft.sources.append(body)
        elif "classifying" in purposes and draft.sources and text:
            # Kaynak's older form: a source's role in a body of its own, after the source's.
            draft.sources[-1] = {**draft.sources[-1], "role": text}
        elif "tagging" in purposes:
            if text and text.strip():
                draft.tags.append(text)
            else:
                draft.notes.append("a tagging body without a text value was not imported")
        elif "replying" in purposes and text:
            draft.replies.append((text, _creator_name(body.get("creator"))))
        elif text is not None and (not purposes or purposes & {"commenting", "describing"}):
            if text.strip():
                draft.comments.append(text)
        else:
            what = ", ".join(sorted(purposes)) or ", ".join(sorted(_types(body))) or "unknown"
            draft.notes.append(f"a body ({what}) that Kaynak does not keep was not imported")


def _absolute_iri(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value) <= IRI_MAX_LENGTH
        and _ABSOLUTE_IRI.fullmatch(value) is not None
    )


def _provenance(node: dict, draft: _Draft, addresses: Addresses) -> None:
    canonical = node.get("canonical")
    if isinstance(canonical, str) and _absolute_iri(canonical):
        draft.canonical = canonical
    elif canonical is not None:
        draft.notes.append("its canonical is not an absolute IRI; left out")
    given_via = _as_list(node.get("via"))
    draft.via = [item for item in given_via if _absolute_iri(item)]
    if len(draft.via) < len(given_via):
        draft.notes.append("a via that is not an absolute IRI was left out")
    # The id it had elsewhere is a copy's address (`via`, as the protocol has a server do),
    # when it is an absolute IRI and not one of ours.
    if _ABSOLUTE_IRI.fullmatch(draft.id) and not addresses.is_ours(draft.id):
        draft.via.append(draft.id)
    draft.via = list(dict.fromkeys(draft.via))
    draft.creator = _creator_name(node.get("creator"))
    if len(draft.id) > IRI_MAX_LENGTH:
        raise _ItemFailed(f"the annotation's id is longer than {IRI_MAX_LENGTH:,} characters")


# --- The import ------------------------------------------------------------------------------

TAG_NAME_MAX_LENGTH = Tag._meta.get_field("name").max_length or 100


class _Importer:
    def __init__(
        self,
        *,
        person: Person,
        addresses: Addresses,
        visibility: str,
        group: int | None,
        report: ImportReport,
    ) -> None:
        self.person = person
        self.addresses = addresses
        self.visibility = visibility
        self.group = group
        self.report = report
        self.documents = visible_documents(person)
        # The payload's ids (annotations and replies) -> the annotation they are or are in.
        self.threads: dict[str, Annotation] = {}

    def _created(self) -> ItemStatus:
        return ItemStatus.WOULD_CREATE if self.report.dry_run else ItemStatus.CREATED

    def _run(self, result: ItemResult, step: Callable[[ItemResult], None]) -> None:
        """`step` in a savepoint of its own: if it fails, nothing it wrote is kept."""
        try:
            with transaction.atomic():
                step(result)
        except _ItemFailed as error:
            result.status, result.reason = ItemStatus.FAILED, str(error)
        except KaynakError as error:
            result.status, result.reason = ItemStatus.FAILED, error.message
        except ValidationError as error:
            result.status, result.reason = ItemStatus.FAILED, "; ".join(error.messages)
        except DatabaseError as error:
            # A constraint, or a value the database refuses (PostgreSQL: a NUL in a text).
            result.status, result.reason = ItemStatus.FAILED, f"refused by the database: {error}"
        if result.status == ItemStatus.FAILED:
            # Nothing of it was kept, so no annotation to name (and no replies to it).
            result.annotation = result.reply = None
        self.report.items.append(result)

    def _document(self, iri: str) -> Document:
        if not iri:
            raise _ItemFailed("the target has no source")
        document_id = self.addresses.document_id(iri)
        document = (
            self.documents.filter(pk=document_id).first() if document_id is not None else None
        )
        if document is None:
            raise _ItemFailed(f"target source not in this archive: {iri}")
        if document.is_withdrawn:
            raise _ItemFailed(f"document {document.pk} is withdrawn: nothing is imported onto it")
        return document

    def _already(self, draft: _Draft, document: Document) -> Annotation | None:
        mine = visible_annotations(self.person).filter(document=document)
        own = self.addresses.annotation_id(draft.id) if draft.id else None
        if own is not None and (found := mine.filter(pk=own).first()) is not None:
            return found
        same = Q(imported_from=draft.id) if draft.id else Q(pk__in=[])
        if draft.canonical:
            same |= Q(canonical=draft.canonical)
        return mine.filter(same).order_by("pk").first()

    def _tags(self, names: Iterable[str], notes: list[str]) -> list[str]:
        """The tags named, made through the tag service where they do not exist yet."""
        kept = []
        for name in dict.fromkeys(" ".join(name.split()) for name in names):
            if len(name) > TAG_NAME_MAX_LENGTH:
                notes.append(
                    f"the tag {name[:40]!r}… was not imported: longer than "
                    f"{TAG_NAME_MAX_LENGTH} characters"
                )
                continue
            if Tag.objects.filter(normalized_name=normalize_name(name)).exists():
                kept.append(name)
                continue
            try:
                tag_create(name=name, actor=self.person)
            except KaynakError as error:
                notes.append(f"the tag {name!r} was not imported: {error.message}")
            else:
                kept.append(name)
                notes.append(f"tag {name!r} created")
        return kept

    def _source(self, body: dict, notes: list[str]) -> SourceTagInput | None:
        iri = _node_id(body.get("source"))
        role = next(
            (
                body[key]
                for key in ("role", "kaynak:sourceRole", "https://kaynak.invalid/ns#sourceRole")
                if key in body
            ),
            SourceRole.MENTIONED,
        )
        if role not in SourceRole.values:
            notes.append(f"the source {iri or '?'} has the unknown role {role!r}; left out")
            return None
        source: Source | None = None
        slug = self.addresses.source_slug(iri) if iri else None
        if slug is not None:
            try:
                source, tombstone = source_lookup(slug)
            except Source.DoesNotExist:
                source = None
            else:
                if tombstone is not None:
                    notes.append(f"the source {tombstone.slug} was merged into {source.slug}")
        elif iri:
            source = Source.objects.filter(url=iri, merged_into__isnull=True).first()
        label = body.get("label") or body.get("name")
        if source is None and isinstance(label, str) and (key := normalize_name(label)):
            alias = (
                SourceAlias.objects.filter(normalized_name=key, source__merged_into__isnull=True)
                .select_related("source")
                .first()
            )
            source = alias.source if alias else None
        if source is None:
            notes.append(f"the source {iri or label or '?'} is not in this archive; left out")
            return None
        return SourceTagInput(source=source.slug, role=role)

    def annotation(self, index: int, node: Any) -> None:
        node_id = _node_id(node)
        result = ItemResult(
            index=index, id=node_id, kind=ItemKind.ANNOTATION, status=ItemStatus.FAILED
        )
        draft = _Draft(id=node_id)

        def step(result: ItemResult) -> None:
            if not isinstance(node, dict):
                raise _ItemFailed(
                    "only an IRI: give the annotation's description, not its address"
                    if isinstance(node, str)
                    else "not an annotation (a JSON object)"
                )
            if not _types(node) & ANNOTATION_TYPES:
                raise _ItemFailed("not an annotation: its type is not Annotation")
            iri, selectors, has_selector = _target(node)
            document = self._document(iri)
            result.document = document.pk
            _provenance(node, draft, self.addresses)
            existing = self._already(draft, document)
            if existing is not None:
                self.threads[node_id] = existing
                result.status, result.annotation = ItemStatus.SKIPPED, existing.pk
                result.reason = f"already imported (annotation {existing.pk})"
                return
            span = _anchor(document.text, selectors) if has_selector else None
            _read_bodies(node, draft, self.addresses)
            tags = self._tags(draft.tags, draft.notes)
            sources = [
                found
                for body in draft.sources
                if (found := self._source(body, draft.notes)) is not None
            ]
            annotation = annotation_create(
                document=document,
                creator=self.person,
                start=span.start if span else None,
                end=span.end if span else None,
                quote=span.quote if span else None,
                page_note=span is None,
                comment="\n\n".join(draft.comments),
                visibility=self.visibility,
                group=self.group,
                tags=tags,
                source_tags=sources,
                canonical=draft.canonical,
                via=draft.via,
                imported_from=node_id,
                imported_creator=draft.creator,
            )
            if node_id:
                self.threads[node_id] = annotation
            result.status, result.annotation = self._created(), annotation.pk
            result.notes = draft.notes

        self._run(result, step)
        if result.status != ItemStatus.FAILED and result.annotation is not None:
            # Replies inside the annotation's bodies (Recogito's form).
            parent = self.threads.get(node_id) or Annotation.objects.get(pk=result.annotation)
            for body, creator in draft.replies:
                self._reply(index, "", parent=lambda: parent, body=body, creator=creator)

    def _parent(self, target: str) -> Annotation | None:
        """The annotation a reply's target names: one of this import, one of ours by its IRI,
        or one imported before (by its id there or its canonical IRI)."""
        if not target:
            return None
        if (parent := self.threads.get(target)) is not None:
            return parent
        found = visible_annotations(self.person)
        own = self.addresses.annotation_id(target)
        if own is not None:
            return found.filter(pk=own).first()
        return found.filter(Q(imported_from=target) | Q(canonical=target)).order_by("pk").first()

    def reply(self, index: int, node: dict) -> None:
        target = _node_id(_as_list(node.get("target"))[0] if node.get("target") else None)
        if not target and isinstance(node.get("target"), dict):
            target = _node_id(node["target"].get("source"))
        draft = _Draft(id=_node_id(node))
        _read_bodies(node, draft, self.addresses)
        body = "\n\n".join(draft.comments + [text for text, _ in draft.replies])
        self._reply(
            index,
            draft.id,
            parent=lambda: self._parent(target),
            body=body,
            creator=_creator_name(node.get("creator")),
            target=target,
        )

    def _reply(
        self,
        index: int,
        node_id: str,
        *,
        parent: Callable[[], Annotation | None],
        body: str,
        creator: str,
        target: str = "",
    ) -> None:
        result = ItemResult(index=index, id=node_id, kind=ItemKind.REPLY, status=ItemStatus.FAILED)

        def step(result: ItemResult) -> None:
            # Looked for in the savepoint, like everything else the database might refuse.
            found = parent()
            if found is None:
                raise _ItemFailed(
                    f"the annotation it replies to ({target or 'no target'}) is neither in "
                    "this import nor in the archive for you"
                )
            result.document, result.annotation = found.document_id, found.pk
            if not body.strip():
                raise _ItemFailed("the reply has no text")
            if node_id:
                self.threads[node_id] = found
            existing = found.replies.live().filter(author=self.person, body=body).first()
            if existing is not None:
                result.status, result.reply = ItemStatus.SKIPPED, existing.pk
                result.reason = f"already imported (reply {existing.pk})"
                return
            reply = reply_create(annotation=found, author=self.person, body=body)
            result.status, result.reply = self._created(), reply.pk
            if creator:
                result.notes.append(
                    f"written by {creator} there; recorded here as the importing user"
                )

        self._run(result, step)


def annotations_import(
    payload: Any,
    *,
    person: Person,
    hosts: Collection[str],
    dry_run: bool = False,
    visibility: str = Visibility.PRIVATE,
    group: int | None = None,
) -> ImportReport:
    """Import the Web Annotations of `payload` (parsed JSON) as `person`, with `visibility`
    (and `group`), onto the documents their targets name: this archive's document IRIs and
    reader addresses on one of `hosts` (host[:port]), or such paths without a host. Item by
    item: each is created, skipped (already imported) or failed (why), and a failed one
    writes nothing. With `dry_run`, the same, then everything is undone."""
    if visibility not in Visibility.values:
        raise ImportRefused(
            f"unknown visibility {visibility!r}",
            fields={"visibility": [f"one of {', '.join(Visibility.values)}"]},
        )
    if visibility == Visibility.GROUP and (
        group is None or not person.groups.filter(pk=group).exists()
    ):
        raise ImportRefused(
            "group visibility needs a group of which you are a member",
            fields={"group": ["a group of which you are a member"]},
        )
    items, problems = _gather(payload)
    report = ImportReport(dry_run=dry_run, problems=problems)
    importer = _Importer(
        person=person,
        addresses=Addresses(frozenset(host.lower() for host in hosts)),
        visibility=visibility,
        group=group if visibility == Visibility.GROUP else None,
        report=report,
    )
    with transaction.atomic():
        # Annotations first, so that a reply finds its annotation wherever it is listed.
        replies = [
            (index, node)
            for index, node in enumerate(items)
            if isinstance(node, dict) and _types(node) & ANNOTATION_TYPES and _is_reply(node)
        ]
        replying = {index for index, _ in replies}
        for index, node in enumerate(items):
            if index not in replying:
                importer.annotation(index, node)
        for index, node in replies:
            importer.reply(index, node)
        if dry_run:
            transaction.set_rollback(True)
    report.items.sort(key=lambda item: item.index)
    return report
