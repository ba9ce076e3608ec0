"""Several articles in one file (a mailing-list digest, a page of reposts): one document per
article, each read by the header shapes, each with its character range in the file's text.

Items are separated by rule lines (`-----`, `=====`, `*****`). Chunks before the first item in
a header shape are the digest's own preamble ("Today's topics"), kept in the stored original
but not a document. After that every item must be readable: one that is not refuses the whole
file, naming the item, so a digest is never half-ingested."""

from __future__ import annotations

import dataclasses
import re

from archive.ingest.dates import DayOrder, read_date
from archive.ingest.decoding import decode
from archive.ingest.errors import IngestRefused, NotThisLayout
from archive.ingest.headers import ITEM_PARSERS
from archive.ingest.language import guess_language
from archive.ingest.records import ParsedDocument, SourceName

_SEPARATOR = re.compile(r"^[ \t]*(?:-{5,}|={5,}|_{5,}|\*{5,})[ \t]*$", re.MULTILINE)
MAX_ITEMS = 500


def _chunks(text: str) -> list[tuple[int, int]]:
    """Character ranges between separator lines, trimmed of blank space, empty ones dropped."""
    ranges, start = [], 0
    for separator in _SEPARATOR.finditer(text):
        ranges.append((start, separator.start()))
        start = separator.end()
    ranges.append((start, len(text)))
    trimmed = []
    for begin, end in ranges:
        chunk = text[begin:end]
        if chunk.strip():
            begin += len(chunk) - len(chunk.lstrip())
            end -= len(chunk) - len(chunk.rstrip())
            trimmed.append((begin, end))
    return trimmed


def _read_item(chunk: str) -> ParsedDocument | None:
    for parser in ITEM_PARSERS:
        try:
            return parser(chunk.encode("utf-8"))
        except NotThisLayout:
            continue
    return None


def parse_digest(data: bytes) -> ParsedDocument:
    decoded = decode(data)
    text = decoded.text
    if not _SEPARATOR.search(text):
        raise NotThisLayout("no separator lines between items")
    chunks = _chunks(text)
    if len(chunks) < 2:
        raise NotThisLayout("fewer than two items between separator lines")
    if len(chunks) > MAX_ITEMS:
        raise IngestRefused(
            f"the digest has {len(chunks)} items, over the limit of {MAX_ITEMS}", code="too_many"
        )
    items: list[tuple[int, tuple[int, int], ParsedDocument | None]] = []
    for number, (begin, end) in enumerate(chunks, start=1):
        first_line = text[begin:end].split("\n", 1)[0][:60]
        try:
            items.append((number, (begin, end), _read_item(text[begin:end])))
        except IngestRefused as refusal:
            if not any(item for _, _, item in items):
                raise NotThisLayout(f"the first item cannot be read: {refusal.message}") from None
            raise IngestRefused(
                f"item {number} of the digest ({first_line!r}) cannot be read: {refusal.message}",
                code=refusal.code,
            ) from None
    readable = [item for _, _, item in items if item]
    if len(readable) < 2:
        raise NotThisLayout("fewer than two items in a header shape")
    first = next(index for index, (_, _, item) in enumerate(items) if item)
    parts = []
    for number, (begin, end), item in items[first:]:
        if item is None:
            first_line = text[begin:end].split("\n", 1)[0][:60]
            raise IngestRefused(
                f"item {number} of the digest ({first_line!r}) is in no header shape Kaynak "
                "reads (no outlet line, Source/Date pair, Published line or first-published "
                "sentence); the file is refused so that no article is lost",
                code="unreadable_item",
            )
        parts.append(dataclasses.replace(item, encoding=decoded.encoding, file_range=(begin, end)))
    return dataclasses.replace(parts[0], layout="digest", parts=tuple(parts), file_range=None)


# --- A blog's listing page: `Author NAME DD.MM.YYYY`, then `Outlet (D Month YYYY) text…` ------

_AUTHOR_LINE = re.compile(
    r"^[ \t]*(?:author|yazar)[ \t]*:?[ \t]+(?P<name>\S[^\n]{0,148}?)[ \t]+"
    r"(?P<date>\d{1,2}\.\d{1,2}\.\d{4})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_OUTLET_OPENING = re.compile(r"^(?P<outlet>[^()\n]{2,80}?)\s*\((?P<date>[^()\n]{4,40})\)")


def _listing_item(
    text: str, begin: int, end: int, author: re.Match[str], number: int
) -> ParsedDocument:
    """One post of a listing: the title line above the author line, the outlet and original
    date opening the text, the author's date as the reprint date."""
    title = text[begin : author.start()].strip()
    body = text[author.end() : end].strip()
    start_of_body = text.index(body, author.end()) if body else author.end()
    opening = _OUTLET_OPENING.match(body)
    label = f"item {number} of the listing ({(title or author.group().strip())[:60]!r})"
    if not opening:
        raise IngestRefused(
            f"{label} does not open with `Outlet (date)`; the file is refused so that no "
            "article is lost",
            code="unreadable_item",
        )
    try:
        published = read_date(
            opening["date"], order=DayOrder.DAY_FIRST, what="original publication date"
        )
        reprinted = read_date(author["date"], order=DayOrder.DAY_FIRST, what="post date")
    except IngestRefused as refusal:
        raise IngestRefused(f"{label}: {refusal.message}", code=refusal.code) from None
    if published is None:
        raise IngestRefused(
            f"{label}: {opening['date']!r} after the outlet is not a date", code="bad_date"
        )
    title = title or body.split("\n", 1)[0][:300]
    return ParsedDocument(
        layout="blog_listing",
        title=title,
        text=body,
        language=guess_language(f"{title}\n{body}"),
        media_type="text/plain",
        encoding="",
        original_outlet=SourceName(opening["outlet"].strip()),
        original_published_on=published,
        byline=author["name"].strip(),
        reprinted_on=reprinted,
        field_rules={
            "title": "line_above_author",
            "byline": "author_line",
            "reprinted_on": "author_line",
            "original_outlet": "outlet_opening",
            "original_published_on": "outlet_opening",
        },
        file_range=(begin, max(start_of_body + len(body), author.end())),
    )


def parse_blog_listing(data: bytes) -> ParsedDocument:
    decoded = decode(data)
    text = decoded.text
    authors = list(_AUTHOR_LINE.finditer(text))
    if len(authors) < 2:
        raise NotThisLayout("fewer than two `Author NAME DD.MM.YYYY` lines")
    if len(authors) > MAX_ITEMS:
        raise IngestRefused(
            f"the listing has {len(authors)} items, over the limit of {MAX_ITEMS}",
            code="too_many",
        )
    # Each item begins at its title: the non-empty line right above the author line.
    starts = []
    for author in authors:
        above = text.rfind("\n", 0, max(author.start() - 1, 0))
        line_above = text[above + 1 : author.start()].strip()
        starts.append(above + 1 if line_above else author.start())
    parts = []
    for number, author in enumerate(authors, start=1):
        end = starts[number] if number < len(authors) else len(text)
        item = _listing_item(text, starts[number - 1], end, author, number)
        parts.append(dataclasses.replace(item, encoding=decoded.encoding))
    return dataclasses.replace(parts[0], layout="blog_listing", parts=tuple(parts), file_range=None)
