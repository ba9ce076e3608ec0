"""Triggers for the rules sources keep: a document names only live sources as its outlet and
reprinter, a source cannot be merged while documents name it, and merges are one step deep
(a tombstone points to a live source). Merge and unmerge already write in an order that
keeps these: documents and earlier tombstones move to the target before the merged sources
become tombstones."""

from __future__ import annotations

from django.db import migrations

from kaynak.db import (
    drop_live_source_sql,
    drop_no_merge_chain_sql,
    drop_unreferenced_tombstone_sql,
    execute_all,
    live_source_sql,
    no_merge_chain_sql,
    unreferenced_tombstone_sql,
)

DOCUMENT_TABLE = "archive_document"
SOURCE_COLUMNS = ["original_outlet_id", "reprinter_id"]


def refuse_broken_rows(apps, schema_editor) -> None:
    """Triggers guard new writes only: refuse to install them over rows that already break
    the rules, naming what to repair."""
    Document = apps.get_model("archive", "Document")
    Source = apps.get_model("archive", "Source")
    on_tombstones = Document.objects.filter(original_outlet__merged_into__isnull=False) | (
        Document.objects.filter(reprinter__merged_into__isnull=False)
    )
    chained = Source.objects.filter(merged_into__merged_into__isnull=False)
    problems = [
        f"{count} {what}"
        for count, what in (
            (on_tombstones.count(), "documents name a merged source as outlet or reprinter"),
            (chained.count(), "sources are merged into a merged source"),
        )
        if count
    ]
    if problems:
        raise RuntimeError(
            "cannot install the source rules: " + "; ".join(problems) + ". Point them to the "
            "live source (the end of the merge chain) and migrate again."
        )


def create_rules(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    execute_all(
        schema_editor,
        [
            *live_source_sql(vendor, DOCUMENT_TABLE, SOURCE_COLUMNS),
            *unreferenced_tombstone_sql(vendor, DOCUMENT_TABLE, SOURCE_COLUMNS),
            *no_merge_chain_sql(vendor),
        ],
    )


def drop_rules(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    execute_all(
        schema_editor,
        [
            *drop_live_source_sql(vendor, DOCUMENT_TABLE),
            *drop_unreferenced_tombstone_sql(vendor, DOCUMENT_TABLE),
            *drop_no_merge_chain_sql(vendor),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [("archive", "0006_tamper_evidence")]

    operations = [
        migrations.RunPython(refuse_broken_rows, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_rules, drop_rules, elidable=False),
    ]
