"""Each header shape of issue 13, read from invented texts."""

from __future__ import annotations

from datetime import date

import pytest

from archive.ingest import IngestRefused, parse
from archive.ingest.parsers import AVIM
from tests.archive.layouts import samples


def read(text: str):
    return parse(text.encode())


def test_outlet_then_date_with_a_repeated_title_place_and_byline() -> None:
    parsed = read(samples.OUTLET_THEN_DATE)
    assert parsed.layout == "outlet_then_date"
    assert parsed.title == "Lanterns Return to the Old Quay"
    assert parsed.original_outlet.name == "Trend"
    assert parsed.original_place == "Azerbaijan"
    assert parsed.original_published_on == date(2010, 4, 8)
    assert parsed.byline == "Mira Coldwell"
    assert parsed.text.startswith("The lantern makers")
    assert parsed.field_rules["original_outlet"] == "outlet_then_date"
    assert parsed.field_rules["original_place"] == "outlet_then_date"
    assert parsed.field_rules["byline"] == "byline_line"


def test_outlet_then_a_two_digit_year_date() -> None:
    parsed = read(samples.OUTLET_THEN_SHORT_DATE)
    assert parsed.original_outlet.name == "Anatolia news agency"
    assert parsed.original_published_on == date(2005, 4, 24)
    assert parsed.field_rules["title"] == "first_body_line"


def test_by_name_dash_outlet_byline_keeps_only_the_name() -> None:
    parsed = read(samples.OUTLET_WITH_BY_OUTLET_BYLINE)
    assert (parsed.original_outlet.name, parsed.original_place) == ("Al-Monitor", "Turkey")
    assert parsed.original_published_on == date(2015, 4, 17)
    assert parsed.byline == "Deniz Arlow"
    assert parsed.text.startswith("The salt flats")


def test_byline_tag_after_an_outlet_without_place() -> None:
    parsed = read(samples.OUTLET_WITH_BYLINE_TAG)
    assert parsed.original_outlet.name == "Journal of Turkish Weekly"
    assert parsed.original_place == ""
    assert parsed.original_published_on == date(2005, 3, 29)
    assert parsed.byline == "Teo Marsh"


def test_outlet_place_and_date_on_one_line() -> None:
    parsed = read(samples.OUTLET_AND_DATE_ON_ONE_LINE)
    assert parsed.field_rules["original_outlet"] == "outlet_date_line"
    assert (parsed.original_outlet.name, parsed.original_place) == ("Trend", "Azerbaijan")
    assert parsed.original_published_on == date(2010, 4, 8)
    assert parsed.title == "Orchard Tax Postponed"


@pytest.mark.parametrize(
    ("text", "outlet", "published"),
    [
        (samples.INLINE_PAIRS, "Washington Post", date(2019, 6, 21)),
        (samples.INLINE_PAIRS_WITH_BAR, "Morning Ledger", date(2016, 3, 3)),
    ],
)
def test_inline_source_and_date_pairs(text: str, outlet: str, published: date) -> None:
    parsed = read(text)
    assert parsed.layout == "inline_pairs"
    assert parsed.original_outlet.name == outlet
    assert parsed.original_published_on == published
    assert parsed.title == "Bridges of Paper"
    assert parsed.field_rules["original_outlet"] == "source_pair"


def test_published_line_with_the_outlet_from_the_title_suffix() -> None:
    parsed = read(samples.PUBLISHED_WITH_TITLE_SUFFIX)
    assert parsed.layout == "published_line"
    assert parsed.title == "The tide clocks of Karavel"
    assert parsed.original_outlet.name == "Daily Sabah"
    assert parsed.original_published_on == date(2014, 10, 14)
    assert parsed.field_rules["original_outlet"] == "title_suffix"


def test_published_line_with_the_outlet_from_a_read_more_line() -> None:
    parsed = read(samples.PUBLISHED_WITH_READ_MORE)
    assert parsed.original_outlet.name == "Hurriyet Daily News"
    assert parsed.field_rules["original_outlet"] == "read_more_line"


@pytest.mark.parametrize(
    ("text", "series", "number", "published"),
    [
        (samples.AVIM_COMMENTARY, "Commentary", "2024 / 2", date(2024, 1, 12)),
        (samples.AVIM_YORUM, "Yorum", "2020 / 5", date(2020, 3, 6)),
    ],
)
def test_avim_own_publication_is_an_original_with_its_number(text, series, number, published):
    parsed = read(text)
    assert parsed.layout == "avim_publication"
    assert parsed.original_outlet == AVIM
    assert parsed.reprinter is None
    assert parsed.original_published_on == published
    assert parsed.extra == {"avim_series": series, "avim_number": number}
    assert "okuma" not in parsed.text and "min read" not in parsed.text


def test_first_published_sentence_with_the_authors_later_date_as_reprint() -> None:
    parsed = read(samples.FIRST_PUBLISHED_ENGLISH)
    assert parsed.layout == "first_published_sentence"
    assert parsed.original_outlet.name == "Cumhuriyet"
    assert parsed.original_published_on == date(2020, 9, 17)
    assert parsed.reprinted_on == date(2020, 9, 20)


def test_first_published_sentence_in_turkish() -> None:
    parsed = read(samples.FIRST_PUBLISHED_TURKISH)
    assert parsed.original_outlet.name == "Cumhuriyet"
    assert parsed.original_published_on == date(2020, 9, 17)
    assert parsed.reprinted_on is None


def test_a_shape_that_almost_matches_falls_through_to_plain_text() -> None:
    parsed = read(samples.ALMOST_OUTLET_LINE)
    assert parsed.layout == "plain_text"
    assert parsed.original_outlet is None


def test_an_outlet_line_over_a_non_date_falls_through() -> None:
    parsed = read("Harbour Notes\nMorning Ledger\nsome weeks ago\n\nThe harbour was calm.\n")
    assert parsed.layout == "plain_text"


def test_a_published_line_without_a_date_falls_through() -> None:
    parsed = read("Tide Clocks | Daily Sabah\nPublished : recently\n\nThe clocks stopped.\n")
    assert parsed.layout == "plain_text"
    assert parsed.original_outlet is None


def test_a_source_pair_without_a_value_is_refused() -> None:
    with pytest.raises(IngestRefused, match="`Source:` pair without a value"):
        read("Bridges of Paper\nSource: | Date: 3 March 2016\n\nThe bridge held.\n")


def test_an_impossible_turkish_date_under_an_outlet_is_refused() -> None:
    with pytest.raises(IngestRefused, match="31 Şubat 2017"):
        read("Kuzey Gazetesi\n31 Şubat 2017\n\nLiman sakindi.\n")
