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


def utf16_to_code_points(text: str, offset: int, *, field: str) -> int:
    """The code-point offset of UTF-16 offset `offset` in `text`."""
    encoded = text.encode("utf-16-le")
    if offset * 2 > len(encoded):
        raise AnchorError(
            f"{field} {offset} is past the end of the text ({len(encoded) // 2} UTF-16 units)",
            fields={field: [f"past the end of the text ({len(encoded) // 2} UTF-16 units)"]},
        )
    try:
        return len(encoded[: offset * 2].decode("utf-16-le"))
    except UnicodeDecodeError:
        raise AnchorError(
            f"{field} {offset} falls between the two halves of a surrogate pair",
            fields={field: ["falls inside a character (between a surrogate pair's halves)"]},
        ) from None


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


def span_from_quote(text: str, exact: str, *, prefix: str = "", suffix: str = "") -> Span:
    """Anchor a TextQuoteSelector: `exact` must occur exactly once with this context."""
    if not exact:
        raise AnchorError("the quote is empty", fields={"quote": ["must not be empty"]})
    places = []
    position = text.find(exact)
    while position != -1:
        end = position + len(exact)
        if text[:position].endswith(prefix) and text[end:].startswith(suffix):
            places.append(position)
        position = text.find(exact, position + 1)
    if not places:
        raise AnchorError(
            "the quote (with its prefix and suffix) does not occur in the text",
            code="quote_not_found",
            fields={"quote": ["not found in the text"]},
        )
    if len(places) > 1:
        raise AnchorError(
            f"the quote occurs {len(places)} times (at {', '.join(map(str, places[:5]))}); "
            "give a longer prefix or suffix, or the offsets",
            code="quote_ambiguous",
            fields={"quote": [f"occurs {len(places)} times; it must identify one place"]},
        )
    return _in_context(text, places[0], places[0] + len(exact))
