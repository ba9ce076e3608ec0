"""Shared by the bag tests: an archive with one of everything, a snapshot of every table that
matters, and `manage.py` run against another database (a fresh archive). Text is invented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder

from annotations.models import (
    Annotation,
    AnnotationRevision,
    Reply,
    ReplyRevision,
    SourceTag,
    Tag,
)
from annotations.services import (
    SourceTagInput,
    annotation_create,
    annotation_update,
    reply_create,
    reply_update,
    tag_create,
)
from archive.models import (
    Document,
    EventType,
    Facsimile,
    ProvenanceEvent,
    Source,
    SourceAlias,
    SourceEvent,
)
from archive.services import document_withdraw, source_merge, source_unmerge
from archive.services.checkpoints import provenance_checkpoint
from tests.factories import DocumentFactory, FacsimileFactory, SourceFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
TABLES = [
    Source,
    SourceAlias,
    SourceEvent,
    Document,
    ProvenanceEvent,
    Facsimile,
    Tag,
    Annotation,
    SourceTag,
    Reply,
    AnnotationRevision,
    ReplyRevision,
]


def build_archive() -> dict[str, Any]:
    """Sample documents, a facsimile, a withdrawn document, a merge that stands and one
    undone, tags, a group annotation with a source tag, an edit, an edited reply; a
    checkpoint."""
    curator = UserFactory(username="bag-curator", is_staff=True)
    reader = UserFactory(username="bag-reader")
    team = Group.objects.create(name="bag-readers")
    reader.groups.add(team)
    documents = [
        DocumentFactory(title="ALPINE DAIRY COOPERATIVE OPENS A SECOND PLANT"),
        DocumentFactory(
            title="LIGHTHOUSE KEEPERS RETURN TO THE ISLAND",
            outlet_line="Coastal Gazette, March 3 2018",
            reprint_date="05.03.2018",
        ),
        DocumentFactory(title="A WITHDRAWN NOTE ON THE FERRY TIMETABLE", actor=curator),
    ]
    FacsimileFactory(document=documents[0])
    document_withdraw(
        document=documents[2], actor=curator, agent="test", reason="Printed twice by mistake."
    )
    kept = SourceFactory(name="Orchard Valley Courier")
    merged = SourceFactory(name="Orchard Valley Courier Weekly")
    source_merge(sources=[merged], into=kept, actor=curator, reason="The same paper.")
    first = SourceFactory(name="Hilltop Almanac")
    second = SourceFactory(name="Hilltop Almanac Digest")
    merge = source_merge(sources=[second], into=first, actor=curator, reason="Looked the same.")
    source_unmerge(event=merge, actor=curator, reason="Two papers after all.")
    tag_create(name="infrastructure", actor=curator)
    tag_create(name="dairy", actor=reader)
    annotation = annotation_create(
        document=documents[0],
        creator=reader,
        start=0,
        end=12,
        comment="The opening line.",
        visibility="group",
        group=team.pk,
        tags=["infrastructure", "dairy"],
        source_tags=[SourceTagInput(source=kept.slug)],
    )
    annotation = annotation_update(
        annotation=annotation,
        actor=reader,
        expected_version=annotation.version,
        comment="The opening line, as printed.",
    )
    reply = reply_create(annotation=annotation, author=curator, body="Agreed; see the scan.")
    reply_update(reply=reply, actor=curator, expected_version=1, body="Agreed; see the facsimile.")
    annotation_create(document=documents[1], creator=curator, start=5, end=20)
    provenance_checkpoint()
    return {"documents": documents, "curator": curator, "reader": reader}


def snapshot() -> dict[str, Any]:
    """Every row of every table that matters (restore events left out: they are the one
    thing an import adds), users by id and name, groups by name, annotation tags."""
    tables = {}
    for model in TABLES:
        rows = model.objects.order_by("pk")
        if model is ProvenanceEvent:
            rows = rows.exclude(event_type=EventType.RESTORED_FROM_BAG)
        tables[model._meta.label] = list(rows.values())
    # Groups travel by name (their ids are this database's own): compared by name below.
    for annotation in tables[Annotation._meta.label]:
        del annotation["group_id"]
    tables["annotation tags"] = list(
        Annotation.tags.through.objects.order_by("annotation_id", "tag_id").values_list(
            "annotation_id", "tag_id"
        )
    )
    tables["users"] = list(get_user_model().objects.order_by("pk").values_list("pk", "username"))
    tables["groups"] = sorted(
        (annotation.pk, annotation.group.name)
        for annotation in Annotation.objects.filter(group__isnull=False)
    )
    return json.loads(json.dumps(tables, cls=DjangoJSONEncoder, sort_keys=True))


def manage(*args: str, database_url: str, data_dir: Path, check: bool = True):
    """`manage.py args` against another database and data folder, as an operator runs it."""
    env = {
        **os.environ,
        "SECRET_KEY": "kaynak-test-only",
        "DATABASE_URL": database_url,
        "KAYNAK_DATA_DIR": str(data_dir),
        "KAYNAK_INDEX_IN_BACKGROUND": "0",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        cwd=ROOT,
        timeout=600,
    )


SNAPSHOT_SCRIPT = (
    "import django, json; django.setup(); "
    "from tests.archive.bags_support import snapshot; print(json.dumps(snapshot()))"
)


def remote_snapshot(*, database_url: str, data_dir: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "SECRET_KEY": "kaynak-test-only",
        "DATABASE_URL": database_url,
        "KAYNAK_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "kaynak.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", SNAPSHOT_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    return json.loads(done.stdout)
