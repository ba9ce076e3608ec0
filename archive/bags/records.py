"""Model rows as a bag records them, and back: Django's "python" serialisation, written as
JSON that keeps every moment to the microsecond (hashes cover microseconds)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.core import serializers
from django.core.serializers.base import DeserializedObject
from django.db import models

from kaynak.errors import KaynakError


class BagRefused(KaynakError):
    """A bag that cannot be verified or imported; the message names the file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems), code="bag_refused")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, indent=indent, sort_keys=True)


def row(instance: models.Model, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """{"model", "pk", "fields"} for one row (`fields` limits which)."""
    options = {"fields": list(fields)} if fields is not None else {}
    return serializers.serialize("python", [instance], **options)[0]


def field_names(model: type[models.Model]) -> set[str]:
    """The names a record of `model` may carry."""
    return {
        field.name
        for field in model._meta.get_fields()
        if field.concrete and not field.primary_key and not field.auto_created
    } | {field.name for field in model._meta.many_to_many}


def unknown_fields(record: Any, allowed: dict[str, set[str]]) -> str | None:
    """What is wrong with a record's shape, or None: a model or field this Kaynak does not
    know (a bag from a newer version) is named."""
    if not isinstance(record, dict) or set(record) - {"model", "pk", "fields"}:
        return "a record is not {model, pk, fields}"
    label = record.get("model")
    if label not in allowed:
        return f"unknown kind of record {label!r}"
    fields = record.get("fields")
    if not isinstance(fields, dict):
        return f"a {label} record has no fields"
    extra = set(fields) - allowed[label]
    if extra:
        return f"a {label} record has fields this Kaynak does not know: {', '.join(sorted(extra))}"
    return None


def built(record: dict[str, Any]) -> DeserializedObject:
    """The unsaved instance a record describes (saving it inserts the row exactly as given,
    skipping auto_now and the like)."""
    return next(serializers.deserialize("python", [record]))


def model_of(label: str) -> type[models.Model]:
    return apps.get_model(label)


def insert_record(record: dict[str, Any], **overrides: Any) -> models.Model:
    """Insert a record's row exactly as given (ids, hashes; no auto_now, no defaults), with
    `overrides` (e.g. a group's id in this archive)."""
    deserialized = built(record)
    for name, value in overrides.items():
        setattr(deserialized.object, name, value)
    deserialized.save(force_insert=True)
    return deserialized.object
