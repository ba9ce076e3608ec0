from __future__ import annotations

from pathlib import Path

import pytest

from archive.search import open_index
from archive.search.index import live_generation


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's after-commit callbacks (index updates) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


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
