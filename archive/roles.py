"""The roles, in one place: what a curator may do (the permissions of the `curator` group)
and the three questions every layer asks of a user — is this a curator, may they see
withdrawn documents, may they moderate annotations. The archive is the lowest layer, so both
apps and the pages ask here; the permission names are strings, so nothing above is imported.

The group is made by migrations from `CURATOR_PERMISSIONS`; `check_curator_group` (a system
check, `manage.py check --database default`) says when a database's group is behind the list,
and a new data migration calling `curator_group_grant` brings it up to date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import AppConfig
from django.apps import apps as installed_apps
from django.apps.registry import Apps
from django.core.checks import CheckMessage, Warning
from django.db import DatabaseError

from kaynak.users import Requester

CURATOR_GROUP = "curator"

# Everything the README promises a curator, by app label: the archive's documents (ingest,
# correct, withdraw), sources (create, edit, alias, merge) and facsimiles (attach, see) in the
# admin, their histories; annotation moderation and curated tags; the background tasks' results.
CURATOR_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "archive": (
        "add_document",
        "change_document",
        "view_document",
        "withdraw_document",
        "view_provenanceevent",
        "add_source",
        "change_source",
        "view_source",
        "merge_source",
        "view_sourceevent",
        "add_sourcealias",
        "change_sourcealias",
        "delete_sourcealias",
        "view_sourcealias",
        "add_facsimile",
        "view_facsimile",
    ),
    "annotations": (
        "moderate_annotation",
        "view_annotation",
        "add_tag",
        "change_tag",
        "view_tag",
    ),
    "django_tasks_database": ("view_dbtaskresult",),
}

# The permissions the three rules below rest on ("app_label.codename").
MODERATE_ANNOTATIONS = "annotations.moderate_annotation"
SEE_WITHDRAWN = "archive.withdraw_document"


def _holds(user: Requester, permission: str) -> bool:
    return bool(user.is_authenticated and user.has_perm(permission))


def is_curator(user: Requester) -> bool:
    """Whether `user` acts as a curator: the curator group's members (and superusers), or
    anyone granted annotation moderation on their own. The pages show curators' tools by it."""
    return _holds(user, MODERATE_ANNOTATIONS)


def can_see_withdrawn(user: Requester) -> bool:
    """Withdrawn documents (and their annotations) exist only for those who may withdraw."""
    return _holds(user, SEE_WITHDRAWN)


def can_moderate_annotations(user: Requester) -> bool:
    """The moderation rule: read every annotation (hidden, private, on withdrawn documents),
    hide one from its readers and show it again, delete someone else's (giving the reason),
    make curated tags. Nobody edits another person's annotation, moderators included."""
    return is_curator(user)


def curator_permission_names() -> set[str]:
    """The curator's permissions as `has_perm` names ("app_label.codename")."""
    return {
        f"{app_label}.{codename}"
        for app_label, codenames in CURATOR_PERMISSIONS.items()
        for codename in codenames
    }


def curator_group_grant(apps: Apps = installed_apps) -> None:
    """Make the curator group, if missing, and give it every permission of the list (never
    taking one away). `apps` is a migration's historical registry or the installed one; the
    permissions must exist (a migration makes them first with `create_permissions`)."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    group, _ = group_model.objects.get_or_create(name=CURATOR_GROUP)
    for app_label, codenames in CURATOR_PERMISSIONS.items():
        group.permissions.add(
            *permission_model.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )


def missing_curator_permissions(*, using: str = "default") -> set[str]:
    """The list's permissions the curator group of database `using` lacks (all of them
    when there is no group)."""
    group_model = installed_apps.get_model("auth", "Group")
    group = group_model.objects.using(using).filter(name=CURATOR_GROUP).first()
    if group is None:
        return curator_permission_names()
    held = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    return curator_permission_names() - held


def check_curator_group(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """A system check (database-tagged: it runs when a database is named, as `migrate` and
    `check --database` do) that the curator group holds what this module says."""
    messages: list[CheckMessage] = []
    for alias in databases or []:
        try:
            missing = missing_curator_permissions(using=alias)
        except DatabaseError:
            continue  # not migrated yet: `migrate` makes the group
        if missing:
            messages.append(
                Warning(
                    f"The {CURATOR_GROUP!r} group lacks {', '.join(sorted(missing))}.",
                    hint="Run `manage.py migrate`; if it is up to date, add a data migration "
                    "that calls archive.roles.curator_group_grant (see archive/migrations/"
                    "0012_curator_role.py).",
                    id="archive.W001",
                )
            )
    return messages
