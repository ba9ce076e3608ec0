"""Writes to the archive. Each public function is the one way to make its change, and
records its provenance in the same transaction."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

import kaynak
from archive import storage
from archive.ingest import (
    IngestRefused,
    ParsedDocument,
    SourceName,
    Submission,
    Unreadable,
    check_size,
    parse,
    validate_parsed,
)
from archive.models import (
    Document,
    EventOutcome,
    EventType,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceKind,
)
from archive.selectors import provenance_chain_break
from archive.text import fold, normalize_name
from kaynak.errors import KaynakError


class IngestMethod(StrEnum):
    """How bytes reached Kaynak; recorded in each ingestion event with the agent."""

    COMMAND = "command"
    API = "api"
    WEB = "web"
    ADMIN = "admin"
    SAMPLE = "sample"

    @property
    def agent(self) -> str:
        activity = {
            "command": "ingest command",
            "api": "REST API upload",
            "web": "web upload",
            "admin": "admin upload",
            "sample": "sample data loader",
        }[self.value]
        return kaynak_agent(activity)


def kaynak_agent(activity: str) -> str:
    """The PREMIS agent for software acting: `kaynak 0.1.0 ingest command`."""
    return f"kaynak {kaynak.__version__} {activity}"


# --- Sources ---------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(fold(name))[:100].strip("-") or "source"
    slug, suffix = base, 2
    while Source.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def check_source_names_free(names: Iterable[str], *, source: Source | None = None) -> None:
    """Refuse names that are empty or already a name of a source other than `source`."""
    keys = {normalize_name(name): name for name in names}
    if "" in keys:
        raise KaynakError("a source name must contain letters or digits", code="bad_name")
    taken = SourceAlias.objects.filter(normalized_name__in=keys).select_related("source")
    for alias in taken:
        if alias.source_id != getattr(source, "pk", None):
            raise KaynakError(
                f"{keys[alias.normalized_name]!r} is already a name of the source "
                f"{alias.source.name!r} (as {alias.name!r})",
                code="name_taken",
                source=alias.source.slug,
            )


@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str = SourceKind.OTHER,
    aliases: Iterable[str] = (),
    description: str = "",
    url: str = "",
) -> Source:
    """A new source, its name and `aliases` all registered as aliases. A name that matches an
    existing alias (case- and diacritic-insensitively) is refused."""
    name = " ".join(name.split())
    names = [name, *(" ".join(alias.split()) for alias in aliases)]
    check_source_names_free(names)
    source = Source.objects.create(
        name=name, slug=_unique_slug(name), kind=kind, description=description, url=url
    )
    seen: set[str] = set()
    for alias_name in names:
        key = normalize_name(alias_name)
        if key not in seen:
            seen.add(key)
            SourceAlias.objects.create(source=source, name=alias_name, normalized_name=key)
    return source


@transaction.atomic
def source_update(
    *, source: Source, name: str, kind: str, description: str = "", url: str = ""
) -> Source:
    """Change a source's fields. A new name becomes an alias; the old one stays one, so
    documents that spell it the old way still resolve here."""
    name = " ".join(name.split())
    check_source_names_free([name], source=source)
    source.name, source.kind, source.description, source.url = name, kind, description, url
    source.save(update_fields=["name", "kind", "description", "url"])
    source_alias_add(source=source, name=name)
    return source


@transaction.atomic
def source_alias_add(*, source: Source, name: str) -> SourceAlias:
    name = " ".join(name.split())
    check_source_names_free([name], source=source)
    alias, _ = SourceAlias.objects.get_or_create(
        normalized_name=normalize_name(name), defaults={"source": source, "name": name}
    )
    return alias


@transaction.atomic
def source_alias_remove(*, alias: SourceAlias) -> None:
    if alias.normalized_name == normalize_name(alias.source.name):
        raise KaynakError(
            f"{alias.name!r} is the source's own name; rename the source first",
            code="alias_is_name",
        )
    alias.delete()


def source_resolve(reference: SourceName) -> Source:
    """The source a document names, found through the aliases, or created (of the kind the
    layout implies) when no alias matches."""
    keys = [normalize_name(name) for name in (reference.name, *reference.aliases)]
    aliases = {
        alias.normalized_name: alias.source
        for alias in SourceAlias.objects.filter(normalized_name__in=keys).select_related("source")
    }
    for key in keys:
        if key in aliases:
            return aliases[key]
    try:
        with transaction.atomic():
            return source_create(
                name=reference.name, kind=reference.kind, aliases=reference.aliases
            )
    except IntegrityError:
        # Another ingest created it between our look-up and our insert.
        return SourceAlias.objects.select_related("source").get(normalized_name=keys[0]).source


# --- Provenance ------------------------------------------------------------------------------


def provenance_record(
    *,
    document: Document,
    event_type: EventType,
    actor: AbstractBaseUser | None,
    agent: str,
    outcome: EventOutcome = EventOutcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
) -> ProvenanceEvent:
    """Append an event to `document`'s hash-chained history, in the caller's transaction."""
    # Lock the document row so concurrent appends to one history queue instead of forking it.
    Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
    previous = (
        ProvenanceEvent.objects.filter(document=document)
        .order_by("-sequence")
        .values("sequence", "event_hash")
        .first()
    )
    event = ProvenanceEvent(
        document=document,
        sequence=previous["sequence"] + 1 if previous else 1,
        event_type=event_type,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        agent=agent,
        outcome=outcome,
        # Round-trip through JSON so the hash covers exactly what the database will return.
        detail=json.loads(json.dumps(dict(detail or {}), cls=DjangoJSONEncoder)),
        previous_hash=previous["event_hash"] if previous else "",
    )
    event.event_hash = event.compute_hash()
    event.save(force_insert=True)
    return event


# --- Ingest ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    document: Document
    created: bool


def _submission_detail(
    *, filename: str, method: IngestMethod, context: Mapping[str, Any] | None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"method": method.value, "filename": filename, **(context or {})}
    if method in (IngestMethod.COMMAND, IngestMethod.SAMPLE):
        detail["os_user"] = getpass.getuser()
    return detail


def _record_duplicate(
    *,
    document: Document,
    filename: str,
    actor: AbstractBaseUser | None,
    method: IngestMethod,
    context: Mapping[str, Any] | None,
) -> IngestResult:
    with transaction.atomic():
        provenance_record(
            document=document,
            event_type=EventType.DUPLICATE_SUBMISSION,
            actor=actor,
            agent=method.agent,
            detail=_submission_detail(filename=filename, method=method, context=context),
        )
    return IngestResult(document=document, created=False)


def _ingestion_detail(parsed: ParsedDocument, base: dict[str, Any]) -> dict[str, Any]:
    detail = {**base, "layout": parsed.layout, "encoding": parsed.encoding}
    if parsed.warnings:
        detail["warnings"] = list(parsed.warnings)
    if parsed.extra:
        detail["extra_fields"] = dict(parsed.extra)
    return detail


def document_ingest(
    *,
    data: bytes,
    filename: str,
    actor: AbstractBaseUser | None,
    method: IngestMethod,
    layouts: tuple[str, ...] | None = None,
    context: Mapping[str, Any] | None = None,
    record_duplicates: bool = True,
) -> IngestResult:
    """Ingest received bytes as a document: the one ingest path.

    Identical bytes return the existing document (recording a duplicate_submission event
    unless `record_duplicates` is off). A refusal raises IngestRefused and leaves nothing
    behind: no row, no stored file.
    """
    check_size(len(data))
    sha256 = storage.sha256_hex(data)
    existing = Document.objects.filter(sha256=sha256).first()
    if existing:
        if not record_duplicates:
            return IngestResult(document=existing, created=False)
        return _record_duplicate(
            document=existing, filename=filename, actor=actor, method=method, context=context
        )

    # Parse before taking the database's write lock: it needs none.
    parsed = parse(data, layouts=layouts)
    validate_parsed(parsed, today=timezone.now().date())

    stored = storage.store_original(data, sha256)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                title=parsed.title,
                text=parsed.text,
                language=parsed.language,
                original_outlet=source_resolve(parsed.original_outlet)
                if parsed.original_outlet
                else None,
                original_place=parsed.original_place,
                original_published_on=parsed.original_published_on,
                byline=parsed.byline,
                original_url=parsed.original_url,
                reprinter=source_resolve(parsed.reprinter) if parsed.reprinter else None,
                reprinted_on=parsed.reprinted_on,
                source_line=parsed.source_line,
                layout=parsed.layout,
                sha256=sha256,
                size_bytes=len(data),
                media_type=parsed.media_type,
                encoding=parsed.encoding,
                original_filename=filename[
                    : Document._meta.get_field("original_filename").max_length
                ],
            )
            provenance_record(
                document=document,
                event_type=EventType.INGESTION,
                actor=actor,
                agent=method.agent,
                outcome=EventOutcome.WARNING if parsed.warnings else EventOutcome.SUCCESS,
                detail=_ingestion_detail(
                    parsed,
                    {
                        **_submission_detail(filename=filename, method=method, context=context),
                        "sha256": sha256,
                        "size_bytes": len(data),
                    },
                ),
            )
    except IntegrityError as error:
        storage.discard_original(stored)
        raced = Document.objects.filter(sha256=sha256).first()
        if raced:
            return _record_duplicate(
                document=raced, filename=filename, actor=actor, method=method, context=context
            )
        raise IngestRefused(f"the database refused the document: {error}", code="db") from error
    except BaseException:
        storage.discard_original(stored)
        raise
    return IngestResult(document=document, created=True)


@dataclass(frozen=True)
class IngestReport:
    """What became of one submission in a bulk run."""

    label: str
    status: str  # "ingested", "duplicate" or "refused"
    document_id: int | None = None
    reason: str = ""


def documents_ingest_many(
    *,
    items: Iterable[Submission | Unreadable],
    actor: AbstractBaseUser | None,
    method: IngestMethod,
    batch_size: int = 200,
    record_duplicates: bool = True,
) -> Iterator[IngestReport]:
    """The bulk path (the ingest command, the sample loader, the benchmark): `document_ingest`
    for each item, `batch_size` items to a transaction. Each item is all-or-nothing on its own;
    reports are yielded once their batch has committed."""
    batch: list[Submission | Unreadable] = []
    for item in items:
        batch.append(item)
        if len(batch) >= batch_size:
            yield from _ingest_batch(batch, actor, method, record_duplicates)
            batch = []
    if batch:
        yield from _ingest_batch(batch, actor, method, record_duplicates)


def _ingest_batch(
    batch: list[Submission | Unreadable],
    actor: AbstractBaseUser | None,
    method: IngestMethod,
    record_duplicates: bool,
) -> list[IngestReport]:
    reports = []
    with transaction.atomic():
        for item in batch:
            if isinstance(item, Unreadable):
                reports.append(IngestReport(item.label, "refused", reason=item.reason))
                continue
            try:
                result = document_ingest(
                    data=item.data,
                    filename=item.filename,
                    actor=actor,
                    method=method,
                    layouts=item.layouts,
                    context=item.context,
                    record_duplicates=record_duplicates,
                )
            except IngestRefused as refusal:
                reports.append(IngestReport(item.label, "refused", reason=refusal.message))
                continue
            status = "ingested" if result.created else "duplicate"
            reports.append(IngestReport(item.label, status, document_id=result.document.pk))
    return reports


# --- Fixity ----------------------------------------------------------------------------------


@transaction.atomic
def document_fixity_check(
    *, document: Document, actor: AbstractBaseUser | None, agent: str
) -> ProvenanceEvent:
    """Verify the document's event chain and re-hash its stored original; record the result."""
    problems = []
    chain_break = provenance_chain_break(document=document)
    if chain_break:
        problems.append(f"provenance chain broken: {chain_break}")
    actual = storage.hash_stored_original(document.sha256)
    if actual is None:
        problems.append("the stored original is missing")
    elif actual != document.sha256:
        problems.append(f"the stored original has changed: its SHA-256 is now {actual}")
    return provenance_record(
        document=document,
        event_type=EventType.FIXITY_CHECK,
        actor=actor,
        agent=agent,
        outcome=EventOutcome.FAILURE if problems else EventOutcome.SUCCESS,
        detail={
            "expected_sha256": document.sha256,
            "actual_sha256": actual,
            "problems": problems,
        },
    )
