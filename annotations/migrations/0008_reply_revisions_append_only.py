"""Reply revisions are append-only in the database, as annotation revisions are: a reply's
history cannot be rewritten or removed behind the services' back."""

from django.db import migrations

from kaynak.db import create_append_only_triggers, drop_append_only_triggers

TABLE = "annotations_replyrevision"


def create(apps, schema_editor):
    create_append_only_triggers(schema_editor, TABLE)


def drop(apps, schema_editor):
    drop_append_only_triggers(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0007_page_notes")]

    operations = [migrations.RunPython(create, drop)]
