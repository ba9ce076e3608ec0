from __future__ import annotations

from datetime import date

import pytest

from archive.ingest import IngestRefused
from archive.ingest.dates import DayOrder, find_date, month_number, read_date

TODAY = date(2026, 6, 1)


def on(value: str, order: DayOrder = DayOrder.DAY_FIRST) -> date | None:
    return read_date(value, order=order, what="date", today=TODAY)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("17 Eylül 2020", date(2020, 9, 17)),
        ("4 Nisan 2018", date(2018, 4, 4)),
        ("4 Nis 2018", date(2018, 4, 4)),
        ("Nis 24, 2007", date(2007, 4, 24)),
        ("3 Şub 2011", date(2011, 2, 3)),
        ("9 Ağu 2012", date(2012, 8, 9)),
        ("3 Subat 2011", date(2011, 2, 3)),
        ("April 8 2010", date(2010, 4, 8)),
        ("September 4, 2017", date(2017, 9, 4)),
        ("Sept. 4, 2017", date(2017, 9, 4)),
        ("8 February 2017", date(2017, 2, 8)),
        ("24 Apr 05", date(2005, 4, 24)),
        ("21Jun2019", date(2019, 6, 21)),
        ("06.09.2017", date(2017, 9, 6)),
        ("6.09.17", date(2017, 9, 6)),
        ("14.10.2014 01:55:20", date(2014, 10, 14)),
        ("2019-05-04", date(2019, 5, 4)),
    ],
)
def test_reads_english_and_turkish_date_forms(written: str, expected: date) -> None:
    assert on(written) == expected


def test_the_layout_decides_day_first_or_month_first() -> None:
    assert on("03.04.2015", DayOrder.DAY_FIRST) == date(2015, 4, 3)
    assert on("03/04/2015", DayOrder.MONTH_FIRST) == date(2015, 3, 4)


def test_a_swappable_numeric_date_is_refused_when_the_layout_does_not_say() -> None:
    with pytest.raises(IngestRefused, match="day-first or month-first") as refusal:
        on("03.04.2015", DayOrder.UNKNOWN)
    assert refusal.value.code == "ambiguous_date"
    assert on("13.04.2015", DayOrder.UNKNOWN) == date(2015, 4, 13)


def test_a_two_digit_year_is_never_in_the_future() -> None:
    assert on("24 Apr 26") == date(2026, 4, 24)
    assert on("24 Apr 27") == date(1927, 4, 24)
    assert on("24 Apr 98") == date(1998, 4, 24)


def test_an_impossible_date_is_refused_not_guessed() -> None:
    with pytest.raises(IngestRefused, match="not a calendar date") as refusal:
        on("31 Şubat 2017")
    assert refusal.value.code == "impossible_date"


def test_a_future_date_is_refused() -> None:
    with pytest.raises(IngestRefused, match="in the future"):
        on("4 May 2027")


def test_a_year_before_the_printing_press_is_refused() -> None:
    with pytest.raises(IngestRefused, match="before 1450") as refusal:
        on("12 May 1400")
    assert refusal.value.code == "implausible_date"


def test_words_that_are_not_months_are_not_dates() -> None:
    assert on("24 Hours 2000") is None
    assert on("last week") is None
    assert month_number("hours") is None


def test_finds_a_date_inside_a_turkish_sentence() -> None:
    found = find_date(
        "internet nüshasında 17 Eylül 2020'de yayınlanan", order=DayOrder.DAY_FIRST, what="d"
    )
    assert found is not None and found[0] == date(2020, 9, 17)
