"""`manage.py db_worker`: django-tasks-db's worker, with what Kaynak adds before it starts."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from kaynak.tasks import requeue_abandoned_tasks, schedule_periodic_tasks, worker_id


class Command(db_worker.Command):
    help = (
        "Run the background worker: index updates, facsimile derivatives and periodic work "
        "queued in the database. Tasks left running by a worker that died are run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # A name that says which machine and process holds a task, so a worker that starts
        # after a crash can tell the dead one's tasks from a live neighbour's.
        parser.set_defaults(worker_id=worker_id(), interval=settings.KAYNAK_WORKER_INTERVAL)

    def handle(self, *args: Any, **options: Any) -> None:
        requeued = requeue_abandoned_tasks()
        if requeued:
            self.stdout.write(f"Requeued {requeued} task(s) left running by a dead worker.")
        schedule_periodic_tasks()
        super().handle(*args, **options)
