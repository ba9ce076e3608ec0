from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.search.conftest import body, damage_index

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


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


@pytest.mark.whoosh_only(reason="damages Whoosh's index files")
def test_a_damaged_index_answers_503_and_other_pages_keep_working(
    researcher_client: APIClient, stories
) -> None:
    damage_index()
    response = researcher_client.get("/api/search/?q=ferry")
    assert response.status_code == 503
    assert "manage.py search_index rebuild" in response.json()["detail"]
    assert researcher_client.get("/api/documents/").status_code == 200
    assert researcher_client.get(f"/api/documents/{stories[0].pk}/").status_code == 200


def test_similar_documents_lists_other_reprints_and_404s_for_an_unknown_one(
    researcher_client: APIClient, stories
) -> None:
    response = researcher_client.get(f"/api/documents/{stories[0].pk}/similar/")
    assert response.status_code == 200
    assert [item["document"]["id"] for item in response.json()] == [stories[1].pk]
    assert researcher_client.get("/api/documents/999999/similar/").status_code == 404


@pytest.fixture
def dated(indexed):
    """Three invented reprints: two English stories years apart, one Turkish."""
    return {
        "early": indexed(
            title="HARBOUR FEES RISE",
            outlet_line="Northern Ledger, May 12 2018",
            reprint_date="14.05.2018",
            body=body("The harbour board raised its fees for the summer."),
        ),
        "late": indexed(
            title="HARBOUR DREDGING BEGINS",
            outlet_line="Northern Ledger, June 2 2020",
            reprint_date="04.07.2021",
            body=body("The harbour board began dredging the channel."),
        ),
        "turkish": indexed(
            title="LİMAN ÜCRETLERİ ARTTI",
            outlet_line="Günlük Ayna (4 Nisan 2021)",
            reprint_date="09.04.2021",
            body=body("Limandaki harbour ücretleri bu yıl yine arttı, dedi kooperatif başkanı."),
        ),
    }


def found(client: APIClient, **params) -> set[int]:
    response = client.get("/api/search/", {"q": "harbour", **params})
    assert response.status_code == 200, response.content
    return {item["document"]["id"] for item in response.json()["results"]}


def test_search_filters_by_original_and_reprint_date_ranges(
    researcher_client: APIClient, dated
) -> None:
    early, late, turkish = dated["early"].pk, dated["late"].pk, dated["turkish"].pk
    assert found(researcher_client) == {early, late, turkish}
    assert found(researcher_client, published_from="2019-01-01") == {late, turkish}
    assert found(researcher_client, published_to="2020-06-02") == {early, late}
    assert found(researcher_client, published_to="2020-06-01") == {early}
    # The late story was published in 2020 but reprinted in July 2021.
    assert found(researcher_client, reprinted_from="2021-05-01") == {late}
    assert found(researcher_client, reprinted_from="2021-01-01", reprinted_to="2021-04-09") == {
        turkish
    }


def test_search_filters_by_language_and_counts_the_languages(
    researcher_client: APIClient, dated
) -> None:
    answer = researcher_client.get("/api/search/", {"q": "harbour"}).json()
    assert answer["facets"]["language"] == [
        {"value": "en", "label": "English", "count": 2},
        {"value": "tr", "label": "Turkish", "count": 1},
    ]
    assert found(researcher_client, language="tr") == {dated["turkish"].pk}
    assert found(researcher_client, language="en") == {dated["early"].pk, dated["late"].pk}
    assert found(researcher_client, language="fr") == set()
    narrowed = researcher_client.get("/api/search/", {"q": "harbour", "language": "tr"}).json()
    assert narrowed["facets"]["language"] == [{"value": "tr", "label": "Turkish", "count": 1}]


@pytest.mark.parametrize("name", ["published", "reprinted"])
def test_a_date_range_that_ends_before_it_starts_is_a_400(
    researcher_client: APIClient, dated, name
) -> None:
    response = researcher_client.get(
        "/api/search/", {"q": "harbour", f"{name}_from": "2021-01-01", f"{name}_to": "2020-01-01"}
    )
    assert response.status_code == 400
    assert f"{name}_to (2020-01-01) is before {name}_from (2021-01-01)" in response.content.decode()
