from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.models import Document
from search.index import live_generation
from tests.factories import DocumentFactory
from tests.search.conftest import damage_index, index_entries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def run(*args: str) -> str:
    out = StringIO()
    call_command("search_index", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_check_passes_when_index_and_database_agree(indexed) -> None:
    indexed()
    assert "The index matches the database." in run("check")


def test_check_fails_on_drift_and_names_it(indexed) -> None:
    indexed()
    missing = DocumentFactory()  # committed without its index update
    with pytest.raises(CommandError, match="drifted"):
        call_command("search_index", "check", stdout=(out := StringIO()))
    assert f"missing: 1 ({missing.pk})" in out.getvalue()


def test_check_repair_fixes_the_drift(indexed) -> None:
    indexed()
    DocumentFactory()
    assert "Repaired." in run("check", "--repair")
    assert "The index matches the database." in run("check")


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_rebuild_reports_and_replaces_a_damaged_index(indexed) -> None:
    indexed()
    indexed()
    damage_index()
    before = live_generation()
    output = run("rebuild", "--no-progress")
    assert "Rebuilt the search index (2 documents)" in output
    assert live_generation() != before
    assert set(index_entries()) == set(Document.objects.values_list("pk", flat=True))


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_check_on_a_damaged_index_fails_with_the_rebuild_command(indexed) -> None:
    indexed()
    damage_index()
    with pytest.raises(CommandError, match=r"manage\.py search_index rebuild"):
        run("check")


def test_rebuild_reports_and_leaves_an_index_matching_the_database(indexed) -> None:
    indexed()
    kept = indexed()
    DocumentFactory()  # committed without its index update
    Document.objects.filter(pk=kept.pk).update(title="EDITED BEHIND THE INDEX'S BACK")
    output = run("rebuild", "--no-progress")
    assert "Rebuilt the search index (3 documents)" in output
    assert set(index_entries()) == set(Document.objects.values_list("pk", flat=True))
    assert "The index matches the database." in run("check")
