""" "Did you mean": the rules for which word may stand for a typed one, alone and over an index."""

from __future__ import annotations

import pytest

from search.engine import SearchFilters, search
from search.suggestions import allowed_edits, best_correction, edit_distance
from tests.search.conftest import body

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("search_backend")]


def never_a_name(word: str) -> bool:
    return False


def only_ledger(word: str) -> bool:
    return word == "ledger"


@pytest.mark.parametrize(
    ("word", "hits", "neighbours", "as_name", "is_name", "expected"),
    [
        # Near and in more documents: offered.
        ("fery", 0, [("for", 9), ("ferry", 2)], False, never_a_name, "ferry"),
        # Two edits from a four-letter word is another word, not a spelling of it.
        ("fery", 0, [("for", 9)], False, never_a_name, None),
        # A function word is never offered, even one swap away.
        ("fro", 0, [("for", 9)], False, never_a_name, None),
        # Words of very different length are out: `ten` is two edits from `trend`.
        ("trend", 0, [("ten", 5)], False, never_a_name, None),
        # A word typed as a name is not corrected into a common word...
        ("trend", 0, [("tend", 5)], True, never_a_name, None),
        ("trend", 0, [("tend", 5)], False, never_a_name, "tend"),
        # ...but may be into a name the index knows.
        ("ledgr", 0, [("ledger", 2)], True, only_ledger, "ledger"),
        # Only a word in more documents than the one typed.
        ("tariff", 3, [("tariffs", 2)], False, never_a_name, None),
        ("tariff", 2, [("tariffs", 2)], False, never_a_name, None),
        ("tariff", 1, [("tariffs", 2)], False, never_a_name, "tariffs"),
        # The first letter is kept.
        ("ferri", 0, [("berri", 5)], False, never_a_name, None),
        # Too short to correct at all, and no function word is corrected.
        ("ab", 0, [("an", 9)], False, never_a_name, None),
        ("fo", 0, [("for", 9)], False, never_a_name, None),
        ("the", 0, [("then", 9)], False, never_a_name, None),
        # Numbers are not misspelt words.
        ("2017a", 0, [("2017", 9)], False, never_a_name, None),
        # The nearest wins over the more frequent.
        ("operatrs", 0, [("operator", 5), ("operators", 2)], False, never_a_name, "operators"),
        # Longer words may be two edits away (the README's fuzzy example).
        ("tarrifs", 0, [("tariffs", 3)], False, never_a_name, "tariffs"),
    ],
)
def test_which_neighbour_may_stand_for_a_typed_word(
    word, hits, neighbours, as_name, is_name, expected
) -> None:
    assert (
        best_correction(word, hits=hits, neighbours=neighbours, as_name=as_name, is_name=is_name)
        == expected
    )


@pytest.mark.parametrize(
    ("first", "second", "distance"),
    [
        ("fery", "ferry", 1),
        ("fery", "for", 2),
        ("fro", "for", 1),
        ("trend", "ten", 2),
        ("", "ab", 2),
    ],
)
def test_edit_distance_counts_a_swap_as_one_edit(first, second, distance) -> None:
    assert edit_distance(first, second) == distance == edit_distance(second, first)


@pytest.mark.parametrize(("word", "edits"), [("ab", 0), ("fry", 1), ("trend", 1), ("tarrifs", 2)])
def test_longer_words_allow_more_edits(word, edits) -> None:
    assert allowed_edits(word) == edits


@pytest.fixture
def harbour(indexed):
    """Three invented reprints; `for` and `ten` in all, `ferry` and `deck` in two, `dock` in one."""
    return [
        indexed(
            title="OPERATORS WAIT FOR THE PORT",
            outlet_line="Northern Ledger, May 12 2021",
            reprint_date="14.05.2021",
            body=body(
                "Ten ferry operators waited on deck for the port authority to publish the tariffs.",
                "A trader said the list for the summer was late again.",
            ),
        ),
        indexed(
            title="CROSSINGS COST MORE",
            outlet_line="Selvik Courier, 13 May 2021",
            reprint_date="17.05.2021",
            body=body(
                "The ferry tariffs were ten per cent higher for families on deck, operators said.",
            ),
        ),
        indexed(
            title="BOATS PAY LESS",
            outlet_line="Northern Ledger, June 2 2021",
            reprint_date="04.06.2021",
            body=body(
                "A tariff for fishing boats at the dock was set for the autumn, ten weeks late."
            ),
        ),
    ]


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("fery", "ferry"),
        ("fery operatrs", "ferry operators"),
        # `for` is in every document, but two edits from `fery` and a function word.
        ("fery zzzz", None),
        # `ten` is in every document; `Trend` and `trend` are not near it.
        ("Trend", None),
        ("trend", None),
        ("fro", None),
        # A name is corrected into a name (the outlet), never into a common word.
        ("Ledgr", "Ledger"),
        ("Fery", None),
        # `dock` (one document) may become `deck` (two), not the other way round.
        ("dock ferry", "deck ferry"),
        ("deck fishing", None),
        # A whole query in capitals says nothing about names.
        ("FERY", "FERRY"),
    ],
)
def test_did_you_mean_offers_only_near_words_with_more_hits(
    harbour, researcher, query, suggestion
) -> None:
    results = search(query, user=researcher)
    assert results.total == 0
    assert results.suggestion == suggestion


def test_did_you_mean_offers_nothing_the_filters_would_hide(harbour, researcher) -> None:
    assert search("fery", user=researcher).suggestion == "ferry"
    filters = SearchFilters(language="tr")
    assert search("fery", user=researcher, filters=filters).suggestion is None
