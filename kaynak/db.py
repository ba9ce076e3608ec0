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
_OPERATIONS = ("UPDATE", "DELETE")


def append_only_trigger_names(table: str) -> list[str]:
    return [f"{table}_refuse_{operation.lower()}" for operation in _OPERATIONS]


def append_only_sql(vendor: str, table: str) -> list[str]:
    """Statements that make `table` append-only: every UPDATE and DELETE of a row refused."""
    names = append_only_trigger_names(table)
    if vendor == "postgresql":
        return [_PG_REFUSE_FUNCTION] + [
            f'CREATE TRIGGER "{name}" BEFORE {operation} ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION kaynak_refuse_modification()"
            for name, operation in zip(names, _OPERATIONS, strict=True)
        ]
    if vendor == "sqlite":
        return [
            f'CREATE TRIGGER "{name}" BEFORE {operation} ON "{table}" '
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
            for name, operation in zip(names, _OPERATIONS, strict=True)
        ]
    raise NotImplementedError(f"No append-only triggers for the {vendor} backend.")


def drop_append_only_sql(vendor: str, table: str) -> list[str]:
    on_table = f' ON "{table}"' if vendor == "postgresql" else ""
    return [
        f'DROP TRIGGER IF EXISTS "{name}"{on_table}' for name in append_only_trigger_names(table)
    ]


def create_append_only_triggers(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    for statement in append_only_sql(schema_editor.connection.vendor, table):
        schema_editor.execute(statement, params=None)


def drop_append_only_triggers(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    for statement in drop_append_only_sql(schema_editor.connection.vendor, table):
        schema_editor.execute(statement, params=None)
