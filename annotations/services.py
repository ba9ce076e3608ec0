"""Writes to annotations. Each change takes the annotation's row lock, checks the version the
client last read, raises the version, writes an append-only revision, and re-indexes the
document after commit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.utils import timezone

from annotations.anchoring import OffsetUnit, Span, span_from_offsets, span_from_quote
from annotations.models import (
    COMMENT_MAX_LENGTH,
    IMPORTED_CREATOR_MAX_LENGTH,
    IRI_MAX_LENGTH,
    Annotation,
    AnnotationRevision,
    Reply,
    ReplyRevision,
    RevisionAction,
    SourceRole,
    SourceTag,
    Tag,
    Visibility,
)
from annotations.permissions import (
    can_create_curated_tag,
    can_delete,
    can_edit,
    can_edit_reply,
    can_hide,
)
from archive.models import Document, Source
from archive.text import normalize_name
from kaynak import hooks
from kaynak.chain import recorded_json
from kaynak.changes import UNCHANGED, Unchanged, given
from kaynak.errors import KaynakError
from kaynak.hooks import TagMove, TagRemoval
from kaynak.preconditions import Stale
from kaynak.slugs import unique_slug
from kaynak.users import Person


class AnnotationRefused(KaynakError):
    code = "invalid_annotation"


class StaleAnnotation(Stale):
    """The client edited a version that is no longer current."""


class NotAllowed(KaynakError):
    code = "forbidden"
    status_code = 403


@dataclass(frozen=True)
class SourceTagInput:
    source: str  # slug
    role: str = SourceRole.MENTIONED


# --- Inputs ----------------------------------------------------------------------------------


def _check_comment(comment: str) -> None:
    if len(comment) > COMMENT_MAX_LENGTH:
        raise AnnotationRefused(
            f"the comment is {len(comment):,} characters long; at most {COMMENT_MAX_LENGTH:,}",
            fields={"comment": [f"at most {COMMENT_MAX_LENGTH:,} characters"]},
        )


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def _check_iris(*, canonical: str, via: Sequence[str]) -> None:
    """`canonical` and every `via` are absolute IRIs (a scheme, no spaces), of a length the
    column holds."""

    def bad(value: object) -> bool:
        return not (
            isinstance(value, str) and len(value) <= IRI_MAX_LENGTH and _IRI.fullmatch(value)
        )

    problems = {
        name: [f"absolute IRIs of at most {IRI_MAX_LENGTH:,} characters, without spaces"]
        for name, values in (("canonical", [canonical] if canonical else []), ("via", via))
        if any(bad(value) for value in values)
    }
    if problems:
        raise AnnotationRefused(f"{' and '.join(problems)}: not an absolute IRI", fields=problems)


def _check_imported(*, imported_from: str, imported_creator: str) -> None:
    problems = {
        name: [f"at most {limit:,} characters"]
        for name, value, limit in (
            ("imported_from", imported_from, IRI_MAX_LENGTH),
            ("imported_creator", imported_creator, IMPORTED_CREATOR_MAX_LENGTH),
        )
        if len(value) > limit
    }
    if problems:
        raise AnnotationRefused(f"{' and '.join(problems)}: too long", fields=problems)


def _resolve_tags(names: Iterable[str]) -> list[Tag]:
    wanted = {normalize_name(name): name for name in names}
    found = {tag.normalized_name: tag for tag in Tag.objects.filter(normalized_name__in=wanted)}
    unknown = [name for key, name in wanted.items() if key not in found]
    if unknown:
        raise AnnotationRefused(
            f"unknown tag {', '.join(map(repr, unknown))}; create it first (POST /api/tags/)",
            fields={"tags": [f"unknown tag {name!r}" for name in unknown]},
        )
    return list(found.values())


def _resolve_sources(source_tags: Iterable[SourceTagInput]) -> list[tuple[Source, str]]:
    source_tags = list(source_tags)
    sources = Source.objects.select_related("merged_into").in_bulk(
        {item.source for item in source_tags}, field_name="slug"
    )
    problems, resolved = [], []
    for item in source_tags:
        source = sources.get(item.source)
        if item.role not in SourceRole.values:
            problems.append(f"unknown role {item.role!r}; roles: {', '.join(SourceRole.values)}")
        elif source is None:
            problems.append(f"unknown source {item.source!r}")
        elif (merged_into := source.merged_into) is not None:
            problems.append(
                f"the source {source.name!r} was merged into {merged_into.name!r} "
                f"({merged_into.slug}); tag that one"
            )
        else:
            resolved.append((source, item.role))
    if problems:
        raise AnnotationRefused("; ".join(problems), fields={"source_tags": problems})
    return list(dict.fromkeys(resolved))


def _resolve_group(visibility: str, group_id: int | None, user: Person) -> Group | None:
    if visibility not in Visibility.values:
        raise AnnotationRefused(
            f"unknown visibility {visibility!r}",
            fields={"visibility": [f"one of {', '.join(Visibility.values)}"]},
        )
    if visibility != Visibility.GROUP:
        if group_id is not None:
            raise AnnotationRefused(
                "a group is given only with group visibility",
                fields={"group": ["only with visibility 'group'"]},
            )
        return None
    if group_id is None:
        raise AnnotationRefused(
            "group visibility needs a group", fields={"group": ["required with visibility 'group'"]}
        )
    group = user.groups.filter(pk=group_id).first()
    if group is None:
        raise AnnotationRefused(
            f"unknown group {group_id}, or you are not a member of it",
            fields={"group": [f"no group {group_id} of which you are a member"]},
        )
    return group


# --- History ---------------------------------------------------------------------------------


def _snapshot(annotation: Annotation) -> dict[str, Any]:
    # Labels a service has just written are on the instance (see _set_labels); others are
    # read from the database.
    tags = getattr(annotation, "tag_list", None)
    if tags is None:
        tags = annotation.tags.all()
    source_tags = getattr(annotation, "source_tag_list", None)
    if source_tags is None:
        source_tags = annotation.source_tags.select_related("source")
    return {
        "start": annotation.start,
        "end": annotation.end,
        "quote": annotation.quote,
        "comment": annotation.comment,
        "visibility": annotation.visibility,
        "group": annotation.group_id,
        "tags": sorted(tag.name for tag in tags),
        "source_tags": sorted(
            [source_tag.source.slug, source_tag.role] for source_tag in source_tags
        ),
        "hidden": annotation.hidden_at is not None,
        # Only where the annotation was posted with them, so the revisions of the many
        # annotations without them stay as they were.
        **({"canonical": annotation.canonical} if annotation.canonical else {}),
        **({"via": list(annotation.via)} if annotation.via else {}),
        **({"imported_from": annotation.imported_from} if annotation.imported_from else {}),
        **(
            {"imported_creator": annotation.imported_creator} if annotation.imported_creator else {}
        ),
    }


def _record(
    annotation: Annotation,
    *,
    action: RevisionAction,
    actor: Person,
    before: dict[str, Any] | None,
    reason: str = "",
) -> None:
    after = _snapshot(annotation) if action != RevisionAction.DELETED else {}
    previous_hash = (
        AnnotationRevision.objects.filter(annotation=annotation, version=annotation.version - 1)
        .values_list("revision_hash", flat=True)
        .first()
    )
    _revision(
        annotation,
        action=action,
        actor=actor,
        before=before,
        after=after,
        reason=reason,
        previous_hash=previous_hash or "",
    ).save(force_insert=True)
    if _searchable(before) or _searchable(after):
        hooks.annotations_changed([annotation.pk])


def _revision(
    annotation: Annotation,
    *,
    action: RevisionAction,
    actor: Person | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    reason: str,
    previous_hash: str,
) -> AnnotationRevision:
    """An unsaved revision at the annotation's version, chained to `previous_hash` (the
    revision before it; the caller holds the annotation's row lock), its hash computed."""
    keys = sorted(set(before or {}) | set(after))
    changes = {
        key: {"before": (before or {}).get(key), "after": after.get(key)}
        for key in keys
        if (before or {}).get(key) != after.get(key)
    }
    revision = AnnotationRevision(
        annotation=annotation,
        version=annotation.version,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        occurred_at=timezone.now(),
        # Round-trip through JSON so the hash covers exactly what the database will return.
        changes=recorded_json(changes),
        reason=reason,
        previous_hash=previous_hash,
    )
    revision.revision_hash = revision.compute_hash()
    return revision


def _searchable(snapshot: dict[str, Any] | None) -> bool:
    """Whether this state of an annotation puts terms in the search index (see
    selectors.search_terms): public, not hidden, with tags or source tags."""
    return bool(
        snapshot
        and snapshot["visibility"] == Visibility.PUBLIC
        and not snapshot["hidden"]
        and (snapshot["tags"] or snapshot["source_tags"])
    )


def _locked(annotation: Annotation, expected_version: int) -> Annotation:
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if current.deleted_at is not None:
        raise AnnotationRefused("the annotation was deleted", code="deleted")
    if current.version != expected_version:
        raise StaleAnnotation(
            f"the annotation was changed by someone else (you edited version "
            f"{expected_version}; it is now at version {current.version})",
            current_version=current.version,
        )
    return current


def _set_labels(
    annotation: Annotation, tags: list[Tag] | None, sources: list[tuple[Source, str]] | None
) -> None:
    """Replace the labels given (None: leave them), and keep what was written on the
    instance, as `tag_list` and `source_tag_list`, for the revision's snapshot."""
    if tags is not None:
        annotation.tags.set(tags)
        annotation.tag_list = list(tags)
    if sources is not None:
        annotation.source_tags.all().delete()
        annotation.source_tag_list = SourceTag.objects.bulk_create(
            SourceTag(annotation=annotation, source=source, role=role) for source, role in sources
        )


def _proposed(
    annotation: Annotation, tags: list[Tag] | None, sources: list[tuple[Source, str]] | None
) -> dict[str, Any]:
    """The snapshot `annotation` would have with these labels, before anything is written."""
    if tags is not None:
        annotation.tag_list = list(tags)
    if sources is not None:
        annotation.source_tag_list = [
            SourceTag(annotation=annotation, source=source, role=role) for source, role in sources
        ]
    return _snapshot(annotation)


# --- Services --------------------------------------------------------------------------------


@transaction.atomic
def annotation_create(
    *,
    document: Document,
    creator: Person,
    start: int | None = None,
    end: int | None = None,
    quote: str | None = None,
    prefix: str = "",
    suffix: str = "",
    offset_unit: OffsetUnit = OffsetUnit.CODEPOINT,
    comment: str = "",
    visibility: str = Visibility.PRIVATE,
    group: int | None = None,
    tags: Sequence[str] = (),
    source_tags: Sequence[SourceTagInput] = (),
    page_note: bool = False,
    canonical: str = "",
    via: Sequence[str] = (),
    imported_from: str = "",
    imported_creator: str = "",
) -> Annotation:
    """Annotate a span: by offsets (and the quote found there, if given), or by a quote
    with its prefix and suffix, which must occur exactly once; or, as a page note, the
    whole document (no span, no quote). `canonical` and `via` are the IRIs a Web Annotation
    copied from elsewhere was posted with; they never change, nor do `imported_from` and
    `imported_creator` (an imported annotation's id and creator where it came from)."""
    if page_note:
        spanned = [
            name
            for name, value in (("start", start), ("end", end), ("quote", quote))
            if value not in (None, "")
        ] + [name for name, value in (("prefix", prefix), ("suffix", suffix)) if value]
        if spanned:
            raise AnnotationRefused(
                "a page note is on the whole document: give no span, quote or context",
                fields={name: ["not with page_note"] for name in spanned},
            )
        span: Span | None = None
    elif start is not None or end is not None:
        if start is None or end is None:
            missing = "start" if start is None else "end"
            raise AnnotationRefused(
                "give both start and end", fields={missing: ["required with the other offset"]}
            )
        span = span_from_offsets(document.text, start, end, quote=quote, unit=offset_unit)
    elif quote:
        span = span_from_quote(document.text, quote, prefix=prefix, suffix=suffix)
    else:
        raise AnnotationRefused(
            "give the offsets (start, end) or the quote to anchor the annotation, or "
            "page_note for a note on the whole document",
            fields={"quote": ["required without start and end"]},
        )
    _check_comment(comment)
    _check_iris(canonical=canonical, via=via)
    _check_imported(imported_from=imported_from, imported_creator=imported_creator)
    resolved_group = _resolve_group(visibility, group, creator)
    resolved_tags = _resolve_tags(tags)
    resolved_sources = _resolve_sources(source_tags)
    annotation = Annotation.objects.create(
        document=document,
        start=span.start if span else None,
        end=span.end if span else None,
        quote=span.quote if span else "",
        prefix=span.prefix if span else "",
        suffix=span.suffix if span else "",
        comment=comment,
        visibility=visibility,
        group=resolved_group,
        creator=creator,
        canonical=canonical,
        via=list(dict.fromkeys(via)),
        imported_from=imported_from,
        imported_creator=imported_creator,
    )
    if resolved_tags:
        annotation.tags.add(*resolved_tags)
    annotation.source_tag_list = SourceTag.objects.bulk_create(
        SourceTag(annotation=annotation, source=source, role=role)
        for source, role in resolved_sources
    )
    annotation.tag_list = list(resolved_tags)
    _record(annotation, action=RevisionAction.CREATED, actor=creator, before=None)
    return annotation


@transaction.atomic
def annotation_update(
    *,
    annotation: Annotation,
    actor: Person,
    expected_version: int,
    comment: str | Unchanged = UNCHANGED,
    visibility: str | Unchanged = UNCHANGED,
    group: int | Unchanged | None = UNCHANGED,
    tags: Sequence[str] | Unchanged = UNCHANGED,
    source_tags: Sequence[SourceTagInput] | Unchanged = UNCHANGED,
) -> Annotation:
    """Change what the creator says of a span (its comment, labels and visibility); a field
    left UNCHANGED is not touched. Only the creator may; the span itself does not change
    (annotate the new span instead: there is no argument for it)."""
    changes = given(
        comment=comment,
        visibility=visibility,
        group=group,
        tags=tags,
        source_tags=source_tags,
    )
    current = _locked(annotation, expected_version)
    if not can_edit(actor, current):
        raise NotAllowed("only the annotation's creator may edit it")
    before = _snapshot(current)
    if "comment" in changes:
        _check_comment(changes["comment"])
        current.comment = changes["comment"]
    if "visibility" in changes or "group" in changes:
        new_visibility = changes.get("visibility", current.visibility)
        # Leaving group visibility leaves the group, unless the client names one anyway.
        kept = current.group_id if new_visibility == Visibility.GROUP else None
        current.group = _resolve_group(new_visibility, changes.get("group", kept), actor)
        current.visibility = new_visibility
    new_tags = _resolve_tags(changes["tags"]) if "tags" in changes else None
    new_sources = _resolve_sources(changes["source_tags"]) if "source_tags" in changes else None
    if _proposed(current, new_tags, new_sources) == before:
        return current  # nothing changes: no new version, no empty revision
    current.version += 1
    current.save()
    _set_labels(current, new_tags, new_sources)
    _record(current, action=RevisionAction.UPDATED, actor=actor, before=before)
    return current


@transaction.atomic
def annotation_delete(
    *, annotation: Annotation, actor: Person, expected_version: int, reason: str = ""
) -> Annotation:
    """Delete (the history stays). The creator may; a curator may, giving the reason."""
    current = _locked(annotation, expected_version)
    if not can_delete(actor, current):
        raise NotAllowed("only the annotation's creator or a curator may delete it")
    curator_deleting = not can_edit(actor, current)
    if curator_deleting and not reason.strip():
        raise AnnotationRefused(
            "a curator deleting someone's annotation must give the reason",
            fields={"reason": ["required"]},
        )
    before = _snapshot(current)
    current.version += 1
    current.deleted_at, current.deleted_by, current.deletion_reason = timezone.now(), actor, reason
    current.save()
    _record(current, action=RevisionAction.DELETED, actor=actor, before=before, reason=reason)
    return current


@transaction.atomic
def annotation_hide(*, annotation: Annotation, actor: Person, reason: str) -> Annotation:
    """A curator hides an annotation from everyone but its creator, saying why."""
    if not reason.strip():
        raise AnnotationRefused("give the reason for hiding", fields={"reason": ["required"]})
    return _set_hidden(annotation, actor=actor, reason=reason, hidden=True)


@transaction.atomic
def annotation_unhide(*, annotation: Annotation, actor: Person, reason: str = "") -> Annotation:
    """A curator shows a hidden annotation to its readers again."""
    return _set_hidden(annotation, actor=actor, reason=reason, hidden=False)


def _set_hidden(annotation: Annotation, *, actor: Person, reason: str, hidden: bool) -> Annotation:
    if not can_hide(actor):
        raise NotAllowed("only curators may hide annotations")
    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    before = _snapshot(current)
    current.version += 1
    current.hidden_at = timezone.now() if hidden else None
    current.hidden_by = actor if hidden else None
    current.hidden_reason = reason if hidden else ""
    current.save()
    action = RevisionAction.HIDDEN if hidden else RevisionAction.UNHIDDEN
    _record(current, action=action, actor=actor, before=before, reason=reason)
    return current


def _check_reply_body(body: str) -> None:
    if not body.strip():
        raise AnnotationRefused("a reply needs some text", fields={"body": ["required"]})
    if len(body) > COMMENT_MAX_LENGTH:
        raise AnnotationRefused(
            f"a reply has at most {COMMENT_MAX_LENGTH:,} characters",
            fields={"body": [f"at most {COMMENT_MAX_LENGTH:,} characters"]},
        )


class StaleReply(Stale):
    """The client edited a version of the reply that is no longer current."""


def _record_reply(
    reply: Reply,
    *,
    action: RevisionAction,
    actor: Person,
    changes: dict[str, Any],
    reason: str = "",
) -> None:
    ReplyRevision.objects.create(
        reply=reply,
        version=reply.version,
        action=action,
        actor=actor,
        changes=recorded_json(changes),
        reason=reason,
    )


def _locked_reply(reply: Reply, expected_version: int | None) -> Reply:
    current = Reply.objects.select_for_update().get(pk=reply.pk)
    if current.deleted_at is not None:
        raise AnnotationRefused("the reply was deleted", code="deleted")
    if expected_version is not None and current.version != expected_version:
        raise StaleReply(
            f"the reply was changed meanwhile (you edited version {expected_version}; it is "
            f"now at version {current.version})",
            current_version=current.version,
        )
    return current


@transaction.atomic
def reply_create(*, annotation: Annotation, author: Person, body: str) -> Reply:
    _check_reply_body(body)
    reply = Reply.objects.create(annotation=annotation, author=author, body=body)
    _record_reply(
        reply, action=RevisionAction.CREATED, actor=author, changes={"body": {"after": body}}
    )
    return reply


@transaction.atomic
def reply_update(*, reply: Reply, actor: Person, expected_version: int, body: str) -> Reply:
    """Its author rewrites a reply; the revision keeps the words before and after."""
    current = _locked_reply(reply, expected_version)
    if not can_edit_reply(actor, current):
        raise NotAllowed("only the reply's author may edit it")
    _check_reply_body(body)
    if body == current.body:
        return current  # nothing changes: no new version, no empty revision
    before = current.body
    current.body, current.modified_at = body, timezone.now()
    current.version += 1
    current.save(update_fields=["body", "modified_at", "version"])
    _record_reply(
        current,
        action=RevisionAction.UPDATED,
        actor=actor,
        changes={"body": {"before": before, "after": body}},
    )
    return current


@transaction.atomic
def reply_delete(*, reply: Reply, actor: Person, expected_version: int) -> Reply:
    """Its author deletes a reply: it leaves the thread, its history stays."""
    current = _locked_reply(reply, expected_version)
    if not can_edit_reply(actor, current):
        raise NotAllowed("only the reply's author may delete it (a curator may hide it)")
    current.deleted_at = timezone.now()
    current.version += 1
    current.save(update_fields=["deleted_at", "version"])
    _record_reply(
        current,
        action=RevisionAction.DELETED,
        actor=actor,
        changes={"body": {"before": current.body}},
    )
    return current


@transaction.atomic
def reply_hide(*, reply: Reply, actor: Person, reason: str, hidden: bool = True) -> Reply:
    """A curator hides a reply from everyone but its author (saying why), or shows it again."""
    if not can_hide(actor):
        raise NotAllowed("only curators may hide replies")
    if hidden and not reason.strip():
        raise AnnotationRefused("give the reason for hiding", fields={"reason": ["required"]})
    current = _locked_reply(reply, None)
    was_hidden = current.hidden_at is not None
    if was_hidden == hidden:
        return current
    current.hidden_at = timezone.now() if hidden else None
    current.hidden_reason = reason if hidden else ""
    current.version += 1
    current.save(update_fields=["hidden_at", "hidden_reason", "version"])
    _record_reply(
        current,
        action=RevisionAction.HIDDEN if hidden else RevisionAction.UNHIDDEN,
        actor=actor,
        changes={"hidden": {"before": was_hidden, "after": hidden}},
        reason=reason,
    )
    return current


@transaction.atomic
def tag_create(*, name: str, actor: Person, curated: bool = False) -> Tag:
    """A new tag. Anyone may make a free tag; only curators make curated ones."""
    name = " ".join(name.split())
    key = normalize_name(name)
    if not key:
        raise AnnotationRefused("a tag needs letters or digits", fields={"name": ["required"]})
    if curated and not can_create_curated_tag(actor):
        raise NotAllowed("only curators may create curated tags")
    existing = Tag.objects.filter(normalized_name=key).first()
    if existing:
        raise AnnotationRefused(
            f"the tag {existing.name!r} exists already",
            code="tag_exists",
            fields={"name": [f"exists already as {existing.name!r}"]},
            tag=existing.slug,
        )
    slug = unique_slug(name, Tag.objects.all(), fallback="tag")
    try:
        with transaction.atomic():
            return Tag.objects.create(
                name=name, slug=slug, normalized_name=key, curated=curated, created_by=actor
            )
    except IntegrityError:
        raise AnnotationRefused(f"the tag {name!r} exists already", code="tag_exists") from None


# --- Source merges ---------------------------------------------------------------------------
# A merge of sources (archive.services.source_merge) hands its source tags over to these,
# through kaynak.hooks (registered in AnnotationsConfig.ready()).


def source_tags_merge_plan(
    *, source_ids: Sequence[int], into_id: int
) -> tuple[list[TagMove], list[TagRemoval]]:
    """The tags naming `source_ids` move to `into_id`; where an annotation would then carry
    the same (source, role) twice, one is kept and the others removed (recorded to
    restore)."""
    tags = list(
        SourceTag.objects.filter(source__in=source_ids)
        .order_by("pk")
        .values_list("pk", "annotation_id", "source_id", "role")
    )
    kept = set(
        SourceTag.objects.filter(
            source=into_id, annotation__in={annotation for _, annotation, _, _ in tags}
        ).values_list("annotation_id", "role")
    )
    moves, removals = [], []
    for pk, annotation, source_id, role in tags:
        if (annotation, role) in kept:
            removals.append({"id": pk, "annotation": annotation, "source": source_id, "role": role})
        else:
            kept.add((annotation, role))
            moves.append([pk, source_id])
    return moves, removals


def source_tags_merge_apply(
    *,
    moves: Sequence[TagMove],
    removals: Sequence[TagRemoval],
    into_id: int,
    actor: Person | None,
    reason: str,
) -> None:
    moved = [pk for pk, _ in moves]
    with _revised_by_merge(
        _annotations_of(moved) | {tag["annotation"] for tag in removals}, actor, reason
    ):
        SourceTag.objects.filter(pk__in=[tag["id"] for tag in removals]).delete()
        SourceTag.objects.filter(pk__in=moved).update(source=into_id)


def source_tags_unmerge_conflicts(*, moves: Sequence[TagMove], into_id: int) -> list[str]:
    moved = [pk for pk, _ in moves]
    still = set(SourceTag.objects.filter(pk__in=moved, source=into_id).values_list("pk", flat=True))
    return [
        f"source tag {pk} was changed or removed since the merge"
        for pk in sorted(set(moved) - still)
    ]


def source_tags_unmerge_apply(
    *,
    moves: Sequence[TagMove],
    removals: Sequence[TagRemoval],
    actor: Person | None,
    reason: str,
) -> None:
    back: dict[int, int] = {annotation: source for annotation, source in moves}
    with _revised_by_merge(
        _annotations_of(list(back)) | {tag["annotation"] for tag in removals}, actor, reason
    ):
        by_source: dict[int, list[int]] = {}
        for tag_id, source_id in back.items():
            by_source.setdefault(source_id, []).append(tag_id)
        for source_id, tag_ids in by_source.items():
            SourceTag.objects.filter(pk__in=tag_ids).update(source=source_id)
        SourceTag.objects.bulk_create(
            SourceTag(annotation_id=tag["annotation"], source_id=tag["source"], role=tag["role"])
            for tag in removals
        )


def _annotations_of(tag_ids: Sequence[int]) -> set[int]:
    return set(SourceTag.objects.filter(pk__in=tag_ids).values_list("annotation_id", flat=True))


def _merge_snapshots(ids: Sequence[int]) -> dict[int, tuple[Annotation, dict[str, Any]]]:
    """Each annotation with its snapshot, in a few queries for all of them."""
    annotations = Annotation.objects.filter(pk__in=ids).prefetch_related(
        "tags", Prefetch("source_tags", SourceTag.objects.select_related("source"))
    )
    snapshots = {}
    for annotation in annotations:
        annotation.tag_list = list(annotation.tags.all())
        annotation.source_tag_list = list(annotation.source_tags.all())
        snapshots[annotation.pk] = (annotation, _snapshot(annotation))
    return snapshots


@contextmanager
def _revised_by_merge(
    annotation_ids: set[int], actor: Person | None, reason: str
) -> Iterator[None]:
    """Around a merge's moves of source tags: lock the annotations and snapshot them; after
    the moves raise each one's version (so a stale ETag gets 412) and append an `updated`
    revision with the change, in a few queries for all of them."""
    ids = sorted(annotation_ids)
    list(
        Annotation.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    before = _merge_snapshots(ids)
    yield
    if not ids:
        return
    Annotation.objects.filter(pk__in=ids).update(
        version=F("version") + 1, modified_at=timezone.now()
    )
    heads = dict(
        AnnotationRevision.objects.filter(
            annotation__in=ids,
            version=Subquery(Annotation.objects.filter(pk=OuterRef("annotation")).values("version"))
            - 1,
        ).values_list("annotation_id", "revision_hash")
    )
    AnnotationRevision.objects.bulk_create(
        _revision(
            annotation,
            action=RevisionAction.UPDATED,
            actor=actor,
            before=before[pk][1],
            after=after,
            reason=reason,
            previous_hash=heads.get(pk, ""),
        )
        for pk, (annotation, after) in _merge_snapshots(ids).items()
    )
