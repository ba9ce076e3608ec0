"""Edits as the services record them: which fields may change, what did, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any, Final

from kaynak.errors import KaynakError


class Unchanged(Enum):
    """The type of UNCHANGED, the default of an update service's field arguments: "leave this
    field as it is". None cannot say that: it is a value some fields take (no reprinter)."""

    UNCHANGED = "unchanged"

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged.UNCHANGED


def given(**values: Any) -> dict[str, Any]:
    """The field arguments a caller gave, by name: those not left UNCHANGED."""
    return {name: value for name, value in values.items() if value is not UNCHANGED}


def field_changes(
    instance: object, changes: Mapping[str, Any], *, editable: Iterable[str]
) -> dict[str, tuple[Any, Any]]:
    """{field: (before, after)} for each of `changes` that differs from `instance`; a field
    outside `editable` is refused, naming the ones that are."""
    editable = tuple(editable)
    unknown = set(changes) - set(editable)
    if unknown:
        raise KaynakError(
            f"{', '.join(sorted(unknown))} cannot be edited; editable: {', '.join(editable)}",
            code="not_editable",
        )
    return {
        name: (getattr(instance, name), value)
        for name, value in changes.items()
        if getattr(instance, name) != value
    }


def clean_reason(reason: str | None) -> str:
    """A reason as recorded: whitespace collapsed, empty when none was given."""
    return " ".join((reason or "").split())


def require_reason(reason: str | None, doing: str) -> str:
    """The cleaned reason, refused when empty: `doing` says what needs one ("merge")."""
    reason = clean_reason(reason)
    if not reason:
        raise KaynakError(f"say why you {doing} (a reason is recorded)", code="no_reason")
    return reason
