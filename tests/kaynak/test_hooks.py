"""What services announce through kaynak.hooks and who hears it: the search app subscribes in
its ready(), so a change queues its index update without the archive importing search."""

from __future__ import annotations

import pytest

from archive.services import document_update
from kaynak import hooks
from kaynak.tasks import DBTaskResult
from search import index
from search.index import update_search_index
from tests.factories import DocumentFactory


def test_the_search_app_subscribes_to_every_announcement_when_it_starts() -> None:
    assert index.schedule_index_update in hooks._documents_changed
    assert index.schedule_reindex_if_missing in hooks._documents_resent
    assert index.schedule_annotation_update in hooks._annotations_changed


def test_listeners_hear_distinct_sorted_ids_and_nothing_for_an_empty_change(monkeypatch) -> None:
    heard: list[list[int]] = []
    monkeypatch.setattr(hooks, "_documents_changed", [heard.append])
    hooks.documents_changed(iter([3, 1, 3]))
    hooks.documents_changed([])
    assert heard == [[1, 3]]


def test_subscribing_twice_announces_once(monkeypatch) -> None:
    heard: list[list[int]] = []
    monkeypatch.setattr(hooks, "_annotations_changed", [])
    hooks.on_annotations_changed(heard.append)
    hooks.on_annotations_changed(heard.append)
    hooks.annotations_changed([7])
    assert heard == [[7]]


@pytest.mark.django_db
def test_an_edit_by_a_service_queues_its_index_update_through_the_hook(curator) -> None:
    document = DocumentFactory(title="BEFORE")
    DBTaskResult.objects.all().delete()
    document_update(document=document, actor=curator, agent="test", title="AFTER")
    queued = DBTaskResult.objects.filter(task_path=update_search_index.module_path)
    assert [row.args_kwargs["args"][0] for row in queued] == [[document.pk]]
