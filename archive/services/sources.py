from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from archive.ingest import SourceName
from archive.models import (
    Document,
    EventType,
    Source,
    SourceAlias,
    SourceEvent,
    SourceEventType,
    SourceKind,
)
from archive.services.provenance import kaynak_agent, provenance_record_many
from archive.text import normalize_name
from kaynak import hooks
from kaynak.chain import recorded_json
from kaynak.changes import UNCHANGED, Unchanged, field_changes, given, require_reason
from kaynak.errors import KaynakError
from kaynak.hooks import source_tags
from kaynak.preconditions import Stale
from kaynak.slugs import unique_slug
from kaynak.users import Person

# The source fields a curator edits, as a change event records them.
SOURCE_FIELDS = ("name", "kind", "description", "url")


def _clean(name: str) -> str:
    return " ".join(name.split())


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


def _record(
    *,
    source: Source,
    event_type: SourceEventType,
    actor: Person | None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    undoes: SourceEvent | None = None,
) -> SourceEvent:
    """Append an event to `source`'s hash-chained history, in the caller's transaction."""
    # Lock the source row so concurrent appends to one history queue instead of forking it.
    Source.objects.select_for_update().filter(pk=source.pk).values_list("pk").first()
    previous = (
        SourceEvent.objects.filter(source=source)
        .only("sequence", "event_hash")
        .order_by("-sequence")
        .first()
    )
    event = SourceEvent(
        source=source,
        sequence=previous.sequence + 1 if previous else 1,
        event_type=event_type,
        occurred_at=timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason,
        # Round-trip through JSON so the hash covers exactly what the database will return.
        detail=recorded_json(detail or {}),
        undoes=undoes,
        previous_hash=previous.event_hash if previous else "",
    )
    event.event_hash = event.compute_hash()
    event.save(force_insert=True)
    return event


def _check_live(source: Source, doing: str) -> None:
    if (merged_into := source.merged_into) is not None:
        raise KaynakError(
            f"cannot {doing} {source.name!r}: it was merged into {merged_into.name!r} "
            f"({merged_into.slug}); work on that source",
            code="source_merged",
            source=merged_into.slug,
        )


@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str = SourceKind.OTHER,
    aliases: Iterable[str] = (),
    description: str = "",
    url: str = "",
    actor: Person | None = None,
) -> Source:
    """A new source, its name and `aliases` all registered as aliases. A name that matches an
    existing alias (case- and diacritic-insensitively) is refused."""
    names = [_clean(name), *(_clean(alias) for alias in aliases)]
    check_source_names_free(names)
    source = Source.objects.create(
        name=names[0],
        slug=unique_slug(names[0], Source.objects.all(), fallback="source"),
        kind=kind,
        description=description,
        url=url,
    )
    keys = {normalize_name(alias_name): alias_name for alias_name in reversed(names)}
    SourceAlias.objects.bulk_create(
        SourceAlias(source=source, name=alias_name, normalized_name=key)
        for key, alias_name in keys.items()
    )
    _record(
        source=source,
        event_type=SourceEventType.CREATION,
        actor=actor,
        detail={
            "after": {field: getattr(source, field) for field in SOURCE_FIELDS},
            "aliases": sorted(keys.values()),
        },
    )
    return source


class StaleSource(Stale):
    """The client edited a source that someone else has changed since it read it."""


def source_etag(source: Source) -> str:
    """A tag of the source's editable state, to send back in If-Match."""
    state = {name: getattr(source, name) for name in SOURCE_FIELDS}
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:20]
    return f"{source.pk}.{digest}"


@transaction.atomic
def source_update(
    *,
    source: Source,
    actor: Person | None,
    reason: str = "",
    expected_etag: str | None = None,
    name: str | Unchanged = UNCHANGED,
    kind: str | Unchanged = UNCHANGED,
    description: str | Unchanged = UNCHANGED,
    url: str | Unchanged = UNCHANGED,
) -> Source:
    """Change a source's name, kind, description or url, recording before and after. A new
    name becomes an alias and the old one stays one, so documents that spell it the old way
    still resolve here. With `expected_etag` (the `source_etag` the editor read), refused as
    stale if someone changed it since. A field left UNCHANGED is not touched."""
    changes = given(name=name, kind=kind, description=description, url=url)
    source = (
        Source.objects.select_for_update(of=("self",))
        .select_related("merged_into")
        .get(pk=source.pk)
    )
    _check_live(source, "edit")
    if expected_etag is not None and expected_etag != source_etag(source):
        raise StaleSource(
            f"source {source.slug} was changed by someone else since you read it; "
            "read it again and redo your edit",
            current_etag=source_etag(source),
        )
    if "name" in changes:
        changes["name"] = _clean(changes["name"])
        check_source_names_free([changes["name"]], source=source)
    if "kind" in changes and changes["kind"] not in SourceKind.values:
        raise KaynakError(
            f"unknown kind {changes['kind']!r}; one of {', '.join(SourceKind.values)}",
            code="bad_kind",
        )
    changed = field_changes(source, changes, editable=SOURCE_FIELDS)
    if not changed:
        return source
    for field, (_, value) in changed.items():
        setattr(source, field, value)
    source.save(update_fields=list(changed))
    _record(
        source=source,
        event_type=SourceEventType.CHANGE,
        actor=actor,
        reason=reason,
        detail={
            "changes": {
                field: {"before": before, "after": after}
                for field, (before, after) in changed.items()
            }
        },
    )
    if "name" in changed:
        _alias_add(source=source, name=source.name, actor=actor)
        _reindex_documents_of([source.pk])
    return source


@transaction.atomic
def source_alias_add(*, source: Source, name: str, actor: Person | None) -> SourceAlias:
    source = Source.objects.select_related("merged_into").get(pk=source.pk)
    _check_live(source, "add an alias to")
    alias, created = _alias_add(source=source, name=name, actor=actor)
    if created:
        _reindex_documents_of([source.pk])
    return alias


def _alias_add(*, source: Source, name: str, actor: Person | None) -> tuple[SourceAlias, bool]:
    name = _clean(name)
    check_source_names_free([name], source=source)
    alias, created = SourceAlias.objects.get_or_create(
        normalized_name=normalize_name(name), defaults={"source": source, "name": name}
    )
    if created:
        _record(
            source=source,
            event_type=SourceEventType.ALIAS_ADDED,
            actor=actor,
            detail={"alias": {"id": alias.pk, "name": alias.name}},
        )
    return alias, created


@transaction.atomic
def source_alias_remove(*, alias: SourceAlias, actor: Person | None) -> None:
    source = Source.objects.select_related("merged_into").get(pk=alias.source_id)
    _check_live(source, "remove an alias of")
    if alias.normalized_name == normalize_name(source.name):
        raise KaynakError(
            f"{alias.name!r} is the source's own name; rename the source first",
            code="alias_is_name",
        )
    _record(
        source=source,
        event_type=SourceEventType.ALIAS_REMOVED,
        actor=actor,
        detail={"alias": {"id": alias.pk, "name": alias.name}},
    )
    alias.delete()
    _reindex_documents_of([source.pk])


def _affected_documents(source_ids: Iterable[int]) -> list[int]:
    """Documents whose index entries carry these sources' names: those they published or
    reprinted (`outlet:`, `reprinter:`) and those whose annotations attribute passages to
    them (`source:`)."""
    ids = list(source_ids)
    return list(
        Document.objects.filter(
            Q(original_outlet__in=ids)
            | Q(reprinter__in=ids)
            | Q(annotations__source_tags__source__in=ids)
        )
        .values_list("pk", flat=True)
        .distinct()
    )


def _reindex_documents_of(source_ids: Iterable[int]) -> None:
    hooks.documents_changed(_affected_documents(source_ids))


@transaction.atomic
def source_merge(
    *, sources: Sequence[Source], into: Source, actor: Person | None, reason: str
) -> SourceEvent:
    """Merge `sources` into `into`: their documents and source tags point to `into`, their
    names become its aliases, and they stay as tombstones pointing to it. The event records
    every pointer and alias moved, for `source_unmerge`."""
    reason = require_reason(reason, "merge")
    ids = sorted({source.pk for source in sources})
    if not ids:
        raise KaynakError("choose at least one source to merge", code="nothing_to_merge")
    locked = Source.objects.select_for_update(of=("self",)).select_related("merged_into")
    found = locked.in_bulk([*ids, into.pk])
    if len(found) != len({*ids, into.pk}):
        raise KaynakError("a source to merge no longer exists", code="no_such_source")
    into = found[into.pk]
    merged = [found[pk] for pk in ids]
    if into.pk in ids:
        raise KaynakError(
            f"cannot merge {into.name!r} into itself", code="merge_into_self", source=into.slug
        )
    if (into_merged_into := into.merged_into) is not None:
        looped = next((source for source in merged if source.pk == into.merged_into_id), None)
        if looped is not None:
            raise KaynakError(
                f"{into.name!r} was merged into {looped.name!r}; merging {looped.name!r} into "
                f"it would make a cycle",
                code="merge_cycle",
            )
        raise KaynakError(
            f"cannot merge into {into.name!r}: it was itself merged into "
            f"{into_merged_into.name!r}; merge into that one",
            code="merge_into_tombstone",
            source=into_merged_into.slug,
        )
    for source in merged:
        if (merged_into := source.merged_into) is not None:
            raise KaynakError(
                f"{source.name!r} was already merged into {merged_into.name!r}",
                code="already_merged",
                source=source.slug,
            )

    affected = _affected_documents([*ids, into.pk])
    outlet_moves = list(
        Document.objects.filter(original_outlet__in=ids).values_list("pk", "original_outlet_id")
    )
    reprinter_moves = list(
        Document.objects.filter(reprinter__in=ids).values_list("pk", "reprinter_id")
    )
    # The passages attributed to these sources belong to the annotations app, above this one.
    tag_moves, tag_removals = source_tags().merge_plan(source_ids=ids, into_id=into.pk)
    alias_moves = list(SourceAlias.objects.filter(source__in=ids).values_list("pk", "source_id"))
    tombstone_moves = list(
        Source.objects.filter(merged_into__in=ids).values_list("pk", "merged_into_id")
    )

    source_tags().merge_apply(
        moves=tag_moves,
        removals=tag_removals,
        into_id=into.pk,
        actor=actor,
        reason=f"source merge into {into.name!r}: {reason}",
    )
    Document.objects.filter(original_outlet__in=ids).update(original_outlet=into)
    Document.objects.filter(reprinter__in=ids).update(reprinter=into)
    SourceAlias.objects.filter(source__in=ids).update(source=into)
    # Earlier tombstones of the merged sources point straight to the target: no chains.
    Source.objects.filter(merged_into__in=ids).update(merged_into=into)
    Source.objects.filter(pk__in=ids).update(merged_into=into)

    event = _record(
        source=into,
        event_type=SourceEventType.MERGE,
        actor=actor,
        reason=reason,
        detail={
            "sources": [
                {"id": source.pk, "name": source.name, "slug": source.slug} for source in merged
            ],
            "documents_as_outlet": [list(move) for move in outlet_moves],
            "documents_as_reprinter": [list(move) for move in reprinter_moves],
            "source_tags": tag_moves,
            "source_tags_removed": tag_removals,
            "aliases": [list(move) for move in alias_moves],
            "tombstones": [list(move) for move in tombstone_moves],
        },
    )
    _record_document_moves(
        outlet_moves=[(pk, found, into.pk) for pk, found in outlet_moves],
        reprinter_moves=[(pk, found, into.pk) for pk, found in reprinter_moves],
        sources={source.pk: source for source in [*merged, into]},
        cause={"source_merge": event.pk},
        actor=actor,
    )
    hooks.documents_changed(affected)
    return event


def _record_document_moves(
    *,
    outlet_moves: list[tuple[int, int, int]],
    reprinter_moves: list[tuple[int, int, int]],
    sources: dict[int, Source],
    cause: dict[str, int],
    actor: Person | None,
) -> None:
    """A metadata_change event on every document a merge or unmerge repointed, with the
    before and after of its outlet and reprinter and the source event that did it:
    moves are (document id, source before, source after)."""
    details: dict[int, dict[str, Any]] = {}
    for field, moves in (("original_outlet", outlet_moves), ("reprinter", reprinter_moves)):
        for document_id, before, after in moves:
            detail = details.setdefault(document_id, {**cause, "changes": {}})
            detail["changes"][field] = {
                "before": _named(sources, before),
                "after": _named(sources, after),
            }
    provenance_record_many(
        details=details,
        event_type=EventType.METADATA_CHANGE,
        actor=actor,
        agent=kaynak_agent("source merge" if "source_merge" in cause else "source unmerge"),
    )


def _by_value(pairs: Iterable[Sequence[int]]) -> dict[int, list[int]]:
    """[[key, value], ...] grouped as {value: [key, ...]}."""
    grouped: dict[int, list[int]] = {}
    for key, value in pairs:
        grouped.setdefault(value, []).append(key)
    return grouped


def _named(sources: dict[int, Source], pk: int) -> dict[str, Any]:
    """A source as metadata changes record it."""
    return {"id": pk, "name": sources[pk].name}


@transaction.atomic
def source_unmerge(*, event: SourceEvent, actor: Person | None, reason: str) -> SourceEvent:
    """Undo the merge `event` recorded: put back exactly the pointers and aliases it moved.
    Refused, naming each conflict, when later edits changed any of them."""
    reason = require_reason(reason, "undo the merge")
    event = SourceEvent.objects.select_related("source").get(pk=event.pk)
    if event.event_type != SourceEventType.MERGE:
        raise KaynakError(
            f"event {event.pk} is a {event.event_type}, not a merge", code="not_a_merge"
        )
    into = (
        Source.objects.select_for_update(of=("self",))
        .select_related("merged_into")
        .get(pk=event.source_id)
    )
    if SourceEvent.objects.filter(undoes=event).exists():
        raise KaynakError(f"merge {event.pk} was already undone", code="already_unmerged")
    detail = event.detail
    merged_ids = [source["id"] for source in detail["sources"]]
    merged = Source.objects.select_for_update().in_bulk(merged_ids)

    conflicts = []
    if (into_merged_into := into.merged_into) is not None:
        conflicts.append(
            f"{into.name!r} was since merged into {into_merged_into.name!r}; undo that first"
        )
    for source in detail["sources"]:
        current = merged.get(source["id"])
        if current is None or current.merged_into_id != into.pk:
            conflicts.append(f"source {source['name']!r} no longer points to {into.name!r}")
    for field, key in (
        ("original_outlet", "documents_as_outlet"),
        ("reprinter", "documents_as_reprinter"),
    ):
        moved = dict(detail[key])
        elsewhere = (
            Document.objects.filter(pk__in=moved)
            .exclude(**{field: into})
            .values_list("pk", flat=True)
        )
        conflicts += [
            f"document {pk}'s {field.replace('_', ' ')} was changed since the merge"
            for pk in sorted(elsewhere)
        ]
    conflicts += source_tags().unmerge_conflicts(moves=detail["source_tags"], into_id=into.pk)
    moved_aliases = dict(detail["aliases"])
    aliases = SourceAlias.objects.in_bulk(moved_aliases)
    for pk in sorted(moved_aliases):
        alias = aliases.get(pk)
        if alias is None or alias.source_id != into.pk:
            conflicts.append(f"alias {pk} was removed or moved since the merge")
    moved_tombstones = dict(detail["tombstones"])
    repointed = Source.objects.filter(pk__in=moved_tombstones, merged_into=into).count()
    if repointed != len(moved_tombstones):
        conflicts.append("a source merged earlier no longer points to the target")
    if any(alias.normalized_name == normalize_name(into.name) for alias in aliases.values()):
        conflicts.append(f"{into.name!r} was renamed to a name the merge brought; rename it back")
    if conflicts:
        raise KaynakError(
            f"cannot undo merge {event.pk}: "
            + "; ".join(conflicts[:10])
            + (f"; and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""),
            code="unmerge_conflict",
            conflicts=conflicts,
        )

    Source.objects.filter(pk__in=merged_ids).update(merged_into=None)
    for tombstone, previous in moved_tombstones.items():
        Source.objects.filter(pk=tombstone).update(merged_into=previous)
    for alias_id, source_id in moved_aliases.items():
        SourceAlias.objects.filter(pk=alias_id).update(source=source_id)
    # One UPDATE per source put back, not per document.
    for field, key in (
        ("original_outlet", "documents_as_outlet"),
        ("reprinter", "documents_as_reprinter"),
    ):
        for source_id, document_ids in _by_value(detail[key]).items():
            Document.objects.filter(pk__in=document_ids).update(**{field: source_id})
    source_tags().unmerge_apply(
        moves=detail["source_tags"],
        removals=detail["source_tags_removed"],
        actor=actor,
        reason=f"undoing source merge {event.pk} into {into.name!r}: {reason}",
    )
    unmerge = _record(
        source=into,
        event_type=SourceEventType.UNMERGE,
        actor=actor,
        reason=reason,
        undoes=event,
        detail={"sources": detail["sources"]},
    )
    _record_document_moves(
        outlet_moves=[(pk, into.pk, back) for pk, back in detail["documents_as_outlet"]],
        reprinter_moves=[(pk, into.pk, back) for pk, back in detail["documents_as_reprinter"]],
        sources={into.pk: into, **merged},
        cause={"source_unmerge": unmerge.pk},
        actor=actor,
    )
    _reindex_documents_of([into.pk, *merged_ids])
    return unmerge


def sources_resolve(
    references: Iterable[SourceName], *, actor: Person | None = None
) -> dict[SourceName, Source]:
    """The sources documents name, found through the aliases in one query, or created (of
    the kind the layout implies) when none of a reference's names matches; `actor` (the
    uploader) is recorded as the creator of a new one."""
    keys = {
        reference: [normalize_name(name) for name in (reference.name, *reference.aliases)]
        for reference in set(references)
    }
    known = {
        alias.normalized_name: alias.source
        for alias in SourceAlias.objects.filter(
            normalized_name__in={key for names in keys.values() for key in names}
        ).select_related("source")
    }
    resolved = {}
    # In a fixed order, so that two processes creating the same sources take the database's
    # locks in the same order and wait for each other instead of deadlocking.
    for reference, names in sorted(keys.items(), key=lambda item: item[1]):
        source = next((known[key] for key in names if key in known), None)
        if source is None:
            source = _source_create_once(reference, names, actor)
            known.update(dict.fromkeys(names, source))
        resolved[reference] = source
    return resolved


def _source_create_once(
    reference: SourceName, keys: list[str], actor: Person | None = None
) -> Source:
    try:
        with transaction.atomic():
            return source_create(
                name=reference.name, kind=reference.kind, aliases=reference.aliases, actor=actor
            )
    except (IntegrityError, KaynakError):
        # Another process created it between our look-up and our insert (its uncommitted
        # row made ours fail, or its committed alias made the name taken).
        alias = (
            SourceAlias.objects.select_related("source").filter(normalized_name__in=keys).first()
        )
        if alias is None:
            raise
        return alias.source
