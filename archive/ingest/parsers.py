"""Layouts Kaynak reads. Each parser is a pure function `bytes -> ParsedDocument`; it raises
NotThisLayout to let the next parser try, or IngestRefused when the bytes are in its layout
but wrong (a banner with no title is refused, not read as plain text)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from archive.ingest.dates import (
    NUMERIC_DATE,
    calendar_date,
    parse_numeric_date,
    split_trailing_date,
)
from archive.ingest.decoding import decode, normalize_text
from archive.ingest.digests import parse_blog_listing, parse_digest
from archive.ingest.errors import IngestRefused, NotThisLayout
from archive.ingest.headers import (
    parse_avim_publication,
    parse_first_published,
    parse_inline_pairs,
    parse_outlet_then_date,
    parse_published_line,
)
from archive.ingest.language import guess_language
from archive.ingest.records import AVIM, ParsedDocument, SourceName
from archive.ingest.webpages import parse_web_page
from archive.models import SourceKind
from archive.text import normalize_name

TITLE_MAX_LENGTH = 1000


Parser = Callable[[bytes], ParsedDocument]


# --- AVİM reprint ---------------------------------------------------------------------------

_AVIM_BANNER = "AVRASYA İNCELEMELERİ MERKEZİ CENTER FOR EURASIAN STUDIES"
_AVIM_BANNER_KEY = normalize_name(_AVIM_BANNER)
_BYLINE = re.compile(r"^(?:author|yazar|by)\b\s*:?\s*(?P<name>\S.*)$", re.IGNORECASE)
_CLOSING = re.compile(r"^\s*kaynak\s*/\s*source\s*:\s*(?P<value>.*?)\s*$", re.IGNORECASE)
_OUTLET_LINE_MAX = 200


def _is_capitalised(line: str) -> bool:
    """A headline line: at least four in five of its letters are capitals (`U.S.`, `McX`)."""
    letters = [ch for ch in line if ch.isalpha()]
    if not letters:
        return False
    capitals = sum(1 for ch in letters if not ch.islower())
    return capitals * 5 >= len(letters) * 4


def _is_url(value: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def parse_outlet_line(line: str) -> tuple[str, str, date] | None:
    """`Washington Post, September 4 2017` → ("Washington Post", "", 2017-09-04).

    Also `Daily Sabah (4 Nisan 2018)` and `Trend, Azerbaijan April 8 2010` (outlet, then its
    place). None when the line is not an outlet with a date.
    """
    line = line.strip()
    if not line or len(line) > _OUTLET_LINE_MAX:
        return None
    what = "original publication date"
    bracketed = re.fullmatch(r"(?P<outlet>[^()]+?)\s*\((?P<inner>[^()]+)\)", line)
    if bracketed:
        split = split_trailing_date(bracketed["inner"], what=what)
        if split:
            return bracketed["outlet"].strip(" ,"), split[0], split[1]
        return None
    if "," in line:
        outlet, rest = line.split(",", 1)
        split = split_trailing_date(rest, what=what)
        if split and outlet.strip():
            return outlet.strip(), split[0], split[1]
        return None
    split = split_trailing_date(line, what=what)
    if split and split[0]:
        return split[0], "", split[1]
    return None


def parse_avim_reprint(data: bytes) -> ParsedDocument:
    decoded = decode(data)
    lines = decoded.text.split("\n")
    index = _next_filled(lines, 0)
    # Spelling variants of the banner are looked for only in a line of about its length: a
    # 20 MiB first line is not folded to learn that it is no banner.
    if index == len(lines) or (
        lines[index].strip() != _AVIM_BANNER
        and (
            len(lines[index]) > 2 * len(_AVIM_BANNER)
            or normalize_name(lines[index]) != _AVIM_BANNER_KEY
        )
    ):
        raise NotThisLayout("no AVİM banner on the first line")
    warnings: list[str] = []

    title_lines: list[str] = []
    title_length = -1
    index = _next_filled(lines, index + 1)
    while index < len(lines):
        line = lines[index].strip()
        # A title line is judged by its opening, and a title is refused as soon as it is
        # too long: a file of millions of capitalised lines is not read to its end for that.
        if NUMERIC_DATE.match(line) or not _is_capitalised(line[: TITLE_MAX_LENGTH + 1]):
            break
        title_length += 1 + len(line)
        if title_length > TITLE_MAX_LENGTH:
            raise IngestRefused(
                f"the title is over {TITLE_MAX_LENGTH:,} characters long (the limit)",
                code="too_long",
            )
        title_lines.append(line)
        index = _next_filled(lines, index + 1)
    found = lines[index].strip() if index < len(lines) else "the end of the file"
    if not title_lines:
        raise IngestRefused(
            f"the AVİM banner is not followed by a title in capitals (found {found!r})",
            code="no_title",
        )
    if index == len(lines) or not NUMERIC_DATE.match(lines[index]):
        raise IngestRefused(
            f"expected the reprint date (DD.MM.YYYY) after the title, found {found!r}",
            code="no_reprint_date",
        )
    reprinted_on = parse_numeric_date(lines[index], what="reprint date")

    outlet = place = ""
    published_on = None
    index = _next_filled(lines, index + 1)
    outlet_line = parse_outlet_line(lines[index]) if index < len(lines) else None
    if outlet_line:
        outlet, place, published_on = outlet_line
        index = _next_filled(lines, index + 1)
    else:
        warnings.append("no outlet line (outlet and original date) after the reprint date")

    byline = ""
    byline_match = _BYLINE.match(lines[index].strip()) if index < len(lines) else None
    if byline_match and len(byline_match["name"]) <= 150:
        byline = byline_match["name"].strip()
        index += 1

    body_lines = lines[index:]
    while body_lines and not body_lines[-1].strip():
        body_lines.pop()
    source_line = original_url = ""
    closing = _CLOSING.match(body_lines[-1]) if body_lines else None
    if closing:
        body_lines.pop()
        source_line = closing["value"]
        if source_line and _is_url(source_line):
            original_url = source_line
    else:
        warnings.append("no closing Kaynak/Source line")
    body = "\n".join(body_lines).strip("\n").rstrip()
    if not body.strip():
        raise IngestRefused("the reprint has no body text", code="no_body")

    title = " ".join(title_lines)
    rules = {"title": "capitals_after_banner", "reprinter": "avim_banner"}
    rules["reprinted_on"] = "date_after_title"
    if outlet:
        rules.update(original_outlet="outlet_line", original_published_on="outlet_line")
        if place:
            rules["original_place"] = "outlet_line"
    if byline:
        rules["byline"] = "byline_line"
    if original_url:
        rules["original_url"] = "closing_source_line"
    return ParsedDocument(
        layout="avim_reprint",
        field_rules=rules,
        title=title,
        text=body,
        language=guess_language(f"{title}\n{body}"),
        media_type="text/plain",
        encoding=decoded.encoding,
        original_outlet=SourceName(outlet) if outlet else None,
        original_place=place,
        original_published_on=published_on,
        byline=byline,
        reprinter=AVIM,
        reprinted_on=reprinted_on,
        original_url=original_url,
        source_line=source_line,
        warnings=tuple(warnings),
    )


# --- JSON record (one object; also each line of a JSON Lines file) --------------------------

_JSON_STRINGS = ("title", "body", "language", "outlet", "reprinter", "url", "byline")
_JSON_DATES = {"published": "original publication date", "reprinted": "reprint date"}
JSON_RECORD_FIELDS = frozenset(_JSON_STRINGS) | frozenset(_JSON_DATES)


def _json_date(value: Any, key: str) -> date | None:
    if value is None:
        return None
    match = isinstance(value, str) and re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        raise IngestRefused(f"{key!r} must be a date as YYYY-MM-DD, not {value!r}", code="bad_date")
    year, month, day = (int(part) for part in match.groups())
    return calendar_date(year, month, day, what=_JSON_DATES[key], as_written=value)


def parse_json_record(data: bytes) -> ParsedDocument:
    """`{"title": …, "body": …, "outlet"?, "published"?, "reprinter"?, "reprinted"?,
    "language"?, "url"?, "byline"?}`; other keys are kept in the ingestion event."""
    try:
        encoding = json.detect_encoding(data)
        record = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise NotThisLayout(f"not JSON ({error})") from None
    if not isinstance(record, dict):
        raise NotThisLayout(f"JSON {type(record).__name__}, not an object")
    for key in _JSON_STRINGS:
        if key in record and record[key] is not None and not isinstance(record[key], str):
            raise IngestRefused(f"{key!r} must be a string", code="bad_field")
    title = normalize_text(record.get("title") or "").strip()
    body = normalize_text(record.get("body") or "").strip("\n").rstrip()
    if not title:
        raise IngestRefused("the record has no 'title'", code="no_title")
    if not body.strip():
        raise IngestRefused("the record has no 'body'", code="no_body")
    outlet = (record.get("outlet") or "").strip()
    reprinter = (record.get("reprinter") or "").strip()
    url = (record.get("url") or "").strip()
    if url and not _is_url(url):
        raise IngestRefused(f"'url' is not an http(s) URL: {url!r}", code="bad_field")
    return ParsedDocument(
        layout="json_record",
        title=title,
        text=body,
        language=(record.get("language") or "").strip() or guess_language(f"{title}\n{body}"),
        media_type="application/json",
        encoding=encoding.replace("utf-8-sig", "utf-8"),
        original_outlet=SourceName(outlet) if outlet else None,
        original_published_on=_json_date(record.get("published"), "published"),
        byline=(record.get("byline") or "").strip(),
        reprinter=SourceName(reprinter, kind=SourceKind.OTHER) if reprinter else None,
        reprinted_on=_json_date(record.get("reprinted"), "reprinted"),
        original_url=url if _is_url(url) else "",
        extra={key: value for key, value in record.items() if key not in JSON_RECORD_FIELDS},
    )


# --- Plain text -----------------------------------------------------------------------------

# \w is str.isalnum() and the underscore (see the re module's documentation).
_ALPHANUMERIC = re.compile(r"[^\W_]")


def parse_plain_text(data: bytes) -> ParsedDocument:
    """Any text: the first non-empty line is the title, the whole text is the text."""
    decoded = decode(data)
    text = re.sub(r"\A(?:[^\S\n]*\n)+", "", decoded.text).rstrip()
    if not _ALPHANUMERIC.search(text):  # str.isalnum(), in C
        raise IngestRefused("the file contains no text", code="no_text")
    title = text.split("\n", 1)[0].strip()
    warnings = []
    if len(title) > TITLE_MAX_LENGTH:
        title = title[: TITLE_MAX_LENGTH - 1].rsplit(" ", 1)[0] + "…"
        warnings.append("the first line was too long for a title and was shortened")
    return ParsedDocument(
        layout="plain_text",
        title=title,
        text=text,
        language=guess_language(text),
        media_type="text/plain",
        encoding=decoded.encoding,
        warnings=tuple(warnings),
    )


# Tried in this order; the first parser that accepts the bytes wins.
# Saved web pages come before the text shapes (HTML is text too); the header shapes go from the
# most specific marker (AVİM's number line, a `Source:` pair) to the loosest (an outlet-like line
# over a date, a sentence in the first paragraphs); plain text takes whatever is left.
PARSERS: dict[str, Parser] = {
    "avim_reprint": parse_avim_reprint,
    "json_record": parse_json_record,
    "web_page": parse_web_page,
    "digest": parse_digest,
    "blog_listing": parse_blog_listing,
    "avim_publication": parse_avim_publication,
    "inline_pairs": parse_inline_pairs,
    "published_line": parse_published_line,
    "outlet_then_date": parse_outlet_then_date,
    "first_published_sentence": parse_first_published,
    "plain_text": parse_plain_text,
}


def parse(data: bytes, *, layouts: tuple[str, ...] | None = None) -> ParsedDocument:
    """Run the parsers (all, or the named ones) in order; the first that accepts wins."""
    declined = []
    for name in layouts or tuple(PARSERS):
        try:
            return PARSERS[name](data)
        except NotThisLayout as reason:
            declined.append(f"{name}: {reason}")
    if layouts and len(layouts) == 1:
        raise IngestRefused(f"not a valid {declined[0]}", code="no_layout")
    raise IngestRefused(
        "the file is in no layout Kaynak reads (" + "; ".join(declined) + ")", code="no_layout"
    )
