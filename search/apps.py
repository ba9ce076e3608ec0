from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from kaynak import hooks
        from search import index

        # The services below announce what they changed; the index follows in a task queued
        # in the same transaction.
        hooks.on_documents_changed(index.schedule_index_update)
        hooks.on_documents_resent(index.schedule_reindex_if_missing)
        hooks.on_annotations_changed(index.schedule_annotation_update)
