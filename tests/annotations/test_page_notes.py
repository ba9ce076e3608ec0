"""Page notes: annotations on the whole document, with no span (issue 14 §3)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError

from annotations.models import Annotation, AnnotationRevision
from annotations.services import AnnotationRefused, annotation_create
from annotations.w3c import ANNO_CONTEXT, MEDIA_TYPE
from tests.annotations import w3c_suite
from tests.annotations.test_constraints import execute, refused

pytestmark = pytest.mark.django_db

ACCEPT = {"HTTP_ACCEPT": MEDIA_TYPE}


@pytest.fixture
def page_note(document, owner) -> Annotation:
    return annotation_create(
        document=document, creator=owner, page_note=True, comment="Read with the next issue."
    )


def test_a_page_note_is_on_the_whole_document(page_note) -> None:
    assert (page_note.start, page_note.end, page_note.quote) == (None, None, "")
    assert page_note.is_page_note
    [revision] = AnnotationRevision.objects.filter(annotation=page_note)
    assert revision.action == "created"
    assert revision.changes["comment"]["after"] == "Read with the next issue."


@pytest.mark.parametrize(
    "span", [{"start": 0, "end": 3}, {"quote": "ferry"}, {"prefix": "The "}], ids=str
)
def test_a_page_note_takes_no_span(document, owner, span) -> None:
    with pytest.raises(AnnotationRefused, match="whole document"):
        annotation_create(document=document, creator=owner, page_note=True, **span)


def test_the_database_refuses_half_a_span_or_a_quote_without_one(page_note) -> None:
    for sql, params in [
        ('UPDATE annotations_annotation SET "start" = %s WHERE id = %s', [0, page_note.pk]),
        ("UPDATE annotations_annotation SET quote = %s WHERE id = %s", ["x", page_note.pk]),
    ]:
        # The span never changes (trigger, made again after the table's rebuild) and a page
        # note never has half of one (check constraint): either refusal will do.
        with pytest.raises(IntegrityError):
            execute(sql, params)
    with refused("span_or_page_note"):
        execute(
            "INSERT INTO annotations_annotation (document_id, start, quote, prefix, suffix, "
            "comment, visibility, creator_id, created_at, modified_at, version, "
            "hidden_reason, deletion_reason, canonical, via, imported_from, imported_creator) "
            "SELECT document_id, 0, '', '', '', '', 'private', creator_id, created_at, "
            "modified_at, 1, '', '', '', '[]', '', '' "
            "FROM annotations_annotation WHERE id = %s",
            [page_note.pk],
        )


def test_the_api_creates_a_page_note_and_lists_it_first(client_for, owner, document, annotate):
    annotate("ferry")
    client = client_for(owner)
    url = f"/api/documents/{document.pk}/annotations/"
    made = client.post(url, {"page_note": True, "comment": "On the whole."}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["page_note"], body["start"], body["end"], body["quote"]) == (True, None, None, "")
    listed = client.get(url, HTTP_ACCEPT="application/json").json()["results"]
    assert [item["page_note"] for item in listed] == [True, False]
    refused_span = client.post(url, {"page_note": True, "start": 0, "end": 3}, format="json")
    assert refused_span.status_code == 400


def test_a_page_notes_web_annotation_targets_the_document_without_a_selector(
    client_for, owner, page_note, document
) -> None:
    client = client_for(owner)
    body = client.get(f"/api/annotations/{page_note.pk}/", **ACCEPT).json()
    assert body["target"] == {"source": f"http://testserver/api/documents/{document.pk}/"}
    assert w3c_suite.failures(body, "annotations/annotationMusts.test") == [], body

    payload = {
        "@context": ANNO_CONTEXT,
        "type": "Annotation",
        "bodyValue": "A note on the whole clipping.",
        "target": f"http://testserver/api/documents/{document.pk}/",
    }
    made = client.post(
        f"/api/documents/{document.pk}/annotations/",
        json.dumps(payload),
        content_type=MEDIA_TYPE,
        **ACCEPT,
    )
    assert made.status_code == 201, made.content
    created = Annotation.objects.get(comment="A note on the whole clipping.")
    assert created.is_page_note
