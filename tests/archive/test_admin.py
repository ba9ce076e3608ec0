from __future__ import annotations

import pytest

from archive.models import Document, Source, SourceAlias
from tests.factories import DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

# The read-only history inline still sends its (empty) formset management form.
NO_EVENT_FORMS = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
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
