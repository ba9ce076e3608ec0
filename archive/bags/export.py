"""Writing a bag: streamed document by document, under a temporary name renamed into place
only when the bag is complete."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import bagit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from tqdm import tqdm

import kaynak
from archive import storage
from archive.bags import BAG_FORMAT_VERSION
from archive.bags.premis import document_premis
from archive.bags.records import BagRefused, dumps, row
from archive.models import (
    Document,
    Facsimile,
    ProvenanceCheckpoint,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
)
from kaynak.hooks import bag_parts

CHECKSUMS = ["sha256", "sha512"]
_CHUNK = 1000
# A user record carries these only: the people events name, never their passwords.
USER_FIELDS = ("username",)


@dataclass
class BagReport:
    path: Path
    documents: int = 0
    events: int = 0
    facsimiles: int = 0
    originals: int = 0
    sources: int = 0
    parts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def original_name(sha256: str) -> str:
    """Where a stored original goes in the payload: content-addressed, as in storage."""
    return f"originals/{sha256[:2]}/{sha256}"


def _documents(document_ids: Sequence[int] | None, since: datetime | None) -> QuerySet[Document]:
    documents = Document.objects.order_by("pk")
    if document_ids is not None:
        documents = documents.filter(pk__in=document_ids)
    if since is not None:
        # Incremental: every document whose history moved since then, with its whole chain
        # (a chain is only verifiable from its first event).
        documents = documents.filter(
            pk__in=ProvenanceEvent.objects.filter(occurred_at__gte=since).values("document_id")
        )
    return documents


def _by_document(rows: Iterable[Any]) -> Iterator[tuple[int, list[Any]]]:
    for document_id, owned in groupby(rows, key=lambda item: item.document_id):
        yield document_id, list(owned)


def _joined(documents: Iterable[Document], *related: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    """Each document with its related rows, all streamed in document id order (one query
    per kind, not one per document)."""
    streams = [_by_document(rows) for rows in related]
    pending: list[tuple[int, list[Any]] | None] = [next(stream, None) for stream in streams]
    for document in documents:
        owned = []
        for index, stream in enumerate(streams):
            rows: list[Any] = []
            while (head := pending[index]) is not None and head[0] < document.pk:
                pending[index] = next(stream, None)
            if (head := pending[index]) is not None and head[0] == document.pk:
                rows = head[1]
                pending[index] = next(stream, None)
            owned.append(rows)
        yield document, *owned


def _copy_original(sha256: str, payload: Path) -> bool:
    target = payload / original_name(sha256)
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with storage.open_original(sha256) as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy, 1024 * 1024)
    except FileNotFoundError:
        raise BagRefused(
            [f"the stored original {sha256} is missing: run fixity_check, nothing was exported"]
        ) from None
    return True


def _write_jsonl(path: Path, records: Iterable[Any]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(dumps(record) + "\n")
            count += 1
    return count


def _source_records() -> Iterator[dict[str, Any]]:
    aliases = _grouped(SourceAlias.objects.order_by("source_id", "pk"), "source_id")
    events = _grouped(SourceEvent.objects.order_by("source_id", "sequence"), "source_id")
    pending_aliases, pending_events = next(aliases, None), next(events, None)
    for source in Source.objects.order_by("pk").iterator(chunk_size=_CHUNK):
        owned_aliases: list[Any] = []
        owned_events: list[Any] = []
        if pending_aliases and pending_aliases[0] == source.pk:
            owned_aliases, pending_aliases = pending_aliases[1], next(aliases, None)
        if pending_events and pending_events[0] == source.pk:
            owned_events, pending_events = pending_events[1], next(events, None)
        yield {
            "source": row(source),
            "aliases": [row(alias) for alias in owned_aliases],
            "events": [row(event) for event in owned_events],
        }


def _grouped(rows: QuerySet[Any], key: str) -> Iterator[tuple[int, list[Any]]]:
    for owner, owned in groupby(rows.iterator(chunk_size=_CHUNK), key=lambda r: getattr(r, key)):
        yield owner, list(owned)


def bag_export(
    *,
    destination: Path,
    document_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    with_annotations: bool = False,
    progress: bool = False,
) -> BagReport:
    """Write the archive (or the documents asked for) as a bag at `destination`, which must
    not exist. Nothing is held in memory but one document at a time; the bag is built under
    a hidden temporary name beside `destination` and renamed only when complete."""
    started = time.monotonic()
    destination = Path(destination)
    if destination.exists():
        raise BagRefused([f"{destination} exists already: a bag is written to a new path"])
    temporary = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    (temporary / "documents").mkdir(parents=True)
    report = BagReport(path=destination)
    try:
        _write_payload(temporary, report, document_ids, since, with_annotations, progress=progress)
        scope = "full"
        if document_ids is not None:
            scope = "selected documents"
        if since is not None:
            scope = f"incremental since {since.isoformat()}"
        info = {
            "Source-Organization": settings.KAYNAK_ORGANIZATION,
            "External-Description": f"Kaynak archive export ({scope})",
            "Kaynak-Version": kaynak.__version__,
            "Kaynak-Bag-Format": str(BAG_FORMAT_VERSION),
            "Kaynak-Scope": scope,
            "Kaynak-Document-Count": str(report.documents),
            "Kaynak-Event-Count": str(report.events),
            "Kaynak-Facsimile-Count": str(report.facsimiles),
            "Kaynak-Source-Count": str(report.sources),
        }
        for name, count in report.parts.items():
            info[f"Kaynak-{name.title()}-Count"] = str(count)
        bagit.make_bag(str(temporary), info, processes=1, checksums=CHECKSUMS)
        os.rename(temporary, destination)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    report.seconds = time.monotonic() - started
    return report


def _write_payload(
    root: Path,
    report: BagReport,
    document_ids: Sequence[int] | None,
    since: datetime | None,
    with_annotations: bool,
    *,
    progress: bool,
) -> None:
    users = get_user_model().objects.order_by("pk")
    usernames = dict(users.values_list("pk", "username"))
    (root / "agents.json").write_text(
        dumps(
            {
                "users": [row(user, fields=USER_FIELDS) for user in users],
                "groups": [row(group, fields=["name"]) for group in Group.objects.order_by("pk")],
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    report.sources = _write_jsonl(root / "sources.jsonl", _source_records())

    documents = _documents(document_ids, since)
    ids = documents.values("pk")
    events = ProvenanceEvent.objects.filter(document__in=ids).order_by("document_id", "sequence")
    facsimiles = Facsimile.objects.filter(document__in=ids).order_by("document_id", "position")
    bar = tqdm(total=documents.count(), unit="doc", disable=not progress, desc="export_bag")
    exported: list[int] | None = [] if (document_ids is not None or since is not None) else None
    for document, owned_events, owned_facsimiles in _joined(
        documents.iterator(chunk_size=_CHUNK),
        events.iterator(chunk_size=_CHUNK),
        facsimiles.iterator(chunk_size=_CHUNK),
    ):
        record = {
            "document": row(document),
            "events": [row(event) for event in owned_events],
            "facsimiles": [row(facsimile) for facsimile in owned_facsimiles],
        }
        (root / "documents" / f"{document.pk}.json").write_text(
            dumps(record, indent=1), encoding="utf-8"
        )
        (root / "documents" / f"{document.pk}.premis.xml").write_bytes(
            document_premis(document, owned_events, usernames)
        )
        report.originals += _copy_original(document.sha256, root)
        for facsimile in owned_facsimiles:
            report.originals += _copy_original(facsimile.sha256, root)
        report.documents += 1
        report.events += len(owned_events)
        report.facsimiles += len(owned_facsimiles)
        if exported is not None:
            exported.append(document.pk)
        bar.update(1)
    bar.close()

    for part in bag_parts():
        if part.optional and not with_annotations:
            continue
        report.parts[part.name] = _write_jsonl(
            root / f"{part.name}.jsonl", part.export_records(document_ids=exported)
        )

    checkpoint = ProvenanceCheckpoint.objects.order_by("-number").first()
    (root / "checkpoint.json").write_text(
        dumps({"checkpoint": row(checkpoint) if checkpoint else None}, indent=1),
        encoding="utf-8",
    )
