"""Citing an annotated passage (issue 15 §2): one selector builds it, one endpoint serves it,
read through the same visibility rule as the annotation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from annotations.models import Visibility
from annotations.selectors import annotation_citation
from annotations.services import annotation_create

pytestmark = pytest.mark.django_db

PAGE = "https://kaynak.example/documents/{}/"


def test_a_citation_names_the_passage_the_original_the_reprint_and_the_bytes(
    annotate, document
) -> None:
    annotation = annotate("the fare would double")
    citation = annotation_citation(
        annotation=annotation,
        document_url=PAGE.format(document.pk),
        accessed=date(2026, 12, 4),
    )
    address = f"{PAGE.format(document.pk)}#annotation-{annotation.pk}"
    outlet = document.original_outlet.name
    reprinter = document.reprinter.name
    assert citation.text.startswith("“the fare would double”. ")
    for part in (
        f"“{document.title}”",
        f"{outlet}, 4 September 2017",
        f"Reprinted by {reprinter}, 6 September 2017",
        address,
        "accessed 4 December 2026",
        f"SHA-256 of the original: {document.sha256}.",
    ):
        assert part in citation.text
    csl = json.loads(json.dumps(citation.csl))  # plain JSON all through
    assert csl["title"] == document.title
    assert csl["container-title"] == outlet
    assert csl["original-publisher"] == outlet
    assert csl["original-date"] == {"date-parts": [[2017, 9, 4]]}
    assert csl["publisher"] == reprinter
    assert csl["issued"] == {"date-parts": [[2017, 9, 6]]}
    assert csl["URL"] == address
    assert csl["custom"] == {"quote": "the fare would double", "sha256": document.sha256}
    assert document.sha256 in csl["note"]


def test_a_page_note_is_cited_as_a_note_on_the_whole_document(document, owner) -> None:
    note = annotation_create(document=document, creator=owner, page_note=True, comment="See p. 2")
    citation = annotation_citation(
        annotation=note, document_url=PAGE.format(document.pk), accessed=date(2026, 12, 4)
    )
    assert citation.text.startswith("Note on the whole document. ")
    assert citation.csl["custom"]["quote"] == ""


def test_the_citation_endpoint_answers_who_may_read_the_annotation(
    annotate, client_for, owner, colleague, outsider, document
) -> None:
    shared = annotate(visibility=Visibility.GROUP)
    url = f"/api/annotations/{shared.pk}/citation/"
    for user in (owner, colleague):
        response = client_for(user).get(url)
        assert response.status_code == 200
        body = response.json()
        assert body["csl"]["URL"] == (
            f"http://testserver/documents/{document.pk}/#annotation-{shared.pk}"
        )
        assert body["text"].startswith("“the fare would double”")
    assert client_for(None).get(url).status_code in (401, 403)


def test_a_citation_of_an_annotation_you_may_not_read_looks_like_one_that_does_not_exist(
    annotate, client_for, outsider
) -> None:
    private = annotate(comment="A private thought about the ferry.")
    refused = client_for(outsider).get(f"/api/annotations/{private.pk}/citation/")
    missing = client_for(outsider).get(f"/api/annotations/{private.pk + 1000}/citation/")
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    assert "ferry" not in refused.content.decode()
