"""A source merge and its undoing leave a trace where they land: an event on every document
whose outlet or reprinter they change, a revision on every annotation whose source tags they
change (its version raised, so a stale ETag gets 412)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotations.models import AnnotationRevision, RevisionAction
from annotations.services import SourceTagInput, annotation_create
from archive.models import EventType, Source
from archive.services import document_update, source_merge, source_unmerge
from archive.services.checkpoints import provenance_checkpoint
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def outlets() -> tuple[Source, Source]:
    return SourceFactory(name="Harbour Gazette"), SourceFactory(name="Harbor Gazette Online")


def documents_of(copy: Source, count: int, curator) -> list:
    """`count` documents published by `copy`, and one more it reprinted (set through the
    service, so the change is on record)."""
    documents = [
        DocumentFactory(outlet_line=f"{copy.name}, March {day} 2017") for day in range(1, count + 1)
    ]
    reprinted = DocumentFactory()
    document_update(document=reprinted, actor=curator, agent="test", reprinter=copy)
    return [*documents, reprinted]


def test_merge_and_unmerge_leave_an_event_on_every_repointed_document(outlets, curator) -> None:
    main, copy = outlets
    *published, reprinted = documents_of(copy, 2, curator)
    assert {document.original_outlet_id for document in published} == {copy.pk}
    bystander = DocumentFactory()

    merge = source_merge(sources=[copy], into=main, actor=curator, reason="one paper")
    for document in published:
        event = document.events.order_by("sequence").last()
        assert (event.event_type, event.actor) == (EventType.METADATA_CHANGE, curator)
        assert event.detail == {
            "source_merge": merge.pk,
            "changes": {
                "original_outlet": {
                    "before": {"id": copy.pk, "name": copy.name},
                    "after": {"id": main.pk, "name": main.name},
                }
            },
        }
    assert reprinted.events.order_by("sequence").last().detail["changes"] == {
        "reprinter": {
            "before": {"id": copy.pk, "name": copy.name},
            "after": {"id": main.pk, "name": main.name},
        }
    }
    assert bystander.events.count() == 1

    unmerge = source_unmerge(event=merge, actor=curator, reason="two papers after all")
    for document in published:
        event = document.events.order_by("sequence").last()
        assert event.detail["source_unmerge"] == unmerge.pk
        assert event.detail["changes"]["original_outlet"]["after"]["id"] == copy.pk
    # The replay follows every move: the archive passes, chains and checkpoint alike.
    provenance_checkpoint()
    out = StringIO()
    call_command("fixity_check", "--no-progress", stdout=out, stderr=StringIO())
    assert "passed: 4, failed: 0 against checkpoint 1." in out.getvalue()


def test_merge_records_its_events_in_a_number_of_queries_that_does_not_grow(curator) -> None:
    def queries_for(count: int) -> int:
        main, copy = SourceFactory(), SourceFactory()
        documents_of(copy, count, curator)
        with CaptureQueriesContext(connection) as captured:
            source_merge(sources=[copy], into=main, actor=curator, reason="one paper")
        return len(captured)

    assert queries_for(2) == queries_for(9)


def test_merge_revises_every_annotation_whose_source_tags_move(
    outlets, researcher, curator
) -> None:
    main, copy = outlets
    document = DocumentFactory()
    moved = annotation_create(
        document=document,
        creator=researcher,
        quote="bridge",
        source_tags=[SourceTagInput(copy.slug, "claimed_by")],
    )
    untouched = annotation_create(document=document, creator=researcher, quote="approach roads")

    merge = source_merge(sources=[copy], into=main, actor=curator, reason="one paper")
    moved.refresh_from_db()
    assert moved.version == 2
    revision = AnnotationRevision.objects.get(annotation=moved, version=2)
    assert (revision.action, revision.actor) == (RevisionAction.UPDATED, curator)
    assert revision.changes == {
        "source_tags": {"before": [[copy.slug, "claimed_by"]], "after": [[main.slug, "claimed_by"]]}
    }
    assert "one paper" in revision.reason
    first = AnnotationRevision.objects.get(annotation=moved, version=1)
    assert revision.previous_hash == first.revision_hash
    assert revision.revision_hash == revision.compute_hash()
    assert untouched.revisions.count() == 1

    source_unmerge(event=merge, actor=curator, reason="two papers")
    moved.refresh_from_db()
    assert moved.version == 3
    assert AnnotationRevision.objects.get(annotation=moved, version=3).changes == {
        "source_tags": {"before": [[main.slug, "claimed_by"]], "after": [[copy.slug, "claimed_by"]]}
    }


def test_a_merge_without_a_person_still_revises_annotations(outlets, researcher) -> None:
    main, copy = outlets
    annotation = annotation_create(
        document=DocumentFactory(),
        creator=researcher,
        quote="bridge",
        source_tags=[SourceTagInput(copy.slug, "quoted")],
    )
    source_merge(sources=[copy], into=main, actor=None, reason="a script merged them")
    revision = AnnotationRevision.objects.get(annotation=annotation, version=2)
    assert revision.actor is None
    client = APIClient()
    client.force_authenticate(researcher)
    history = client.get(f"/api/annotations/{annotation.pk}/history/")
    assert history.status_code == 200, history.content
    assert history.json()[-1]["actor"] is None


def test_a_stale_etag_gets_412_after_a_merge(outlets, researcher, curator) -> None:
    main, copy = outlets
    annotation = annotation_create(
        document=DocumentFactory(),
        creator=researcher,
        quote="bridge",
        source_tags=[SourceTagInput(copy.slug, "claimed_by")],
    )
    client = APIClient()
    client.force_authenticate(researcher)
    url = f"/api/annotations/{annotation.pk}/"
    etag = client.get(url)["ETag"]

    source_merge(sources=[copy], into=main, actor=curator, reason="one paper")

    stale = client.patch(url, {"comment": "an edit"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    fresh = client.get(url)
    assert fresh["ETag"] != etag
    history = client.get(f"{url}history/")
    assert history.status_code == 200, history.content
    assert history.json()[-1]["actor"] == "curator"


def test_unmerge_records_its_events_in_a_number_of_queries_that_does_not_grow(curator) -> None:
    def queries_for(count: int) -> int:
        main, copy = SourceFactory(), SourceFactory()
        documents_of(copy, count, curator)
        merge = source_merge(sources=[copy], into=main, actor=curator, reason="one paper")
        with CaptureQueriesContext(connection) as captured:
            source_unmerge(event=merge, actor=curator, reason="two papers")
        return len(captured)

    assert queries_for(2) == queries_for(9)
