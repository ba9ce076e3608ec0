"""GET /api/annotations/?q=…: quotes, comments, replies, tags and sources searched in the query
language of document search, with its folding, only ever over what the asking user may read."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from annotations.models import Annotation, Visibility
from annotations.services import reply_create, reply_delete, reply_hide, tag_create
from archive.services import source_alias_add
from tests.factories import CuratorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator(db):
    return CuratorFactory(username="curator")


@pytest.fixture
def persona(request, owner, colleague, outsider, curator):
    return {
        "owner": owner,
        "colleague": colleague,
        "outsider": outsider,
        "curator": curator,
    }[request.param]


def found(client, query: str, **params) -> list[int]:
    response = client.get("/api/annotations/", {"q": query, **params})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "finds"),
    [("owner", True), ("colleague", False), ("outsider", False), ("curator", True)],
    indirect=["persona"],
)
def test_a_word_in_a_private_comment_is_found_by_its_owner_and_curators_only(
    annotate, client_for, persona, finds
) -> None:
    private = annotate(comment="Işıklı iskele görüşmesi ertelendi")
    annotate(visibility=Visibility.PUBLIC, comment="nothing to see")
    client = client_for(persona)
    # Folded as document search folds: dotless ı and ş match plain letters.
    assert found(client, "isikli") == ([private.pk] if finds else [])
    assert found(client, '"iskele gorusmesi"') == ([private.pk] if finds else [])


@pytest.mark.parametrize(
    ("persona", "finds"),
    [("owner", True), ("colleague", False), ("outsider", False), ("curator", True)],
    indirect=["persona"],
)
def test_a_word_in_a_reply_to_a_private_annotation_is_found_by_whoever_reads_it(
    annotate, client_for, owner, persona, finds
) -> None:
    private = annotate()
    reply_create(annotation=private, author=owner, body="Yosunlu rıhtım again")
    assert found(client_for(persona), "yosunlu") == ([private.pk] if finds else [])


@pytest.mark.parametrize(
    ("persona", "finds"),
    [("owner", True), ("colleague", True), ("outsider", False), ("curator", True)],
    indirect=["persona"],
)
def test_a_group_annotation_is_found_within_the_group_only(
    annotate, client_for, colleague, persona, finds
) -> None:
    shared = annotate(by=colleague, visibility=Visibility.GROUP, comment="the kumpir stall")
    assert found(client_for(persona), "kumpir") == ([shared.pk] if finds else [])


def test_anonymous_requests_are_refused_without_revealing_anything(annotate, client_for) -> None:
    annotate(visibility=Visibility.PUBLIC, comment="a public kumpir")
    response = client_for(None).get("/api/annotations/", {"q": "kumpir"})
    assert response.status_code == 401
    assert b"kumpir" not in response.content


def test_a_hidden_reply_is_searched_only_for_its_author_and_curators(
    annotate, client_for, owner, colleague, curator
) -> None:
    shared = annotate(visibility=Visibility.GROUP)
    reply = reply_create(annotation=shared, author=colleague, body="a lodos warning")
    reply_hide(reply=reply, actor=curator, reason="off topic")
    gone = reply_create(annotation=shared, author=colleague, body="a poyraz warning")
    reply_delete(reply=gone, actor=colleague, expected_version=gone.version)
    assert found(client_for(owner), "lodos") == []
    assert found(client_for(colleague), "lodos") == [shared.pk]
    assert found(client_for(curator), "lodos") == [shared.pk]
    # A deleted reply is gone for everyone.
    assert found(client_for(curator), "poyraz") == []


def test_quotes_tags_sources_and_aliases_are_searched(
    annotate, client_for, outsider, tag, outlet
) -> None:
    tagged = annotate(
        "the port authority",
        visibility=Visibility.PUBLIC,
        tags=["Fare dispute"],
        source_tags=[(outlet.slug, "claimed_by")],
    )
    source_alias_add(source=outlet, name="Liman Bakanlığı", actor=None)
    other = annotate("Kadıköy", visibility=Visibility.PUBLIC)
    client = client_for(outsider)
    assert found(client, '"port authority"') == [tagged.pk]
    assert found(client, "kadikoy") == [other.pk]
    assert found(client, 'tag:"fare dispute"') == [tagged.pk]
    assert found(client, "source:harbour") == [tagged.pk]
    assert found(client, 'source:"liman bakanligi"') == [tagged.pk]
    assert found(client, "quote:kadikoy") == [other.pk]


def test_the_query_language_of_document_search_applies(annotate, client_for, owner) -> None:
    ferry = annotate(comment="ferry tariffs rose")
    fares = annotate(comment="fares fell")
    client = client_for(owner)
    assert found(client, "ferry OR fares", sort="oldest") == [ferry.pk, fares.pk]
    assert found(client, "ferry AND fares") == []
    assert found(client, "NOT ferry tariffs") == []
    assert found(client, "(ferry OR fares) NOT rose") == [fares.pk]
    assert found(client, "tarif*") == [ferry.pk]
    assert found(client, "tarrifs~") == [ferry.pk]


@pytest.mark.parametrize(
    ("query", "says"),
    [('"unbalanced', "quotation"), ("title:ferry", "unknown field"), ("*ry", "wildcard")],
)
def test_a_query_that_cannot_be_run_is_refused_saying_why(
    annotate, client_for, owner, query, says
) -> None:
    annotate(comment="ferry")
    response = client_for(owner).get("/api/annotations/", {"q": query})
    assert response.status_code == 400
    assert says in response.content.decode()


def test_the_query_combines_with_the_filters(annotate, client_for, owner, colleague, team) -> None:
    answered = annotate(visibility=Visibility.GROUP, comment="ferry one")
    reply_create(annotation=answered, author=colleague, body="agreed")
    unanswered = annotate(comment="ferry two")
    annotate(comment="a bus")
    old = annotate(comment="ferry old")
    Annotation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    client = client_for(owner)
    assert found(client, "ferry", has_replies="true") == [answered.pk]
    assert sorted(found(client, "ferry", has_replies="false")) == sorted([unanswered.pk, old.pk])
    assert found(client, "ferry", group=team.name) == [answered.pk]
    assert found(client, "ferry", visibility="group") == [answered.pk]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert sorted(found(client, "ferry", created_from=since)) == sorted(
        [answered.pk, unanswered.pk]
    )
    assert found(client, "ferry", created_to=since) == [old.pk]
    assert found(client, "ferry", sort="oldest")[0] == old.pk
    assert found(client, "ferry", sort="newest")[-1] == old.pk


def test_relevance_ranks_and_pages_through_every_hit(annotate, client_for, owner) -> None:
    weak = annotate(comment="ferry and many other words about buses trains and roads")
    strong = annotate(comment="ferry ferry ferry")
    client = client_for(owner)
    body = client.get("/api/annotations/", {"q": "ferry"}).json()
    assert body["sort"] == "relevance"
    assert [item["id"] for item in body["results"]] == [strong.pk, weak.pk]
    first = client.get("/api/annotations/", {"q": "ferry", "page_size": 1}).json()
    second = client.get("/api/annotations/", {"q": "ferry", "page_size": 1, "page": 2}).json()
    assert first["count"] == 2
    assert [first["results"][0]["id"], second["results"][0]["id"]] == [strong.pk, weak.pk]


def test_facets_count_the_whole_result_set_and_only_what_the_user_may_read(
    annotate, client_for, owner, outsider, tag, outlet
) -> None:
    annotate(visibility=Visibility.PUBLIC, comment="ferry", tags=["Fare dispute"])
    annotate(visibility=Visibility.PUBLIC, comment="ferry", source_tags=[(outlet.slug, "quoted")])
    tag_create(name="Secret lead", actor=owner)
    annotate(comment="ferry", tags=["Secret lead"])
    mine = client_for(owner).get("/api/annotations/", {"q": "ferry", "page_size": 1}).json()
    assert mine["count"] == 3
    assert {item["label"]: item["count"] for item in mine["facets"]["tag"]} == {
        "Fare dispute": 1,
        "Secret lead": 1,
    }
    assert mine["facets"]["source"] == [
        {"value": outlet.slug, "label": "Harbour Ministry", "count": 1}
    ]
    assert mine["facets"]["author"] == [{"value": "owner", "label": "owner", "count": 3}]
    assert {item["value"]: item["count"] for item in mine["facets"]["visibility"]} == {
        "public": 2,
        "private": 1,
    }
    theirs = client_for(outsider).get("/api/annotations/", {"q": "ferry"}).json()
    assert theirs["count"] == 2
    assert "Secret lead" not in str(theirs)


@pytest.mark.parametrize(
    ("persona", "finds"),
    [("owner", True), ("colleague", False), ("outsider", False), ("curator", True)],
    indirect=["persona"],
)
def test_an_export_of_a_search_holds_what_the_search_finds_for_that_user(
    annotate, client_for, persona, finds
) -> None:
    private = annotate(comment="the kumpir lead")
    annotate(visibility=Visibility.PUBLIC, comment="a public note")
    response = client_for(persona).get("/api/annotations/export/", {"as": "jsonl", "q": "kumpir"})
    assert response.status_code == 200
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [row["id"] for row in rows] == ([private.pk] if finds else [])


def test_an_export_refuses_a_query_that_cannot_be_run(client_for, owner) -> None:
    response = client_for(owner).get("/api/annotations/export/", {"q": "title:ferry"})
    assert response.status_code == 400


def test_a_query_finding_more_than_a_search_can_return_is_refused(
    annotate, client_for, owner, monkeypatch
) -> None:
    monkeypatch.setattr("search.annotation_search.MAX_MATCHES", 1)
    annotate(comment="ferry one")
    annotate(comment="ferry two")
    client = client_for(owner)
    assert len(found(client, "one")) == 1
    response = client.get("/api/annotations/", {"q": "ferry"})
    assert response.status_code == 400
    assert "narrow it" in response.json()["detail"]
