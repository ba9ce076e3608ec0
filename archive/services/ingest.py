"""The one ingest path. `document_ingest` takes one submission; `documents_ingest_many` (the
command, the sample loader, the benchmark) takes many. Both run `_ingest`, which works on a
list so that a bulk load costs a few queries per batch rather than several per document."""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from archive import storage
from archive.ingest import (
    IngestRefused,
    ParsedDocument,
    Submission,
    Unreadable,
    check_size,
    parse,
    read_within_limit,
    refuse_bulk_file,
    refuse_markup,
    validate_parsed,
)
from archive.models import Document, EventOutcome, EventType, ProvenanceEvent, Source
from archive.roles import can_see_withdrawn
from archive.services.provenance import chained_event, kaynak_agent, provenance_record
from archive.services.sources import sources_resolve
from archive.state import document_state
from kaynak import hooks
from kaynak.users import Person

_FILENAME_MAX = Document._meta.get_field("original_filename").max_length


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


@dataclass(frozen=True)
class IngestResult:
    document: Document
    created: bool


Outcome = IngestResult | IngestRefused


@dataclass
class _Pending:
    """A submission on its way in."""

    index: int
    submission: Submission
    sha256: str
    parsed: ParsedDocument | None = None
    stored: storage.StoredFile | None = None

    @property
    def parsed_file(self) -> ParsedDocument:
        """What parsing made of the submission: asked only of those that parsed."""
        if self.parsed is None:
            raise ValueError(f"{self.submission.label} was not parsed")
        return self.parsed


def document_ingest(
    *,
    data: bytes | File,
    filename: str,
    actor: Person | None,
    method: IngestMethod,
    layouts: tuple[str, ...] | None = None,
    context: Mapping[str, Any] | None = None,
    record_duplicates: bool = True,
) -> IngestResult:
    """Ingest received bytes as one document.

    `data` is the bytes, or a received file not yet read (an upload): a bulk file (JSON Lines,
    for `manage.py ingest`) and anything over KAYNAK_MAX_UPLOAD_BYTES are refused before it
    is read, so callers need not check either themselves.
    Identical bytes return the existing document (recording a duplicate_submission event
    unless `record_duplicates` is off). A refusal raises IngestRefused and leaves no row;
    bytes refused before they are stored (size, parsing, validation) leave no file either.
    Bytes the database refuses stay stored, as an orphan for `manage.py storage_check`:
    another request may be about to commit a row that refers to the same file.
    """
    refuse_bulk_file(filename)
    data = read_within_limit(data, check=check_size)
    submission = Submission(
        data=data, filename=filename, label=filename, layouts=layouts, context=dict(context or {})
    )
    with transaction.atomic():
        [outcome] = _ingest(
            [submission], actor=actor, method=method, record_duplicates=record_duplicates
        )
    if isinstance(outcome, IngestRefused):
        raise outcome
    return outcome


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
    actor: Person | None,
    method: IngestMethod,
    batch_size: int = 1000,
    record_duplicates: bool = True,
) -> Iterator[IngestReport]:
    """Ingest many submissions, `batch_size` to a transaction. Each submission is still
    all-or-nothing on its own; reports are yielded once their batch has committed."""
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
    actor: Person | None,
    method: IngestMethod,
    record_duplicates: bool,
) -> list[IngestReport]:
    submissions = [item for item in batch if isinstance(item, Submission)]
    with transaction.atomic():
        outcomes = iter(
            _ingest(submissions, actor=actor, method=method, record_duplicates=record_duplicates)
        )
    reports = []
    for item in batch:
        if isinstance(item, Unreadable):
            reports.append(IngestReport(item.label, "refused", reason=item.reason))
            continue
        outcome = next(outcomes)
        if isinstance(outcome, IngestRefused):
            reports.append(IngestReport(item.label, "refused", reason=outcome.message))
        else:
            status = "ingested" if outcome.created else "duplicate"
            reports.append(IngestReport(item.label, status, document_id=outcome.document.pk))
    return reports


def _ingest(
    submissions: list[Submission],
    *,
    actor: Person | None,
    method: IngestMethod,
    record_duplicates: bool,
) -> list[Outcome]:
    """Ingest `submissions` inside the caller's transaction; one outcome per submission."""
    outcomes: list[Outcome | None] = [None] * len(submissions)
    pending = []
    for index, submission in enumerate(submissions):
        try:
            check_size(len(submission.data))
            refuse_markup(submission.filename, submission.data)
        except IngestRefused as refusal:
            outcomes[index] = refusal
            continue
        pending.append(_Pending(index, submission, storage.sha256_hex(submission.data)))

    existing = documents_by_file([item.sha256 for item in pending])
    today = timezone.now().date()
    new: dict[str, _Pending] = {}
    repeats: list[_Pending] = []
    # The originals of the new submissions are stored while the rest are parsed (on S3 each
    # put is a round trip), and all of them before any row refers to them (`_insert`).
    with storage.OriginalPuts(ahead=len(pending) > 1) as puts:
        for item in pending:
            if item.sha256 in existing or item.sha256 in new:
                repeats.append(item)
                continue
            try:
                item.parsed = parse(item.submission.data, layouts=item.submission.layouts)
                for parsed in _articles(item.parsed):
                    validate_parsed(parsed, today=today)
            except IngestRefused as refusal:
                outcomes[item.index] = refusal
                continue
            new[item.sha256] = item
            puts.start(item.submission.data, item.sha256)

        # Inserted in checksum order: concurrent ingests of the same bytes lock rows in the
        # same order, so one waits for the other rather than both deadlocking.
        inserting = sorted(new.values(), key=lambda item: item.sha256)
        for item, outcome in zip(inserting, _insert(inserting, actor, method, puts), strict=True):
            outcomes[item.index] = outcome

    for item in repeats:
        first = existing.get(item.sha256) or outcomes[new[item.sha256].index]
        assert first is not None  # every inserted item has its outcome by now
        if isinstance(first, IngestRefused):
            outcomes[item.index] = first  # the same bytes, refused for the same reason
            continue
        document = first if isinstance(first, Document) else first.document
        outcomes[item.index] = _repeat(document, item.submission, actor, method, record_duplicates)
    # Sending a file again is the natural way to ask for what was derived from it (its index
    # entry) to be put right: search.index.schedule_reindex_if_missing.
    hooks.documents_resent(
        outcome.document.pk
        for outcome in outcomes
        if isinstance(outcome, IngestResult) and not outcome.created
    )
    return outcomes  # type: ignore[return-value]  # every slot is filled above


def documents_by_file(sha256s: list[str]) -> dict[str, Document]:
    """The document already holding each stored file; a digest's first article stands for its
    file, so the same file again returns it."""
    documents = Document.objects.filter(sha256__in=sha256s).first_of_each_file()
    return {document.sha256: document for document in documents}


def _insert(
    items: list[_Pending], actor: Person | None, method: IngestMethod, puts: storage.OriginalPuts
) -> list[Outcome]:
    """Store the bytes (waiting for the puts begun in `puts`) and insert documents and their
    ingestion events in bulk. If the database refuses the batch, retry one by one so only
    the offending submission fails.

    A failure leaves the stored files in place, even those this call created: a concurrent
    request for the same bytes may have found the file (so not written it) and be about to
    commit the row that wins, which removing the file would leave without its original.
    """
    if not items:
        return []
    try:
        with transaction.atomic():
            # One row per article: a digest's articles are siblings sharing the stored file.
            rows = [
                (item, parsed, part, len(item.parsed_file.parts))
                for item in items
                for part, parsed in _numbered_articles(item.parsed_file)
            ]
            # The uploader is who brought a new outlet into the archive: its creator.
            sources = sources_resolve(
                (
                    reference
                    for _, parsed, _, _ in rows
                    for reference in (parsed.original_outlet, parsed.reprinter)
                    if reference
                ),
                actor=actor,
            )
            stored = puts.stored([(item.submission.data, item.sha256) for item in items])
            for item, stored_file in zip(items, stored, strict=True):
                item.stored = stored_file
            storage.make_durable(stored)
            documents = Document.objects.bulk_create(
                _document(item, parsed, sources, part=part, count=count)
                for item, parsed, part, count in rows
            )
            ProvenanceEvent.objects.bulk_create(
                _ingestion_event(document, item, parsed, actor, method)
                for document, (item, parsed, _, _) in zip(documents, rows, strict=True)
            )
            hooks.documents_changed(document.pk for document in documents)
    except IntegrityError as error:
        if len(items) > 1:
            return [outcome for item in items for outcome in _insert([item], actor, method, puts)]
        raced = Document.objects.filter(sha256=items[0].sha256).first()
        if raced:  # the same bytes arrived through another connection meanwhile
            return [_repeat(raced, items[0].submission, actor, method, record=True)]
        return [IngestRefused(f"the database refused the document: {error}", code="db")]
    first_of_file = [
        document for document, (_, _, part, _) in zip(documents, rows, strict=True) if part <= 1
    ]
    return [IngestResult(document=document, created=True) for document in first_of_file]


def _articles(parsed: ParsedDocument) -> tuple[ParsedDocument, ...]:
    return parsed.parts or (parsed,)


def _numbered_articles(parsed: ParsedDocument) -> list[tuple[int, ParsedDocument]]:
    """(part, article): part 0 for a file that is one document, 1…n for a digest's."""
    if not parsed.parts:
        return [(0, parsed)]
    return list(enumerate(parsed.parts, start=1))


def _document(
    item: _Pending, parsed: ParsedDocument, sources: dict[Any, Source], *, part: int, count: int
) -> Document:
    start, end = parsed.file_range if parsed.file_range else (None, None)
    return Document(
        title=parsed.title,
        text=parsed.text,
        language=parsed.language,
        original_outlet=sources.get(parsed.original_outlet),
        original_place=parsed.original_place,
        original_published_on=parsed.original_published_on,
        byline=parsed.byline,
        original_url=parsed.original_url,
        reprinter=sources.get(parsed.reprinter),
        reprinted_on=parsed.reprinted_on,
        source_line=parsed.source_line,
        layout=parsed.layout,
        sha256=item.sha256,
        size_bytes=len(item.submission.data),
        media_type=parsed.media_type,
        encoding=parsed.encoding,
        original_filename=item.submission.filename[:_FILENAME_MAX],
        part=part,
        part_count=count,
        file_start=start,
        file_end=end,
    )


@cache
def _os_user() -> str:
    """Who ran the command, as the operating system knows them."""
    return getpass.getuser()


def _submission_detail(submission: Submission, method: IngestMethod) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "method": method.value,
        "filename": submission.filename,
        **submission.context,
    }
    if method in (IngestMethod.COMMAND, IngestMethod.SAMPLE):
        detail["os_user"] = _os_user()
    return detail


def _ingestion_event(
    document: Document,
    item: _Pending,
    parsed: ParsedDocument,
    actor: Person | None,
    method: IngestMethod,
) -> ProvenanceEvent:
    detail = {
        **_submission_detail(item.submission, method),
        "sha256": item.sha256,
        "size_bytes": len(item.submission.data),
        "layout": parsed.layout,
        "encoding": parsed.encoding,
        # The state as ingested, which every later change event's before and after continue
        # (`fixity_check` replays them against the row).
        "state": document_state(document),
    }
    if parsed.warnings:
        detail["warnings"] = list(parsed.warnings)
    if document.part:
        # The split: which article of the file this is and where it lies in the file's text.
        detail["split"] = {
            "parser": item.parsed_file.layout,
            "part": document.part,
            "of": document.part_count,
            "file_range": [document.file_start, document.file_end],
        }
    if parsed.field_rules:
        # Which rule of the parser set each field, so a curator can tell how it was read.
        detail["field_rules"] = dict(parsed.field_rules)
    if parsed.extra:
        detail["extra_fields"] = dict(parsed.extra)
    return chained_event(
        document=document,
        previous=None,
        event_type=EventType.INGESTION,
        actor=actor,
        agent=method.agent,
        outcome=EventOutcome.WARNING if parsed.warnings else EventOutcome.SUCCESS,
        detail=detail,
    )


class UnavailableDuplicate(IngestRefused):
    """The bytes are those of a document the submitter may not see (a withdrawn one)."""

    code = "unavailable_duplicate"
    status_code = 409


def _repeat(
    document: Document,
    submission: Submission,
    actor: Person | None,
    method: IngestMethod,
    record: bool,
) -> Outcome:
    # No actor is the operator at the command line, who sees every document.
    if document.is_withdrawn and actor is not None and not can_see_withdrawn(actor):
        # The submitter learns only that the bytes are known; the attempt goes on the record.
        if record:
            provenance_record(
                document=document,
                event_type=EventType.DUPLICATE_SUBMISSION,
                actor=actor,
                agent=method.agent,
                outcome=EventOutcome.FAILURE,
                detail={
                    **_submission_detail(submission, method),
                    "refused": "the document is withdrawn",
                },
            )
        return UnavailableDuplicate("these bytes match a document that is not available")
    if record:
        provenance_record(
            document=document,
            event_type=EventType.DUPLICATE_SUBMISSION,
            actor=actor,
            agent=method.agent,
            detail=_submission_detail(submission, method),
        )
    return IngestResult(document=document, created=False)
