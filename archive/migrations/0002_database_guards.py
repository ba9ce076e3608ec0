"""Triggers for what CHECK constraints cannot say: the provenance log is append-only, a
stored original and the text built from it never change, and no date lies in the future."""

from __future__ import annotations

from django.db import migrations

from kaynak.db import create_append_only_triggers, drop_append_only_triggers

EVENT_TABLE = "archive_provenanceevent"

# A day of slack: "today" at the place of publication can be tomorrow in UTC.
PG_DOCUMENT_GUARD = """
CREATE OR REPLACE FUNCTION archive_document_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.original_published_on > CURRENT_DATE + 1 THEN
        RAISE EXCEPTION 'original publication date % is in the future', NEW.original_published_on
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.reprinted_on > CURRENT_DATE + 1 THEN
        RAISE EXCEPTION 'reprint date % is in the future', NEW.reprinted_on
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (
        NEW.sha256 IS DISTINCT FROM OLD.sha256
        OR NEW.size_bytes IS DISTINCT FROM OLD.size_bytes
        OR NEW.media_type IS DISTINCT FROM OLD.media_type
        OR NEW.encoding IS DISTINCT FROM OLD.encoding
        OR NEW.original_filename IS DISTINCT FROM OLD.original_filename
        OR NEW.text IS DISTINCT FROM OLD.text
    ) THEN
        RAISE EXCEPTION 'the stored original and text of document % cannot change', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_document_guard BEFORE INSERT OR UPDATE ON archive_document
    FOR EACH ROW EXECUTE FUNCTION archive_document_guard();
"""

SQLITE_FUTURE = (
    "NEW.original_published_on > date('now', '+1 day') OR NEW.reprinted_on > date('now', '+1 day')"
)
SQLITE_DOCUMENT_GUARD = [
    f"""CREATE TRIGGER archive_document_dates_insert BEFORE INSERT ON archive_document
    WHEN {SQLITE_FUTURE}
    BEGIN SELECT RAISE(ABORT, 'archive_document: a publication or reprint date is in the future'); END""",
    f"""CREATE TRIGGER archive_document_dates_update
    BEFORE UPDATE OF original_published_on, reprinted_on ON archive_document
    WHEN {SQLITE_FUTURE}
    BEGIN SELECT RAISE(ABORT, 'archive_document: a publication or reprint date is in the future'); END""",
    """CREATE TRIGGER archive_document_original_immutable BEFORE UPDATE ON archive_document
    WHEN NEW.sha256 IS NOT OLD.sha256 OR NEW.size_bytes IS NOT OLD.size_bytes
        OR NEW.media_type IS NOT OLD.media_type OR NEW.encoding IS NOT OLD.encoding
        OR NEW.original_filename IS NOT OLD.original_filename OR NEW.text IS NOT OLD.text
    BEGIN SELECT RAISE(ABORT, 'archive_document: the stored original and text cannot change'); END""",
]


def create_guards(apps, schema_editor) -> None:
    create_append_only_triggers(schema_editor, EVENT_TABLE)
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DOCUMENT_GUARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DOCUMENT_GUARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"No document guards for the {vendor} backend.")


def drop_guards(apps, schema_editor) -> None:
    drop_append_only_triggers(schema_editor, EVENT_TABLE)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS archive_document_guard ON archive_document")
        schema_editor.execute("DROP FUNCTION IF EXISTS archive_document_guard()")
    else:
        for name in (
            "archive_document_dates_insert",
            "archive_document_dates_update",
            "archive_document_original_immutable",
        ):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(create_guards, drop_guards, elidable=False)]
