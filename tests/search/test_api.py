from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.search.conftest import body, damage_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(indexed):
    first = indexed(
        title="FERRY OPERATORS DISPUTE HARBOUR TARIFFS",
        outlet_line="Northern Ledger, May 12 2021",
        reprint_date="14.05.2021",
        body=body("Ferry operators and the port authority disagree on tariffs and fares."),
    )
    second = indexed(
        title="FERRY COMPANIES WALK OUT OF TARIFF TALKS",
        outlet_line="Anatolian Courier, 13 May 2021",
        reprint_date="17.05.2021",
        body=body("Ferry companies left the tariff talks with the port authority."),
    )
    return first, second


def test_anonymous_search_is_refused(anonymous_client: APIClient, stories) -> None:
    assert anonymous_client.get("/api/search/?q=ferry").status_code == 401
    similar = anonymous_client.get(f"/api/documents/{stories[0].pk}/similar/")
    assert similar.status_code == 401


def test_search_returns_documents_snippets_facets(researcher_client: APIClient, stories) -> None:
    response = researcher_client.get("/api/search/?q=tariffs&page_size=1&sort=-published")
    assert response.status_code == 200
    result = response.json()
    assert (result["total"], result["pages"], result["page"]) == (2, 2, 1)
    [hit] = result["results"]
    assert hit["document"]["id"] == stories[1].pk
    assert hit["document"]["original_outlet"]["name"] == "Anatolian Courier"
    assert hit["score"] is None  # sorted by date
    assert "<mark>" in hit["snippets"][0]
    outlets = {value["value"]: value for value in result["facets"]["outlet"]}
    assert outlets["northern-ledger"] == {
        "value": "northern-ledger",
        "label": "Northern Ledger",
        "count": 1,
    }
    assert result["facets"]["year"] == [{"value": "2021", "label": "2021", "count": 2}]
    assert result["suggestion"] is None


def test_search_filters_by_outlet_slug_and_year(researcher_client: APIClient, stories) -> None:
    result = researcher_client.get("/api/search/?q=ferry&outlet=northern-ledger&year=2021").json()
    assert [hit["document"]["id"] for hit in result["results"]] == [stories[0].pk]
    both = researcher_client.get("/api/search/?outlet=northern-ledger&outlet=anatolian-courier")
    assert both.json()["total"] == 2


def test_search_suggests_a_correction(researcher_client: APIClient, stories) -> None:
    # One edit from `ferry`: a four-letter word gets no more (`feri` is two).
    result = researcher_client.get("/api/search/?q=fery").json()
    assert result["total"] == 0
    assert result["suggestion"] == "ferry"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=(ferry", "unclosed"),
        ("q=%22ferry", "unbalanced quotation mark"),
        ("q=title:", "followed by nothing"),
        ("q=author:smith", "unknown field 'author'"),
        ("q=" + "x" * 10_000, "at most 1,000"),
        ("q=*", "would match every word"),
        ("q=*erry", "starts with a wildcard"),
        ("q=published:[2017-02-30 TO 2017-03-01]", "not a calendar date"),
        ("q=ferry&page=0", "greater than or equal to 1"),
        ("q=ferry&page=1000000000", "beyond the first 10,000 results"),
        ("q=ferry&page=5", "beyond the last page"),
        ("q=ferry&page_size=500", "less than or equal to 100"),
        ("q=ferry&sort=title", "not a valid choice"),
        ("q=ferry&outlet=no-such-outlet", "unknown outlet 'no-such-outlet'"),
        ("q=ferry&published_from=2017-02-30", "Date has wrong format"),
    ],
)
def test_bad_requests_get_400_saying_what_is_wrong(
    researcher_client: APIClient, stories, query: str, message: str
) -> None:
    response = researcher_client.get(f"/api/search/?{query}")
    assert response.status_code == 400
    assert message in str(response.json())


def test_a_damaged_index_answers_503_and_other_pages_keep_working(
    researcher_client: APIClient, stories
) -> None:
    damage_index()
    response = researcher_client.get("/api/search/?q=ferry")
    assert response.status_code == 503
    assert "manage.py search_index rebuild" in response.json()["detail"]
    assert researcher_client.get("/api/documents/").status_code == 200
    assert researcher_client.get(f"/api/documents/{stories[0].pk}/").status_code == 200


def test_similar_documents(researcher_client: APIClient, stories) -> None:
    response = researcher_client.get(f"/api/documents/{stories[0].pk}/similar/")
    assert response.status_code == 200
    assert [item["document"]["id"] for item in response.json()] == [stories[1].pk]
    assert researcher_client.get("/api/documents/999999/similar/").status_code == 404
