from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from kaynak.tasks import DBTaskResult, TaskResultStatus
from search.engine import open_index
from search.index import live_generation, update_search_index


def search_backends() -> list[str]:
    """The backends the search suite runs on: Whoosh everywhere, and PostgreSQL full-text
    search when the tests run on PostgreSQL (on SQLite it is not a skipped case: it is not a
    case at all)."""
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    return ["whoosh", "postgres"] if on_postgres else ["whoosh"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "search_backend" in metafunc.fixturenames:
        metafunc.parametrize("search_backend", search_backends(), indirect=True)


@pytest.fixture
def search_backend(request: pytest.FixtureRequest, settings) -> str:
    """Run the test on each backend (a module opts in with
    `pytestmark = pytest.mark.usefixtures("search_backend")`)."""
    settings.KAYNAK_SEARCH_BACKEND = request.param
    return request.param


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's after-commit callbacks and queued tasks (index updates) as a real commit
    and the worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def queued_index_updates() -> list[list[int]]:
    """The documents of each index task waiting in the queue (retries included)."""
    return [
        result.args_kwargs["args"][0]
        for result in DBTaskResult.objects.filter(
            task_path=update_search_index.module_path, status=TaskResultStatus.READY
        ).order_by("enqueued_at")
    ]


def index_entries() -> dict[int, dict]:
    """What the live index holds: stored fields by document id."""
    with open_index().searcher() as searcher:
        return {int(fields["id"]): fields for fields in searcher.all_stored_fields()}


def body(*sentences: str) -> str:
    return "\n\n".join(sentences)


def damage_index() -> Path:
    """Overwrite the live index's table of contents with garbage."""
    generation = live_generation()
    for path in generation.iterdir():
        if path.name.endswith(".toc"):
            path.write_bytes(b"not an index table of contents")
    return generation
