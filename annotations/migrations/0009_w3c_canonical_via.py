"""An annotation keeps the `canonical` and `via` IRIs it was posted with (W3C Web Annotation
protocol §5.1), and they join the columns that never change.

SQLite rebuilds the table to add a column with a default and the rebuilt table has lost its
triggers, so the immutable-columns trigger is made again after the fields, naming the new
columns too; undone, the trigger of 0007 is made again after the fields are gone."""

from __future__ import annotations

from django.db import migrations, models

from kaynak.db import create_immutable_columns_trigger, drop_immutable_columns_trigger

ANNOTATION_TABLE = "annotations_annotation"
IMMUTABLE_BEFORE = ["document_id", "start", "end", "quote", "prefix", "suffix", "creator_id"]
IMMUTABLE_COLUMNS = [*IMMUTABLE_BEFORE, "canonical", "via"]


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
        ("annotations", "0008_reply_revisions_append_only"),
    ]

    operations = [
        # Undone last: the old trigger, on the table without the new columns.
        migrations.RunPython(migrations.RunPython.noop, guard_old_columns, elidable=False),
        migrations.AddField(
            model_name="annotation",
            name="canonical",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The IRI the annotation was first published with (W3C `canonical`).",
                max_length=2048,
            ),
        ),
        migrations.AddField(
            model_name="annotation",
            name="via",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="IRIs of the copies the annotation was taken from (W3C `via`).",
            ),
        ),
        migrations.RunPython(guard_new_columns, drop_guard, elidable=False),
    ]
