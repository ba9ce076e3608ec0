"""Real objects, every way they can be asked for: each answer (status, content type, body)
must be the one the OpenAPI schema declares. The fuzz test mostly meets random ids; this one
meets the annotations, replies, revisions, downloads and preconditions that exist."""

from __future__ import annotations

import pytest
import schemathesis
from django.test import Client
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, Visibility
from annotations.services import annotation_create, annotation_update, reply_create
from annotations.w3c import MEDIA_TYPE as W3C
from kaynak.wsgi import application
from tests.factories import DocumentFactory, FacsimileFactory, UserFactory
from tests.kaynak.test_api_fuzz import CHECKS, UNCLOSED_DOWNLOADS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("wsgi_keeps_the_test_connection"),
    *UNCLOSED_DOWNLOADS,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
BODY = "The ferry fare would double, the captain said at the quay."


@pytest.fixture
def annotation(django_capture_on_commit_callbacks) -> Annotation:
    author = UserFactory(username="author")
    with django_capture_on_commit_callbacks(execute=True):
        document = DocumentFactory(title="FERRY FARES", body=BODY)
        FacsimileFactory(document=document)
    annotation = annotation_create(
        document=document,
        creator=author,
        quote="the captain said",
        comment="First reading.",
        visibility=Visibility.PUBLIC,
    )
    annotation = annotation_update(
        annotation=annotation, actor=author, expected_version=1, comment="Second reading."
    )
    reply_create(annotation=annotation, author=author, body="Seen in the other reprint too.")
    return annotation


@pytest.fixture
def headers(annotation: Annotation) -> dict[str, str]:
    return {"Authorization": f"Token {Token.objects.create(user=annotation.creator).key}"}


def answer(path: str, method: str, auth: dict[str, str], **case) -> int:
    """Make the request through the WSGI app; fail on any answer the schema does not declare."""
    if "body" in case:
        case.setdefault("media_type", "application/json")
    made = schema[path][method].Case(headers={**auth, **case.pop("headers", {})}, **case)
    return made.call_and_validate(checks=CHECKS).status_code


@pytest.mark.parametrize("accept", ["application/json", W3C, "application/ld+json"])
def test_annotations_answer_as_declared_in_json_and_w3c(
    annotation: Annotation, headers: dict[str, str], accept: str
) -> None:
    ids = {"id": annotation.pk}
    wanted = {"headers": {"Accept": accept}}
    assert answer("/api/annotations/{id}/", "GET", headers, path_parameters=ids, **wanted) == 200
    document = {"id": annotation.document_id}
    assert (
        answer(
            "/api/documents/{id}/annotations/", "GET", headers, path_parameters=document, **wanted
        )
        == 200
    )
    # The list across documents is Kaynak's JSON only; the W3C model is per document.
    listed = answer("/api/annotations/", "GET", headers, **wanted)
    assert listed == (200 if accept == "application/json" else 406)


def test_history_and_replies_answer_as_declared(
    annotation: Annotation, headers: dict[str, str]
) -> None:
    ids = {"id": annotation.pk}
    assert answer("/api/annotations/{id}/history/", "GET", headers, path_parameters=ids) == 200
    assert answer("/api/annotations/{id}/replies/", "GET", headers, path_parameters=ids) == 200


@pytest.mark.parametrize("kind", ["jsonld", "csv", "jsonl"])
def test_exports_answer_as_declared(annotation: Annotation, headers: dict, kind: str) -> None:
    ids = {"id": annotation.document_id}
    path = "/api/documents/{id}/annotations/export/"
    assert answer(path, "GET", headers, path_parameters=ids, query={"as": kind}) == 200


def test_downloads_answer_as_declared(annotation: Annotation, headers: dict[str, str]) -> None:
    document = {"id": annotation.document_id}
    facsimile = {"id": annotation.document.facsimiles.get().pk}
    assert answer("/api/documents/{id}/original", "GET", headers, path_parameters=document) == 200
    for path in (
        "/api/facsimiles/{id}/original",
        "/api/facsimiles/{id}/thumbnail",
        "/api/facsimiles/{id}/display",
    ):
        assert answer(path, "GET", headers, path_parameters=facsimile) == 200, path


def test_changes_without_or_with_a_stale_if_match_answer_428_and_412_as_declared(
    annotation: Annotation, headers: dict[str, str]
) -> None:
    ids = {"id": annotation.pk}
    body = {"comment": "Third reading."}
    path = "/api/annotations/{id}/"
    assert answer(path, "PATCH", headers, path_parameters=ids, body=body) == 428
    stale = {"If-Match": f'"{annotation.pk}.1"'}
    assert answer(path, "PATCH", headers, path_parameters=ids, body=body, headers=stale) == 412
    assert answer(path, "DELETE", headers, path_parameters=ids) == 428


def test_missing_things_answer_404_as_declared(headers: dict[str, str]) -> None:
    missing = {"id": 999_999}
    assert answer("/api/annotations/{id}/", "GET", headers, path_parameters=missing) == 404
    assert answer("/api/documents/{id}/", "GET", headers, path_parameters=missing) == 404
    assert answer("/api/annotations/", "GET", headers, query={"page": 999}) == 404


def test_field_errors_carry_a_detail(headers: dict[str, str]) -> None:
    assert answer("/api/tags/", "POST", headers, body={}) == 400
    body = (
        Client()
        .post(
            "/api/tags/",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=headers["Authorization"],
        )
        .json()
    )
    assert body["detail"] == "name: This field is required."
    assert body["name"] == ["This field is required."]


def test_an_import_answers_its_report_and_its_refusals_as_declared(
    annotation: Annotation, headers: dict[str, str], settings
) -> None:
    target = {
        "source": f"http://localhost/api/documents/{annotation.document_id}/",
        "selector": {"type": "TextQuoteSelector", "exact": "ferry fare"},
    }
    item = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "target": target}
    path = "/api/annotations/import/"
    assert answer(path, "POST", headers, body=item, query={"dry_run": True}) == 200
    assert answer(path, "POST", headers, body={"type": "Person"}) == 400
    settings.KAYNAK_MAX_UPLOAD_BYTES = 10
    assert answer(path, "POST", headers, body=item) == 413
