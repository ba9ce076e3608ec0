"""Writes of the search app: saved searches. Each change leaves an event in the same
transaction; only the owner changes or deletes (search.permissions)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from kaynak.changes import UNCHANGED, Unchanged
from kaynak.errors import KaynakError
from kaynak.users import Person, Requester
from search.annotation_search import annotation_query_words
from search.models import (
    NAME_MAX_LENGTH,
    SavedSearch,
    SavedSearchAction,
    SavedSearchEvent,
    SavedSearchSeen,
    SearchKind,
)
from search.permissions import can_change_saved_search
from search.query import check_query
from search.runs import (
    SearchRun,
    normalized_filters,
    run,
    search_parameters,
    validated_parameters,
)

MAX_QUERY_LENGTH = 2_000


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise KaynakError("a saved search needs a name", code="bad_name")
    if len(name) > NAME_MAX_LENGTH:
        raise KaynakError(f"a name has at most {NAME_MAX_LENGTH} characters", code="bad_name")
    return name


def _group(owner: Person, group: Group | None) -> Group | None:
    if group is not None and not owner.groups.filter(pk=group.pk).exists():
        raise KaynakError(
            f"you can share a search only with a group you belong to, not {group.name!r}",
            code="bad_group",
        )
    return group


def _checked(
    kind: str, query: str, filters: Mapping[str, Any], sort: str
) -> tuple[str, dict[str, list[str]]]:
    """The kind, the filters as stored; the whole search is checked as the search API checks
    it, so a saved search runs."""
    if kind not in SearchKind.values:
        raise KaynakError(f"kind must be one of {', '.join(SearchKind.values)}", code="bad_kind")
    if len(query) > MAX_QUERY_LENGTH:
        raise KaynakError(f"a query has at most {MAX_QUERY_LENGTH} characters", code="bad_search")
    # The query as the search would read it: the whole parse for annotations, the checks
    # before parsing for documents (the document parser needs the index).
    if kind == SearchKind.ANNOTATIONS:
        annotation_query_words(query)
    else:
        check_query(query)
    normal = normalized_filters(kind, filters)
    validated_parameters(kind, search_parameters(kind, query=query, filters=normal, sort=sort))
    return kind, normal


def _state(saved_search: SavedSearch) -> dict[str, Any]:
    return {
        "name": saved_search.name,
        "kind": saved_search.kind,
        "query": saved_search.query,
        "filters": saved_search.filters,
        "sort": saved_search.sort,
        "shared_with_group": saved_search.shared_with_group_id,
    }


def _record(saved_search: SavedSearch, action: str, actor: Person, changes: dict[str, Any]) -> None:
    SavedSearchEvent.objects.create(
        saved_search=saved_search,
        action=action,
        actor=actor,
        occurred_at=saved_search.updated_at,
        changes=changes,
    )


def _save_refusing_duplicates(saved_search: SavedSearch, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            saved_search.save(**kwargs)
    except IntegrityError:
        raise KaynakError(
            f"you already have a saved search named {saved_search.name!r}", code="duplicate_name"
        ) from None


def _require_owner(saved_search: SavedSearch, actor: Requester) -> None:
    if not can_change_saved_search(actor, saved_search):
        raise PermissionDenied("Only the saved search's owner may change or delete it.")


@transaction.atomic
def saved_search_create(
    *,
    owner: Person,
    name: str,
    kind: str,
    query: str = "",
    filters: Mapping[str, Any] | None = None,
    sort: str = "",
    shared_with_group: Group | None = None,
) -> SavedSearch:
    kind, normal = _checked(kind, query, filters or {}, sort)
    now = timezone.now()
    saved_search = SavedSearch(
        owner=owner,
        name=_name(name),
        kind=kind,
        query=query,
        filters=normal,
        sort=sort,
        shared_with_group=_group(owner, shared_with_group),
        created_at=now,
        updated_at=now,
    )
    _save_refusing_duplicates(saved_search)
    _record(
        saved_search,
        SavedSearchAction.CREATED,
        owner,
        {key: {"before": None, "after": value} for key, value in _state(saved_search).items()},
    )
    return saved_search


@transaction.atomic
def saved_search_update(
    *,
    saved_search: SavedSearch,
    actor: Person,
    name: str | Unchanged = UNCHANGED,
    query: str | Unchanged = UNCHANGED,
    filters: Mapping[str, Any] | Unchanged = UNCHANGED,
    sort: str | Unchanged = UNCHANGED,
    shared_with_group: Group | Unchanged | None = UNCHANGED,
) -> SavedSearch:
    """Change what is given; the kind of a saved search stays what it was saved as."""
    _require_owner(saved_search, actor)
    saved_search = SavedSearch.objects.live().select_for_update().get(pk=saved_search.pk)
    before = _state(saved_search)
    if not isinstance(name, Unchanged):
        saved_search.name = _name(name)
    if not isinstance(query, Unchanged):
        saved_search.query = query
    if not isinstance(sort, Unchanged):
        saved_search.sort = sort
    _, saved_search.filters = _checked(
        saved_search.kind,
        saved_search.query,
        saved_search.filters if isinstance(filters, Unchanged) else filters,
        saved_search.sort,
    )
    if not isinstance(shared_with_group, Unchanged):
        saved_search.shared_with_group = _group(actor, shared_with_group)
    after = _state(saved_search)
    changes = {
        key: {"before": before[key], "after": after[key]}
        for key in after
        if before[key] != after[key]
    }
    if not changes:
        return saved_search
    saved_search.updated_at = timezone.now()
    _save_refusing_duplicates(
        saved_search,
        update_fields=["name", "query", "filters", "sort", "shared_with_group", "updated_at"],
    )
    _record(saved_search, SavedSearchAction.UPDATED, actor, changes)
    return saved_search


@transaction.atomic
def saved_search_delete(*, saved_search: SavedSearch, actor: Person) -> SavedSearch:
    """Marks it deleted: it is gone for everyone, its events stay."""
    _require_owner(saved_search, actor)
    saved_search = SavedSearch.objects.live().select_for_update().get(pk=saved_search.pk)
    saved_search.deleted_at = saved_search.updated_at = timezone.now()
    saved_search.save(update_fields=["deleted_at", "updated_at"])
    _record(saved_search, SavedSearchAction.DELETED, actor, {})
    return saved_search


@dataclass(frozen=True)
class SavedSearchOpened:
    run: SearchRun
    # How many more results than when this user last opened it (never below 0); None the
    # first time.
    new_since_last_seen: int | None
    last_seen_at: Any  # datetime | None


@transaction.atomic
def saved_search_mark_seen(
    *, saved_search: SavedSearch, user: Person, total: int
) -> SavedSearchSeen | None:
    """Record that `user` saw `total` results now; returns the marker as it was before (None
    the first time). A per-user read marker, not a change of the saved search: no event."""
    seen = (
        SavedSearchSeen.objects.select_for_update()
        .filter(saved_search=saved_search, user=user)
        .first()
    )
    previous = None
    if seen is None:
        SavedSearchSeen.objects.create(
            saved_search=saved_search, user=user, seen_at=timezone.now(), seen_total=total
        )
    else:
        previous = SavedSearchSeen(seen_at=seen.seen_at, seen_total=seen.seen_total)
        seen.seen_at, seen.seen_total = timezone.now(), total
        seen.save(update_fields=["seen_at", "seen_total"])
    return previous


def new_results(previous: SavedSearchSeen | None, total: int) -> int | None:
    return None if previous is None else max(0, total - previous.seen_total)


def saved_search_open(
    *, saved_search: SavedSearch, user: Person, page: int = 1, page_size: int = 20
) -> SavedSearchOpened:
    """Run a saved search (the user must be able to see it: the caller found it through
    selectors.visible_saved_searches) and mark it seen by `user`."""
    params = search_parameters(
        saved_search.kind,
        query=saved_search.query,
        filters=saved_search.filters,
        sort=saved_search.sort,
    )
    result = run(saved_search.kind, params, user=user, page=page, page_size=page_size)
    previous = saved_search_mark_seen(saved_search=saved_search, user=user, total=result.total)
    return SavedSearchOpened(
        run=result,
        new_since_last_seen=new_results(previous, result.total),
        last_seen_at=previous.seen_at if previous else None,
    )
