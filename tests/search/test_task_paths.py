"""The index task moved with the search code (archive.search → search): index updates queued
under the old dotted path before an upgrade still run after it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kaynak.tasks import DBTaskResult, TaskResultStatus
from search.index import update_search_index
from tests.factories import DocumentFactory
from tests.search.conftest import index_entries

pytestmark = pytest.mark.django_db

OLD_PATH = "archive.search.index.update_search_index"
moved = importlib.import_module("search.migrations.0001_task_paths_moved")


def test_an_index_update_queued_under_the_old_path_runs_after_the_migration(drain) -> None:
    document = DocumentFactory(title="QUEUED BEFORE THE MOVE")
    # As an older release wrote it: the same row, naming the task where it used to live.
    DBTaskResult.objects.filter(task_path=update_search_index.module_path).update(
        task_path=OLD_PATH
    )

    moved.rename(apps, None)
    drain()

    row = DBTaskResult.objects.get()
    assert (row.task_path, row.status) == (
        update_search_index.module_path,
        TaskResultStatus.SUCCESSFUL,
    )
    assert document.pk in index_entries()


def test_the_old_path_names_no_module_any_more() -> None:
    # Why the rows are renamed: left as they were, the worker could not import their task.
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(OLD_PATH.rsplit(".", 1)[0])


def test_undoing_the_migration_gives_queued_rows_their_old_path_back() -> None:
    DocumentFactory()
    moved.rename_back(apps, None)
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [OLD_PATH]
