"""The index follows every write path, after commit only, and can be checked and rebuilt."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, transaction
from whoosh.index import create_in

from archive import services
from archive.ingest import Submission
from archive.models import Document
from archive.services import IngestMethod, document_ingest, document_update, kaynak_agent
from kaynak.errors import KaynakError
from kaynak.tasks import DBTaskResult, TaskResultStatus
from search.engine import (
    SearchIndexUnavailable,
    check_index,
    index_documents,
    open_index,
    rebuild_index,
    remove_documents,
    search,
)
from search.index import _ids_in_index, index_root, live_generation, update_search_index
from search.schema import build_schema
from tests.factories import DocumentFactory, SourceFactory, reprint_bytes
from tests.search.conftest import (
    add_orphan_entry,
    damage_index,
    index_entries,
    index_entry_count,
    queued_index_updates,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def titles_found(query: str, user) -> list[str]:
    hits = search(query, user=user).hits
    return [Document.objects.get(pk=hit.document_id).title for hit in hits]


# --- each write path --------------------------------------------------------------------------


def test_ingest_indexes_the_document_after_commit(committed, researcher) -> None:
    with committed():
        document = document_ingest(
            data=reprint_bytes(title="LIGHTHOUSE KEEPERS STRIKE"),
            filename="a.txt",
            actor=researcher,
            method=IngestMethod.API,
        ).document
        assert index_entries() == {}  # nothing before the commit
        assert queued_index_updates() == [[document.pk]]  # queued in the same transaction
    assert queued_index_updates() == []
    assert set(index_entries()) == {document.pk}
    assert titles_found("lighthouse", researcher) == ["LIGHTHOUSE KEEPERS STRIKE"]


def test_documents_are_found_before_the_worker_indexes_them(researcher) -> None:
    """The worker is stopped: searches read the queued documents from the database."""
    for number in range(3):
        DocumentFactory(
            title=f"QUEUED HARBOUR STORY {number}",
            outlet_line="Northern Ledger, May 12 2016",
            body=f"The harbour report number {number}.",
        )
    assert index_entries() == {}
    results = search("harbour", user=researcher, sort="-published")
    assert results.total == 3
    assert [count for _, count in results.facets["outlet"]] == [3]
    assert all("<mark>harbour</mark>" in hit.snippets[0] for hit in results.hits)


def test_sending_a_duplicate_again_reindexes_it_when_its_entry_is_missing(
    committed, researcher
) -> None:
    data = reprint_bytes(title="LOST FROM THE INDEX")
    with committed():
        document = document_ingest(
            data=data, filename="a.txt", actor=researcher, method=IngestMethod.API
        ).document
    with committed():  # an entry present: a duplicate queues nothing
        assert not document_ingest(
            data=data, filename="a.txt", actor=researcher, method=IngestMethod.API
        ).created
        assert queued_index_updates() == []
    remove_documents([document.pk])  # as an index restored from an old backup would be
    with committed():
        again = document_ingest(
            data=data, filename="again.txt", actor=researcher, method=IngestMethod.API
        )
        assert not again.created
        assert queued_index_updates() == [[document.pk]]
    assert set(index_entries()) == {document.pk}


def test_bulk_ingest_indexes_every_document_of_each_batch(committed, researcher) -> None:
    items = [
        Submission(data=reprint_bytes(title=f"BULK HEADLINE {n}"), filename=f"{n}.txt", label="")
        for n in range(5)
    ]
    with committed():
        reports = list(
            services.documents_ingest_many(
                items=items, actor=None, method=IngestMethod.COMMAND, batch_size=2
            )
        )
    assert set(index_entries()) == {report.document_id for report in reports}


def test_a_rolled_back_ingest_leaves_the_index_untouched(committed, researcher) -> None:
    with committed() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        DocumentFactory(title="NEVER COMMITTED")
        raise RuntimeError("something failed after the write")
    assert callbacks == []
    assert queued_index_updates() == []
    assert index_entries() == {}
    assert Document.objects.count() == 0


def test_metadata_change_reindexes(indexed, committed, researcher) -> None:
    document = indexed(title="OLD HEADLINE ABOUT GRAIN")
    with committed():
        document_update(
            document=document,
            actor=researcher,
            agent=kaynak_agent("test"),
            title="CORRECTED HEADLINE ABOUT BARLEY",
            original_published_on=date(2017, 9, 1),
        )
    assert titles_found("barley", researcher) == ["CORRECTED HEADLINE ABOUT BARLEY"]
    assert titles_found("title:grain", researcher) == []
    assert titles_found("published:2017-09-01", researcher) == ["CORRECTED HEADLINE ABOUT BARLEY"]


def test_source_rename_reindexes_its_documents(indexed, committed, researcher) -> None:
    document = indexed(outlet_line="Northern Ledger, September 4 2017")
    outlet = document.original_outlet
    with committed():
        services.source_update(
            source=outlet, actor=None, name="Northern Ledger Weekly", kind="outlet"
        )
    assert titles_found("outlet:weekly", researcher) == [document.title]


def test_alias_changes_reindex_the_sources_documents(indexed, committed, researcher) -> None:
    document = indexed(outlet_line="Northern Ledger, September 4 2017")
    with committed():
        alias = services.source_alias_add(
            source=document.original_outlet, name="The Ledger", actor=None
        )
    assert titles_found('outlet:"the ledger"', researcher) == [document.title]
    with committed():
        services.source_alias_remove(alias=alias, actor=None)
    assert titles_found('outlet:"the ledger"', researcher) == []


def test_a_source_unrelated_to_documents_reindexes_nothing(committed) -> None:
    with committed() as callbacks:
        services.source_update(
            source=SourceFactory(), actor=None, name="Renamed Outlet", kind="outlet"
        )
    assert callbacks == []


def test_an_index_update_adds_new_entries_and_replaces_old_ones_one_per_document(
    indexed, researcher
) -> None:
    first = indexed(title="HARBOUR DUES")
    update_search_index.func([first.pk])  # again: replaced, not doubled
    second = DocumentFactory(title="HARBOUR LIGHTS")  # its own update not run yet
    document_update(  # its own update not run either: the one below brings both
        document=first, actor=researcher, agent=kaynak_agent("test"), title="HARBOUR FEES"
    )
    update_search_index.func([first.pk, second.pk])
    assert index_entry_count() == 2
    assert sorted(titles_found("harbour", researcher)) == ["HARBOUR FEES", "HARBOUR LIGHTS"]


def test_index_documents_removes_entries_of_documents_that_are_gone(indexed, monkeypatch) -> None:
    document = indexed()
    monkeypatch.setattr("search.documents.indexable_documents", lambda: Document.objects.none())
    index_documents([document.pk])
    assert index_entries() == {}


# --- damage and recovery ----------------------------------------------------------------------


@pytest.mark.whoosh_only(reason="Whoosh's index folder")
def test_a_missing_index_is_created_empty(db) -> None:
    assert not index_root().exists()
    with open_index().searcher() as searcher:
        assert searcher.doc_count() == 0


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_a_damaged_index_gives_a_clear_error_naming_the_rebuild(indexed, researcher) -> None:
    indexed()
    damage_index()
    with pytest.raises(SearchIndexUnavailable, match=r"manage\.py search_index rebuild") as error:
        search("ferry", user=researcher)
    assert error.value.status_code == 503


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_ingest_still_succeeds_with_a_damaged_index(indexed, committed) -> None:
    indexed(title="FIRST HEADLINE")
    damage_index()
    with committed():
        document = DocumentFactory(title="SECOND HEADLINE")
    assert Document.objects.filter(pk=document.pk).exists()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert "search_index rebuild" in failed.traceback  # kept for the admin, with a retry queued
    assert queued_index_updates() == [[document.pk]]


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_rebuild_recovers_a_damaged_index(indexed, researcher) -> None:
    document = indexed(title="RECOVERED HEADLINE")
    damaged = damage_index()
    result = rebuild_index()
    assert result.documents == 1
    assert live_generation().name == result.location != damaged.name
    assert titles_found("recovered", researcher) == [document.title]


@pytest.mark.whoosh_only(reason="Whoosh's index folder and its lock")
@pytest.mark.django_db(transaction=True)
def test_rebuild_on_a_data_folder_without_an_index_makes_one_and_returns(researcher) -> None:
    """A restore into a fresh archive rebuilds before anything made the live index: the swap
    must not wait on its own lock (it did, for ever)."""
    document = DocumentFactory(title="FRESH FOLDER HEADLINE")
    assert not (index_root() / "current").exists()
    outcome: list[object] = []

    def rebuild() -> None:
        try:
            outcome.append(rebuild_index())
        finally:
            connection.close()

    # A thread of its own, so that a hang fails this test instead of stopping the suite.
    worker = threading.Thread(target=rebuild, daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "rebuild_index waited for ever on its own lock"
    [result] = outcome
    assert live_generation().name == result.location
    assert titles_found("fresh", researcher) == [document.title]


@pytest.mark.whoosh_only(reason="Whoosh's generations")
def test_rebuild_builds_beside_the_live_index_and_swaps(indexed, researcher, monkeypatch) -> None:
    first = indexed(title="BEFORE THE REBUILD")
    live = live_generation()
    seen_during = []
    real_write = __import__("search.index", fromlist=["_write"])._write

    def write_and_search(path, ids):
        real_write(path, ids)
        # Searches keep answering from the live generation while the new one is built.
        seen_during.append((live_generation(), titles_found("rebuild", researcher)))

    monkeypatch.setattr("search.index._write", write_and_search)
    rebuild_index()
    assert seen_during == [(live, [first.title])]
    assert live_generation() != live
    assert not (index_root() / "rebuilding").exists()


@pytest.mark.whoosh_only(reason="Whoosh's generations")
def test_writes_during_a_rebuild_reach_the_new_index(indexed, committed, monkeypatch) -> None:
    indexed(title="ALREADY THERE")
    late = []
    real_write = __import__("search.index", fromlist=["_write"])._write

    def write_then_ingest(path, ids):
        real_write(path, ids)
        if not late:  # a document arrives while the rebuild is running
            with committed():
                late.append(DocumentFactory(title="ARRIVED DURING THE REBUILD"))

    monkeypatch.setattr("search.index._write", write_then_ingest)
    rebuild_index()
    assert late[0].pk in index_entries()
    assert check_index().drifted is False


@pytest.mark.whoosh_only(reason="Whoosh's rebuild marker")
def test_a_second_rebuild_while_one_runs_is_refused(indexed) -> None:
    indexed()
    live_generation()
    (index_root() / "rebuilding").write_text("gen-somebody-else")
    with pytest.raises(KaynakError, match=r"a rebuild is already running \(or died\)"):
        rebuild_index()


def test_check_finds_missing_stale_and_orphaned_entries_and_repairs_them(
    indexed, committed, monkeypatch
) -> None:
    kept, changed = indexed(title="KEPT HEADLINE"), indexed(title="CHANGED HEADLINE")
    missing = DocumentFactory(title="NEVER INDEXED")  # its after-commit update never ran
    Document.objects.filter(pk=changed.pk).update(title="CHANGED BEHIND THE INDEX'S BACK")
    add_orphan_entry(999999)

    result = check_index()
    assert (result.missing, result.stale, result.orphaned) == ([missing.pk], [changed.pk], [999999])

    check_index(repair=True)
    assert check_index().drifted is False
    assert set(index_entries()) == {kept.pk, changed.pk, missing.pk}


# --- curation -------------------------------------------------------------------------------


def test_merge_and_unmerge_reindex_the_documents_of_both_sources(
    indexed, committed, researcher, curator
) -> None:
    document = indexed(outlet_line="Harbour Gazette, September 4 2017")
    gazette = document.original_outlet
    target = SourceFactory(name="Coastal Times")
    with committed():
        merge = services.source_merge(
            sources=[gazette], into=target, actor=curator, reason="same paper"
        )
    assert titles_found('outlet:"coastal times"', researcher) == [document.title]
    assert titles_found('outlet:"harbour gazette"', researcher) == [document.title]  # alias
    with committed():
        services.source_unmerge(event=merge, actor=curator, reason="two papers")
    assert titles_found('outlet:"coastal times"', researcher) == []
    assert titles_found('outlet:"harbour gazette"', researcher) == [document.title]


def test_withdrawal_removes_the_document_from_search_and_restoration_returns_it(
    indexed, committed, researcher, curator
) -> None:
    document = indexed(title="LIGHTHOUSE KEEPERS STRIKE")
    with committed():
        services.document_withdraw(document=document, actor=curator, agent="t", reason="dup")
    assert titles_found("lighthouse", researcher) == []
    assert titles_found("lighthouse", curator) == []
    assert document.pk not in index_entries()
    with committed():
        services.document_restore(document=document, actor=curator, agent="t")
    assert titles_found("lighthouse", researcher) == [document.title]


@pytest.mark.whoosh_only
def test_the_ids_in_a_whoosh_index_are_found_by_one_walk_of_each_segment(tmp_path) -> None:
    """Ids compare as text there: 10 and 100 sort between 1 and 9."""
    whoosh = create_in(str(tmp_path), build_schema())
    for batch in (["9", "10"], ["100", "95"]):
        writer = whoosh.writer()
        for pk in batch:
            writer.add_document(id=pk, title="entry")
        writer.commit(merge=False)
    writer = whoosh.writer()
    try:
        assert _ids_in_index(writer, [9, 10, 11, 100, 1000]) == {9, 10, 100}
        assert _ids_in_index(writer, [95]) == {95}
        assert _ids_in_index(writer, [96, 99, 101]) == set()
        assert _ids_in_index(writer, []) == set()
    finally:
        writer.cancel()
