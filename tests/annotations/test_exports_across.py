"""The export of any annotation search (GET /api/annotations/export/): across documents,
only what the asking user may read, replies included with their text, streamed."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import RequestFactory

from annotations import exports
from annotations.selectors import AnnotationFilters, annotation_export
from annotations.services import reply_create
from annotations.w3c import ANNO_CONTEXT
from tests.annotations import w3c_suite
from tests.annotations.conftest import TEXT
from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

URL = "/api/annotations/export/"


@pytest.fixture
def spread(annotate, owner, colleague, tag, outlet):
    """Annotations on two documents, of every visibility, one with a thread of replies."""
    # A reprint: the same text and a line more (the annotate fixture anchors by TEXT).
    other = DocumentFactory(body=TEXT + "\n\nReprinted by an invented weekly.")
    tagged = annotate(tags=["Fare dispute"], visibility="public", comment="First sighting.")
    elsewhere = annotate(on=other, tags=["Fare dispute"], visibility="group")
    private = annotate("ferry", comment="My own lead.")
    reply_create(annotation=tagged, author=colleague, body="Seen in two more reprints.")
    reply_create(annotation=tagged, author=owner, body='=HYPERLINK("https://invented.example")')
    return {"tagged": tagged, "elsewhere": elsewhere, "private": private}


def lines(response) -> list[dict]:
    assert response.streaming
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_a_search_exports_across_documents_with_replies_and_their_text(
    client_for, owner, spread, tag
) -> None:
    response = client_for(owner).get(f"{URL}?as=jsonl&tag={tag.slug}")
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Disposition"] == 'attachment; filename="annotations.jsonl"'
    rows = lines(response)
    assert {row["id"] for row in rows} == {spread["tagged"].pk, spread["elsewhere"].pk}
    assert len({row["document"] for row in rows}) == 2
    thread = next(row for row in rows if row["id"] == spread["tagged"].pk)["replies"]
    assert [(reply["author"], reply["body"]) for reply in thread] == [
        ("colleague", "Seen in two more reprints."),
        ("owner", '=HYPERLINK("https://invented.example")'),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", {"tagged", "elsewhere", "private"}),
        ("colleague", {"tagged", "elsewhere"}),
        ("outsider", {"tagged"}),
    ],
)
def test_an_export_holds_only_what_the_asking_user_may_read(
    request, client_for, spread, persona, expected
) -> None:
    user = request.getfixturevalue(persona)
    rows = lines(client_for(user).get(f"{URL}?as=jsonl"))
    assert {row["id"] for row in rows} == {spread[name].pk for name in expected}
    text = json.dumps(rows)
    assert ("My own lead." in text) == (persona == "owner")


def test_the_csv_export_has_a_row_per_reply_and_neutralises_formulas(
    client_for, owner, spread
) -> None:
    response = client_for(owner).get(f"{URL}?as=csv")
    content = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    assert [row["kind"] for row in rows].count("annotation") == 3
    replies = [row for row in rows if row["kind"] == "reply"]
    assert {row["reply_to"] for row in replies} == {str(spread["tagged"].pk)}
    assert {row["comment"] for row in replies} == {
        "Seen in two more reprints.",
        '\'=HYPERLINK("https://invented.example")',
    }


def test_the_jsonld_export_is_a_collection_whose_pages_pass_the_w3c_musts(owner, spread) -> None:
    request = RequestFactory().get(URL)
    request.user = owner
    annotations, total = annotation_export(user=owner, filters=AnnotationFilters())
    assert total == 3 + 2
    text = "".join(
        exports.stream_jsonld(
            annotations.iterator(chunk_size=2),
            total=total,
            iri="http://testserver/api/annotations/export/",
            label="test",
            request=request,
            page_size=2,
        )
    )
    document = json.loads(text)
    collection, *pages = document["@graph"]
    context = document["@context"]
    assert (
        w3c_suite.failures({"@context": context, **collection}, "collections/collectionMusts.test")
        == []
    )
    assert collection["last"].endswith("#page-3")
    by_iri = {page["id"]: page for page in pages}
    page, walked, starts = by_iri[collection["first"]], [], []
    while True:
        starts.append(page["startIndex"])
        assert page["partOf"]["id"] == collection["id"]
        alone = {"@context": context, **page}
        assert w3c_suite.failures(alone, "collections/pages/pageMusts.test") == []
        for item in page["items"]:
            assert (
                w3c_suite.failures(
                    {"@context": ANNO_CONTEXT, **item}, "annotations/annotationMusts.test"
                )
                == []
            ), item
        walked += page["items"]
        if "next" not in page:
            break
        assert by_iri[page["next"]]["prev"] == page["id"]
        page = by_iri[page["next"]]
    assert page["id"] == collection["last"]
    assert starts == [0, 2, 4]
    assert len(walked) == total
    replies = [item for item in walked if item["motivation"] == "replying"]
    assert [reply["body"]["value"] for reply in replies] == [
        "Seen in two more reprints.",
        '=HYPERLINK("https://invented.example")',
    ]
    assert {reply["target"] for reply in replies} == {
        f"http://testserver/api/documents/{spread['tagged'].document_id}/annotations/"
        f"{spread['tagged'].pk}/"
    }


def test_the_jsonld_export_through_the_api(client_for, owner, spread) -> None:
    response = client_for(owner).get(f"{URL}?as=jsonld&visibility=public")
    assert response["Content-Type"] == "application/ld+json"
    document = json.loads(b"".join(response.streaming_content))
    collection, first = document["@graph"]
    assert collection["total"] == 3  # the public annotation and its two replies
    assert first["id"] == collection["first"] == collection["last"]
    assert len(first["items"]) == 3


def test_an_empty_export_is_still_a_collection(client_for, outsider) -> None:
    document = json.loads(b"".join(client_for(outsider).get(URL).streaming_content))
    [collection] = document["@graph"]
    assert (collection["type"], collection["total"]) == ("AnnotationCollection", 0)
    assert "first" not in collection


def test_an_unknown_format_is_refused(client_for, owner) -> None:
    assert client_for(owner).get(f"{URL}?as=xml").status_code == 400
