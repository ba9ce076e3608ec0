"""Curation through the API: curators may, researchers get 403, anonymous callers 401."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from annotations.services import annotation_create
from archive.models import Document, EventType, Source, SourceEvent, SourceEventType
from archive.services import document_withdraw, source_merge
from archive.services.documents import document_etag
from archive.services.sources import source_etag
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(curator, researcher) -> Callable[[str], APIClient]:
    users = {"curator": curator, "researcher": researcher, "anonymous": None}

    def make(persona: str) -> APIClient:
        client = APIClient()
        if users[persona] is not None:
            client.force_authenticate(users[persona])
        return client

    return make


@pytest.fixture
def pair(curator) -> tuple[Source, Source]:
    return SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")


def if_match(document: Document) -> str:
    return f'"{document_etag(document)}"'


def merged_pair(pair, curator) -> SourceEvent:
    gazette, times = pair
    return source_merge(sources=[gazette], into=times, actor=curator, reason="same")


OPERATIONS = {
    "create": lambda c, pair, doc: c.post(
        "/api/sources/", {"name": "Bay Herald", "kind": "outlet"}, format="json"
    ),
    "update": lambda c, pair, doc: c.patch(
        f"/api/sources/{pair[0].slug}/",
        {"kind": "agency"},
        format="json",
        HTTP_IF_MATCH=f'"{source_etag(pair[0])}"',
    ),
    "alias_add": lambda c, pair, doc: c.post(
        f"/api/sources/{pair[0].slug}/aliases/", {"name": "The Gazette"}, format="json"
    ),
    "merge": lambda c, pair, doc: c.post(
        f"/api/sources/{pair[1].slug}/merge/",
        {"sources": [pair[0].slug], "reason": "same paper"},
        format="json",
    ),
    "document_update": lambda c, pair, doc: c.patch(
        f"/api/documents/{doc.pk}/",
        {"title": "A CORRECTED TITLE"},
        format="json",
        HTTP_IF_MATCH=if_match(doc),
    ),
    "withdraw": lambda c, pair, doc: c.post(
        f"/api/documents/{doc.pk}/withdraw/", {"reason": "duplicate"}, format="json"
    ),
}


def changed(operation: str, pair, document) -> bool:
    gazette, times = pair
    gazette.refresh_from_db()
    document.refresh_from_db()
    return {
        "create": lambda: Source.objects.filter(name="Bay Herald").exists(),
        "update": lambda: gazette.kind == "agency",
        "alias_add": lambda: gazette.aliases.filter(name="The Gazette").exists(),
        "merge": lambda: gazette.merged_into_id == times.pk,
        "document_update": lambda: document.title == "A CORRECTED TITLE",
        "withdraw": lambda: document.is_withdrawn,
    }[operation]()


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(
    ("persona", "status"), [("curator", None), ("researcher", 403), ("anonymous", 401)]
)
def test_each_curation_operation_is_for_curators_only(
    as_user, pair, operation, persona, status
) -> None:
    document = DocumentFactory()
    response = OPERATIONS[operation](as_user(persona), pair, document)
    if status is None:
        assert response.status_code in (200, 201), response.data
        assert changed(operation, pair, document)
    else:
        assert response.status_code == status
        assert not changed(operation, pair, document)


@pytest.mark.parametrize(
    ("persona", "status"), [("curator", 200), ("researcher", 403), ("anonymous", 401)]
)
def test_only_curators_undo_a_merge(as_user, pair, curator, persona, status) -> None:
    merge = merged_pair(pair, curator)
    response = as_user(persona).post(
        f"/api/sources/{pair[1].slug}/unmerge/", {"reason": "two papers"}, format="json"
    )
    assert response.status_code == status
    assert Source.objects.get(pk=pair[0].pk).is_live is (status == 200)
    if status == 200:
        assert response.data["undoes"] == merge.pk


@pytest.mark.parametrize(
    ("persona", "status"), [("curator", 200), ("researcher", 403), ("anonymous", 401)]
)
def test_only_curators_remove_an_alias(as_user, pair, curator, persona, status) -> None:
    gazette = pair[0]
    gazette.aliases.create(name="The Gazette", normalized_name="the gazette")
    response = as_user(persona).delete(f"/api/sources/{gazette.slug}/aliases/the%20GAZETTE/")
    assert response.status_code == status
    assert gazette.aliases.filter(name="The Gazette").exists() is (status != 200)


@pytest.mark.parametrize(
    ("persona", "status"), [("curator", 200), ("researcher", 403), ("anonymous", 401)]
)
def test_only_curators_restore_a_withdrawn_document(as_user, curator, persona, status) -> None:
    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="t", reason="x")
    response = as_user(persona).post(f"/api/documents/{document.pk}/restore/", format="json")
    assert response.status_code == status
    assert Document.objects.get(pk=document.pk).is_withdrawn is (status != 200)


def test_a_tombstone_url_answers_with_the_target(as_user, pair, curator) -> None:
    merged_pair(pair, curator)
    gazette, times = pair
    response = as_user("researcher").get(f"/api/sources/{gazette.slug}/")
    assert response.status_code == 200
    assert response.data["slug"] == times.slug
    assert "Harbour Gazette" in response.data["aliases"]
    assert response["Content-Location"] == f"/api/sources/{times.slug}/"


def test_merged_sources_leave_the_source_list(as_user, pair, curator) -> None:
    merged_pair(pair, curator)
    response = as_user("researcher").get("/api/sources/")
    assert [item["slug"] for item in response.data["results"]] == [pair[1].slug]


def test_refused_merge_answers_400_with_the_reason(as_user, pair) -> None:
    response = as_user("curator").post(
        f"/api/sources/{pair[0].slug}/merge/",
        {"sources": [pair[0].slug], "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "into itself" in response.data["detail"]


def test_unmerge_conflict_answers_400_naming_it(as_user, pair, curator) -> None:
    times = pair[1]
    document = DocumentFactory(outlet_line="Harbour Gazette, September 4 2017")
    merge = merged_pair(pair, curator)
    Document.objects.filter(pk=document.pk).update(original_outlet=SourceFactory())
    response = as_user("curator").post(
        f"/api/sources/{times.slug}/unmerge/", {"event": merge.pk, "reason": "y"}, format="json"
    )
    assert response.status_code == 400
    assert f"document {document.pk}" in response.data["detail"]


def test_source_history_lists_merge_and_unmerge(as_user, pair, curator) -> None:
    merged_pair(pair, curator)
    as_user("curator").post(f"/api/sources/{pair[1].slug}/unmerge/", {"reason": "y"}, format="json")
    response = as_user("researcher").get(f"/api/sources/{pair[1].slug}/events/")
    types = [event["event_type"] for event in response.data["results"]]
    assert types == [SourceEventType.CREATION, SourceEventType.MERGE, SourceEventType.UNMERGE]
    assert response.data["results"][1]["actor"] == "curator"


def test_document_update_records_before_and_after(as_user) -> None:
    document = DocumentFactory()
    outlet = SourceFactory(name="Bay Herald")
    response = as_user("curator").patch(
        f"/api/documents/{document.pk}/",
        {"original_outlet": outlet.slug, "original_published_on": "2017-09-03"},
        format="json",
        HTTP_IF_MATCH=if_match(document),
    )
    assert response.status_code == 200, response.data
    event = document.events.get(event_type=EventType.METADATA_CHANGE)
    assert event.detail["changes"]["original_outlet"]["after"] == {
        "id": outlet.pk,
        "name": "Bay Herald",
    }
    assert event.detail["changes"]["original_published_on"] == {
        "before": "2017-09-04",
        "after": "2017-09-03",
    }


def test_document_text_cannot_be_edited_through_the_api(as_user) -> None:
    document = DocumentFactory()
    response = as_user("curator").patch(
        f"/api/documents/{document.pk}/",
        {"text": "rewritten"},
        format="json",
        HTTP_IF_MATCH=if_match(document),
    )
    assert response.status_code == 400
    assert "text cannot be edited" in str(response.data)
    assert Document.objects.get(pk=document.pk).text == document.text


def test_withdrawn_documents_are_gone_for_researchers_everywhere(
    as_user, curator, researcher
) -> None:
    document = DocumentFactory()
    annotation = annotation_create(
        document=document, creator=researcher, quote="bridge", visibility="public"
    )
    document_withdraw(document=document, actor=curator, agent="t", reason="x")
    client = as_user("researcher")
    assert client.get(f"/api/documents/{document.pk}/").status_code == 404
    assert client.get(f"/api/documents/{document.pk}/annotations/").status_code == 404
    assert client.get(f"/api/annotations/{annotation.pk}/").status_code == 404
    assert client.get("/api/documents/").data["count"] == 0
    staff = as_user("curator")
    assert staff.get(f"/api/documents/{document.pk}/").data["withdrawal_reason"] == "x"
    assert staff.get("/api/documents/").data["count"] == 1


def test_a_withdrawn_documents_facsimiles_are_gone_for_researchers(as_user, curator) -> None:
    from tests.factories import FacsimileFactory

    facsimile = FacsimileFactory()
    document_withdraw(document=facsimile.document, actor=curator, agent="t", reason="x")
    client = as_user("researcher")
    assert client.get(f"/api/facsimiles/{facsimile.pk}/").status_code == 404
    assert client.get(f"/api/facsimiles/{facsimile.pk}/original").status_code == 404
    assert client.get(f"/api/documents/{facsimile.document_id}/facsimiles/").status_code == 404
    assert as_user("curator").get(f"/api/facsimiles/{facsimile.pk}/").status_code == 200


def test_a_metadata_edit_without_if_match_is_refused_with_428(as_user) -> None:
    document = DocumentFactory()
    response = as_user("curator").patch(
        f"/api/documents/{document.pk}/", {"title": "A CORRECTED TITLE"}, format="json"
    )
    assert response.status_code == 428
    assert Document.objects.get(pk=document.pk).title == document.title


def test_two_curators_editing_one_document_cannot_lose_an_edit(as_user, curator) -> None:
    document = DocumentFactory()
    first, second = as_user("curator"), as_user("curator")
    read_by_first = first.get(f"/api/documents/{document.pk}/")["ETag"]
    read_by_second = second.get(f"/api/documents/{document.pk}/")["ETag"]
    assert read_by_first == read_by_second == if_match(document)

    saved = first.patch(
        f"/api/documents/{document.pk}/",
        {"title": "THE FIRST CORRECTION"},
        format="json",
        HTTP_IF_MATCH=read_by_first,
    )
    assert saved.status_code == 200
    assert saved["ETag"] != read_by_first

    stale = second.patch(
        f"/api/documents/{document.pk}/",
        {"byline": "By a second hand"},
        format="json",
        HTTP_IF_MATCH=read_by_second,
    )
    assert stale.status_code == 412
    assert "changed by someone else" in stale.data["detail"]
    assert stale.data["current_etag"] == saved["ETag"].strip('"')
    document.refresh_from_db()
    assert (document.title, document.byline) == ("THE FIRST CORRECTION", "")


def test_a_fixity_check_does_not_make_a_read_stale(as_user) -> None:
    from archive.services import document_fixity_check

    document = DocumentFactory()
    etag = as_user("curator").get(f"/api/documents/{document.pk}/")["ETag"]
    document_fixity_check(document=document, actor=None, agent="test")
    assert as_user("curator").get(f"/api/documents/{document.pk}/")["ETag"] == etag
