"""Curators see the background tasks (index updates, derivatives) and their errors in the
admin: the view permission on django-tasks-db's task results."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSION = ("django_tasks_database", "view_dbtaskresult")


def grant(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; make them now to assign them.
    app_config = apps.get_app_config(PERMISSION[0])
    app_config.models_module = True  # the historical app stub lacks it
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
    )
    for group in Group.objects.filter(name="curator"):
        group.permissions.add(permission)


def revoke(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="curator"):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0007_database_rules"),
        ("annotations", "0003_curator_group"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
