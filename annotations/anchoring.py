"""Spans of a document's text: offsets in code points (as W3C counts), conversion from the
UTF-16 code units browsers count, and anchoring a quote by its context. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from annotations.models import CONTEXT_LENGTH
from kaynak.errors import KaynakError


class OffsetUnit(StrEnum):
    CODEPOINT = "codepoint"
    UTF16 = "utf16"


class AnchorError(KaynakError):
    code = "bad_span"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def _in_context(text: str, start: int, end: int) -> Span:
    return Span(
        start=start,
        end=end,
        quote=text[start:end],
        prefix=text[max(0, start - CONTEXT_LENGTH) : start],
        suffix=text[end : end + CONTEXT_LENGTH],
    )


# Code points encoded at a time when counting UTF-16 units: linear, in C, and never a copy
# of a whole 20 MiB text.
_UTF16_CHUNK = 1 << 16


def utf16_to_code_points(text: str, offset: int, *, field: str) -> int:
    """The code-point offset of UTF-16 offset `offset` in `text`. Chunks of the text are
    encoded to count their units; only the chunk holding `offset` is decoded."""
    if text.isascii():  # one unit per code point, known without reading the text
        units = len(text)
        if offset <= units:
            return offset
    else:
        units = 0
        for begin in range(0, len(text), _UTF16_CHUNK):
            encoded = text[begin : begin + _UTF16_CHUNK].encode("utf-16-le")
            if units + len(encoded) // 2 >= offset:
                try:
                    return begin + len(encoded[: (offset - units) * 2].decode("utf-16-le"))
                except UnicodeDecodeError:
                    raise AnchorError(
                        f"{field} {offset} falls between the two halves of a surrogate pair",
                        fields={
                            field: ["falls inside a character (between a surrogate pair's halves)"]
                        },
                    ) from None
            units += len(encoded) // 2
        if offset == 0:
            return 0
    raise AnchorError(
        f"{field} {offset} is past the end of the text ({units} UTF-16 units)",
        fields={field: [f"past the end of the text ({units} UTF-16 units)"]},
    )


def span_from_offsets(
    text: str,
    start: int,
    end: int,
    *,
    quote: str | None = None,
    unit: OffsetUnit = OffsetUnit.CODEPOINT,
) -> Span:
    """The span `start`–`end`; if `quote` is given it must be the text found there."""
    problems: dict[str, list[str]] = {}
    if start < 0:
        problems["start"] = ["must not be negative"]
    if end < 0:
        problems["end"] = ["must not be negative"]
    if problems:
        raise AnchorError("offsets must not be negative", fields=problems)
    if unit == OffsetUnit.UTF16:
        start = utf16_to_code_points(text, start, field="start")
        end = utf16_to_code_points(text, end, field="end")
    if start >= end:
        raise AnchorError(
            f"start ({start}) must be before end ({end})",
            fields={"end": ["must be greater than start"]},
        )
    if end > len(text):
        raise AnchorError(
            f"end ({end}) is past the end of the text ({len(text)} characters)",
            fields={"end": [f"past the end of the text ({len(text)} characters)"]},
        )
    span = _in_context(text, start, end)
    if quote is not None and quote != span.quote:
        raise AnchorError(
            f"the quote does not match the text at {start}–{end}, which reads {span.quote!r}",
            code="quote_mismatch",
            fields={"quote": [f"does not match the text at {start}–{end}"]},
            found=span.quote,
        )
    return span


# A quote (with its context) found more often than this is refused without counting further:
# it cannot identify one place, and counting every "e" of a 20 MiB text would tie up a worker.
MAX_QUOTE_PLACES = 1000


def span_from_quote(text: str, exact: str, *, prefix: str = "", suffix: str = "") -> Span:
    """Anchor a TextQuoteSelector: `exact` must occur exactly once with this context.

    The prefix, quote and suffix lie side by side, so the places are those of the three
    joined: one C-level search each (linear in the text, whatever the input), no slices of
    the text, and at most MAX_QUOTE_PLACES + 1 of them.
    """
    if not exact:
        raise AnchorError("the quote is empty", fields={"quote": ["must not be empty"]})
    needle = prefix + exact + suffix
    places: list[int] = []
    position = text.find(needle)
    while position != -1 and len(places) <= MAX_QUOTE_PLACES:
        places.append(position + len(prefix))
        position = text.find(needle, position + 1)
    if not places:
        raise AnchorError(
            "the quote (with its prefix and suffix) does not occur in the text",
            code="quote_not_found",
            fields={"quote": ["not found in the text"]},
        )
    if len(places) > MAX_QUOTE_PLACES:
        raise AnchorError(
            f"the quote (with its prefix and suffix) occurs more than {MAX_QUOTE_PLACES:,} "
            "times: too common to anchor by quote; give the offsets (start, end), or a longer "
            "prefix or suffix",
            code="quote_too_common",
            fields={"quote": [f"occurs more than {MAX_QUOTE_PLACES:,} times"]},
        )
    if len(places) > 1:
        raise AnchorError(
            f"the quote occurs {len(places)} times (at {', '.join(map(str, places[:5]))}); "
            "give a longer prefix or suffix, or the offsets",
            code="quote_ambiguous",
            fields={"quote": [f"occurs {len(places)} times; it must identify one place"]},
        )
    return _in_context(text, places[0], places[0] + len(exact))
