"""Annotation tags and source tags reach search through the one index path, after commit,
and only from public annotations."""

from __future__ import annotations

import pytest

from annotations.models import Visibility
from annotations.services import annotation_hide, annotation_update, tag_create
from archive.search import search
from archive.services import source_alias_add

pytestmark = pytest.mark.django_db


def found(query: str, user) -> list[int]:
    return [hit.document_id for hit in search(query, user=user).hits]


@pytest.fixture
def public(annotate, committed, tag, outlet):
    with committed():
        return annotate(
            visibility=Visibility.PUBLIC,
            tags=["Fare dispute"],
            source_tags=[(outlet.slug, "claimed_by")],
        )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_public_tags_and_sources_are_searchable(public, outsider, outlet, committed) -> None:
    assert found('tag:"fare dispute"', outsider) == [public.document_id]
    assert found('source:"Harbour Ministry"', outsider) == [public.document_id]
    with committed():
        source_alias_add(source=outlet, name="Liman Bakanlığı", actor=None)
    assert found('source:"liman bakanligi"', outsider) == [public.document_id]


def test_tag_and_source_facets_and_filters(public, client_for, outsider, tag, outlet) -> None:
    client = client_for(outsider)
    result = client.get("/api/search/").json()
    assert result["facets"]["tag"] == [{"value": tag.slug, "label": "Fare dispute", "count": 1}]
    assert result["facets"]["source"] == [
        {"value": outlet.slug, "label": "Harbour Ministry", "count": 1}
    ]
    assert client.get(f"/api/search/?tag={tag.slug}").json()["total"] == 1
    assert client.get(f"/api/search/?source={outlet.slug}").json()["total"] == 1
    assert client.get("/api/search/?tag=no-such-tag").status_code == 400


def test_changing_tags_reindexes_the_document(public, owner, committed) -> None:
    tag_create(name="Ferry strike", actor=owner)
    with committed():
        annotation_update(annotation=public, actor=owner, expected_version=1, tags=["Ferry strike"])
    assert found('tag:"ferry strike"', owner) == [public.document_id]
    assert found('tag:"fare dispute"', owner) == []


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.GROUP])
def test_private_and_group_annotations_never_reach_search(
    annotate, committed, tag, outlet, outsider, colleague, visibility
) -> None:
    tag_create(name="Confidential lead", actor=outsider)
    with committed():
        annotate(
            visibility=visibility,
            tags=["Confidential lead"],
            source_tags=[(outlet.slug, "reported_by")],
        )
    for user in (outsider, colleague):
        assert found('tag:"confidential lead"', user) == []
        assert found('source:"Harbour Ministry"', user) == []
        result = search("", user=user)
        assert result.facets["tag"] == [] and result.facets["source"] == []


def test_hiding_removes_an_annotations_terms(public, curator, outsider, committed) -> None:
    with committed():
        annotation_hide(annotation=public, actor=curator, reason="unsupported")
    assert found('tag:"fare dispute"', outsider) == []


def test_changes_that_touch_no_indexed_term_do_not_reindex(annotate, owner, committed) -> None:
    with committed() as callbacks:
        private = annotate(comment="a private note")
        annotation_update(annotation=private, actor=owner, expected_version=1, comment="edited")
    assert callbacks == []


def test_deleting_a_public_tagged_annotation_reindexes(public, owner, committed) -> None:
    from annotations.services import annotation_delete

    with committed():
        annotation_delete(annotation=public, actor=owner, expected_version=1)
    assert found('tag:"fare dispute"', owner) == []
