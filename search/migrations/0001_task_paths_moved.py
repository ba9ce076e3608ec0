"""The index task moved with the search code out of the archive app: queued rows name a task
by its dotted path, so rows written before the move are renamed and still run."""

from django.db import migrations

MOVED = {
    "archive.search.index.update_search_index": "search.index.update_search_index",
}


def rename(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def rename_back(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
