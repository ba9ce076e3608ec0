"""The README's query examples, read from the README itself and run over the sample archive
`make run` serves: an example that finds nothing teaches the wrong thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.models import Document
from archive.services import IngestMethod, document_ingest
from search.engine import search

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SAMPLES = ROOT / "sample_data"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def query_table_rows() -> list[tuple[list[str], str]]:
    """The rows of the "Searching" section's query table: their example queries and what the
    README says they find."""
    section = README.read_text(encoding="utf-8").split("\n## Searching\n", 1)[1].split("\n## ")[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def fuzzy_examples() -> list[str]:
    return [query for queries, _ in query_table_rows() for query in queries if "~" in query]


@pytest.fixture
def samples(django_capture_on_commit_callbacks) -> dict[str, Document]:
    with django_capture_on_commit_callbacks(execute=True):
        return {
            path.name: document_ingest(
                data=path.read_bytes(),
                filename=path.name,
                actor=None,
                method=IngestMethod.COMMAND,
            ).document
            for path in sorted(SAMPLES.iterdir())
        }


def test_the_readme_has_fuzzy_examples() -> None:
    assert fuzzy_examples() == ["tarrifs~", "tarifs~1"]


@pytest.mark.parametrize("query", fuzzy_examples())
def test_the_readmes_fuzzy_examples_find_the_tariff_stories(samples, researcher, query) -> None:
    found = {hit.document_id for hit in search(query, user=researcher, page_size=100).hits}
    tariffs = {
        document.pk
        for document in samples.values()
        if "tariffs" in f"{document.title} {document.text}".lower()
    }
    assert tariffs, "the samples no longer mention tariffs"
    assert tariffs <= found


def test_one_edit_alone_misses_the_readmes_misspelling(samples, researcher) -> None:
    """Why `~` without a number allows two edits for a word of seven letters."""
    assert search("tarrifs~1", user=researcher).total == 0
    assert search("tarrifs~", user=researcher).total > 0
