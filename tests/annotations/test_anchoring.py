from __future__ import annotations

import json
import random
from functools import partial

import pytest
from django.conf import settings

from annotations import anchoring
from annotations.anchoring import (
    MAX_QUOTE_PLACES,
    AnchorError,
    OffsetUnit,
    span_from_offsets,
    span_from_quote,
    utf16_to_code_points,
)
from annotations.models import Annotation
from annotations.w3c import ANNO_CONTEXT, MEDIA_TYPE
from tests.annotations.conftest import TEXT
from tests.factories import DocumentFactory, reprint_bytes
from tests.work import counted


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


def reference_utf16_to_code_points(text: str, offset: int) -> int | None:
    """By decoding, as before: None where the offset splits a surrogate pair."""
    try:
        return len(text.encode("utf-16-le")[: offset * 2].decode("utf-16-le"))
    except UnicodeDecodeError:
        return None


@pytest.mark.parametrize("chunk", [3, 1 << 16], ids=["tiny-chunks", "real-chunks"])
@pytest.mark.parametrize("alphabet", ["ab ", "aş ", "a😀 ", "ğ𝔘😀Ş 中"])
def test_utf16_conversion_agrees_with_decoding_at_every_offset(
    monkeypatch, alphabet: str, chunk: int
) -> None:
    monkeypatch.setattr(anchoring, "_UTF16_CHUNK", chunk)
    randomness = random.Random(7)
    for _ in range(30):
        text = "".join(randomness.choice(alphabet) for _ in range(randomness.randint(0, 40)))
        units = len(text.encode("utf-16-le")) // 2
        for offset in range(units + 2):
            expected = reference_utf16_to_code_points(text, offset) if offset <= units else None
            if expected is None:
                with pytest.raises(AnchorError):
                    utf16_to_code_points(text, offset, field="start")
            else:
                assert utf16_to_code_points(text, offset, field="start") == expected


def test_overlapping_places_of_a_quote_are_all_counted() -> None:
    with pytest.raises(AnchorError, match="occurs 2 times") as error:
        span_from_quote("xaaay", "aa")
    assert error.value.code == "quote_ambiguous"
    assert span_from_quote("xaaay", "aa", suffix="y").start == 2


def test_a_quote_found_in_too_many_places_is_refused_without_counting_them_all() -> None:
    text = "e " * (MAX_QUOTE_PLACES + 1)
    with pytest.raises(AnchorError, match="too common to anchor by quote") as error:
        span_from_quote(text, "e")
    assert error.value.code == "quote_too_common"
    with pytest.raises(AnchorError, match="occurs 1000 times"):
        span_from_quote(text[:-2], "e")


# Every anchoring path of a request on a document at the upload limit, with adversarial
# quotes and contexts, does bounded work whatever the text's length. Before: "e" with a
# prefix that never matches took 0.13 s at 100 KB, 1.7 s at 400 KB and 16 s at 1.6 MB
# (quadratic).
# about 156,000 today at most (a quote of 100,000 characters); see tests/work.py
REQUEST_CALL_BOUND = 600_000
TAIL = " and here the invented text ends."


def document_at_the_upload_limit(unit: str):
    """A document whose stored original is just under KAYNAK_MAX_UPLOAD_BYTES: `unit`
    repeated, then a sentence that occurs once."""
    limit = settings.KAYNAK_MAX_UPLOAD_BYTES
    frame = len(
        reprint_bytes(
            title="A LONG ONE",
            body=TAIL,
            outlet_line="Northern Ledger, May 2 2018",
            reprint_date="03.05.2018",
        )
    )
    repeats = (limit - frame) // len(unit.encode())
    document = DocumentFactory(
        title="A LONG ONE",
        body=unit * repeats + TAIL,
        outlet_line="Northern Ledger, May 2 2018",
        reprint_date="03.05.2018",
    )
    assert limit - len(unit.encode()) - 8 < document.size_bytes <= limit
    return document


def warm_up(client) -> None:
    """One request on a small document first: what is timed is a request, not the first
    request's loading of code."""
    small = DocumentFactory(body="A short invented text.")
    response = client.post(
        f"/api/documents/{small.pk}/annotations/", {"quote": "short"}, format="json"
    )
    assert response.status_code == 201


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.django_db
@pytest.mark.parametrize("unit", ["e ", "ğ😀 "], ids=["ascii", "astral"])
def test_anchoring_on_a_20_mib_document_does_bounded_work(client_for, owner, unit: str) -> None:
    document = document_at_the_upload_limit(unit)
    text = document.text
    tail = text.rindex("here the invented text")
    letter, after = unit[0], unit[1:]
    url = f"/api/documents/{document.pk}/annotations/"
    cases = [
        ({"quote": letter, "prefix": "zzz-no-match"}, 400, "quote_not_found"),
        ({"quote": letter}, 400, "quote_too_common"),
        ({"quote": letter, "prefix": after, "suffix": after}, 400, "quote_too_common"),
        ({"quote": letter, "suffix": (after + letter) * 16}, 400, "quote_too_common"),
        ({"quote": unit * 50_000 + "zzz"}, 400, "quote_not_found"),
        ({"quote": letter, "prefix": unit * 16, "suffix": "zzz"}, 400, "quote_not_found"),
        ({"quote": "here the invented text", "prefix": "and "}, 201, None),
        ({"start": tail, "end": tail + 4, "quote": "here"}, 201, None),
        (
            {
                "start": utf16_length(text[:tail]),
                "end": utf16_length(text[:tail]) + 4,
                "offset_unit": "utf16",
            },
            201,
            None,
        ),
        ({"start": 0, "end": utf16_length(text) + 1, "offset_unit": "utf16"}, 400, "bad_span"),
    ]
    client = client_for(owner)
    warm_up(client)
    for payload, status, code in cases:
        response, calls = counted(partial(client.post, url, payload, format="json"))
        shown = {
            key: (value[:40] if isinstance(value, str) else value) for key, value in payload.items()
        }
        assert response.status_code == status, (shown, response.json())
        assert code is None or response.json()["code"] == code, (shown, response.json())
        assert calls <= REQUEST_CALL_BOUND, f"{shown}: {calls} calls"
    assert Annotation.objects.filter(document=document).count() == 3


@pytest.mark.django_db
def test_web_annotation_selectors_on_a_20_mib_document_do_bounded_work(client_for, owner) -> None:
    document = document_at_the_upload_limit("e ")
    tail = document.text.rindex("here the invented text")
    url = f"/api/documents/{document.pk}/annotations/"
    selectors = [
        ({"type": "TextQuoteSelector", "exact": "e", "prefix": "zzz-no-match"}, 400),
        ({"type": "TextQuoteSelector", "exact": "e", "suffix": " e"}, 400),
        ({"type": "TextPositionSelector", "start": tail, "end": tail + 4}, 201),
    ]
    client = client_for(owner)
    warm_up(client)
    for selector, status in selectors:
        payload = {
            "@context": ANNO_CONTEXT,
            "type": "Annotation",
            "target": {
                "source": f"http://testserver/api/documents/{document.pk}/",
                "selector": selector,
            },
        }
        response, calls = counted(
            partial(client.post, url, json.dumps(payload), content_type=MEDIA_TYPE)
        )
        assert response.status_code == status, (selector, response.content[:300])
        assert calls <= REQUEST_CALL_BOUND, f"{selector}: {calls} calls"
