"""The curator role: a group with the permissions curation needs."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

CURATOR_GROUP = "curator"
CURATOR_PERMISSIONS = {
    "archive": [
        "view_document",
        "view_provenanceevent",
        "add_source",
        "change_source",
        "view_source",
        "add_sourcealias",
        "change_sourcealias",
        "delete_sourcealias",
        "view_sourcealias",
    ],
    "annotations": [
        "moderate_annotation",
        "view_annotation",
        "add_tag",
        "change_tag",
        "view_tag",
    ],
}


def create_curator_group(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; make them now to assign them.
    for app_label in CURATOR_PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # the historical app stub lacks it
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATOR_GROUP)
    for app_label, codenames in CURATOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_curator_group(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name=CURATOR_GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0002_database_guards"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curator_group, remove_curator_group)]
