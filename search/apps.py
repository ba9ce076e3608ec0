from __future__ import annotations

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from django.core import checks

        from kaynak import health, hooks
        from search import index
        from search.backends import backend
        from search.checks import check_search_backend
        from search.health import check_search_index

        # The services below announce what they changed; the index follows in a task queued
        # in the same transaction.
        hooks.on_documents_changed(index.schedule_index_update)
        hooks.on_documents_resent(index.schedule_reindex_if_missing)
        hooks.on_annotations_changed(index.schedule_annotation_update)

        def rebuild() -> None:
            backend().rebuild()

        # import_bag rebuilds the index through this hook once its transaction commits.
        hooks.register_index_rebuild(rebuild)
        # GET /healthz opens the index and counts its documents.
        health.register_health_check("search_index", check_search_index)
        checks.register(check_search_backend)
