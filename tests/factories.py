"""Factories and builders for test data. All text here is invented."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from archive import roles
from archive.models import Document, Facsimile, Source, SourceKind
from archive.services import IngestMethod, document_ingest, facsimile_attach, source_create
from tests import images as test_images

BANNER = "AVRASYA İNCELEMELERİ MERKEZİ CENTER FOR EURASIAN STUDIES"
DEFAULT_BODY = (
    "Officials in the invented town of Dervent said on Monday that the new bridge would open "
    "in spring.\n\nResidents welcomed the news but asked who would pay for the approach roads."
)


def reprint_text(
    *,
    title: str = "BRIDGE OVER THE DERVENT RIVER TO OPEN IN SPRING",
    reprint_date: str = "06.09.2017",
    outlet_line: str | None = "Northern Ledger, September 4 2017",
    byline: str | None = None,
    body: str = DEFAULT_BODY,
    closing: str | None = "Kaynak/Source:",
    banner: str = BANNER,
    leading: str = "\n\n",
) -> str:
    """An AVİM reprint as text, block by block; pass None to leave a block out."""
    blocks = [banner, title, reprint_date]
    if outlet_line is not None:
        blocks.append(outlet_line + (f"\n{byline}" if byline else ""))
    blocks.append(body)
    if closing is not None:
        blocks.append(closing)
    return leading + "\n\n".join(blocks)


def reprint_bytes(**kwargs: Any) -> bytes:
    return reprint_text(**kwargs).encode()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda number: f"user{number}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


class CuratorFactory(UserFactory):
    """The curator persona: staff in the `curator` group, not a superuser. The group is made
    from `archive.roles` if missing (a live-server test's flushed database has none)."""

    is_staff = True

    @factory.post_generation
    def curator_group(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            roles.curator_group_grant()
            self.groups.add(Group.objects.get(name=roles.CURATOR_GROUP))


class SourceFactory(factory.Factory):
    """Sources are made through `source_create`, so their aliases exist as in real use."""

    class Meta:
        model = Source

    name = factory.Sequence(lambda number: f"Invented Outlet {number}")
    kind = SourceKind.OUTLET

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Source:
        return source_create(**kwargs)


class DocumentFactory(factory.Factory):
    """Documents are ingested through `document_ingest`, provenance and stored bytes included."""

    class Meta:
        model = Document

    title = factory.Sequence(lambda number: f"INVENTED HEADLINE NUMBER {number}")
    body = DEFAULT_BODY
    outlet_line = "Northern Ledger, September 4 2017"
    reprint_date = "06.09.2017"
    filename = factory.Sequence(lambda number: f"reprint-{number}.txt")
    actor = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Document:
        data = reprint_bytes(
            title=kwargs["title"],
            body=kwargs["body"],
            outlet_line=kwargs["outlet_line"],
            reprint_date=kwargs["reprint_date"],
        )
        return document_ingest(
            data=data,
            filename=kwargs["filename"],
            actor=kwargs["actor"],
            method=IngestMethod.COMMAND,
        ).document


class FacsimileFactory(factory.Factory):
    """Facsimiles are attached through `facsimile_attach`: stored bytes and event included.
    Derivatives follow the commit, as in real use (tests run the callbacks when they need
    them)."""

    class Meta:
        model = Facsimile

    document = factory.LazyFunction(lambda: DocumentFactory())
    data = factory.Sequence(lambda number: test_images.jpeg(seed=number))
    filename = factory.Sequence(lambda number: f"clipping-{number}.jpg")
    actor = None
    method = IngestMethod.COMMAND

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Facsimile:
        return facsimile_attach(**kwargs).facsimile
