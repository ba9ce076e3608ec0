"""Triggers: annotation revisions are append-only, and a source tag may name only a source
that has not been merged into another."""

from __future__ import annotations

from django.db import migrations

from kaynak.db import create_append_only_triggers, drop_append_only_triggers

REVISION_TABLE = "annotations_annotationrevision"

PG_LIVE_SOURCE = """
CREATE OR REPLACE FUNCTION annotations_sourcetag_live_source() RETURNS trigger AS $$
BEGIN
    IF (SELECT merged_into_id FROM archive_source WHERE id = NEW.source_id) IS NOT NULL THEN
        RAISE EXCEPTION 'source % was merged into another; tag the source it was merged into',
            NEW.source_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER annotations_sourcetag_live_source BEFORE INSERT OR UPDATE ON annotations_sourcetag
    FOR EACH ROW EXECUTE FUNCTION annotations_sourcetag_live_source();
"""

SQLITE_MERGED = "(SELECT merged_into_id FROM archive_source WHERE id = NEW.source_id) IS NOT NULL"
SQLITE_LIVE_SOURCE = [
    f"""CREATE TRIGGER annotations_sourcetag_live_source_insert
    BEFORE INSERT ON annotations_sourcetag WHEN {SQLITE_MERGED}
    BEGIN SELECT RAISE(ABORT, 'annotations_sourcetag: the source was merged into another'); END""",
    f"""CREATE TRIGGER annotations_sourcetag_live_source_update
    BEFORE UPDATE OF source_id ON annotations_sourcetag WHEN {SQLITE_MERGED}
    BEGIN SELECT RAISE(ABORT, 'annotations_sourcetag: the source was merged into another'); END""",
]


def create_guards(apps, schema_editor) -> None:
    create_append_only_triggers(schema_editor, REVISION_TABLE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_LIVE_SOURCE, params=None)
    else:
        for statement in SQLITE_LIVE_SOURCE:
            schema_editor.execute(statement)


def drop_guards(apps, schema_editor) -> None:
    drop_append_only_triggers(schema_editor, REVISION_TABLE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS annotations_sourcetag_live_source ON annotations_sourcetag"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS annotations_sourcetag_live_source()")
    else:
        for name in ("insert", "update"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS annotations_sourcetag_live_source_{name}"
            )


class Migration(migrations.Migration):
    dependencies = [("annotations", "0001_initial"), ("archive", "0003_source_merged_into")]

    operations = [migrations.RunPython(create_guards, drop_guards, elidable=False)]
