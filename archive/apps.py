from __future__ import annotations

from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self) -> None:
        from archive import chains, tasks
        from archive.search.index import live_generation, rebuild_index
        from kaynak import hooks
        from kaynak.tasks import register_periodic_task

        def rebuild() -> None:
            # A fresh archive has no live index yet, and rebuild_index asks for it while
            # holding the root lock (a second flock on the same file waits for ever): made
            # first, outside the lock.
            live_generation()
            rebuild_index()

        chains.register()
        register_periodic_task(tasks.record_provenance_checkpoint, every=tasks.CHECKPOINT_INTERVAL)
        # import_bag rebuilds the index through the hook, so the bag code needs no search.
        hooks.register_index_rebuild(rebuild)
