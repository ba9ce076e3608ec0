"""Saved searches, their append-only events and each user's last-seen marker."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from kaynak.db import create_append_only_triggers, drop_append_only_triggers

EVENTS = "search_savedsearchevent"


def create_triggers(apps, schema_editor):
    create_append_only_triggers(schema_editor, EVENTS)


def drop_triggers(apps, schema_editor):
    drop_append_only_triggers(schema_editor, EVENTS)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("search", "0001_task_paths_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedSearch",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=120)),
                (
                    "kind",
                    models.CharField(
                        choices=[("documents", "Documents"), ("annotations", "Annotations")],
                        max_length=12,
                    ),
                ),
                ("query", models.TextField(blank=True, help_text="The query text, as typed.")),
                (
                    "filters",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="Filter parameters of the search, name: list of values (as in its URL).",
                    ),
                ),
                (
                    "sort",
                    models.CharField(
                        blank=True, help_text="Empty: the search's default.", max_length=20
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="saved_searches",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "shared_with_group",
                    models.ForeignKey(
                        blank=True,
                        help_text="A group of the owner whose members may see and run it; empty: private.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="auth.group",
                    ),
                ),
            ],
            options={
                "ordering": ["name", "id"],
            },
        ),
        migrations.CreateModel(
            name="SavedSearchEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("updated", "Updated"),
                            ("deleted", "Deleted"),
                        ],
                        max_length=10,
                    ),
                ),
                ("occurred_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("changes", models.JSONField(default=dict, help_text="Field: {before, after}.")),
                (
                    "actor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "saved_search",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="search.savedsearch",
                    ),
                ),
            ],
            options={
                "ordering": ["saved_search_id", "occurred_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="SavedSearchSeen",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seen_at", models.DateTimeField()),
                ("seen_total", models.PositiveIntegerField()),
                (
                    "saved_search",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="search.savedsearch",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="savedsearch",
            constraint=models.UniqueConstraint(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=("owner", "name"),
                name="search_savedsearch_unique_live_name",
            ),
        ),
        migrations.AddConstraint(
            model_name="savedsearch",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="search_savedsearch_has_name"
            ),
        ),
        migrations.AddConstraint(
            model_name="savedsearch",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["documents", "annotations"])),
                name="search_savedsearch_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="savedsearchevent",
            constraint=models.CheckConstraint(
                condition=models.Q(("action__in", ["created", "updated", "deleted"])),
                name="search_savedsearchevent_action_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="savedsearchseen",
            constraint=models.UniqueConstraint(
                fields=("saved_search", "user"), name="search_savedsearchseen_one_per_user"
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
