"""Document search's `annotated:`: documents with annotations the searching user may read that
an annotation query finds."""

from __future__ import annotations

import pytest

from annotations.models import Visibility
from annotations.services import reply_create
from search.engine import search
from search.query import SearchQueryError
from tests.factories import CuratorFactory, DocumentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def found(query: str, user) -> list[int]:
    return sorted(hit.document_id for hit in search(query, user=user).hits)


@pytest.fixture
def private(annotate, committed, owner):
    with committed():
        annotation = annotate(comment="Yosunlu rıhtım, a private lead")
        reply_create(annotation=annotation, author=owner, body="checked the lodos log")
    return annotation


@pytest.mark.parametrize(
    ("who", "finds"), [("owner", True), ("colleague", False), ("outsider", False)]
)
def test_annotated_finds_a_document_only_for_who_may_read_the_annotation(
    private, request, who, finds
) -> None:
    user = request.getfixturevalue(who)
    expected = [private.document_id] if finds else []
    assert found("annotated:yosunlu", user) == expected
    assert found('annotated:"rihtim lead"', user) == expected
    assert found("annotated:lodos", user) == expected


def test_a_curator_finds_every_annotated_document(private) -> None:
    assert found("annotated:yosunlu", CuratorFactory()) == [private.document_id]


def test_annotated_combines_with_the_rest_of_the_query(
    annotate, committed, owner, outsider, tag, outlet
) -> None:
    with committed():
        other = DocumentFactory(body="The ferry was late again and the fare would double.")
        shared = annotate(
            visibility=Visibility.PUBLIC, tags=["Fare dispute"], comment="a disputed fare"
        )
    assert found('annotated:"tag:fare"', outsider) == [shared.document_id]
    assert found("ferry annotated:disputed", outsider) == [shared.document_id]
    assert found("ferry NOT annotated:disputed", outsider) == [other.pk]
    assert found("annotated:disputed OR annotated:nothing", outsider) == [shared.document_id]
    assert found("annotated:nothing", outsider) == []
    # The words of the clause search annotations, not documents.
    assert found('annotated:"was late"', outsider) == []


@pytest.mark.parametrize("query", ['annotated:"title:ferry"', 'annotated:"*ry"'])
def test_an_annotation_query_that_cannot_be_run_is_refused(owner, query) -> None:
    with pytest.raises(SearchQueryError):
        search(query, user=owner)


def test_no_query_can_name_the_placeholders_of_annotated(owner) -> None:
    with pytest.raises(SearchQueryError, match="unknown field 'id'"):
        search("id:annotated_0", user=owner)
