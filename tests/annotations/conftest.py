from __future__ import annotations

from collections.abc import Callable

import pytest

from annotations.models import Annotation, Visibility
from annotations.services import SourceTagInput, annotation_create, tag_create
from archive.models import Document
from tests.factories import DocumentFactory, SourceFactory

# An emoji (two UTF-16 units), Turkish letters, and a combining accent that has no
# precomposed form (q + U+0307), so code points and UTF-16 units differ in both ways.
TEXT = (
    "The ferry 🚢 left Kadıköy at dawn. Şükrü Öğütcü said the fare would double.\n\n"
    "A spokesman, q\u0307uoting the port authority, denied that the fare would double."
)


@pytest.fixture
def document(db) -> Document:
    return DocumentFactory(body=TEXT)


@pytest.fixture
def outlet(db):
    return SourceFactory(name="Harbour Ministry", kind="government")


@pytest.fixture
def tag(owner):
    return tag_create(name="Fare dispute", actor=owner)


@pytest.fixture
def annotate(document, owner) -> Callable[..., Annotation]:
    """An annotation on the passage `quote` (first occurrence) of the document."""

    def make(quote: str = "the fare would double", *, by=None, **kwargs) -> Annotation:
        start = TEXT.index(quote)
        kwargs.setdefault("visibility", Visibility.PRIVATE)
        if kwargs["visibility"] == Visibility.GROUP and "group" not in kwargs:
            kwargs["group"] = (by or owner).groups.exclude(name="curator").first().pk
        kwargs["source_tags"] = [
            item if isinstance(item, SourceTagInput) else SourceTagInput(*item)
            for item in kwargs.get("source_tags", [])
        ]
        return annotation_create(
            document=kwargs.pop("on", document),
            creator=by or owner,
            start=start,
            end=start + len(quote),
            **kwargs,
        )

    return make
