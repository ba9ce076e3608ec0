from __future__ import annotations

import pytest

from archive.search import open_index
from archive.search.query import parse_query
from archive.search.snippets import query_words, snippet


@pytest.fixture
def words(db):
    schema = open_index().schema
    return lambda query: query_words(parse_query(query, schema))


def test_marks_folded_matches(words) -> None:
    text = "Kooperatif başkanı Şükrü Öğütcü konuştu."
    assert snippet(text, words("ogutcu sukru"), "tr") == (
        "Kooperatif başkanı <mark>Şükrü</mark> <mark>Öğütcü</mark> konuştu."
    )


def test_marks_stemmed_matches_in_the_documents_language(words) -> None:
    text = "The negotiations stalled; negotiators left; talks ended."
    assert snippet(text, words("negotiation"), "en") == (
        "The <mark>negotiations</mark> stalled; <mark>negotiators</mark> left; talks ended."
    )
    assert snippet(text, words("negotiation"), "tr") == ""


def test_marks_words_with_and_without_apostrophes(words) -> None:
    text = "Iraqs government and Iraq's army."
    assert snippet(text, words("Iraq's"), "und") == (
        "<mark>Iraqs</mark> government and <mark>Iraq's</mark> army."
    )


def test_words_under_not_are_not_marked(words) -> None:
    assert snippet("ferry and strike", words("ferry NOT strike"), "en") == (
        "<mark>ferry</mark> and strike"
    )


def test_escapes_everything_but_the_marks(words) -> None:
    text = '<img src=x onerror=alert(1)> ferry & "quotes"'
    assert snippet(text, words("ferry"), "en") == (
        '&lt;img src=x onerror=alert(1)&gt; <mark>ferry</mark> &amp; "quotes"'
    )


def test_long_texts_give_at_most_three_fragments_around_matches(words) -> None:
    filler = " ".join(["filler"] * 200)
    text = " ".join(f"{filler} ferry{number}" for number in range(5)).replace("ferry", "ferry ")
    result = snippet(text, words("ferry"), "en")
    assert result.count("<mark>ferry</mark>") == 3
    assert result.count(" … ") == 2
    assert len(result) < 3 * 300
