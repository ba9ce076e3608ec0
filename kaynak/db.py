"""Database-enforced invariants that Django's constraints cannot express, as triggers.

Migrations call these through RunPython so one migration serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db.backends.base.schema import BaseDatabaseSchemaEditor

_PG_REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION kaynak_refuse_modification() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_trigger_names(table: str) -> list[str]:
    return [f"{table}_refuse_update", f"{table}_refuse_delete"]


def create_append_only_triggers(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    """Make `table` append-only: every UPDATE and DELETE of a row is refused by the database."""
    vendor = schema_editor.connection.vendor
    update_trigger, delete_trigger = append_only_trigger_names(table)
    if vendor == "postgresql":
        schema_editor.execute(_PG_REFUSE_FUNCTION, params=None)
        for name, operation in ((update_trigger, "UPDATE"), (delete_trigger, "DELETE")):
            schema_editor.execute(
                f'CREATE TRIGGER "{name}" BEFORE {operation} ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION kaynak_refuse_modification()"
            )
    elif vendor == "sqlite":
        for name, operation in ((update_trigger, "UPDATE"), (delete_trigger, "DELETE")):
            schema_editor.execute(
                f'CREATE TRIGGER "{name}" BEFORE {operation} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            )
    else:
        raise NotImplementedError(f"No append-only triggers for the {vendor} backend.")


def drop_append_only_triggers(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    for name in append_only_trigger_names(table):
        if vendor == "postgresql":
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        else:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
