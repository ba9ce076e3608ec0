"""Saved searches: services, selectors and the API, by persona (owner, a member of the group
it is shared with, an outsider, anonymous)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, connection, transaction

from annotations.models import Visibility
from annotations.services import annotation_create
from kaynak.errors import KaynakError
from search.models import SavedSearch, SavedSearchEvent, SearchKind
from search.selectors import visible_saved_searches
from search.services import (
    saved_search_create,
    saved_search_delete,
    saved_search_open,
    saved_search_update,
)
from tests.factories import CuratorFactory, DocumentFactory

pytestmark = pytest.mark.django_db

HARBOUR = "The harbour board voted to lengthen the breakwater before the winter storms."
ORCHARD = "Orchard growers in the valley counted their losses after the late frost."


@pytest.fixture
def owner(owner):
    """The tests' owner (tests/conftest.py) with a name, which shared searches show."""
    owner.first_name, owner.last_name = "Ayla", "Deniz"
    owner.save(update_fields=["first_name", "last_name"])
    return owner


@pytest.fixture
def documents(committed):
    with committed():
        return [DocumentFactory(body=HARBOUR), DocumentFactory(body=ORCHARD)]


@pytest.fixture
def private_search(owner) -> SavedSearch:
    return saved_search_create(owner=owner, name="Breakwater", kind="documents", query="breakwater")


@pytest.fixture
def shared_search(owner, team) -> SavedSearch:
    return saved_search_create(
        owner=owner,
        name="Frost, shared",
        kind="documents",
        query="frost",
        shared_with_group=team,
    )


# Services and selectors


def test_creating_keeps_the_search_and_records_an_event(owner) -> None:
    saved = saved_search_create(
        owner=owner,
        name="  Storm   reports ",
        kind="documents",
        query="storm*",
        filters={"language": "en", "year": [2017, 2018]},
        sort="-published",
    )
    assert (saved.name, saved.filters) == (
        "Storm reports",
        {"year": ["2017", "2018"], "language": ["en"]},
    )
    [event] = SavedSearchEvent.objects.filter(saved_search=saved)
    assert (event.action, event.actor) == ("created", owner)
    assert event.changes["query"] == {"before": None, "after": "storm*"}


@pytest.mark.parametrize(
    ("kind", "query", "filters", "sort", "code"),
    [
        ("documents", "", {"colour": "red"}, "", "bad_filter"),
        ("annotations", "", {"outlet": "x"}, "", "bad_filter"),
        ("documents", "", {"language": ["en", "tr"]}, "", "bad_filter"),
        ("documents", "", {}, "sideways", "bad_search"),
        ("documents", '"unclosed', {}, "", "bad_query"),
        ("annotations", "title:ferry", {}, "", "bad_query"),
        ("annotations", "", {"visibility": "secret"}, "", "bad_search"),
        ("pictures", "", {}, "", "bad_kind"),
    ],
)
def test_a_search_that_would_not_run_is_refused(owner, kind, query, filters, sort, code) -> None:
    with pytest.raises(KaynakError) as refused:
        saved_search_create(
            owner=owner, name="Bad", kind=kind, query=query, filters=filters, sort=sort
        )
    assert refused.value.code == code
    assert not SavedSearch.objects.exists()


def test_sharing_needs_a_group_of_the_owner(outsider, team) -> None:
    with pytest.raises(KaynakError) as refused:
        saved_search_create(owner=outsider, name="Mine", kind="documents", shared_with_group=team)
    assert refused.value.code == "bad_group"


def test_one_owner_cannot_have_two_live_searches_of_one_name(owner, private_search) -> None:
    with pytest.raises(KaynakError) as refused:
        saved_search_create(owner=owner, name="Breakwater", kind="annotations")
    assert refused.value.code == "duplicate_name"
    saved_search_delete(saved_search=private_search, actor=owner)
    assert saved_search_create(owner=owner, name="Breakwater", kind="annotations").pk


def test_owner_sees_own_members_see_shared_outsiders_and_curators_see_neither(
    owner, colleague, outsider, private_search, shared_search
) -> None:
    curator = CuratorFactory(username="curator")
    assert set(visible_saved_searches(owner)) == {private_search, shared_search}
    assert list(visible_saved_searches(colleague)) == [shared_search]
    assert list(visible_saved_searches(outsider)) == []
    assert list(visible_saved_searches(curator)) == []


def test_only_the_owner_updates_and_deletes(owner, colleague, shared_search) -> None:
    with pytest.raises(PermissionDenied):
        saved_search_update(saved_search=shared_search, actor=colleague, name="Taken over")
    with pytest.raises(PermissionDenied):
        saved_search_delete(saved_search=shared_search, actor=colleague)
    assert SavedSearchEvent.objects.filter(saved_search=shared_search).count() == 1


def test_update_records_what_changed_and_a_no_change_records_nothing(owner, private_search) -> None:
    saved_search_update(saved_search=private_search, actor=owner, query="breakwater OR pier")
    saved_search_update(saved_search=private_search, actor=owner, query="breakwater OR pier")
    events = list(SavedSearchEvent.objects.filter(saved_search=private_search))
    assert [event.action for event in events] == ["created", "updated"]
    assert events[1].changes == {"query": {"before": "breakwater", "after": "breakwater OR pier"}}


def test_unsharing_and_deleting_hide_it_from_the_group(owner, colleague, shared_search) -> None:
    saved_search_update(saved_search=shared_search, actor=owner, shared_with_group=None)
    assert list(visible_saved_searches(colleague)) == []
    saved_search_delete(saved_search=shared_search, actor=owner)
    assert list(visible_saved_searches(owner)) == []
    actions = SavedSearchEvent.objects.filter(saved_search=shared_search).values_list(
        "action", flat=True
    )
    assert list(actions) == ["created", "updated", "deleted"]


def test_events_cannot_be_rewritten_or_removed(private_search) -> None:
    event = SavedSearchEvent.objects.get(saved_search=private_search)
    for statement in (
        f"UPDATE search_savedsearchevent SET action = 'deleted' WHERE id = {event.pk}",
        f"DELETE FROM search_savedsearchevent WHERE id = {event.pk}",
    ):
        with (
            pytest.raises(DatabaseError, match="is append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert SavedSearchEvent.objects.get(pk=event.pk).action == "created"


def test_opening_counts_new_results_since_this_user_last_looked(
    owner, colleague, shared_search, committed
) -> None:
    with committed():
        DocumentFactory(body=ORCHARD)
    first = saved_search_open(saved_search=shared_search, user=owner)
    assert (first.run.total, first.new_since_last_seen) == (1, None)
    with committed():
        DocumentFactory(body="A second frost hit the apricot trees in April.")
    again = saved_search_open(saved_search=shared_search, user=owner)
    assert (again.run.total, again.new_since_last_seen) == (2, 1)
    assert again.last_seen_at is not None
    # Each person has a marker of their own.
    assert saved_search_open(saved_search=shared_search, user=colleague).new_since_last_seen is None
    assert saved_search_open(saved_search=shared_search, user=owner).new_since_last_seen == 0


# The API


def test_anonymous_gets_401_everywhere(anonymous_client, private_search) -> None:
    for url in (
        "/api/saved-searches/",
        f"/api/saved-searches/{private_search.pk}/",
        f"/api/saved-searches/{private_search.pk}/results/",
    ):
        assert anonymous_client.get(url).status_code == 401
    assert anonymous_client.post("/api/saved-searches/", {"name": "x"}).status_code == 401


def test_create_through_the_api(client_for, owner) -> None:
    response = client_for(owner).post(
        "/api/saved-searches/",
        {
            "name": "Frost notes",
            "kind": "annotations",
            "query": "frost",
            "filters": {"visibility": "group", "has_replies": True},
            "sort": "newest",
            "shared_with_group": "harbour desk",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["filters"] == {"visibility": ["group"], "has_replies": ["true"]}
    assert (body["owner"], body["owner_name"], body["shared_with_group"], body["can_edit"]) == (
        "owner",
        "Ayla Deniz",
        "harbour desk",
        True,
    )
    assert body["results_url"].endswith(f"/api/saved-searches/{body['id']}/results/")


def test_create_refusals_are_400s(client_for, owner, outsider) -> None:
    client = client_for(owner)
    assert (
        client.post("/api/saved-searches/", {"kind": "documents"}, format="json").status_code == 400
    )
    response = client.post(
        "/api/saved-searches/",
        {"name": "x", "shared_with_group": "no such desk"},
        format="json",
    )
    assert response.status_code == 400
    response = client_for(outsider).post(
        "/api/saved-searches/", {"name": "x", "shared_with_group": "harbour desk"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "bad_group")


def test_list_shows_own_and_shared(
    client_for, owner, colleague, outsider, private_search, shared_search
) -> None:
    def names(user) -> list[str]:
        return [
            item["name"] for item in client_for(user).get("/api/saved-searches/").json()["results"]
        ]

    assert names(owner) == ["Breakwater", "Frost, shared"]
    assert names(colleague) == ["Frost, shared"]
    assert names(outsider) == []


def test_detail_answers_by_persona(client_for, owner, colleague, outsider, shared_search) -> None:
    url = f"/api/saved-searches/{shared_search.pk}/"
    assert client_for(owner).get(url).json()["can_edit"] is True
    assert client_for(colleague).get(url).json()["can_edit"] is False
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(colleague).patch(url, {"name": "Mine now"}, format="json").status_code == 403
    assert client_for(colleague).delete(url).status_code == 403
    assert client_for(outsider).patch(url, {"name": "Mine now"}, format="json").status_code == 404
    assert client_for(outsider).delete(url).status_code == 404
    response = client_for(owner).patch(
        url, {"name": "Frost", "query": "frost OR hail"}, format="json"
    )
    assert (response.status_code, response.json()["name"], response.json()["kind"]) == (
        200,
        "Frost",
        "documents",
    )
    assert (
        client_for(owner).patch(url, {"kind": "annotations"}, format="json").json()["kind"]
        == "documents"
    )
    assert client_for(owner).delete(url).status_code == 204
    assert client_for(owner).get(url).status_code == 404
    assert client_for(colleague).get(url).status_code == 404


def test_results_of_a_document_search(
    client_for, owner, colleague, outsider, shared_search, documents
) -> None:
    url = f"/api/saved-searches/{shared_search.pk}/results/"
    first = client_for(colleague).get(url).json()
    assert (first["kind"], first["total"], first["new_since_last_seen"], first["annotations"]) == (
        "documents",
        1,
        None,
        [],
    )
    assert first["documents"][0]["document"]["id"] == documents[1].pk
    assert client_for(colleague).get(url).json()["new_since_last_seen"] == 0
    assert client_for(outsider).get(url).status_code == 404


def test_results_of_an_annotation_search_show_only_what_the_user_may_read(
    client_for, owner, colleague, documents, team
) -> None:
    harbour = documents[0]
    start = HARBOUR.index("breakwater")
    for visibility, comment in (
        (Visibility.PRIVATE, "quietly sceptical"),
        (Visibility.GROUP, "sceptical in public"),
    ):
        annotation_create(
            document=harbour,
            creator=owner,
            start=start,
            end=start + len("breakwater"),
            comment=comment,
            visibility=visibility,
            group=team.pk if visibility == Visibility.GROUP else None,
        )
    saved = saved_search_create(
        owner=owner,
        name="Sceptics",
        kind=SearchKind.ANNOTATIONS,
        query="sceptical",
        shared_with_group=team,
    )
    url = f"/api/saved-searches/{saved.pk}/results/"
    mine = client_for(owner).get(url).json()
    theirs = client_for(colleague).get(url).json()
    assert (mine["total"], theirs["total"]) == (2, 1)
    assert [item["comment"] for item in theirs["annotations"]] == ["sceptical in public"]
    assert theirs["documents"] == []


def test_results_page_parameters_are_checked(client_for, owner, private_search) -> None:
    url = f"/api/saved-searches/{private_search.pk}/results/?page_size=1000"
    assert client_for(owner).get(url).status_code == 400


def test_the_database_refuses_an_unknown_kind(owner) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SavedSearch.objects.create(owner=owner, name="x", kind="pictures")
