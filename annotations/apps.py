from __future__ import annotations

from types import SimpleNamespace

from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations"

    def ready(self) -> None:
        from annotations import bags, chains, services
        from kaynak import hooks

        # The archive below announces its source merges; this app moves the source tags.
        hooks.register_source_tags(
            SimpleNamespace(
                merge_plan=services.source_tags_merge_plan,
                merge_apply=services.source_tags_merge_apply,
                unmerge_conflicts=services.source_tags_unmerge_conflicts,
                unmerge_apply=services.source_tags_unmerge_apply,
            )
        )
        chains.register()
        # Tags always, annotations when asked for, travel in the archive's bags.
        hooks.register_bag_part(bags.TagsPart())
        hooks.register_bag_part(bags.AnnotationsPart())
