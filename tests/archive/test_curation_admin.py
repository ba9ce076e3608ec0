"""Curation in the admin, as a curator (staff in the curator group, not a superuser); the
researcher and anonymous visitors never reach it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from annotations.services import SourceTagInput, annotation_create
from archive.models import Document, EventType, Source, SourceEvent, SourceEventType
from archive.services import document_withdraw, source_merge
from tests.factories import DocumentFactory, SourceFactory, reprint_bytes

pytestmark = pytest.mark.django_db

# The read-only history inline still sends its (empty) formset management form.
NO_EVENT_FORMS = {"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"}

SOURCES = "/admin/archive/source/"
DOCUMENTS = "/admin/archive/document/"


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture
def persona_client(curator, researcher):
    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login({"curator": curator, "researcher": researcher}[persona])
        return client

    return make


def refused_admin(response) -> bool:
    """The admin sends a non-staff visitor to its sign-in page."""
    return response.status_code == 302 and "/admin/login/" in response["Location"]


# --- sources ------------------------------------------------------------------------------


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(SOURCES).status_code == 200
    return len(queries)


def test_source_changelist_queries_do_not_grow_with_sources(curator_client, researcher) -> None:
    def add_sources(count: int) -> None:
        for _ in range(count):
            source = SourceFactory()
            DocumentFactory(outlet_line=f"{source.name}, September 4 2017")

    add_sources(5)
    five = changelist_queries(curator_client)
    add_sources(45)
    assert changelist_queries(curator_client) == five


def test_source_changelist_shows_document_and_tag_counts(curator_client, researcher) -> None:
    outlet = SourceFactory(name="Harbour Gazette")
    documents = [DocumentFactory(outlet_line="Harbour Gazette, September 4 2017") for _ in range(3)]
    Document.objects.filter(pk=documents[0].pk).update(reprinter=outlet)
    for role in ("quoted", "claimed_by"):
        annotation_create(
            document=documents[1],
            creator=researcher,
            quote="bridge",
            source_tags=[SourceTagInput(outlet.slug, role)],
        )
    page = curator_client.get(f"{SOURCES}?q=harbour")
    row = page.text[page.text.index("Harbour Gazette") :]
    assert f'?original_outlet__id__exact={outlet.pk}">3</a>' in row
    assert f'?reprinter__id__exact={outlet.pk}">1</a>' in row
    assert '<td class="field-source_tags">2</td>' in row


@pytest.mark.parametrize(
    ("query", "found"), [("hurriyet", True), ("avim", True), ("ledger", False)]
)
def test_source_search_ignores_case_and_turkish_diacritics(curator_client, query, found) -> None:
    SourceFactory(name="Hürriyet Daily News", aliases=["AVİM Basın"])
    page = curator_client.get(f"{SOURCES}?q={query}")
    assert ("Hürriyet Daily News" in page.text) is found


def test_source_changelist_filters_by_kind(curator_client) -> None:
    SourceFactory(name="Harbour Ministry", kind="government")
    SourceFactory(name="Harbour Gazette", kind="outlet")
    page = curator_client.get(f"{SOURCES}?kind__exact=government")
    assert "Harbour Ministry" in page.text and "Harbour Gazette" not in page.text


def test_renaming_in_the_admin_records_the_curator(curator_client, curator) -> None:
    source = SourceFactory(name="Harbour Gazette")
    alias = source.aliases.get()
    response = curator_client.post(
        f"{SOURCES}{source.pk}/change/",
        {
            "name": "Harbour Gazette Weekly",
            "kind": "agency",
            "description": "",
            "url": "",
            "aliases-TOTAL_FORMS": "1",
            "aliases-INITIAL_FORMS": "1",
            "aliases-0-id": str(alias.pk),
            "aliases-0-source": str(source.pk),
            "aliases-0-name": alias.name,
            **NO_EVENT_FORMS,
        },
    )
    assert response.status_code == 302
    event = SourceEvent.objects.get(source=source, event_type=SourceEventType.CHANGE)
    assert event.actor == curator
    assert event.detail["changes"]["kind"] == {"before": "outlet", "after": "agency"}


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_editing_a_source_and_its_aliases_in_the_admin_by_persona(persona_client, persona):
    source = SourceFactory(name="Harbour Gazette")
    alias = source.aliases.get()
    response = persona_client(persona).post(
        f"{SOURCES}{source.pk}/change/",
        {
            "name": "Harbour Gazette",
            "kind": "government",
            "description": "",
            "url": "",
            "aliases-TOTAL_FORMS": "2",
            "aliases-INITIAL_FORMS": "1",
            "aliases-0-id": str(alias.pk),
            "aliases-0-source": str(source.pk),
            "aliases-0-name": alias.name,
            "aliases-1-name": "The Gazette",
            **NO_EVENT_FORMS,
        },
    )
    source.refresh_from_db()
    types = set(SourceEvent.objects.filter(source=source).values_list("event_type", flat=True))
    if persona == "curator":
        assert response.status_code == 302
        assert source.kind == "government"
        assert {SourceEventType.CHANGE, SourceEventType.ALIAS_ADDED} <= types
    else:
        assert refused_admin(response)
        assert (source.kind, types) == ("outlet", {SourceEventType.CREATION})


def merge_post(client: Client, sources: list[Source], into: Source, reason: str = "same paper"):
    return client.post(
        SOURCES,
        {
            "action": "merge_sources",
            "_selected_action": [str(source.pk) for source in sources],
            "apply": "1",
            "into": str(into.pk),
            "reason": reason,
        },
    )


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_merge_action_by_persona(persona_client, persona) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    response = merge_post(persona_client(persona), [gazette, times], times)
    gazette.refresh_from_db()
    if persona == "curator":
        assert response.status_code == 302
        assert gazette.merged_into == times
    else:
        assert refused_admin(response)
        assert gazette.is_live


def test_merge_action_first_asks_for_the_target_and_a_reason(curator_client) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    page = curator_client.post(
        SOURCES,
        {"action": "merge_sources", "_selected_action": [str(gazette.pk), str(times.pk)]},
    )
    assert page.status_code == 200
    assert 'name="into"' in page.text and 'name="reason"' in page.text
    assert Source.objects.get(pk=gazette.pk).is_live


def test_a_refused_merge_shows_why(curator_client, curator) -> None:
    first, second, third = SourceFactory(), SourceFactory(), SourceFactory()
    source_merge(sources=[first], into=second, actor=curator, reason="x")
    page = merge_post(curator_client, [first, third], third)
    assert page.status_code == 200
    assert "already merged" in page.text


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_unmerge_view_by_persona(persona_client, curator, persona) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    merge = source_merge(sources=[gazette], into=times, actor=curator, reason="x")
    url = f"{SOURCES}{times.pk}/unmerge/{merge.pk}/"
    response = persona_client(persona).post(url, {"reason": "two papers"})
    gazette.refresh_from_db()
    if persona == "curator":
        assert response.status_code == 302
        assert gazette.is_live
    else:
        assert refused_admin(response)
        assert gazette.merged_into == times


def test_the_source_history_offers_to_undo_a_merge(curator_client, curator) -> None:
    gazette, times = SourceFactory(name="Harbour Gazette"), SourceFactory(name="Coastal Times")
    merge = source_merge(sources=[gazette], into=times, actor=curator, reason="x")
    page = curator_client.get(f"{SOURCES}{times.pk}/change/")
    assert f"{SOURCES}{times.pk}/unmerge/{merge.pk}/" in page.text


def test_staff_without_the_merge_permission_cannot_unmerge(curator) -> None:
    from tests.factories import UserFactory

    clerk = UserFactory(username="clerk", is_staff=True)
    client = Client()
    client.force_login(clerk)
    gazette, times = SourceFactory(), SourceFactory()
    merge = source_merge(sources=[gazette], into=times, actor=curator, reason="x")
    response = client.post(f"{SOURCES}{times.pk}/unmerge/{merge.pk}/", {"reason": "y"})
    assert response.status_code == 403


def test_sources_cannot_be_deleted_in_the_admin(curator_client) -> None:
    source = SourceFactory()
    response = curator_client.post(f"{SOURCES}{source.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Source.objects.filter(pk=source.pk).exists()


# --- documents ----------------------------------------------------------------------------


def document_form(document: Document, **changes) -> dict:
    data = {
        "title": document.title,
        "language": document.language,
        "original_outlet": document.original_outlet_id or "",
        "original_place": document.original_place,
        "original_published_on": document.original_published_on or "",
        "byline": document.byline,
        "original_url": document.original_url,
        "reprinter": document.reprinter_id or "",
        "reprinted_on": document.reprinted_on or "",
        "source_line": document.source_line,
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        # The curator sees the read-only facsimile inline, which sends its management form too.
        "facsimiles-TOTAL_FORMS": "0",
        "facsimiles-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_editing_metadata_in_the_admin_by_persona(persona_client, curator, persona) -> None:
    document = DocumentFactory()
    response = persona_client(persona).post(
        f"{DOCUMENTS}{document.pk}/change/", document_form(document, title="A CORRECTED TITLE")
    )
    document.refresh_from_db()
    if persona == "curator":
        assert response.status_code == 302, response.context["errors"]
        assert document.title == "A CORRECTED TITLE"
        event = document.events.get(event_type=EventType.METADATA_CHANGE)
        assert (event.actor, event.agent) == (curator, "kaynak 0.1.0 admin")
        assert event.detail["changes"]["title"]["after"] == "A CORRECTED TITLE"
    else:
        assert refused_admin(response)
        assert document.title != "A CORRECTED TITLE"


def test_the_admin_refuses_a_reprint_dated_before_its_original(curator_client) -> None:
    document = DocumentFactory()
    response = curator_client.post(
        f"{DOCUMENTS}{document.pk}/change/",
        document_form(document, reprinted_on="2001-01-01"),
    )
    assert response.status_code == 200
    assert "before the original publication date" in response.text
    assert not document.events.filter(event_type=EventType.METADATA_CHANGE).exists()


def withdraw_post(client: Client, documents: list[Document], reason: str = "duplicate scan"):
    return client.post(
        DOCUMENTS,
        {
            "action": "withdraw_documents",
            "_selected_action": [str(document.pk) for document in documents],
            "apply": "1",
            "reason": reason,
        },
    )


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_withdraw_action_by_persona(persona_client, persona) -> None:
    document = DocumentFactory()
    response = withdraw_post(persona_client(persona), [document])
    document.refresh_from_db()
    if persona == "curator":
        assert response.status_code == 302
        assert document.withdrawal_reason == "duplicate scan"
    else:
        assert refused_admin(response)
        assert not document.is_withdrawn


def test_withdraw_action_asks_for_a_reason_first(curator_client) -> None:
    document = DocumentFactory()
    page = withdraw_post(curator_client, [document], reason="")
    assert page.status_code == 200 and 'name="reason"' in page.text
    assert not Document.objects.get(pk=document.pk).is_withdrawn


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_restore_action_by_persona(persona_client, curator, persona) -> None:
    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="t", reason="x")
    response = persona_client(persona).post(
        DOCUMENTS, {"action": "restore_documents", "_selected_action": [str(document.pk)]}
    )
    document.refresh_from_db()
    if persona == "curator":
        assert response.status_code == 302
        assert not document.is_withdrawn
        assert document.events.filter(event_type=EventType.RESTORATION).exists()
    else:
        assert refused_admin(response)
        assert document.is_withdrawn


def test_withdrawn_documents_stay_listed_for_curators(curator_client, curator) -> None:
    document = DocumentFactory()
    document_withdraw(document=document, actor=curator, agent="t", reason="x")
    page = curator_client.get(f"{DOCUMENTS}?withdrawn=yes")
    assert document.title in page.text


@pytest.mark.parametrize("persona", ["curator", "researcher", "anonymous"])
def test_ingesting_from_the_admin_by_persona(persona_client, curator, persona) -> None:
    upload = SimpleUploadedFile("clipping.txt", reprint_bytes(title="FERRY FARES TO DOUBLE"))
    response = persona_client(persona).post(f"{DOCUMENTS}add/", {"file": upload})
    ingested = Document.objects.filter(title="FERRY FARES TO DOUBLE").first()
    if persona == "curator":
        assert response.status_code == 302
        event = ingested.events.get(event_type=EventType.INGESTION)
        assert (event.actor, event.agent) == (curator, "kaynak 0.1.0 admin upload")
    else:
        assert refused_admin(response)
        assert ingested is None


def test_a_refused_file_in_the_admin_shows_why(curator_client, no_stored_files) -> None:
    upload = SimpleUploadedFile("empty.txt", b"")
    page = curator_client.post(f"{DOCUMENTS}add/", {"file": upload})
    assert page.status_code == 200
    assert "empty" in page.text
    assert not Document.objects.exists()
