from __future__ import annotations

import pytest

from annotations.anchoring import (
    AnchorError,
    OffsetUnit,
    span_from_offsets,
    span_from_quote,
    utf16_to_code_points,
)
from tests.annotations.conftest import TEXT


def utf16_offset(text: str, code_points: int) -> int:
    return len(text[:code_points].encode("utf-16-le")) // 2


@pytest.mark.parametrize("passage", ["left Kadıköy", "Şükrü Öğütcü", "q\u0307uoting", "🚢 left"])
def test_utf16_offsets_become_code_points(passage: str) -> None:
    start = TEXT.index(passage)
    end = start + len(passage)
    span = span_from_offsets(
        TEXT, utf16_offset(TEXT, start), utf16_offset(TEXT, end), unit=OffsetUnit.UTF16
    )
    assert (span.start, span.end, span.quote) == (start, end, passage)


def test_code_point_offsets_are_taken_as_they_are() -> None:
    start = TEXT.index("Öğütcü")
    span = span_from_offsets(TEXT, start, start + 6, quote="Öğütcü")
    assert span.quote == "Öğütcü"
    assert span.prefix == TEXT[start - 32 : start]
    assert span.suffix == TEXT[start + 6 : start + 38]
    assert len(span.prefix) == len(span.suffix) == 32


def test_a_utf16_offset_inside_the_emoji_is_refused() -> None:
    inside = utf16_offset(TEXT, TEXT.index("🚢")) + 1
    with pytest.raises(AnchorError, match="between the two halves of a surrogate pair"):
        utf16_to_code_points(TEXT, inside, field="start")


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (-1, 5, "start", "must not be negative"),
        (10, 10, "end", "must be before end"),
        (12, 3, "end", "must be before end"),
        (0, len(TEXT) + 1, "end", "past the end of the text"),
    ],
)
def test_bad_offsets_are_refused_by_field(start, end, field, message) -> None:
    with pytest.raises(AnchorError, match=message) as error:
        span_from_offsets(TEXT, start, end)
    assert field in error.value.fields


def test_a_quote_that_disagrees_with_the_offsets_is_refused_with_the_text_found() -> None:
    start = TEXT.index("Kadıköy")
    with pytest.raises(AnchorError, match="which reads 'Kadıköy'") as error:
        span_from_offsets(TEXT, start, start + 7, quote="Kadikoy")
    assert error.value.extra["found"] == "Kadıköy"
    assert error.value.code == "quote_mismatch"


def test_a_quote_is_anchored_by_its_context() -> None:
    span = span_from_quote(TEXT, "the fare would double", prefix="denied that ")
    assert span.start == TEXT.rindex("the fare would double")


@pytest.mark.parametrize(
    ("quote", "prefix", "code"),
    [
        ("the fare would double", "", "quote_ambiguous"),
        ("the fare would triple", "", "quote_not_found"),
        ("the fare would double", "nobody said ", "quote_not_found"),
    ],
)
def test_a_quote_must_occur_exactly_once(quote, prefix, code) -> None:
    with pytest.raises(AnchorError) as error:
        span_from_quote(TEXT, quote, prefix=prefix)
    assert error.value.code == code
