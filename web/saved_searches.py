"""The saved-search pages: save the search on screen, list mine and those shared with me
(with how many new results each has), open one (the search page re-runs it), and for the
owner rename, share or delete it. Every write goes through search.services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from archive.roles import CURATOR_GROUP
from kaynak.errors import KaynakError
from kaynak.users import Person, signed_in
from search.engine import SearchIndexUnavailable
from search.models import SavedSearch, SearchKind
from search.permissions import can_change_saved_search
from search.runs import run, search_parameters
from search.selectors import last_seen_markers, visible_saved_searches
from search.services import (
    new_results,
    saved_search_create,
    saved_search_delete,
    saved_search_update,
)

# Parameters of the search page that are not part of a search.
NOT_SEARCH = ("page", "page_size", "saved", "kind")
LIST_LIMIT = 50


def share_groups(user: Person) -> list[Group]:
    """The groups a user may share a search with: theirs, the curators' role group aside."""
    return list(user.groups.exclude(name=CURATOR_GROUP).order_by("name"))


def search_url(saved_search: SavedSearch, *, opened: bool = True) -> str:
    """The search page running this saved search (marked as opened from the list)."""
    params = search_parameters(
        saved_search.kind,
        query=saved_search.query,
        filters=saved_search.filters,
        sort=saved_search.sort,
    )
    if saved_search.kind == SearchKind.ANNOTATIONS:
        params["kind"] = SearchKind.ANNOTATIONS
    if opened:
        params["saved"] = str(saved_search.pk)
    return f"{reverse('pages:search')}?{params.urlencode()}"


def _group_from_form(request: HttpRequest, user: Person) -> Group | None:
    value = request.POST.get("share", "")
    if not value:
        return None
    group = next((group for group in share_groups(user) if str(group.pk) == value), None)
    if group is None:
        raise KaynakError("you can share a search only with a group you belong to")
    return group


@login_required
@require_POST
def saved_search_save(request: HttpRequest) -> HttpResponse:
    """Save the search the page shows: its parameters come back in the form's `search`."""
    user = signed_in(request.user)
    params = QueryDict(request.POST.get("search", ""), mutable=True)
    kind = SearchKind.ANNOTATIONS if params.get("kind") == "annotations" else SearchKind.DOCUMENTS
    back = f"{reverse('pages:search')}?{params.urlencode()}" if params else reverse("pages:search")
    for name in NOT_SEARCH:
        params.pop(name, None)
    query, sort = params.pop("q", [""])[-1], params.pop("sort", [""])[-1]
    try:
        saved_search = saved_search_create(
            owner=user,
            name=request.POST.get("name", ""),
            kind=kind,
            query=query,
            filters={name: params.getlist(name) for name in params},
            sort=sort,
            shared_with_group=_group_from_form(request, user),
        )
    except KaynakError as error:
        messages.error(request, f"The search was not saved: {error.message}.")
        return HttpResponseRedirect(back)
    shared = (
        f", shared with {saved_search.shared_with_group.name}"
        if saved_search.shared_with_group
        else ""
    )
    messages.success(request, f"Saved the search as “{saved_search.name}”{shared}.")
    return HttpResponseRedirect(search_url(saved_search, opened=False))


def _listed(saved_search: SavedSearch, user: Person, seen: Any) -> dict[str, Any]:
    """One row of the list, with the new-results count (the search is run to count)."""
    item: dict[str, Any] = {
        "saved": saved_search,
        "url": reverse("pages:saved-search-open", kwargs={"pk": saved_search.pk}),
        "mine": saved_search.owner_id == user.pk,
        "can_edit": can_change_saved_search(user, saved_search),
        "owner_name": saved_search.owner.get_full_name() or saved_search.owner.get_username(),
        "filters": [
            f"{name}: {', '.join(values)}" for name, values in saved_search.filters.items()
        ],
        "seen": seen,
        "new": None,
        "error": None,
    }
    try:
        params = search_parameters(
            saved_search.kind,
            query=saved_search.query,
            filters=saved_search.filters,
            sort=saved_search.sort,
        )
        total = run(saved_search.kind, params, user=user, page_size=1).total
    except (KaynakError, SearchIndexUnavailable) as error:
        item["error"] = error.message
    else:
        item["total"], item["new"] = total, new_results(seen, total)
    return item


@login_required
def saved_search_list(request: HttpRequest) -> HttpResponse:
    user = signed_in(request.user)
    saved = list(visible_saved_searches(user)[:LIST_LIMIT])
    seen = last_seen_markers(user, [item.pk for item in saved])
    items = [_listed(item, user, seen.get(item.pk)) for item in saved]
    return render(
        request,
        "saved_searches.html",
        {
            "mine": [item for item in items if item["mine"]],
            "shared": [item for item in items if not item["mine"]],
            "groups": share_groups(user),
            "limit": LIST_LIMIT,
            "at_limit": len(saved) == LIST_LIMIT,
        },
    )


@login_required
def saved_search_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a saved search: the search page runs it and counts what is new."""
    return redirect(search_url(get_object_or_404(visible_saved_searches(request.user), pk=pk)))


@login_required
@require_POST
def saved_search_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request.user)
    saved_search = get_object_or_404(visible_saved_searches(user), pk=pk)
    if not can_change_saved_search(user, saved_search):
        raise PermissionDenied("Only the saved search's owner may change it.")
    try:
        saved_search_update(
            saved_search=saved_search,
            actor=user,
            name=request.POST.get("name", saved_search.name),
            shared_with_group=_group_from_form(request, user),
        )
    except KaynakError as error:
        messages.error(request, f"“{saved_search.name}” was not changed: {error.message}.")
    else:
        messages.success(request, "Saved the changes.")
    return redirect("pages:saved-searches")


@login_required
@require_POST
def saved_search_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request.user)
    saved_search = get_object_or_404(visible_saved_searches(user), pk=pk)
    if not can_change_saved_search(user, saved_search):
        raise PermissionDenied("Only the saved search's owner may delete it.")
    saved_search_delete(saved_search=saved_search, actor=user)
    messages.success(request, f"Deleted the saved search “{saved_search.name}”.")
    return redirect("pages:saved-searches")


def current_search(request: HttpRequest) -> str:
    """The search on the page, as the save form sends it back (paging and markers aside)."""
    pairs = [
        (key, value)
        for key, values in request.GET.lists()
        for value in values
        if value and key not in ("page", "page_size", "saved")
    ]
    return urlencode(pairs)
