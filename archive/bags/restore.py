"""Restoring a verified bag: every row inserted exactly as the bag has it (ids, hashes,
moments), in one transaction, each restored chain recomputed before it commits, then one
`restored_from_bag` event appended to each document's chain."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from tqdm import tqdm

from archive import storage
from archive.bags.export import original_name
from archive.bags.records import BagRefused, insert_record, model_of
from archive.bags.verify import BagContents, bag_verify, jsonl, read_json
from archive.models import (
    Document,
    EventType,
    Facsimile,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
)
from archive.services.provenance import kaynak_agent, provenance_record
from kaynak.chain import registered_chains
from kaynak.hooks import bag_parts, rebuild_search_index
from kaynak.users import Person

_DURABLE_BATCH = 500
# The metadata an archive and a bag must agree on for a document both hold (same SHA-256).
_COMPARED = ("title", "text", "language", "original_published_on", "reprinted_on", "byline")


@dataclass
class ImportReport:
    documents: int = 0
    events: int = 0
    facsimiles: int = 0
    sources: int = 0
    users: int = 0
    parts: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    skipped: int = 0
    index_rebuilt: bool = False


def archive_is_empty() -> bool:
    return not (Document.objects.exists() or Source.objects.exists())


def _restore_users(contents: BagContents, merge: bool, report: ImportReport) -> dict[int, int]:
    """The bag's people, with the same ids (event hashes cover the actor's id)."""
    User = get_user_model()
    agents = read_json(contents.path / "data" / "agents.json", Path("data/agents.json"))
    for record in agents.get("users", []):
        pk, username = record["pk"], record["fields"]["username"]
        here = User.objects.filter(pk=pk).first()
        if here is not None:
            if here.get_username() != username:
                raise BagRefused(
                    [
                        f"data/agents.json: user {pk} is {username!r} in the bag but "
                        f"{here.get_username()!r} here: the events that name them would change"
                    ]
                )
            continue
        if User.objects.filter(username=username).exists():
            raise BagRefused(
                [f"data/agents.json: {username!r} has another id here than in the bag ({pk})"]
            )
        user = User(pk=pk, username=username)
        user.set_unusable_password()
        user.save(force_insert=True)
        report.users += 1
    return {record["pk"]: record["pk"] for record in agents.get("users", [])}


def _restore_groups(contents: BagContents) -> dict[int, int]:
    """Groups by name: the bag's id of each to this archive's."""
    agents = read_json(contents.path / "data" / "agents.json", Path("data/agents.json"))
    mapping = {}
    for record in agents.get("groups", []):
        group, _ = Group.objects.get_or_create(name=record["fields"]["name"])
        mapping[record["pk"]] = group.pk
    return mapping


def _restore_sources(contents: BagContents, merge: bool, report: ImportReport) -> set[int]:
    """Insert the bag's sources (merged ones pointed at their targets once all are in), their
    aliases and events. Returns the ids of sources this archive now holds as the bag does."""
    name = "data/sources.jsonl"
    available: set[int] = set()
    merges: list[tuple[int, int]] = []
    events: list[dict[str, Any]] = []
    for record in jsonl(contents.path / "data" / "sources.jsonl", Path(name)):
        source = record["source"]
        pk, fields = source["pk"], source["fields"]
        here = (
            Source.objects.filter(pk=pk).first()
            or Source.objects.filter(slug=fields["slug"]).first()
        )
        if here is not None:
            if here.pk == pk and here.slug == fields["slug"]:
                available.add(pk)
            else:
                report.conflicts.append(
                    f"{name}: source {pk} ({fields['slug']}) differs from source {here.pk} "
                    f"({here.slug}) here; left as it is"
                )
            continue
        insert_record(source, merged_into_id=None)
        if fields.get("merged_into") is not None:
            merges.append((pk, fields["merged_into"]))
        for alias in record["aliases"]:
            insert_record(alias)
        events += record["events"]
        available.add(pk)
        report.sources += 1
    for pk, into in merges:
        Source.objects.filter(pk=pk).update(merged_into_id=into)
    for event in sorted(events, key=lambda event: event["pk"]):
        insert_record(event)
    return available


def _conflict(here: Document, fields: dict[str, Any]) -> list[str]:
    differing = []
    for name in _COMPARED:
        value = getattr(here, name)
        shown = value.isoformat() if hasattr(value, "isoformat") else value
        if shown != fields.get(name):
            differing.append(name)
    return differing


def _restore_documents(
    contents: BagContents,
    merge: bool,
    sources: set[int],
    report: ImportReport,
    progress: bool,
) -> list[int]:
    restored: list[int] = []
    stored: list[storage.StoredFile] = []
    bar = tqdm(total=len(contents.document_files), unit="doc", disable=not progress, desc="import")
    for file in contents.document_files:
        bar.update(1)
        name = f"data/documents/{file.name}"
        record = read_json(file, Path(name))
        document = record["document"]
        pk, fields = document["pk"], document["fields"]
        here = Document.objects.filter(sha256=fields["sha256"]).first()
        if here is not None:
            differing = _conflict(here, fields)
            if differing:
                report.conflicts.append(
                    f"{name}: document {here.pk} here has the same SHA-256 but a different "
                    f"{', '.join(differing)}; left as it is"
                )
            report.skipped += 1
            continue
        if Document.objects.filter(pk=pk).exists():
            report.conflicts.append(f"{name}: id {pk} is another document here; not imported")
            report.skipped += 1
            continue
        missing = [
            str(fields[key])
            for key in ("original_outlet", "reprinter")
            if fields.get(key) is not None and fields[key] not in sources
        ]
        if missing:
            report.conflicts.append(
                f"{name}: its source(s) {', '.join(missing)} differ here; not imported"
            )
            report.skipped += 1
            continue
        for sha256 in [fields["sha256"]] + [f["fields"]["sha256"] for f in record["facsimiles"]]:
            data = (contents.path / "data" / original_name(sha256)).read_bytes()
            if storage.sha256_hex(data) != sha256:
                raise BagRefused([f"data/{original_name(sha256)}: changed while importing"])
            stored.append(storage.store_original(data, sha256))
        insert_record(document)
        for event in record["events"]:
            insert_record(event)
        for facsimile in record["facsimiles"]:
            insert_record(facsimile)
        restored.append(pk)
        report.documents += 1
        report.events += len(record["events"])
        report.facsimiles += len(record["facsimiles"])
        if len(stored) >= _DURABLE_BATCH:
            storage.make_durable(stored)
            stored = []
    bar.close()
    storage.make_durable(stored)
    return restored


def _reset_sequences(models: list[Any]) -> None:
    """Rows inserted with their own ids leave PostgreSQL's sequences behind; move them on."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@transaction.atomic
def bag_import(
    *,
    path: Path,
    actor: Person | None,
    merge: bool = False,
    progress: bool = False,
    after_commit: Callable[[], None] | None = None,
) -> ImportReport:
    """Restore the bag at `path`. Into an empty archive everything is restored; otherwise
    only with `merge`, which adds what is missing and reports conflicts without changing a
    record already here. All or nothing: any problem rolls the whole import back."""
    contents = bag_verify(path)
    if not merge and not archive_is_empty():
        raise BagRefused(
            [
                f"{Path(path).name}: this archive is not empty; import_bag --merge adds what "
                "is missing and changes nothing here"
            ]
        )
    report = ImportReport()
    users = _restore_users(contents, merge, report)
    groups = _restore_groups(contents)
    sources = _restore_sources(contents, merge, report)
    restored = _restore_documents(contents, merge, sources, report, progress)
    restored_set = set(restored)
    for part in bag_parts():
        if part.name not in contents.parts:
            continue
        name = f"data/{part.name}.jsonl"
        records = list(jsonl(contents.path / "data" / f"{part.name}.jsonl", Path(name)))
        report.conflicts += [
            f"{name}: {conflict}"
            for conflict in part.restore_records(
                records=records,
                users=users,
                groups=groups,
                document_ids=restored_set,
                merge=merge,
            )
        ]
        report.parts[part.name] = len(records)
    models = [get_user_model(), Source, SourceAlias, SourceEvent, Document, ProvenanceEvent]
    models += [Facsimile] + [
        model_of(label) for part in bag_parts() for label in part.known_fields()
    ]
    _reset_sequences(models)

    checkpoint = contents.checkpoint
    agent = kaynak_agent("import_bag command")
    for document in Document.objects.filter(pk__in=restored).order_by("pk").iterator():
        provenance_record(
            document=document,
            event_type=EventType.RESTORED_FROM_BAG,
            actor=actor,
            agent=agent,
            detail={
                "bag": Path(path).name,
                "bagging_date": contents.info.get("Bagging-Date", ""),
                "payload_oxum": contents.info.get("Payload-Oxum", ""),
                "kaynak_version": contents.info.get("Kaynak-Version", ""),
                "checkpoint": (
                    {
                        "number": checkpoint["fields"]["number"],
                        "hash": checkpoint["fields"]["checkpoint_hash"],
                    }
                    if checkpoint
                    else None
                ),
            },
        )
    problems = [
        f"{chain.name} {owner}: {problem}"
        for chain in registered_chains()
        for owner, problem in chain.breaks(None).items()
    ]
    if problems:
        raise BagRefused([f"after restoring, a chain does not recompute: {p}" for p in problems])

    def rebuild() -> None:
        report.index_rebuilt = rebuild_search_index()
        if after_commit:
            after_commit()

    transaction.on_commit(rebuild)
    return report
