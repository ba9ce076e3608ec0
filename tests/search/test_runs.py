"""search.runs: the stored form of a search's filters, and marking a hit's words."""

from __future__ import annotations

import pytest

from kaynak.errors import KaynakError
from search.annotation_search import annotation_query_words
from search.runs import marked, normalized_filters, search_parameters


def test_marked_escapes_and_marks_folded_words() -> None:
    words = annotation_query_words("isikli")
    assert str(marked("Işıklı <b>said</b> & left", words)) == (
        "<mark>Işıklı</mark> &lt;b&gt;said&lt;/b&gt; &amp; left"
    )


def test_words_under_not_are_not_marked() -> None:
    words = annotation_query_words("boat NOT frost")
    assert str(marked("frost on the boat", words)) == "frost on the <mark>boat</mark>"


def test_nothing_is_marked_without_a_query() -> None:
    assert str(marked("a <boat>", annotation_query_words(""))) == "a &lt;boat&gt;"


def test_filters_are_kept_as_lists_of_strings_in_a_fixed_order() -> None:
    assert normalized_filters(
        "annotations", {"visibility": "group", "has_replies": True, "tag": ["", None]}
    ) == {"visibility": ["group"], "has_replies": ["true"]}
    assert list(normalized_filters("documents", {"year": [2017], "outlet": "ledger"})) == [
        "outlet",
        "year",
    ]


def test_unknown_filters_and_several_values_for_one_are_refused() -> None:
    with pytest.raises(KaynakError, match="unknown filter 'colour'"):
        normalized_filters("documents", {"colour": "red"})
    with pytest.raises(KaynakError, match="tag: too many values"):
        normalized_filters("annotations", {"tag": ["a", "b"]})


def test_search_parameters_are_the_url_of_the_search() -> None:
    params = search_parameters(
        "documents", query="ferry", filters={"outlet": ["a", "b"]}, sort="-published"
    )
    assert params.urlencode() == "q=ferry&outlet=a&outlet=b&sort=-published"
