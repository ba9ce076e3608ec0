"""Invariants the database holds by itself, whatever code writes to it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from archive.models import Document, Source, SourceAlias
from archive.services import source_create
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
