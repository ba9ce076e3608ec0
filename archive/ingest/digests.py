"""Several articles in one file (a mailing-list digest, a page of reposts): one document per
article, each read by the header shapes, each with its character range in the file's text.

Items are separated by rule lines (`-----`, `=====`, `*****`). Chunks before the first item in
a header shape are the digest's own preamble ("Today's topics"), kept in the stored original
but not a document. After that every item must be readable: one that is not refuses the whole
file, naming the item, so a digest is never half-ingested."""

from __future__ import annotations

import dataclasses
import re

from archive.ingest.decoding import decode
from archive.ingest.errors import IngestRefused, NotThisLayout
from archive.ingest.headers import ITEM_PARSERS
from archive.ingest.records import ParsedDocument

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
