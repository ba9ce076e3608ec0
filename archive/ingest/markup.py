"""Markup that is not text meant for reading: an SVG drawing, an RSS feed, an XML export.

Each would otherwise fall to `plain_text` and be stored with its tags as the "text", so a
researcher would annotate `<path d=…>`. A saved HTML article page (`web_page`) is not markup
in this sense; neither is XHTML, whose root element is `html`.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath

from archive.ingest.errors import IngestRefused

_SNIFF_BYTES = 4096
# File names that say "drawing" whatever the bytes hold.
_DRAWING_SUFFIXES = {".svg": "an SVG image", ".svgz": "a compressed SVG image"}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What may come before the root element: an XML declaration, processing instructions,
# comments and a document type declaration.
_PROLOG = re.compile(r"\A\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)\s*)*", re.I | re.S)
_ROOT = re.compile(r"<(?P<name>[A-Za-z_][\w.:-]*)")
_XML_DECLARATION = re.compile(r"\A\s*<\?xml\b", re.I)
_DOCTYPE = re.compile(r"<!doctype\s+(?P<name>[\w.:-]+)", re.I)


def _head(data: bytes) -> str:
    head = data[:_SNIFF_BYTES]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore")
    return head.decode("utf-8", errors="ignore")


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def markup_kind(filename: str, data: bytes) -> str | None:
    """What the bytes are when they are markup not meant for reading, else None."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _DRAWING_SUFFIXES:
        return _DRAWING_SUFFIXES[suffix]
    head = _head(data)
    prolog = _PROLOG.match(head)
    rest = head[prolog.end() if prolog else 0 :]
    root = _ROOT.match(rest)
    doctype = _DOCTYPE.search(head[: prolog.end()] if prolog else "")
    name = _local(root["name"]) if root else (_local(doctype["name"]) if doctype else "")
    if name == "svg":
        return "an SVG image"
    if name == "html":
        return None  # a web page (or XHTML): the web_page parser reads its article
    if _XML_DECLARATION.match(head) or doctype:
        return f"an XML document (root element <{name or '?'}>) with no HTML article body"
    return None


def refuse_markup(filename: str, data: bytes) -> None:
    """Refuse, naming the file, what is markup rather than text meant for reading."""
    kind = markup_kind(filename, data)
    if kind:
        raise IngestRefused(
            f"{filename} is {kind}, not text meant for reading; Kaynak stores articles "
            "(text files, saved web pages, JSON records)",
            code="not_readable_text",
        )
