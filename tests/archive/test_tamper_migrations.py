"""The migrations that chain source events and annotation revisions hash the rows already
there, in the order they happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from annotations.chains import revision_breaks
from annotations.models import AnnotationRevision
from archive.chains import source_breaks
from archive.models import SourceEvent

BEFORE = [("archive", "0005_facsimiles"), ("annotations", "0003_curator_group")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_source_events_and_revisions_are_chained_in_order() -> None:
    executor = migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        user = old.get_model("auth", "User").objects.create(username="archivist")
        source = old.get_model("archive", "Source").objects.create(name="Old Outlet", slug="old")
        SourceEvent_ = old.get_model("archive", "SourceEvent")
        early = datetime(2025, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
        # Inserted out of order: the chain follows occurred_at.
        SourceEvent_.objects.create(
            source=source, event_type="change", occurred_at=early + timedelta(days=1)
        )
        SourceEvent_.objects.create(source=source, event_type="creation", occurred_at=early)
        document = old.get_model("archive", "Document").objects.create(
            title="An old document",
            text="An old text.",
            layout="plain",
            sha256="a" * 64,
            size_bytes=12,
            media_type="text/plain",
            encoding="utf-8",
            original_filename="old.txt",
        )
        annotation = old.get_model("annotations", "Annotation").objects.create(
            document=document, start=0, end=2, quote="An", creator=user
        )
        Revision = old.get_model("annotations", "AnnotationRevision")
        for version, action in ((1, "created"), (2, "updated")):
            Revision.objects.create(
                annotation=annotation, version=version, action=action, actor=user
            )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    events = list(SourceEvent.objects.filter(source_id=source.pk).order_by("sequence"))
    assert [(event.sequence, event.event_type) for event in events] == [
        (1, "creation"),
        (2, "change"),
    ]
    assert events[1].previous_hash == events[0].event_hash
    assert source_breaks([source.pk]) == {}
    revisions = list(AnnotationRevision.objects.filter(annotation_id=annotation.pk))
    assert revisions[1].previous_hash == revisions[0].revision_hash
    assert revision_breaks([annotation.pk]) == {}
