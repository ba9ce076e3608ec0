"""Searching a real on-disk index built through the ingest path."""

from __future__ import annotations

import random
from datetime import date

import pytest

from search.engine import SearchFilters, SearchQueryError, search, similar_documents
from search.searching import MAX_SUGGESTION_WORDS
from tests.search.conftest import body
from tests.work import counted

# Calls a search may make (see tests/work.py), set a few times above today's counts.
LONG_TEXTS_CALL_BOUND = 300_000  # about 86,000 today
# about 370,000 today; correcting every word against the whole word list made 3.1 million
MISSPELT_CALL_BOUND = 1_200_000

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def ids(query: str, user, **kwargs) -> list[int]:
    return [hit.document_id for hit in search(query, user=user, **kwargs).hits]


@pytest.fixture
def archive(indexed):
    """Four invented reprints: two of one story, one Turkish, one with awkward spelling."""
    return {
        "ferry": indexed(
            title="FERRY OPERATORS DISPUTE NEW HARBOUR TARIFFS",
            outlet_line="Northern Ledger, May 12 2021",
            reprint_date="14.05.2021",
            body=body(
                "Talks between the port authority and three ferry operators broke off.",
                "The operators said the tariffs would double the price of a crossing.",
            ),
        ),
        "ferry_again": indexed(
            title="FERRY COMPANIES WALK OUT OF HARBOUR TARIFF TALKS",
            outlet_line="Anatolian Courier, 13 May 2021",
            reprint_date="17.05.2021",
            body=body(
                "Three ferry companies left negotiations with the port authority this week.",
                "The authority said its tariff figures had been public since January.",
            ),
        ),
        "turkish": indexed(
            title="KURAKLIK ÜRETİCİLERİ ZORLADI",
            outlet_line="Günlük Ayna (4 Nisan 2018)",
            reprint_date="09.04.2018",
            body=body(
                "Kooperatif başkanı Şükrü Öğütcü, kuraklığın bahçeleri vurduğunu söyledi.",
                "İstanbul'daki ihracatçılar ılık kışın rekolteyi düşürdüğünü belirtti.",
            ),
        ),
        "awkward": indexed(
            title="MILITIA RETREATS FROM DEIR AL-ZOUR 24 HOURS AFTER TALKS",
            outlet_line="Washington Post, September 4 2017",
            reprint_date="06.09.2017",
            body=body(
                "the U.S. militarys determination and Iraqs government were tested, said "
                "Colonel Ahmed al-Ani, as -militant-controlled roads reopened.",
                "Officials in Deir al-Zour said the pause would last 24 hours.",
            ),
        ),
    }


def test_words_are_anded_by_default(archive, researcher) -> None:
    assert set(ids("ferry tariffs", researcher)) == {archive["ferry"].pk, archive["ferry_again"].pk}
    assert ids("ferry operators", researcher) == [archive["ferry"].pk]


def test_or_widens_a_search_and_not_leaves_a_word_out(archive, researcher) -> None:
    assert set(ids("kooperatif OR militia", researcher)) == {
        archive["turkish"].pk,
        archive["awkward"].pk,
    }
    assert ids("ferry NOT operators", researcher) == [archive["ferry_again"].pk]


def test_a_quoted_phrase_matches_its_words_in_that_order_only(archive, researcher) -> None:
    assert set(ids('"port authority"', researcher)) == {
        archive["ferry"].pk,
        archive["ferry_again"].pk,
    }
    assert ids('"authority port"', researcher) == []


def test_a_star_matches_a_prefix_and_a_tilde_forgives_a_misspelling(archive, researcher) -> None:
    assert set(ids("tarif*", researcher)) == {archive["ferry"].pk, archive["ferry_again"].pk}
    assert ids("militai~", researcher) == [archive["awkward"].pk]
    assert ids("kooperatfi~2", researcher) == [archive["turkish"].pk]


@pytest.mark.parametrize("query", ["a~", "a~2", "é~1", "t~1"])
def test_a_fuzzy_word_of_one_letter_is_searched_not_a_server_error(
    archive, researcher, researcher_client, query
) -> None:
    """It raised IndexError inside Whoosh (a 500 from the API and the search page)."""
    search(query, user=researcher)
    response = researcher_client.get("/api/search/", {"q": query})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "query",
    ["al-Ani", "Al-Ani", '"Deir al-Zour 24"', "Deir al-Zour 24", "Iraq's", "Iraqs", "militant"],
)
def test_hyphens_and_apostrophes_as_written_in_reprints(archive, researcher, query) -> None:
    assert ids(query, researcher) == [archive["awkward"].pk]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("Öğütcü", "turkish"),
        ("ogutcu", "turkish"),
        ("OĞUTCU", "turkish"),
        ("sukru", "turkish"),
        ("istanbul", "turkish"),
        ("İSTANBUL", "turkish"),
        ("ilik", "turkish"),
        ("ILIK", "turkish"),
        ("avim", "ferry"),
        ("AVİM", "ferry"),
        ("Avim", "ferry"),
    ],
)
def test_turkish_folding_at_query_time(archive, researcher, query, key) -> None:
    assert archive[key].pk in ids(query, researcher)


def test_stemming_follows_each_documents_language(archive, researcher) -> None:
    assert set(ids("negotiation", researcher)) == {archive["ferry_again"].pk}
    assert ids("kuraklık", researcher) == [archive["turkish"].pk]  # text has `kuraklığın`


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("title:harbour", {"ferry", "ferry_again"}),
        ("title:authority", set()),
        ('outlet:"Northern Ledger"', {"ferry"}),
        ("outlet:gunluk", {"turkish"}),
        ("reprinter:avim", {"ferry", "ferry_again", "turkish", "awkward"}),
        ("language:tr", {"turkish"}),
    ],
)
def test_a_field_term_searches_that_field_only(archive, researcher, query, keys) -> None:
    assert set(ids(query, researcher)) == {archive[key].pk for key in keys}


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("published:2017", {"awkward"}),
        ("published:2021-05", {"ferry", "ferry_again"}),
        ("published:[2017-01-01 TO 2018-12-31]", {"awkward", "turkish"}),
        ("published:2021-05-12", {"ferry"}),
        ("reprinted:>2021-05-14", {"ferry_again"}),
        ("reprinted:>=2021-05-14", {"ferry", "ferry_again"}),
        ("reprinted:<2018", {"awkward"}),
        ("ferry published:2021-05-13", {"ferry_again"}),
    ],
)
def test_dates_match_by_year_month_day_range_and_comparison(
    archive, researcher, query, keys
) -> None:
    assert set(ids(query, researcher)) == {archive[key].pk for key in keys}


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"])
def test_dates_are_calendar_dates_in_every_time_zone(archive, researcher, settings, zone) -> None:
    settings.TIME_ZONE = zone
    assert ids("published:2021-05-12", researcher) == [archive["ferry"].pk]
    assert ids("published:<2021-05-12", researcher, sort="published") == [
        archive["awkward"].pk,
        archive["turkish"].pk,
    ]


def test_total_paging_and_sorting(archive, researcher) -> None:
    results = search("", user=researcher, sort="-published", page=1, page_size=3)
    assert (results.total, results.pages) == (4, 2)
    assert [hit.document_id for hit in results.hits] == [
        archive["ferry_again"].pk,
        archive["ferry"].pk,
        archive["turkish"].pk,
    ]
    second = search("", user=researcher, sort="-published", page=2, page_size=3)
    assert [hit.document_id for hit in second.hits] == [archive["awkward"].pk]
    assert ids("", researcher, sort="reprinted") == [
        archive["awkward"].pk,
        archive["turkish"].pk,
        archive["ferry"].pk,
        archive["ferry_again"].pk,
    ]


def test_relevance_ranks_title_matches_first(indexed, researcher) -> None:
    body_only = indexed(title="A LONG STORY", body="A ferry is mentioned once in passing here.")
    in_title = indexed(title="FERRY NEWS", body="Nothing else about boats in the body at all.")
    assert ids("ferry", researcher) == [in_title.pk, body_only.pk]


def test_snippets_mark_matches_and_escape_everything_else(indexed, researcher) -> None:
    indexed(
        title="MARKUP IN A REPRINT",
        body='The <script>alert("x")</script> tag & a ferry <b>bold</b> claim.',
    )
    [hit] = search("ferry", user=researcher).hits
    [snippet] = hit.snippets
    assert "<mark>ferry</mark>" in snippet
    assert "&lt;script&gt;" in snippet and "&lt;b&gt;bold&lt;/b&gt;" in snippet
    assert "&amp;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_facets_count_the_whole_result_set(indexed, researcher) -> None:
    for number in range(7):
        indexed(
            title=f"FERRY REPORT {number}",
            outlet_line="Northern Ledger, May 12 2021",
            reprint_date="14.05.2021",
        )
    for number in range(3):
        indexed(
            title=f"FERRY NOTE {number}",
            outlet_line="Caspian Review, April 8 2010",
            reprint_date="12.04.2010",
        )
    results = search("ferry", user=researcher, page_size=2)
    assert len(results.hits) == 2
    outlets = dict(results.facets["outlet"])
    assert sorted(outlets.values()) == [3, 7]
    assert dict(results.facets["year"]) == {"2021": 7, "2010": 3}
    assert dict(results.facets["reprinter"]).popitem()[1] == 10


def test_filters_narrow_results_and_facets(archive, researcher) -> None:
    outlet = archive["ferry"].original_outlet_id
    results = search("ferry", user=researcher, filters=SearchFilters(outlet=(outlet,)))
    assert [hit.document_id for hit in results.hits] == [archive["ferry"].pk]
    assert results.facets["outlet"] == [(str(outlet), 1)]
    filters = SearchFilters(published_from=date(2018, 1, 1), language="tr")
    assert ids("", researcher, filters=filters) == [archive["turkish"].pk]
    assert ids("", researcher, filters=SearchFilters(year=(2017,))) == [archive["awkward"].pk]


def test_did_you_mean_when_nothing_matches(archive, researcher) -> None:
    results = search("ferri operatrs", user=researcher)
    assert results.total == 0
    assert results.suggestion == "ferry operators"
    assert search("ferry", user=researcher).suggestion is None


def test_more_like_this_finds_the_other_reprint_of_the_story(archive, researcher) -> None:
    similar = similar_documents(archive["ferry"], user=researcher)
    assert similar[0][0] == archive["ferry_again"].pk
    assert archive["ferry"].pk not in [pk for pk, _ in similar]


def test_similar_documents_are_only_those_above_the_similarity_threshold(
    archive, researcher, settings
) -> None:
    ferry, again, awkward = archive["ferry"], archive["ferry_again"], archive["awkward"]
    similar = similar_documents(ferry, user=researcher)
    assert [pk for pk, _ in similar] == [again.pk]
    assert settings.KAYNAK_SIMILAR_MIN_SIMILARITY <= similar[0][1] <= 1
    # The militia story shares a few words with the ferry stories, and no more.
    sharing_words = similar_documents(awkward, user=researcher, min_similarity=0)
    assert {pk for pk, _ in sharing_words} == {ferry.pk, again.pk}
    assert similar_documents(awkward, user=researcher) == []
    settings.KAYNAK_SIMILAR_MIN_SIMILARITY = 0.99
    assert similar_documents(ferry, user=researcher) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"page": 0}, "page numbers start at 1"),
        ({"page": 10**9}, "beyond the first 10,000 results"),
        ({"page": 3, "page_size": 2}, r"page 3 is beyond the last page \(2\)"),
        ({"page_size": 101}, "between 1 and 100"),
        ({"sort": "title"}, "unknown sort"),
    ],
)
def test_impossible_paging_is_refused(archive, researcher, kwargs, message) -> None:
    with pytest.raises(SearchQueryError, match=message):
        search("", user=researcher, **kwargs)


def test_a_prefix_expanding_to_too_many_words_is_refused(indexed, researcher, monkeypatch) -> None:
    monkeypatch.setattr("search.query.MAX_EXPANSIONS", 3)
    indexed(body="tariff tariffs tariffed tariffing tarification")
    with pytest.raises(SearchQueryError, match="matches more than 3 different words"):
        search("tarif*", user=researcher)


def test_a_page_of_long_texts_matched_elsewhere_reads_only_their_openings(
    indexed, researcher
) -> None:
    """Snippets read a bounded opening of each text, loaded as such: before, each hit's
    whole text was loaded and read word by word (about 1 s per 2 MiB of near-misses)."""
    for number in range(3):
        indexed(
            title=f"HARBOUR LEDGER VOLUME {number}",
            body="eve " * (512 * 1024),
            outlet_line="Northern Ledger, May 12 2021",
            reprint_date="14.05.2021",
        )
    search("volume", user=researcher)  # the first search opens the index
    results, calls = counted(lambda: search("harbour every", user=researcher))
    assert results.total == 0
    results, more_calls = counted(lambda: search("ledger OR every", user=researcher))
    calls += more_calls
    assert results.total == 3
    assert [hit.snippets[0][:28] for hit in results.hits] == [
        "HARBOUR <mark>LEDGER</mark> VOLUME"[:28]
    ] * 3
    assert calls <= LONG_TEXTS_CALL_BOUND, f"{calls} calls"


def test_a_long_misspelt_query_gets_no_suggestion_and_bounded_work(indexed, researcher) -> None:
    randomness = random.Random(1)
    words = [
        "".join(
            randomness.choice("abcdefghijklmnoprstuvyz") for _ in range(randomness.randint(4, 9))
        )
        for _ in range(3000)
    ]
    indexed(body=" ".join(words))
    search("warm", user=researcher)  # the first search opens the index
    misspelt = [word + "q" for word in words[:60]]
    results, calls = counted(lambda: search(" ".join(misspelt), user=researcher))
    assert (results.total, results.suggestion) == (0, None)
    # Before the bound each word was corrected against the whole word list.
    assert calls <= MISSPELT_CALL_BOUND, f"{calls} calls"
    short = search(" ".join(misspelt[:MAX_SUGGESTION_WORDS]), user=researcher)
    assert short.suggestion == " ".join(words[:MAX_SUGGESTION_WORDS])


def test_did_you_mean_corrects_the_words_around_one_split_by_an_emoji(
    archive, researcher, indexed
) -> None:
    # A suggestion is offered only if it finds something: one document holds all three.
    indexed(body="A ferry named zz qq.")
    results = search("ferri zz😀qq", user=researcher)
    assert results.total == 0
    assert results.suggestion == "ferry zz😀qq"
