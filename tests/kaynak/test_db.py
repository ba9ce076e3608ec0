"""The triggers every table must carry. SQLite rebuilds a table to add a constraint or alter
a column, and the rebuilt table has lost its triggers: a migration that forgets to make them
again fails here, on either database."""

from __future__ import annotations

import pytest
from django.db import connection

from kaynak.db import (
    append_only_trigger_names,
    immutable_columns_trigger_name,
    live_source_trigger_names,
    no_merge_chain_trigger_names,
    unreferenced_tombstone_trigger_name,
)

pytestmark = pytest.mark.django_db


def on_both(*names: str) -> dict[str, set[str]]:
    return {"sqlite": set(names), "postgresql": set(names)}


def by_vendor(make) -> dict[str, set[str]]:
    return {vendor: set(make(vendor)) for vendor in ("sqlite", "postgresql")}


def merged(*parts: dict[str, set[str]]) -> dict[str, set[str]]:
    return {vendor: set().union(*(part[vendor] for part in parts)) for vendor in parts[0]}


# Table → the triggers it must carry, by database. Add a table (or a name) here when a
# migration gives a table triggers: an append-only table is
# `"app_model": on_both(*append_only_trigger_names("app_model"))`.
EXPECTED_TRIGGERS: dict[str, dict[str, set[str]]] = {
    "archive_provenanceevent": on_both(*append_only_trigger_names("archive_provenanceevent")),
    "archive_sourceevent": on_both(*append_only_trigger_names("archive_sourceevent")),
    "archive_provenancecheckpoint": on_both(
        *append_only_trigger_names("archive_provenancecheckpoint")
    ),
    "annotations_annotationrevision": on_both(
        *append_only_trigger_names("annotations_annotationrevision")
    ),
    "annotations_replyrevision": on_both(*append_only_trigger_names("annotations_replyrevision")),
    "search_savedsearchevent": on_both(*append_only_trigger_names("search_savedsearchevent")),
    "archive_document": merged(
        {
            "sqlite": {
                "archive_document_dates_insert",
                "archive_document_dates_update",
                "archive_document_original_immutable",
                "archive_document_part_immutable",
            },
            "postgresql": {"archive_document_guard", "archive_document_part_guard"},
        },
        by_vendor(lambda vendor: live_source_trigger_names(vendor, "archive_document")),
    ),
    "archive_source": merged(
        by_vendor(no_merge_chain_trigger_names),
        on_both(
            unreferenced_tombstone_trigger_name("archive_document"),
            unreferenced_tombstone_trigger_name("annotations_sourcetag"),
        ),
    ),
    "archive_facsimile": on_both(immutable_columns_trigger_name("archive_facsimile")),
    "annotations_annotation": on_both(immutable_columns_trigger_name("annotations_annotation")),
    "annotations_sourcetag": {
        "sqlite": {
            "annotations_sourcetag_live_source_insert",
            "annotations_sourcetag_live_source_update",
        },
        "postgresql": {"annotations_sourcetag_live_source"},
    },
}


def triggers_in_database() -> dict[str, set[str]]:
    """Table → the names of the triggers on it, as the database lists them."""
    if connection.vendor == "sqlite":
        sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
    else:
        sql = (
            "SELECT c.relname, t.tgname FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
        )
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for table, name in cursor.fetchall():
            found.setdefault(table, set()).add(name)
    return found


def test_every_table_carries_all_its_triggers() -> None:
    found = triggers_in_database()
    missing = {
        table: sorted(names[connection.vendor] - found.get(table, set()))
        for table, names in EXPECTED_TRIGGERS.items()
        if names[connection.vendor] - found.get(table, set())
    }
    assert missing == {}, f"triggers lost (a table rebuilt without them?): {missing}"


def test_every_trigger_in_the_database_is_listed_here() -> None:
    """A trigger nobody listed would not be missed when a rebuild drops it."""
    expected = {table: names[connection.vendor] for table, names in EXPECTED_TRIGGERS.items()}
    unlisted = {
        table: sorted(names - expected.get(table, set()))
        for table, names in triggers_in_database().items()
        if names - expected.get(table, set())
    }
    assert unlisted == {}, f"add these to EXPECTED_TRIGGERS: {unlisted}"
