"""Reads of annotations. `visible_annotations` is the one place that says who may read what."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import (
    Annotation,
    AnnotationRevision,
    Reply,
    RevisionAction,
    SourceTag,
    Tag,
    Visibility,
)
from archive.models import SourceAlias
from archive.roles import can_moderate_annotations
from archive.text import normalize_name
from kaynak.users import Requester


def visible_annotations(user: Requester) -> QuerySet[Annotation]:
    """What `user` may read: their own; public ones and their groups' ones unless a curator
    hid them; curators read everything. Deleted annotations are gone for everyone."""
    annotations = Annotation.objects.live()
    if can_moderate_annotations(user):
        return annotations
    # A withdrawn document's annotations are kept, out of sight like the document.
    annotations = annotations.filter(document__withdrawn_at__isnull=True)
    shared = Q(visibility=Visibility.PUBLIC) | Q(
        visibility=Visibility.GROUP, group__in=user.groups.all()
    )
    return annotations.filter(Q(creator=user) | (shared & Q(hidden_at__isnull=True)))


def can_read_state(
    user: Requester,
    annotation: Annotation,
    state: Mapping[str, Any],
    *,
    group_ids: Collection[int],
) -> bool:
    """Whether `user` could read `annotation` as it was in `state` (a revision's visibility,
    group and hidden flag): the rule of `visible_annotations`, for one past state, with the
    user's groups (`group_ids`) as they are now. A state that does not say is unreadable."""
    if can_moderate_annotations(user) or annotation.creator_id == user.pk:
        return True
    if state.get("hidden") is not False:
        return False
    visibility = state.get("visibility")
    return visibility == Visibility.PUBLIC or (
        visibility == Visibility.GROUP and state.get("group") in group_ids
    )


def can_read_hide_reason(user: Requester, annotation: Annotation) -> bool:
    """Why a curator hid (or deleted) an annotation is for its creator and curators only."""
    return user.pk == annotation.creator_id or can_moderate_annotations(user)


@dataclass(frozen=True)
class AnnotationFilters:
    document: int | None = None
    tag: str | None = None  # slug
    source: str | None = None  # slug
    role: str | None = None
    creator: str | None = None  # username
    visibility: str | None = None
    overlaps: tuple[int, int] | None = None  # [start, end) in code points
    group: str | None = None  # group name
    created_from: datetime | None = None
    created_to: datetime | None = None  # inclusive
    has_replies: bool | None = None  # replies everyone sees (neither deleted nor hidden)
    ids: frozenset[int] | None = None  # only these (what a search found)


def annotation_list(
    *, user: Requester, filters: AnnotationFilters | None = None
) -> QuerySet[Annotation]:
    """Visible annotations, filtered, with everything their representation needs loaded in a
    fixed number of queries."""
    filters = filters or AnnotationFilters()
    annotations = visible_annotations(user)
    if filters.document is not None:
        annotations = annotations.filter(document_id=filters.document)
    if filters.tag:
        tagged = Annotation.tags.through.objects.filter(tag__slug=filters.tag)
        annotations = annotations.filter(pk__in=tagged.values("annotation_id"))
    if filters.source or filters.role:
        source_tags = SourceTag.objects.all()
        if filters.source:
            source_tags = source_tags.filter(source__slug=filters.source)
        if filters.role:
            source_tags = source_tags.filter(role=filters.role)
        annotations = annotations.filter(pk__in=source_tags.values("annotation_id"))
    if filters.creator:
        annotations = annotations.filter(creator__username=filters.creator)
    if filters.visibility:
        annotations = annotations.filter(visibility=filters.visibility)
    if filters.overlaps:
        start, end = filters.overlaps
        annotations = annotations.filter(start__lt=end, end__gt=start)
    if filters.ids is not None:
        annotations = annotations.filter(pk__in=filters.ids)
    if filters.group:
        annotations = annotations.filter(group__name=filters.group)
    if filters.created_from:
        annotations = annotations.filter(created_at__gte=filters.created_from)
    if filters.created_to:
        annotations = annotations.filter(created_at__lte=filters.created_to)
    if filters.has_replies is not None:
        answered = Reply.objects.filter(deleted_at__isnull=True, hidden_at=None)
        replied = Q(pk__in=answered.values("annotation_id"))
        annotations = annotations.filter(replied if filters.has_replies else ~replied)
    return with_representation(annotations)


def annotation_export(
    *, user: Requester, filters: AnnotationFilters | None = None
) -> tuple[QuerySet[Annotation], int]:
    """The annotations of a search to export, each with its replies (`reply_list`, oldest
    first, with their authors), and how many items that is (annotations and replies). Read it
    with `.iterator(chunk_size=…)`: the replies are then prefetched a chunk at a time."""
    # The model declares `reply_list`; the stubs' plugin would declare it again from `to_attr`.
    annotations = annotation_list(user=user, filters=filters).prefetch_related(  # type: ignore[no-redef]
        Prefetch(
            "replies",
            queryset=Reply.objects.select_related("author").order_by("created_at", "id"),
            to_attr="reply_list",
        )
    )
    replies = Reply.objects.filter(annotation__in=annotations.values("pk")).count()
    return annotations, annotations.count() + replies


def with_representation(annotations: QuerySet[Annotation]) -> QuerySet[Annotation]:
    # Filters use subqueries, not joins, so no row repeats and no DISTINCT is needed; the
    # reply count is a subquery too, rather than a GROUP BY over every selected column.
    replies = (
        # The count everyone sees: neither deleted nor hidden.
        Reply.objects.filter(annotation=OuterRef("pk"), deleted_at__isnull=True, hidden_at=None)
        .values("annotation")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        annotations.select_related("creator", "group")  # type: ignore[no-redef]  # see below
        # Into plain lists (`to_attr`): Django then makes no related manager and no
        # queryset clone per annotation, which cost a third of a page of 100.
        .prefetch_related(
            # The model declares these attributes (the services fill them too); the stubs'
            # plugin would declare them again from `to_attr`.
            Prefetch("tags", queryset=Tag.objects.order_by("name"), to_attr="tag_list"),
            Prefetch(
                "source_tags",
                queryset=SourceTag.objects.select_related("source").order_by("id"),
                to_attr="source_tag_list",
            ),
        )
        .annotate(reply_count=Coalesce(Subquery(replies), 0))
        # Page notes (no span) first, on every database.
        .order_by("document_id", F("start").asc(nulls_first=True), "end", "id")
    )


def reply_list(*, annotation: Annotation, user: Requester) -> QuerySet[Reply]:
    """The thread as `user` may read it: deleted replies are gone; a hidden one is there
    only for its author and curators."""
    replies = annotation.replies.live().select_related("author")
    if not can_moderate_annotations(user):
        replies = replies.filter(Q(hidden_at__isnull=True) | Q(author_id=user.pk))
    return replies.order_by("created_at", "id")


def revision_list(*, annotation: Annotation) -> QuerySet[AnnotationRevision]:
    return annotation.revisions.select_related("actor").order_by("version", "id")


@dataclass(frozen=True)
class RevisionEntry:
    """One revision as one reader may see it."""

    version: int
    action: str
    actor: str | None  # None: the system itself (a source merge run without a person)
    occurred_at: datetime
    changes: dict[str, dict[str, Any]]  # field: {before, after}, a withheld side left out
    withheld: list[str]  # "before", "after": the sides this reader could not read then
    reason: str | None  # None: withheld


def revision_history(*, annotation: Annotation, user: Requester) -> list[RevisionEntry]:
    """`annotation`'s revisions as `user` may read them: each side of a change (before, after)
    only if `user` could read the annotation in that state; otherwise only which fields
    changed, by whom and when. The API and the pages read history through this alone."""
    group_ids = set(user.groups.values_list("pk", flat=True))
    reason_shown = can_read_hide_reason(user, annotation)
    # Revisions record only what changed: replay them for each state's visibility.
    state: dict[str, Any] = {}
    entries = []
    for revision in revision_list(annotation=annotation):
        before = dict(state)
        state.update({field: change.get("after") for field, change in revision.changes.items()})
        readable = {
            # Nothing exists before creation or after deletion, so nothing is shown there.
            "before": revision.action == RevisionAction.CREATED
            or can_read_state(user, annotation, before, group_ids=group_ids),
            "after": revision.action == RevisionAction.DELETED
            or can_read_state(user, annotation, state, group_ids=group_ids),
        }
        entries.append(
            RevisionEntry(
                version=revision.version,
                action=revision.action,
                actor=revision.actor.username if revision.actor else None,
                occurred_at=revision.occurred_at,
                changes={
                    field: {side: value for side, value in change.items() if readable.get(side)}
                    for field, change in revision.changes.items()
                },
                withheld=[side for side, shown in readable.items() if not shown],
                reason=revision.reason if reason_shown else None,
            )
        )
    return entries


def tag_list(*, query: str | None = None, curated: bool | None = None) -> QuerySet[Tag]:
    tags = Tag.objects.all()
    if query and normalize_name(query):
        tags = tags.filter(normalized_name__contains=normalize_name(query))
    if curated is not None:
        tags = tags.filter(curated=curated)
    return tags.order_by("-curated", "name")


@dataclass(frozen=True)
class DocumentTerms:
    """What search indexes of a document's annotations."""

    tags: tuple[tuple[int, str], ...]  # (tag id, name)
    sources: tuple[tuple[int, tuple[str, ...]], ...]  # (source id, name and aliases)


def search_terms(document_ids: list[int]) -> dict[int, DocumentTerms]:
    """Tags and source tags for search: only those of public annotations that no curator hid,
    so nothing private reaches the shared index."""
    annotations = Annotation.objects.live().filter(
        document_id__in=document_ids, visibility=Visibility.PUBLIC, hidden_at__isnull=True
    )
    tags: dict[int, dict[int, str]] = {}
    for document_id, tag_id, name in Annotation.tags.through.objects.filter(
        annotation__in=annotations
    ).values_list("annotation__document_id", "tag_id", "tag__name"):
        tags.setdefault(document_id, {})[tag_id] = name
    sources: dict[int, set[int]] = {}
    for document_id, source_id in SourceTag.objects.filter(annotation__in=annotations).values_list(
        "annotation__document_id", "source_id"
    ):
        sources.setdefault(document_id, set()).add(source_id)
    names: dict[int, list[str]] = {}
    for source_id, name, alias in SourceAlias.objects.filter(
        source_id__in={source_id for ids in sources.values() for source_id in ids}
    ).values_list("source_id", "source__name", "name"):
        names.setdefault(source_id, [name]).append(alias)
    return {
        document_id: DocumentTerms(
            tags=tuple(sorted(tags.get(document_id, {}).items())),
            sources=tuple(
                (source_id, tuple(dict.fromkeys(names.get(source_id, []))))
                for source_id in sorted(sources.get(document_id, ()))
            ),
        )
        for document_id in set(tags) | set(sources)
    }


def tag_ids_by_slug(slugs: list[str]) -> dict[str, int]:
    return dict(Tag.objects.filter(slug__in=slugs).values_list("slug", "pk"))


def tags_by_id(ids: list[int]) -> dict[int, Tag]:
    return Tag.objects.in_bulk(ids)


@dataclass(frozen=True)
class Citation:
    """How to cite one annotated passage: as a line of plain text and as CSL-JSON."""

    text: str
    csl: dict[str, Any]


def _long_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else "date unknown"


def _date_parts(day: date) -> dict[str, list[list[int]]]:
    return {"date-parts": [[day.year, day.month, day.day]]}


def annotation_citation(*, annotation: Annotation, document_url: str, accessed: date) -> Citation:
    """The one citation of `annotation`'s passage: its quote, the document's title, outlet and
    original date, reprinter and reprint date, the annotation's permanent address (the
    absolute `document_url` of the reader with `#annotation-<id>`) and the original's SHA-256,
    so a reader of the report can fetch the passage and check the bytes it came from. The
    caller decides who may read `annotation` (through `visible_annotations`)."""
    document = annotation.document
    address = f"{document_url}#annotation-{annotation.pk}"
    outlet = document.original_outlet.name if document.original_outlet else ""
    reprinter = document.reprinter.name if document.reprinter else ""
    parts = [f"“{annotation.quote}”" if annotation.quote else "Note on the whole document"]
    parts.append(
        f"{document.byline}, “{document.title}”" if document.byline else f"“{document.title}”"
    )
    parts.append(f"{outlet or 'outlet unknown'}, {_long_date(document.original_published_on)}")
    if reprinter:
        parts.append(f"Reprinted by {reprinter}, {_long_date(document.reprinted_on)}")
    parts.append(f"Kaynak archive, annotation {annotation.pk}: {address}")
    parts.append(f"accessed {_long_date(accessed)}")
    parts.append(f"SHA-256 of the original: {document.sha256}")
    text = ". ".join(parts) + "."
    # CSL's own reading of a reprint: `issued` and `publisher` are the copy cited (the
    # reprint), `original-date` and `original-publisher` the first printing.
    csl: dict[str, Any] = {
        "id": f"kaynak-annotation-{annotation.pk}",
        "type": "article-newspaper",
        "title": document.title,
        "URL": address,
        "accessed": _date_parts(accessed),
        "note": f"SHA-256 of the original: {document.sha256}",
        "custom": {"quote": annotation.quote, "sha256": document.sha256},
    }
    if document.byline:
        csl["author"] = [{"literal": document.byline}]
    if outlet:
        csl["container-title"] = outlet
        csl["original-publisher"] = outlet
    if document.original_published_on:
        csl["original-date"] = _date_parts(document.original_published_on)
    if reprinter:
        csl["publisher"] = reprinter
    if document.reprinted_on:
        csl["issued"] = _date_parts(document.reprinted_on)
    elif document.original_published_on:
        csl["issued"] = _date_parts(document.original_published_on)
    if document.language:
        csl["language"] = document.language
    return Citation(text=text, csl=csl)
