"""Source events join the hash chains (per source, in the order they happened), and the
append-only checkpoint table witnesses every chain's head."""

from __future__ import annotations

import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.db import migrations, models

from kaynak.chain import canonical_json, instant, sha256_hex
from kaynak.db import create_append_only_triggers, drop_append_only_triggers

SOURCE_EVENT_TABLE = "archive_sourceevent"
CHECKPOINT_TABLE = "archive_provenancecheckpoint"


def drop_source_event_guards(apps, schema_editor) -> None:
    drop_append_only_triggers(schema_editor, SOURCE_EVENT_TABLE)


def create_source_event_guards(apps, schema_editor) -> None:
    # SQLite rebuilt the table to add its columns and dropped the triggers with the old one;
    # dropping first makes this hold on PostgreSQL, which kept them, too.
    drop_append_only_triggers(schema_editor, SOURCE_EVENT_TABLE)
    create_append_only_triggers(schema_editor, SOURCE_EVENT_TABLE)


def chain_source_events(apps, schema_editor) -> None:
    """Number and hash each source's existing events in the order they happened. The
    content hashed is written out here, as SourceEvent.canonical_content has it today."""
    SourceEvent = apps.get_model("archive", "SourceEvent")
    previous: dict[int, tuple[int, str]] = {}
    for event in SourceEvent.objects.order_by("occurred_at", "id").iterator(chunk_size=1000):
        sequence, previous_hash = previous.get(event.source_id, (0, ""))
        event.sequence, event.previous_hash = sequence + 1, previous_hash
        event.event_hash = sha256_hex(
            canonical_json(
                {
                    "source": event.source_id,
                    "sequence": event.sequence,
                    "event_type": event.event_type,
                    "occurred_at": instant(event.occurred_at),
                    "actor": event.actor_id,
                    "reason": event.reason,
                    "detail": event.detail,
                    "undoes": event.undoes_id,
                    "previous_hash": event.previous_hash,
                }
            )
        )
        event.save(update_fields=["sequence", "previous_hash", "event_hash"])
        previous[event.source_id] = (event.sequence, event.event_hash)


def create_checkpoint_guards(apps, schema_editor) -> None:
    create_append_only_triggers(schema_editor, CHECKPOINT_TABLE)


def drop_checkpoint_guards(apps, schema_editor) -> None:
    drop_append_only_triggers(schema_editor, CHECKPOINT_TABLE)


class Migration(migrations.Migration):
    dependencies = [("archive", "0005_facsimiles")]

    operations = [
        migrations.RunPython(drop_source_event_guards, create_source_event_guards, elidable=False),
        migrations.AddField(
            model_name="sourceevent",
            name="sequence",
            field=models.PositiveIntegerField(
                default=1, help_text="1 for the source's first event."
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sourceevent",
            name="previous_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="sourceevent",
            name="event_hash",
            field=models.CharField(editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(chain_source_events, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="sourceevent",
            constraint=models.UniqueConstraint(
                fields=("source", "sequence"), name="archive_sourceevent_unique_sequence"
            ),
        ),
        migrations.AddConstraint(
            model_name="sourceevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("sequence", 1), ("previous_hash", "")),
                    models.Q(
                        ("sequence__gt", 1),
                        django.db.models.lookups.Exact(
                            django.db.models.functions.text.Length("previous_hash"), 64
                        ),
                    ),
                    _connector="OR",
                ),
                name="archive_sourceevent_chain_link",
            ),
        ),
        migrations.RunPython(create_source_event_guards, drop_source_event_guards, elidable=False),
        migrations.CreateModel(
            name="ProvenanceCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField(help_text="1 for the first checkpoint.")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("document_count", models.PositiveIntegerField()),
                ("event_count", models.PositiveIntegerField()),
                ("annotation_count", models.PositiveIntegerField()),
                ("revision_count", models.PositiveIntegerField()),
                ("source_count", models.PositiveIntegerField()),
                ("source_event_count", models.PositiveIntegerField()),
                (
                    "heads",
                    models.JSONField(
                        help_text=(
                            "{kind: [[owner id, sequence, hash], ...]} for every chain's "
                            "newest entry."
                        )
                    ),
                ),
                ("merkle_root", models.CharField(editable=False, max_length=64)),
                ("previous_hash", models.CharField(blank=True, editable=False, max_length=64)),
                ("checkpoint_hash", models.CharField(editable=False, max_length=64)),
            ],
            options={
                "ordering": ["number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("number",), name="archive_provenancecheckpoint_unique_number"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("number", 1), ("previous_hash", "")),
                            models.Q(
                                ("number__gt", 1),
                                django.db.models.lookups.Exact(
                                    django.db.models.functions.text.Length("previous_hash"), 64
                                ),
                            ),
                            _connector="OR",
                        ),
                        name="archive_provenancecheckpoint_chain_link",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_checkpoint_guards, drop_checkpoint_guards, elidable=False),
    ]
