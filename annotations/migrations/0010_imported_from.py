"""An imported annotation keeps the id it had where it came from and its creator's name there
(`imported_from`, `imported_creator`), and both join the columns that never change.

As in 0009: SQLite rebuilds the table to add a column with a default and loses its triggers,
so the immutable-columns trigger is made again after the fields, naming the new columns too;
undone, the trigger of 0009 is made again after the fields are gone."""

from __future__ import annotations

from django.db import migrations, models

from kaynak.db import create_immutable_columns_trigger, drop_immutable_columns_trigger

ANNOTATION_TABLE = "annotations_annotation"
IMMUTABLE_BEFORE = [
    "document_id",
    "start",
    "end",
    "quote",
    "prefix",
    "suffix",
    "creator_id",
    "canonical",
    "via",
]
IMMUTABLE_COLUMNS = [*IMMUTABLE_BEFORE, "imported_from", "imported_creator"]


def _remake(schema_editor, columns: list[str]) -> None:
    # IF EXISTS: PostgreSQL keeps the old trigger through ADD COLUMN, SQLite has lost it.
    drop_immutable_columns_trigger(schema_editor, ANNOTATION_TABLE)
    create_immutable_columns_trigger(schema_editor, ANNOTATION_TABLE, columns)


def guard_new_columns(apps, schema_editor) -> None:
    _remake(schema_editor, IMMUTABLE_COLUMNS)


def guard_old_columns(apps, schema_editor) -> None:
    _remake(schema_editor, IMMUTABLE_BEFORE)


def drop_guard(apps, schema_editor) -> None:
    drop_immutable_columns_trigger(schema_editor, ANNOTATION_TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0009_w3c_canonical_via"),
    ]

    operations = [
        # Undone last: the old trigger, on the table without the new columns.
        migrations.RunPython(migrations.RunPython.noop, guard_old_columns, elidable=False),
        migrations.AddField(
            model_name="annotation",
            name="imported_from",
            field=models.CharField(
                blank=True,
                default="",
                help_text=(
                    "The id the annotation had where it was imported from; empty if not imported."
                ),
                max_length=2048,
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="imported_creator",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The name of the imported annotation's creator there, if given.",
                max_length=300,
            ),
        ),
        migrations.RunPython(guard_new_columns, drop_guard, elidable=False),
    ]
