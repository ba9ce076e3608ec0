"""`similar_visible_documents`: the one join of similarity hits to the documents a user may
see, used by the API and the reader page alike."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from archive.services import document_withdraw
from search.engine import similar_documents
from search.selectors import similar_visible_documents
from tests.search.conftest import body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


@pytest.fixture
def ferries(indexed):
    """Three reprints of one story; the index knows all three."""
    return [
        indexed(
            title=title,
            outlet_line=f"{outlet}, May 12 2021",
            reprint_date="14.05.2021",
            body=body(f"Ferry operators and the port authority disagree on tariffs. {extra}"),
        )
        for title, outlet, extra in [
            ("FERRY OPERATORS DISPUTE HARBOUR TARIFFS", "Northern Ledger", "Fares rise."),
            ("FERRY TARIFF DISPUTE REACHES THE COUNCIL", "Anatolian Courier", "Fares rise."),
            ("HARBOUR FERRY FARES UNDER REVIEW", "Coastal Herald", "Tariffs and fares."),
        ]
    ]


@pytest.fixture
def hidden_hit(ferries, curator):
    """The third story withdrawn with its index update left unrun: the index still finds
    it, but researchers may not see it."""
    document_withdraw(document=ferries[2], actor=curator, agent="test", reason="duplicate")
    return ferries[2]


def test_similar_documents_leave_out_hits_the_user_may_not_see(
    ferries, hidden_hit, researcher, curator
) -> None:
    hits = [pk for pk, _ in similar_documents(ferries[0], user=researcher)]
    assert hidden_hit.pk in hits  # the index has not caught up

    seen = similar_visible_documents(ferries[0], user=researcher)
    assert [item.document.pk for item in seen] == [pk for pk in hits if pk != hidden_hit.pk]
    assert {item.document.pk for item in similar_visible_documents(ferries[0], user=curator)} == (
        set(hits)
    )


def test_similar_documents_come_most_similar_first_with_their_scores(ferries, researcher) -> None:
    seen = similar_visible_documents(ferries[0], user=researcher)
    scores = [item.score for item in seen]
    assert scores == sorted(scores, reverse=True)
    assert [(item.document.pk, item.score) for item in seen] == similar_documents(
        ferries[0], user=researcher
    )


def test_the_api_and_the_reader_page_list_the_same_similar_documents(
    ferries, hidden_hit, researcher, researcher_client
) -> None:
    api = researcher_client.get(f"/api/documents/{ferries[0].pk}/similar/").json()
    client = Client()
    client.force_login(researcher)
    page = client.get(f"/documents/{ferries[0].pk}/").content.decode()
    listed = page.split('<ul class="similar">', 1)[1].split("</ul>", 1)[0]
    on_page = [int(pk) for pk in re.findall(r'href="/documents/(\d+)/"', listed)]
    assert on_page == [item["document"]["id"] for item in api]
    assert hidden_hit.pk not in on_page
    assert on_page  # the other reprint is there
