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


def immutable_columns_trigger_name(table: str) -> str:
    return f"{table}_immutable_columns"


def immutable_columns_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """Statements that refuse any UPDATE changing one of `columns` of `table` (the row's
    other columns stay writable)."""
    name = immutable_columns_trigger_name(table)
    message = f"{table}: {', '.join(columns)} cannot change"
    if vendor == "postgresql":
        changed = " OR ".join(
            f'NEW."{column}" IS DISTINCT FROM OLD."{column}"' for column in columns
        )
        return [
            f"""CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
BEGIN
    IF {changed} THEN
        RAISE EXCEPTION '{message} (row %)', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
            f'CREATE TRIGGER "{name}" BEFORE UPDATE ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
    if vendor == "sqlite":
        changed = " OR ".join(f'NEW."{column}" IS NOT OLD."{column}"' for column in columns)
        return [
            f'CREATE TRIGGER "{name}" BEFORE UPDATE ON "{table}" WHEN {changed} '
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ]
    raise NotImplementedError(f"No immutable-column triggers for the {vendor} backend.")


def drop_immutable_columns_sql(vendor: str, table: str) -> list[str]:
    name = immutable_columns_trigger_name(table)
    if vendor == "postgresql":
        return [
            f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
            f'DROP FUNCTION IF EXISTS "{name}"()',
        ]
    return [f'DROP TRIGGER IF EXISTS "{name}"']


def create_immutable_columns_trigger(
    schema_editor: BaseDatabaseSchemaEditor, table: str, columns: list[str]
) -> None:
    for statement in immutable_columns_sql(schema_editor.connection.vendor, table, columns):
        schema_editor.execute(statement, params=None)


def drop_immutable_columns_trigger(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    for statement in drop_immutable_columns_sql(schema_editor.connection.vendor, table):
        schema_editor.execute(statement, params=None)
