"""The reader's "Similar documents": only documents above the similarity threshold, or a line
saying there are none."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.search.conftest import body

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(indexed):
    return {
        "ferry": indexed(
            title="FERRY OPERATORS DISPUTE HARBOUR TARIFFS",
            body=body("Ferry operators and the port authority disagree on tariffs and fares."),
        ),
        "again": indexed(
            title="FERRY OPERATORS LEAVE TARIFF TALKS",
            body=body("Ferry operators left the talks on tariffs with the port authority."),
        ),
        "other": indexed(
            title="MUSEUM REOPENS AFTER RESTORATION",
            body=body("The restored museum opened its doors to visitors, the authority said."),
        ),
    }


@pytest.fixture
def client_signed_in(client: Client) -> Client:
    client.force_login(UserFactory(username="reader"))
    return client


def similar_titles(page: str) -> list[str]:
    section = page.split("<h2>Similar documents</h2>", 1)[1].split("</section>", 1)[0]
    return [
        part.split(">", 1)[1].split("</a>", 1)[0] for part in section.split('<li><a href="')[1:]
    ]


def test_the_reader_lists_only_documents_above_the_threshold(
    client_signed_in, stories, settings
) -> None:
    page = client_signed_in.get(f"/documents/{stories['ferry'].pk}/").content.decode()
    assert similar_titles(page) == ["Ferry Operators Leave Tariff Talks"]
    settings.KAYNAK_SIMILAR_MIN_SIMILARITY = 0
    page = client_signed_in.get(f"/documents/{stories['ferry'].pk}/").content.decode()
    assert "Museum Reopens After Restoration" in similar_titles(page)


def test_the_reader_says_when_no_document_is_similar_enough(client_signed_in, stories) -> None:
    page = client_signed_in.get(f"/documents/{stories['other'].pk}/").content.decode()
    assert similar_titles(page) == []
    assert "No other document is similar enough" in page


def test_the_api_lists_similarities_between_the_threshold_and_one(
    stories, researcher_client, settings
) -> None:
    answer = researcher_client.get(f"/api/documents/{stories['ferry'].pk}/similar/").json()
    assert [item["document"]["id"] for item in answer] == [stories["again"].pk]
    assert settings.KAYNAK_SIMILAR_MIN_SIMILARITY <= answer[0]["score"] <= 1
