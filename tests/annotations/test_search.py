"""Annotation tags and source tags reach search through the one index path, after commit,
and only from public annotations."""

from __future__ import annotations

import tempfile

import pytest
from django.test import Client

from annotations.models import Visibility
from annotations.services import annotation_hide, annotation_update, tag_create
from archive.services import source_alias_add
from search.documents import documents_for_index
from search.engine import pending_document_ids, search
from search.schema import document_fields
from tests.search.conftest import index_entries, index_holds_term

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def index_fingerprint(document_id: int) -> str:
    """What the document's index entry should be now, by the database."""
    [(document, terms)] = documents_for_index([document_id])
    return document_fields(document, terms)["fingerprint"]


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


def test_a_tag_made_private_is_found_by_nobody_while_its_index_update_waits(
    public, owner, outsider, tag, outlet, client_for
) -> None:
    """The worker is stopped: the change is committed, its index task queued and not run."""
    annotation_update(
        annotation=public, actor=owner, expected_version=1, visibility=Visibility.PRIVATE
    )
    assert pending_document_ids() == {public.document_id}
    assert index_holds_term("tag", "dispute")  # the index itself still holds the tag
    for user in (owner, outsider):
        assert found('tag:"fare dispute"', user) == []
        assert found("dispute", user) == []  # free text reaches tags too
        assert found('source:"Harbour Ministry"', user) == []
        everything = search("", user=user)
        assert everything.facets["tag"] == [] and everything.facets["source"] == []
        # The document itself is still found, read afresh from the database.
        assert found("ferry", user) == [public.document_id]
        api = client_for(user)
        for params in ({"q": 'tag:"fare dispute"'}, {"q": "dispute"}, {"tag": tag.slug}):
            assert api.get("/api/search/", params).json()["total"] == 0, params
        listed = api.get("/api/search/").json()
        assert listed["facets"]["tag"] == [] and listed["facets"]["source"] == []
        assert listed["total"] == 1
        browser = Client()
        browser.force_login(user)
        page = browser.get("/", {"q": "ferry"}).content.decode()
        assert "1 document" in page and "Fare dispute" not in page
        assert "0 documents" in browser.get("/", {"q": "dispute"}).content.decode()


def test_the_worker_removes_a_private_tag_from_the_index(public, owner, outsider, drain) -> None:
    annotation_update(
        annotation=public, actor=owner, expected_version=1, visibility=Visibility.PRIVATE
    )
    assert drain() == 1
    assert pending_document_ids() == set()
    entry = index_entries()[public.document_id]
    assert entry["fingerprint"] == index_fingerprint(public.document_id)
    assert found('tag:"fare dispute"', outsider) == []


@pytest.mark.whoosh_only(reason="Whoosh's in-memory index and its temporary folder")
def test_reading_pending_documents_afresh_leaves_other_searches_temporary_files_alone(
    public, owner, tmp_path, monkeypatch
) -> None:
    """Whoosh's in-memory index staged its sort columns in `<tmp>/MAIN.tmp` and emptied that
    folder on every write, deleting the files of a search doing the same at that moment."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / "MAIN.tmp"
    shared.mkdir()
    (shared / "another-search.ctmp").write_bytes(b"columns being written")
    annotation_update(
        annotation=public, actor=owner, expected_version=1, visibility=Visibility.PRIVATE
    )
    assert pending_document_ids() == {public.document_id}
    assert found("ferry", owner) == [public.document_id]  # read afresh from the database
    assert (shared / "another-search.ctmp").read_bytes() == b"columns being written"
    assert list(tmp_path.glob("kaynak-fresh-index-*")) == []  # its own folder is gone
