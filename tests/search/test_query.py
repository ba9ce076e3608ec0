"""The query language's checks, before anything reaches the index."""

from __future__ import annotations

import pytest

from search.query import SearchQueryError, check_query, rewrite_dates, rewrite_fuzzy


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("(ferry AND tariffs", "leaves 1 parenthesis(es) unclosed"),
        ("ferry) tariffs", "closes a parenthesis it never opened"),
        ('"port authority', "unbalanced quotation mark"),
        ("title:", "'title' is followed by nothing"),
        ("(title:)", "'title' is followed by nothing"),
        ("author:Smith", "unknown field 'author'"),
        ("x" * 10_000, "10,000 characters long; at most 1,000"),
        ("*", "would match every word"),
        ("*ing", "starts with a wildcard"),
        ("?ing", "starts with a wildcard"),
        ("title:*ferry", "starts with a wildcard"),
        ("f*", "at least 2 letters before its wildcard"),
        ("ferry~3", "at most 2 edits"),
        ("published:2017-02-30", "'2017-02-30' is not a calendar date"),
        ("published:[2017-01-01 TO 2017-13-01]", "'2017-13-01' is not a calendar date"),
        ("reprinted:>yesterday", "takes a date as YYYY, YYYY-MM or YYYY-MM-DD"),
        ("published:[2018 TO 2017]", "range ends before it starts"),
    ],
)
def test_bad_queries_are_refused_with_the_reason(query: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_query(query)
        rewrite_dates(query)


@pytest.mark.parametrize(
    "query",
    [
        "al-Ani",
        "Deir al-Zour 24",
        "Iraq's",
        '"Kaynak/Source: title:" ferry',  # a field name inside quotes is text
        "ferry AND (tariff OR fare) NOT strike",
        "tarif* ferr~ ferry~2",
        "10:30",
        "",
    ],
)
def test_good_queries_pass_the_checks(query: str) -> None:
    check_query(query)


def test_open_ended_ranges_pass_the_checks() -> None:
    check_query("published:{2017 TO *] ferry")
    check_query("published:[* TO 2017]")


@pytest.mark.parametrize(
    ("clause", "rewritten"),
    [
        ("published:2017", "published:[20170101 TO 20171231]"),
        ("published:2016-02", "published:[20160201 TO 20160229]"),
        ("published:2017-09-04", "published:[20170904 TO 20170904]"),
        ("published:[2017-01-01 TO 2017-09-30]", "published:[20170101 TO 20170930]"),
        ("published:[2017 TO 2018-03]", "published:[20170101 TO 20180331]"),
        ("published:{2017 TO *]", "published:{20171231 TO 99991231]"),
        ("reprinted:>2018-01-01", "reprinted:{20180101 TO 99991231]"),
        ("reprinted:>=2018", "reprinted:[20180101 TO 99991231]"),
        ("reprinted:<2018", "reprinted:[0 TO 20180101}"),
        ("reprinted:<=2018-06", "reprinted:[0 TO 20180630]"),
        ('"published:2017" ferry', '"published:2017" ferry'),
    ],
)
def test_dates_become_calendar_ranges(clause: str, rewritten: str) -> None:
    assert rewrite_dates(clause) == rewritten


@pytest.mark.parametrize(
    ("query", "rewritten"),
    [
        ("tarrifs~", "tarrifs~2"),
        ("fery~", "fery~1"),
        ("a~", "a~1"),
        ("title:operatrs~ AND ferry", "title:operatrs~2 AND ferry"),
        ("ferry~2 tarrifs~1", "ferry~2 tarrifs~1"),
        ('"port authority"~2 "tarrifs~"', '"port authority"~2 "tarrifs~"'),
    ],
)
def test_a_fuzzy_word_without_a_number_allows_edits_by_its_length(query, rewritten) -> None:
    assert rewrite_fuzzy(query) == rewritten
