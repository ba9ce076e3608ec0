from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Annotation, Visibility
from tests.annotations.conftest import TEXT

pytestmark = pytest.mark.django_db


def utf16(text: str, code_points: int) -> int:
    return len(text[:code_points].encode("utf-16-le")) // 2


@pytest.fixture
def owner_client(client_for, owner):
    return client_for(owner)


def create(client, document, **data):
    return client.post(f"/api/documents/{document.pk}/annotations/", data, format="json")


def test_create_with_code_point_offsets(owner_client, document, tag, outlet) -> None:
    start = TEXT.index("Şükrü Öğütcü")
    response = create(
        owner_client,
        document,
        start=start,
        end=start + 12,
        quote="Şükrü Öğütcü",
        comment="Head of the cooperative.",
        tags=["fare dispute"],
        source_tags=[{"source": outlet.slug, "role": "quoted"}],
        visibility="public",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["ETag"] == f'"{body["id"]}.1"'
    # The annotation's IRI is inside its document's container (W3C protocol §5.1).
    assert response["Location"].endswith(f"/api/documents/{document.pk}/annotations/{body['id']}/")
    assert (body["start"], body["end"], body["quote"]) == (start, start + 12, "Şükrü Öğütcü")
    assert body["tags"][0]["name"] == "Fare dispute"
    assert body["source_tags"] == [
        {
            "source": {
                "id": outlet.pk,
                "slug": outlet.slug,
                "name": outlet.name,
                "kind": "government",
            },
            "role": "quoted",
        }
    ]
    assert body["creator"] == "owner"


@pytest.mark.parametrize("passage", ["left Kadıköy", "q\u0307uoting the port", "🚢"])
def test_create_with_browser_utf16_offsets(owner_client, document, passage) -> None:
    start = TEXT.index(passage)
    response = create(
        owner_client,
        document,
        start=utf16(TEXT, start),
        end=utf16(TEXT, start + len(passage)),
        offset_unit="utf16",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["start"], body["end"], body["quote"]) == (start, start + len(passage), passage)


def test_create_by_quote_with_context(owner_client, document) -> None:
    response = create(owner_client, document, quote="the fare would double", prefix="denied that ")
    assert response.status_code == 201
    assert response.json()["start"] == TEXT.rindex("the fare would double")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start": 5, "end": len(TEXT) + 10}, "end"),
        ({"start": -3, "end": 5}, "start"),
        ({"start": 9, "end": 9}, "end"),
        ({"start": 12, "end": 4}, "end"),
        ({"start": "five", "end": 9}, "start"),
        ({"start": 1.5, "end": 9}, "start"),
        ({"start": 0, "end": 3, "quote": "Ferry"}, "quote"),
        ({"quote": "the fare would double"}, "quote"),
        ({"quote": "a sentence nobody wrote"}, "quote"),
        ({"start": 0, "end": 3, "tags": ["unheard of"]}, "tags"),
        ({"start": 0, "end": 3, "source_tags": [{"source": "nobody"}]}, "source_tags"),
        ({"start": 0, "end": 3, "source_tags": [{"source": "x", "role": "boss"}]}, "source_tags"),
        ({"start": 0, "end": 3, "visibility": "group", "group": 4242}, "group"),
        ({"start": 0, "end": 3, "comment": "x" * 10_001}, "comment"),
        ({}, "quote"),
    ],
)
def test_bad_input_gets_400_with_field_messages(owner_client, document, data, field) -> None:
    response = create(owner_client, document, **data)
    assert response.status_code == 400, response.json()
    assert field in response.json(), response.json()
    assert Annotation.objects.count() == 0


def test_a_mismatched_quote_reports_the_text_found(owner_client, document) -> None:
    body = create(owner_client, document, start=0, end=3, quote="Ferry").json()
    assert body["found"] == "The"
    assert "which reads 'The'" in body["detail"]


def test_annotating_a_missing_document_is_404(owner_client) -> None:
    assert (
        owner_client.post("/api/documents/999999/annotations/", {}, format="json").status_code
        == 404
    )


def test_two_clients_editing_the_same_annotation(client_for, owner, annotate) -> None:
    annotation = annotate()
    first, second = client_for(owner), client_for(owner)  # e.g. two browser tabs
    url = f"/api/annotations/{annotation.pk}/"
    etag = first.get(url)["ETag"]
    assert second.get(url)["ETag"] == etag

    saved = first.patch(url, {"comment": "from the first tab"}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200
    assert saved["ETag"] != etag

    stale = second.patch(url, {"comment": "from the second tab"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert "changed by someone else" in stale.json()["detail"]
    assert stale.json()["current"]["comment"] == "from the first tab"
    annotation.refresh_from_db()
    assert annotation.comment == "from the first tab"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_changes_without_if_match_get_428(owner_client, annotate, method) -> None:
    annotation = annotate()
    data = {"comment": "", "visibility": "private", "tags": [], "source_tags": []}
    response = getattr(owner_client, method)(
        f"/api/annotations/{annotation.pk}/", data, format="json"
    )
    assert response.status_code == 428
    wildcard = getattr(owner_client, method)(
        f"/api/annotations/{annotation.pk}/", data, format="json", HTTP_IF_MATCH="*"
    )
    assert wildcard.status_code == 428


def test_delete_with_a_stale_etag_is_412(owner_client, annotate, owner) -> None:
    annotation = annotate()
    url = f"/api/annotations/{annotation.pk}/"
    owner_client.patch(url, {"comment": "x"}, format="json", HTTP_IF_MATCH=annotation.etag)
    assert owner_client.delete(url, HTTP_IF_MATCH=annotation.etag).status_code == 412
    assert owner_client.delete(url, HTTP_IF_MATCH=f'"{annotation.pk}.2"').status_code == 204
    assert owner_client.get(url).status_code == 404


def test_put_replaces_the_editable_fields(owner_client, annotate, tag) -> None:
    annotation = annotate(comment="before", tags=["Fare dispute"])
    response = owner_client.put(
        f"/api/annotations/{annotation.pk}/",
        {"comment": "after", "visibility": "public", "tags": [], "source_tags": []},
        format="json",
        HTTP_IF_MATCH=annotation.etag,
    )
    assert response.status_code == 200
    assert (response.json()["comment"], response.json()["tags"]) == ("after", [])
    assert response.json()["version"] == 2


def test_annotation_lists_filter_by_tag_source_role_visibility_creator_and_span(
    owner_client, annotate, document, tag, outlet, owner
) -> None:
    claimed = annotate(
        "Şükrü Öğütcü", source_tags=[(outlet.slug, "claimed_by")], tags=["Fare dispute"]
    )
    denied = annotate("denied that", source_tags=[(outlet.slug, "denied_by")], visibility="public")
    other = annotate("ferry")

    def ids(query: str) -> set[int]:
        response = owner_client.get(
            f"/api/documents/{document.pk}/annotations/?{query}", HTTP_ACCEPT="application/json"
        )
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["results"]}

    assert ids(f"tag={tag.slug}") == {claimed.pk}
    assert ids(f"source={outlet.slug}") == {claimed.pk, denied.pk}
    assert ids(f"source={outlet.slug}&role=denied_by") == {denied.pk}
    assert ids("visibility=public") == {denied.pk}
    assert ids("creator=owner") == {claimed.pk, denied.pk, other.pk}
    ferry = TEXT.index("ferry")
    assert ids(f"overlaps={ferry + 2},{ferry + 3}") == {other.pk}
    assert ids(f"overlaps=0,{len(TEXT)}") == {claimed.pk, denied.pk, other.pk}
    across = owner_client.get(f"/api/annotations/?source={outlet.slug}&tag={tag.slug}").json()
    assert [item["id"] for item in across["results"]] == [claimed.pk]
    assert (
        owner_client.get(f"/api/documents/{document.pk}/annotations/?overlaps=9,3").status_code
        == 400
    )


def test_listing_runs_a_constant_number_of_queries(owner_client, annotate, document, tag, outlet):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(
                f"/api/documents/{document.pk}/annotations/?page_size=100",
                HTTP_ACCEPT="application/json",
            )
        assert response.status_code == 200
        return len(captured)

    annotate("ferry", tags=["Fare dispute"], source_tags=[(outlet.slug, "quoted")])
    queries()  # the first request also loads the user's permissions, cached afterwards
    few = queries()
    for passage in ["Kadıköy", "dawn", "Şükrü", "spokesman", "port authority", "denied"]:
        annotate(passage, tags=["Fare dispute"], source_tags=[(outlet.slug, "mentioned")])
    assert queries() == few


def test_an_annotation_serves_its_replies_and_its_history(
    client_for, owner, colleague, annotate
) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    url = f"/api/annotations/{annotation.pk}/"
    reply = client_for(colleague).post(f"{url}replies/", {"body": "Which port?"}, format="json")
    assert reply.status_code == 201
    assert [item["body"] for item in client_for(owner).get(f"{url}replies/").json()] == [
        "Which port?"
    ]
    client_for(owner).patch(
        url, {"comment": "edited"}, format="json", HTTP_IF_MATCH=annotation.etag
    )
    history = client_for(colleague).get(f"{url}history/").json()
    assert [(item["version"], item["action"], item["actor"]) for item in history] == [
        (1, "created", "owner"),
        (2, "updated", "owner"),
    ]
    assert history[1]["changes"]["comment"] == {"before": "", "after": "edited"}


def test_tags_are_created_once_listed_searched_and_curated_only_by_curators(
    client_for, owner, curator
) -> None:
    created = client_for(owner).post("/api/tags/", {"name": "Ateşkes"}, format="json")
    assert created.status_code == 201
    assert (
        client_for(owner).post("/api/tags/", {"name": "ATESKES"}, format="json").status_code == 400
    )
    refused = client_for(owner).post(
        "/api/tags/", {"name": "Ceasefire", "curated": True}, format="json"
    )
    assert refused.status_code == 403
    client_for(curator).post("/api/tags/", {"name": "Ceasefire", "curated": True}, format="json")
    listed = client_for(owner).get("/api/tags/?curated=true").json()["results"]
    assert [tag["name"] for tag in listed] == ["Ceasefire"]
    assert [
        tag["name"] for tag in client_for(owner).get("/api/tags/?q=ates").json()["results"]
    ] == ["Ateşkes"]


def test_a_merged_away_source_is_refused_with_a_field_message(owner_client, document) -> None:
    from tests.factories import SourceFactory

    survivor, merged = SourceFactory(name="Port Authority"), SourceFactory(name="Port Office")
    type(merged).objects.filter(pk=merged.pk).update(merged_into=survivor)
    response = create(owner_client, document, start=0, end=3, source_tags=[{"source": merged.slug}])
    assert response.status_code == 400
    assert "merged into 'Port Authority'" in response.json()["source_tags"][0]
    assert Annotation.objects.count() == 0
