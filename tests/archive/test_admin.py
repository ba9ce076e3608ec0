from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from archive.models import Document, EventType, Facsimile, Source, SourceAlias
from tests import images
from tests.factories import DocumentFactory, FacsimileFactory, SourceFactory

pytestmark = pytest.mark.django_db

# The read-only history inline still sends its (empty) formset management form.
NO_EVENT_FORMS = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


@pytest.fixture
def admin_client(client, curator):
    """The admin as the README's curator uses it: staff in the curator group, not a superuser."""
    client.force_login(curator)
    return client


def test_document_pages_show_checksum_and_events_with_the_original_read_only(
    admin_client,
) -> None:
    document = DocumentFactory()
    changelist = admin_client.get("/admin/archive/document/")
    assert changelist.status_code == 200
    assert document.title in changelist.text
    assert document.sha256[:12] in changelist.text

    page = admin_client.get(f"/admin/archive/document/{document.pk}/change/")
    assert page.status_code == 200
    assert document.sha256 in page.text
    assert "kaynak 0.1.0 ingest command" in page.text
    assert 'name="title"' in page.text  # metadata is editable
    for frozen in ("text", "sha256", "size_bytes", "original_filename", "layout"):
        assert f'name="{frozen}"' not in page.text


def test_documents_cannot_be_deleted_in_the_admin(admin_client) -> None:
    document = DocumentFactory()
    response = admin_client.post(f"/admin/archive/document/{document.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Document.objects.filter(pk=document.pk).exists()
    changelist = admin_client.get("/admin/archive/document/")
    assert "delete_selected" not in changelist.text


def test_adding_a_source_in_the_admin_registers_its_names(admin_client) -> None:
    response = admin_client.post(
        "/admin/archive/source/add/",
        {
            "name": "Günlük Ayna",
            "kind": "outlet",
            "description": "",
            "url": "",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "0",
            "aliases-0-name": "Gunluk Ayna Gazetesi",
            **NO_EVENT_FORMS,
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    source = Source.objects.get(name="Günlük Ayna")
    assert source.slug == "gunluk-ayna"
    assert set(source.aliases.values_list("normalized_name", flat=True)) == {
        "gunluk ayna",
        "gunluk ayna gazetesi",
    }


def test_admin_refuses_an_alias_that_names_another_source(admin_client) -> None:
    SourceFactory(name="Hürriyet Daily News")
    target = SourceFactory(name="Anatolian Courier")
    response = admin_client.post(
        f"/admin/archive/source/{target.pk}/change/",
        {
            "name": "Anatolian Courier",
            "kind": "outlet",
            "description": "",
            "url": "",
            "aliases-TOTAL_FORMS": "2",
            "aliases-INITIAL_FORMS": "1",
            "aliases-0-id": str(target.aliases.get().pk),
            "aliases-0-source": str(target.pk),
            "aliases-0-name": "Anatolian Courier",
            "aliases-1-name": "HURRIYET daily news",
            **NO_EVENT_FORMS,
        },
    )
    assert response.status_code == 200
    assert "already a name of the source" in response.text
    assert SourceAlias.objects.filter(source=target).count() == 1


def test_source_changelist_searches_aliases(admin_client) -> None:
    SourceFactory(name="Center for Eurasian Studies", aliases=["Avrasya Merkezi"])
    SourceFactory(name="Northern Ledger")
    response = admin_client.get("/admin/archive/source/?q=Avrasya")
    assert "Center for Eurasian Studies" in response.text
    assert "Northern Ledger" not in response.text


def test_document_admin_lists_facsimiles_read_only_with_an_attach_link(admin_client) -> None:
    facsimile = FacsimileFactory(filename="clipping-in-admin.jpg")
    page = admin_client.get(f"/admin/archive/document/{facsimile.document_id}/change/").text
    assert "clipping-in-admin.jpg" in page
    assert facsimile.sha256 in page
    assert f'href="/admin/archive/facsimile/add/?document={facsimile.document_id}"' in page
    assert 'name="facsimiles-0-original_filename"' not in page


def test_admin_attaches_a_facsimile_through_the_service(admin_client) -> None:
    document = DocumentFactory()
    form = admin_client.get(f"/admin/archive/facsimile/add/?document={document.pk}")
    assert form.status_code == 200
    response = admin_client.post(
        "/admin/archive/facsimile/add/",
        {"document": document.pk, "file": SimpleUploadedFile("scan.png", images.png())},
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    facsimile = Facsimile.objects.get()
    assert (facsimile.document, facsimile.format, facsimile.position) == (document, "PNG", 1)
    event = document.events.get(event_type=EventType.FACSIMILE_ATTACHED)
    assert (event.agent, event.detail["method"]) == ("kaynak 0.1.0 admin upload", "admin")
    assert event.actor.username == "curator"


def test_admin_shows_why_a_facsimile_was_refused(admin_client) -> None:
    document = DocumentFactory()
    response = admin_client.post(
        "/admin/archive/facsimile/add/",
        {
            "document": document.pk,
            "file": SimpleUploadedFile("bomb.png", images.decompression_bomb()),
        },
    )
    assert response.status_code == 200
    assert "more than the limit of 100,000,000 pixels" in response.content.decode()
    assert Facsimile.objects.count() == 0


def test_facsimiles_cannot_be_changed_or_deleted_in_the_admin(admin_client) -> None:
    facsimile = FacsimileFactory()
    page = admin_client.get(f"/admin/archive/facsimile/{facsimile.pk}/change/")
    assert page.status_code == 200
    assert 'name="original_filename"' not in page.text
    response = admin_client.post(
        f"/admin/archive/facsimile/{facsimile.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Facsimile.objects.filter(pk=facsimile.pk).exists()


def test_a_curator_sees_the_facsimiles_in_the_admin(admin_client) -> None:
    facsimile = FacsimileFactory(filename="clipping-in-list.jpg")
    changelist = admin_client.get("/admin/archive/facsimile/")
    assert changelist.status_code == 200
    assert str(facsimile) in changelist.text
    page = admin_client.get(f"/admin/archive/facsimile/{facsimile.pk}/change/")
    assert page.status_code == 200
    assert facsimile.sha256 in page.text
