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


# Sources and what points to them. A merged source stays as a tombstone (`merged_into` set);
# nothing may point to a tombstone, and a tombstone points to a live source (no merge chains).
# Each rule is guarded from both sides, so no order of writes can break it: the referring row
# may only name a live source, and a source cannot become a tombstone while rows name it.
SOURCE_TABLE = "archive_source"
_MERGED_MESSAGE = "was merged into another; name the source it was merged into"


def live_source_trigger_names(vendor: str, table: str) -> list[str]:
    name = f"{table}_live_sources"
    return [name] if vendor == "postgresql" else [f"{name}_insert", f"{name}_update"]


def live_source_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """Statements that refuse an INSERT of a `table` row, or an UPDATE changing one of
    `columns` (foreign keys to sources), that names a merged source."""
    names = live_source_trigger_names(vendor, table)
    of = ", ".join(f'"{column}"' for column in columns)
    if vendor == "postgresql":
        (name,) = names
        ids = ", ".join(f'NEW."{column}"' for column in columns)
        unchanged = " AND ".join(
            f'NEW."{column}" IS NOT DISTINCT FROM OLD."{column}"' for column in columns
        )
        # FOR SHARE waits for a merge that is making one of these sources a tombstone, then
        # sees it committed: the two checks cannot both pass on stale snapshots.
        return [
            f"""CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
DECLARE
    merged bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND {unchanged} THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM "{SOURCE_TABLE}" WHERE id IN ({ids}) FOR SHARE;
    SELECT id INTO merged FROM "{SOURCE_TABLE}"
        WHERE id IN ({ids}) AND merged_into_id IS NOT NULL LIMIT 1;
    IF merged IS NOT NULL THEN
        RAISE EXCEPTION '{table}: source % {_MERGED_MESSAGE}', merged
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
            f'CREATE TRIGGER "{name}" BEFORE INSERT OR UPDATE OF {of} ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
    if vendor == "sqlite":
        merged = " OR ".join(
            f'(SELECT merged_into_id FROM "{SOURCE_TABLE}" WHERE id = NEW."{column}") IS NOT NULL'
            for column in columns
        )
        message = f"{table}: a source was merged into another; name the source it was merged into"
        return [
            f'CREATE TRIGGER "{names[0]}" BEFORE INSERT ON "{table}" WHEN {merged} '
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
            f'CREATE TRIGGER "{names[1]}" BEFORE UPDATE OF {of} ON "{table}" WHEN {merged} '
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        ]
    raise NotImplementedError(f"No live-source triggers for the {vendor} backend.")


def drop_live_source_sql(vendor: str, table: str) -> list[str]:
    return _drop_triggers_sql(vendor, table, live_source_trigger_names(vendor, table))


def unreferenced_tombstone_trigger_name(table: str) -> str:
    return f"{SOURCE_TABLE}_tombstone_unnamed_by_{table}"


def unreferenced_tombstone_sql(vendor: str, table: str, columns: list[str]) -> list[str]:
    """Statements that refuse to make a source a tombstone (set its `merged_into`) while a
    `table` row names it in one of `columns`: move those rows to the live source first."""
    name = unreferenced_tombstone_trigger_name(table)
    move = "move them to the source it is merged into first"
    named = " OR ".join(f'"{column}" = NEW.id' for column in columns)
    if vendor == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
BEGIN
    IF NEW.merged_into_id IS NOT NULL AND EXISTS (SELECT 1 FROM "{table}" WHERE {named}) THEN
        RAISE EXCEPTION 'source % cannot be merged while {table} rows name it; {move}',
            NEW.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
            f'CREATE TRIGGER "{name}" BEFORE UPDATE OF merged_into_id ON "{SOURCE_TABLE}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
    if vendor == "sqlite":
        return [
            f'CREATE TRIGGER "{name}" BEFORE UPDATE OF merged_into_id ON "{SOURCE_TABLE}" '
            "WHEN NEW.merged_into_id IS NOT NULL "
            f'AND EXISTS (SELECT 1 FROM "{table}" WHERE {named}) '
            f"BEGIN SELECT RAISE(ABORT, '{SOURCE_TABLE}: a source cannot be merged while "
            f"{table} rows name it'); END"
        ]
    raise NotImplementedError(f"No tombstone triggers for the {vendor} backend.")


def drop_unreferenced_tombstone_sql(vendor: str, table: str) -> list[str]:
    return _drop_triggers_sql(vendor, SOURCE_TABLE, [unreferenced_tombstone_trigger_name(table)])


def no_merge_chain_trigger_names(vendor: str) -> list[str]:
    name = f"{SOURCE_TABLE}_no_merge_chains"
    return [name] if vendor == "postgresql" else [f"{name}_insert", f"{name}_update"]


def no_merge_chain_sql(vendor: str) -> list[str]:
    """Statements that keep merges one step deep: a source is merged only into a live
    source, and a source that others were merged into cannot itself be merged (repoint them
    first, as `source_merge` does)."""
    names = no_merge_chain_trigger_names(vendor)
    into_merged = "it was itself merged (no merge chains)"
    others_merged = "other sources are merged into it (no merge chains)"
    if vendor == "postgresql":
        (name,) = names
        return [
            f"""CREATE OR REPLACE FUNCTION "{name}"() RETURNS trigger AS $$
BEGIN
    IF NEW.merged_into_id IS NULL
        OR (TG_OP = 'UPDATE' AND NEW.merged_into_id IS NOT DISTINCT FROM OLD.merged_into_id) THEN
        RETURN NEW;
    END IF;
    -- Waits for a concurrent merge of the target, then sees it (see the live-source rule).
    PERFORM 1 FROM "{SOURCE_TABLE}" WHERE id = NEW.merged_into_id FOR SHARE;
    IF (SELECT merged_into_id FROM "{SOURCE_TABLE}" WHERE id = NEW.merged_into_id) IS NOT NULL THEN
        RAISE EXCEPTION 'source % cannot be merged into source %: {into_merged}',
            NEW.id, NEW.merged_into_id USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM "{SOURCE_TABLE}" WHERE merged_into_id = NEW.id) THEN
        RAISE EXCEPTION 'source % cannot be merged while {others_merged}',
            NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql""",
            f'CREATE TRIGGER "{name}" BEFORE INSERT OR UPDATE OF merged_into_id '
            f'ON "{SOURCE_TABLE}" FOR EACH ROW EXECUTE FUNCTION "{name}"()',
        ]
    if vendor == "sqlite":
        target_merged = (
            f'(SELECT merged_into_id FROM "{SOURCE_TABLE}" WHERE id = NEW.merged_into_id) '
            "IS NOT NULL"
        )
        others_in = f'EXISTS (SELECT 1 FROM "{SOURCE_TABLE}" WHERE merged_into_id = NEW.id)'
        message = f"{SOURCE_TABLE}: no merge chains"
        return [
            f'CREATE TRIGGER "{names[0]}" BEFORE INSERT ON "{SOURCE_TABLE}" '
            f"WHEN NEW.merged_into_id IS NOT NULL AND {target_merged} "
            f"BEGIN SELECT RAISE(ABORT, '{message}: merged into a merged source'); END",
            f'CREATE TRIGGER "{names[1]}" BEFORE UPDATE OF merged_into_id ON "{SOURCE_TABLE}" '
            "WHEN NEW.merged_into_id IS NOT NULL AND NEW.merged_into_id IS NOT OLD.merged_into_id "
            f"AND ({target_merged} OR {others_in}) "
            f"BEGIN SELECT RAISE(ABORT, '{message}: merged into a merged source, "
            "or merged while others are merged into it'); END",
        ]
    raise NotImplementedError(f"No merge-chain triggers for the {vendor} backend.")


def drop_no_merge_chain_sql(vendor: str) -> list[str]:
    return _drop_triggers_sql(vendor, SOURCE_TABLE, no_merge_chain_trigger_names(vendor))


def _drop_triggers_sql(vendor: str, table: str, names: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [
            statement
            for name in names
            for statement in (
                f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                f'DROP FUNCTION IF EXISTS "{name}"()',
            )
        ]
    return [f'DROP TRIGGER IF EXISTS "{name}"' for name in names]


def execute_all(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)
