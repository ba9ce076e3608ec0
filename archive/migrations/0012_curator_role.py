"""The curator group brought up to the list in `archive/roles.py` (facsimiles were missing:
a curator who was not a superuser could neither attach nor see them in the admin).

Unlike the earlier migrations, which froze their lists, this one reads the module's list, so
it grants whatever the list says when it runs. A later addition to the list needs a new
migration like this one for databases that already ran it (the system check
`archive.W001` says so)."""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations

from archive import roles


def grant(apps, schema_editor) -> None:
    # Permissions are normally made after all migrations ran; make them now to assign them.
    for app_label in roles.CURATOR_PERMISSIONS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # the historical app stub lacks it
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    roles.curator_group_grant(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0011_review_request"),
        ("annotations", "0005_database_rules"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    # Backwards leaves the group as it is: the earlier migrations' reverses take away theirs.
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
