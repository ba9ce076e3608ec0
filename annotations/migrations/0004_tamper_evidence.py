"""Annotation revisions join the hash chains (per annotation, by version); a revision a
source merge writes may have no person behind it."""

from __future__ import annotations

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from kaynak.chain import canonical_json, instant, sha256_hex
from kaynak.db import create_append_only_triggers, drop_append_only_triggers

REVISION_TABLE = "annotations_annotationrevision"


def drop_revision_guards(apps, schema_editor) -> None:
    drop_append_only_triggers(schema_editor, REVISION_TABLE)


def create_revision_guards(apps, schema_editor) -> None:
    # SQLite rebuilt the table and dropped the triggers with the old one; dropping first
    # makes this hold on PostgreSQL, which kept them, too.
    drop_append_only_triggers(schema_editor, REVISION_TABLE)
    create_append_only_triggers(schema_editor, REVISION_TABLE)


def chain_revisions(apps, schema_editor) -> None:
    """Hash each annotation's existing revisions in version order. The content hashed is
    written out here, as AnnotationRevision.canonical_content has it today."""
    AnnotationRevision = apps.get_model("annotations", "AnnotationRevision")
    previous: dict[int, str] = {}
    revisions = AnnotationRevision.objects.order_by("annotation_id", "version", "id")
    for revision in revisions.iterator(chunk_size=1000):
        revision.previous_hash = previous.get(revision.annotation_id, "")
        revision.revision_hash = sha256_hex(
            canonical_json(
                {
                    "annotation": revision.annotation_id,
                    "version": revision.version,
                    "action": revision.action,
                    "actor": revision.actor_id,
                    "occurred_at": instant(revision.occurred_at),
                    "changes": revision.changes,
                    "reason": revision.reason,
                    "previous_hash": revision.previous_hash,
                }
            )
        )
        revision.save(update_fields=["previous_hash", "revision_hash"])
        previous[revision.annotation_id] = revision.revision_hash


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0003_curator_group"),
        ("archive", "0006_tamper_evidence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_revision_guards, create_revision_guards, elidable=False),
        migrations.AlterField(
            model_name="annotationrevision",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                help_text="The person responsible; empty for the system itself.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="annotationrevision",
            name="occurred_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="annotationrevision",
            name="previous_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="annotationrevision",
            name="revision_hash",
            field=models.CharField(editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(chain_revisions, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="annotationrevision",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("version", 1), ("previous_hash", "")),
                    models.Q(
                        ("version__gt", 1),
                        django.db.models.lookups.Exact(
                            django.db.models.functions.text.Length("previous_hash"), 64
                        ),
                    ),
                    _connector="OR",
                ),
                name="annotations_annotationrevision_chain_link",
            ),
        ),
        migrations.RunPython(create_revision_guards, drop_revision_guards, elidable=False),
    ]
