"""The rules annotations keep in the database: a span, its context, its document and its
creator never change (annotate the new span instead); who hid or deleted an annotation is
recorded exactly when it is hidden or deleted; and a source cannot be merged while source
tags name it (the tag side is guarded since 0002)."""

from __future__ import annotations

from django.conf import settings
from django.db import migrations, models

from kaynak.db import (
    create_immutable_columns_trigger,
    drop_immutable_columns_trigger,
    drop_unreferenced_tombstone_sql,
    execute_all,
    unreferenced_tombstone_sql,
)

ANNOTATION_TABLE = "annotations_annotation"
SOURCE_TAG_TABLE = "annotations_sourcetag"
# SQLite rebuilds the table to add the check constraints above and drops the triggers on it,
# so the trigger is made after them.
IMMUTABLE_COLUMNS = ["document_id", "start", "end", "quote", "prefix", "suffix", "creator_id"]


# PostgreSQL: the tag side (0002) now takes FOR SHARE on the source, as the document side
# does (see kaynak/db.py), so a tag and a merge of its source made at once cannot both pass.
PG_TAG_LIVE_SOURCE = """
CREATE OR REPLACE FUNCTION annotations_sourcetag_live_source() RETURNS trigger AS $$
BEGIN
    {lock}
    IF (SELECT merged_into_id FROM archive_source WHERE id = NEW.source_id) IS NOT NULL THEN
        RAISE EXCEPTION 'source % was merged into another; tag the source it was merged into',
            NEW.source_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
LOCK = "PERFORM 1 FROM archive_source WHERE id = NEW.source_id FOR SHARE;"


def create_rules(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    create_immutable_columns_trigger(schema_editor, ANNOTATION_TABLE, IMMUTABLE_COLUMNS)
    execute_all(schema_editor, unreferenced_tombstone_sql(vendor, SOURCE_TAG_TABLE, ["source_id"]))
    if vendor == "postgresql":
        execute_all(schema_editor, [PG_TAG_LIVE_SOURCE.format(lock=LOCK)])


def drop_rules(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    drop_immutable_columns_trigger(schema_editor, ANNOTATION_TABLE)
    execute_all(schema_editor, drop_unreferenced_tombstone_sql(vendor, SOURCE_TAG_TABLE))
    if vendor == "postgresql":
        execute_all(schema_editor, [PG_TAG_LIVE_SOURCE.format(lock="")])


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0004_tamper_evidence"),
        ("archive", "0007_database_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("hidden_at__isnull", True), ("hidden_by__isnull", True)),
                    models.Q(("hidden_at__isnull", False), ("hidden_by__isnull", False)),
                    _connector="OR",
                ),
                name="annotations_annotation_hidden_by_iff_hidden_at",
            ),
        ),
        migrations.AddConstraint(
            model_name="annotation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("deleted_at__isnull", True), ("deleted_by__isnull", True)),
                    models.Q(("deleted_at__isnull", False), ("deleted_by__isnull", False)),
                    _connector="OR",
                ),
                name="annotations_annotation_deleted_by_iff_deleted_at",
            ),
        ),
        migrations.RunPython(create_rules, drop_rules, elidable=False),
    ]
