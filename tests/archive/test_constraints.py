"""Invariants the database holds by itself, whatever code writes to it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from archive.models import Document, Source, SourceAlias
from archive.services import source_create, source_merge, source_unmerge
from kaynak.errors import KaynakError
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def refused(match: str):
    """The database refuses the statement, naming the rule (SQLite names a unique
    constraint's columns, PostgreSQL its name)."""
    return pytest.raises(IntegrityError, match=match)


def copy_fields(document: Document, **changes) -> dict:
    fields = {
        field.attname: getattr(document, field.attname)
        for field in Document._meta.concrete_fields
        if not field.primary_key
    }
    return {**fields, **changes}


def test_sha256_is_unique() -> None:
    fields = copy_fields(DocumentFactory())
    with refused("archive_document_unique_sha256|archive_document.sha256"), transaction.atomic():
        Document.objects.create(**fields)


def test_sha256_must_be_64_characters() -> None:
    fields = copy_fields(DocumentFactory(), sha256="abc")
    with refused("archive_document_sha256_length"), transaction.atomic():
        Document.objects.create(**fields)


def test_source_slug_is_unique() -> None:
    SourceFactory(name="Northern Ledger")
    with refused("archive_source_unique_slug|archive_source.slug"), transaction.atomic():
        Source.objects.create(name="Another", slug="northern-ledger", kind="outlet")


def test_alias_normalised_name_is_unique_in_the_database() -> None:
    source = SourceFactory(name="Hürriyet Daily News")
    other = SourceFactory(name="Another Outlet")
    rule = "archive_sourcealias_unique_normalized_name|archive_sourcealias.normalized_name"
    with refused(rule), transaction.atomic():
        SourceAlias.objects.create(
            source=other, name="Hurriyet Daily News", normalized_name="hurriyet daily news"
        )
    assert source.aliases.count() == 1


@pytest.mark.parametrize(
    "spelling", ["Hurriyet Daily News", "HÜRRİYET DAILY NEWS", "hurriyet  daily-news"]
)
def test_the_same_outlet_cannot_be_created_under_another_spelling(spelling: str) -> None:
    SourceFactory(name="Hürriyet Daily News")
    with pytest.raises(KaynakError, match="already a name of the source 'Hürriyet Daily News'"):
        source_create(name=spelling, kind="outlet")
    assert Source.objects.count() == 1


def test_avim_and_avim_without_dot_are_one_name() -> None:
    SourceFactory(name="AVİM", kind="think_tank")
    with pytest.raises(KaynakError, match="already a name"):
        source_create(name="AVIM")


def test_future_publication_date_is_refused_by_the_database() -> None:
    document = DocumentFactory()
    future = timezone.now().date() + timedelta(days=30)
    with refused("future"), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(
            original_published_on=future, reprinted_on=future
        )


def test_reprint_before_original_is_refused_by_the_database() -> None:
    document = DocumentFactory()
    with refused("archive_document_reprint_not_before_original"), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(reprinted_on=date(2001, 1, 1))


@pytest.mark.parametrize(
    ("column", "value"),
    [("sha256", "0" * 64), ("text", "rewritten"), ("size_bytes", 1), ("original_filename", "x")],
)
def test_stored_original_and_text_cannot_change(column: str, value) -> None:
    document = DocumentFactory()
    with refused("cannot change"), transaction.atomic():
        Document.objects.filter(pk=document.pk).update(**{column: value})


def test_metadata_can_still_change() -> None:
    document = DocumentFactory()
    Document.objects.filter(pk=document.pk).update(title="A corrected title", language="tr")
    document.refresh_from_db()
    assert (document.title, document.language) == ("A corrected title", "tr")


def test_raw_sql_insert_with_a_future_date_is_refused() -> None:
    document = DocumentFactory()
    future = (timezone.now().date() + timedelta(days=30)).isoformat()
    table = Document._meta.db_table
    with refused("future"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reprinted_on = %s WHERE id = %s", [future, document.pk])


# Sources: a document names live sources only, and merges are one step deep. Each rule is
# tried with raw SQL, as someone with direct database access would write.


def merged_away(source: Source, *, into: Source | None = None) -> Source:
    """Make `source` a tombstone of `into` (a new live source by default) through the
    service; returns the live target."""
    into = into or SourceFactory()
    source_merge(sources=[source], into=into, actor=None, reason="one outlet under two names")
    return into


def execute(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("column", ["original_outlet_id", "reprinter_id"])
def test_raw_update_naming_a_merged_source_on_a_document_is_refused(column: str) -> None:
    document = DocumentFactory()
    tombstone = SourceFactory()
    merged_away(tombstone)
    with refused("merged into another"):
        execute(
            f"UPDATE archive_document SET {column} = %s WHERE id = %s", [tombstone.pk, document.pk]
        )
    document.refresh_from_db()
    assert getattr(document, column) != tombstone.pk


@pytest.mark.parametrize("column", ["original_outlet_id", "reprinter_id"])
def test_raw_insert_of_a_document_naming_a_merged_source_is_refused(column: str) -> None:
    document = DocumentFactory()
    tombstone = SourceFactory()
    merged_away(tombstone)
    columns = [field.column for field in Document._meta.concrete_fields if not field.primary_key]
    # A copy of the row with another checksum and the tombstone in `column`.
    values = ["%s" if name in {"sha256", column} else f'"{name}"' for name in columns]
    params = [
        "f" * 64 if name == "sha256" else tombstone.pk
        for name in columns
        if name in {"sha256", column}
    ]
    quoted = ", ".join(f'"{name}"' for name in columns)
    with refused("merged into another"):
        execute(
            f"INSERT INTO archive_document ({quoted}) "
            f"SELECT {', '.join(values)} FROM archive_document WHERE id = %s",
            [*params, document.pk],
        )
    assert Document.objects.count() == 1


def test_a_document_may_name_a_live_source_in_raw_sql() -> None:
    document = DocumentFactory()
    live = SourceFactory()
    execute("UPDATE archive_document SET reprinter_id = %s WHERE id = %s", [live.pk, document.pk])
    document.refresh_from_db()
    assert document.reprinter_id == live.pk


@pytest.mark.parametrize("column", ["original_outlet_id", "reprinter_id"])
def test_a_source_a_document_names_cannot_become_a_tombstone(column: str) -> None:
    document = DocumentFactory()
    named = getattr(document, column)
    target = SourceFactory()
    with refused("be merged while archive_document rows name it"):
        execute("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, named])
    assert Source.objects.get(pk=named).merged_into_id is None


def test_a_source_cannot_be_merged_into_a_tombstone() -> None:
    tombstone, lone = SourceFactory(), SourceFactory()
    merged_away(tombstone)
    with refused("no merge chains"):
        execute(
            "UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [tombstone.pk, lone.pk]
        )
    assert Source.objects.get(pk=lone.pk).merged_into_id is None


def test_a_new_source_cannot_be_inserted_as_a_tombstone_of_a_tombstone() -> None:
    tombstone = SourceFactory()
    merged_away(tombstone)
    with refused("no merge chains"):
        execute(
            "INSERT INTO archive_source "
            "(name, slug, kind, description, url, created_at, merged_into_id) "
            "SELECT 'Invented Copy', 'invented-copy', kind, description, url, created_at, %s "
            "FROM archive_source WHERE id = %s",
            [tombstone.pk, tombstone.pk],
        )
    assert not Source.objects.filter(slug="invented-copy").exists()


def test_a_source_others_were_merged_into_cannot_itself_be_merged() -> None:
    tombstone = SourceFactory()
    target = merged_away(tombstone)
    elsewhere = SourceFactory()
    with refused("no merge chains"):
        execute(
            "UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [elsewhere.pk, target.pk]
        )
    assert Source.objects.get(pk=target.pk).merged_into_id is None


def test_a_tombstone_may_be_repointed_to_another_live_source() -> None:
    tombstone = SourceFactory()
    merged_away(tombstone)
    other = SourceFactory()
    execute("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [other.pk, tombstone.pk])
    assert Source.objects.get(pk=tombstone.pk).merged_into_id == other.pk


def test_merge_and_unmerge_pass_the_rules_with_documents_and_earlier_tombstones() -> None:
    """The order of the services' writes keeps every rule at every statement: documents and
    earlier tombstones move to the target before the merged sources become tombstones, and
    back only after they are live again."""
    document = DocumentFactory()
    outlet, reprinter = document.original_outlet, document.reprinter
    earlier = SourceFactory()
    merged_away(earlier, into=outlet)
    target = SourceFactory()
    event = source_merge(
        sources=[outlet, reprinter], into=target, actor=None, reason="all one publisher"
    )
    document.refresh_from_db()
    assert (document.original_outlet_id, document.reprinter_id) == (target.pk, target.pk)
    assert Source.objects.get(pk=earlier.pk).merged_into_id == target.pk
    source_unmerge(event=event, actor=None, reason="they were not")
    document.refresh_from_db()
    assert (document.original_outlet_id, document.reprinter_id) == (outlet.pk, reprinter.pk)
    assert Source.objects.get(pk=earlier.pk).merged_into_id == outlet.pk


def racing(first: Callable[[], None], second: Callable[[], None]) -> list[Exception | None]:
    """Run `first` in a transaction that stays open a moment after its write, and `second`
    from another connection meanwhile; each outcome is None or the database error raised.

    PostgreSQL makes `second` wait on the row locks. The in-memory SQLite test database
    shares one cache between connections and answers "table is locked" at once instead of
    waiting as a file database does: `second` then tries again until `first` is done.
    """
    written = threading.Event()
    outcomes: list[Exception | None] = [None, None]

    def run(index: int, write: Callable[[], None]) -> None:
        try:
            if index == 1:
                written.wait(timeout=10)
            for _ in range(200):
                try:
                    with transaction.atomic():
                        write()
                        if index == 0:
                            written.set()
                            time.sleep(0.5)
                    return
                except OperationalError as error:
                    if index == 0 or "locked" not in str(error):
                        raise
                    time.sleep(0.05)
        except DatabaseError as error:
            outcomes[index] = error
        finally:
            written.set()
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def raw(sql: str, params: list) -> Callable[[], None]:
    def write() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return write


@pytest.mark.django_db(transaction=True)
def test_a_document_named_a_source_while_it_is_merged_concurrently_keeps_the_rule() -> None:
    """PostgreSQL: the trigger's FOR SHARE on the source makes the merge wait for the
    document's commit and then see it; without it both writes would commit."""
    document, source, target = DocumentFactory(), SourceFactory(), SourceFactory()
    outcomes = racing(
        raw(
            "UPDATE archive_document SET reprinter_id = %s WHERE id = %s", [source.pk, document.pk]
        ),
        raw("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, source.pk]),
    )
    assert outcomes[0] is None and isinstance(outcomes[1], IntegrityError), outcomes
    assert Document.objects.get(pk=document.pk).reprinter_id == source.pk
    assert Source.objects.get(pk=source.pk).merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_a_source_merged_while_a_document_names_it_concurrently_keeps_the_rule() -> None:
    document, source, target = DocumentFactory(), SourceFactory(), SourceFactory()
    outcomes = racing(
        raw("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, source.pk]),
        raw(
            "UPDATE archive_document SET reprinter_id = %s WHERE id = %s", [source.pk, document.pk]
        ),
    )
    assert outcomes[0] is None and isinstance(outcomes[1], IntegrityError), outcomes
    assert Document.objects.get(pk=document.pk).reprinter_id != source.pk
    assert Source.objects.get(pk=source.pk).merged_into_id == target.pk


@pytest.mark.django_db(transaction=True)
def test_two_merges_made_at_once_cannot_form_a_chain() -> None:
    first, middle, last = SourceFactory(), SourceFactory(), SourceFactory()
    outcomes = racing(
        raw("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [middle.pk, first.pk]),
        raw("UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [last.pk, middle.pk]),
    )
    assert outcomes[0] is None and isinstance(outcomes[1], IntegrityError), outcomes
    chained = Source.objects.filter(merged_into__merged_into__isnull=False)
    assert not chained.exists()
