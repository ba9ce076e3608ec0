from __future__ import annotations

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from archive import chains, tasks
        from kaynak.tasks import register_periodic_task

        chains.register()
        register_periodic_task(tasks.record_provenance_checkpoint, every=tasks.CHECKPOINT_INTERVAL)
