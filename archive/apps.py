from __future__ import annotations

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from django.core import checks

        from archive import chains, roles, tasks
        from kaynak.tasks import register_periodic_task

        chains.register()
        checks.register(roles.check_curator_group, checks.Tags.database)
        register_periodic_task(tasks.record_provenance_checkpoint, every=tasks.CHECKPOINT_INTERVAL)
