"""Saved web pages: the article only, with the page's own metadata, read by trafilatura.

The stored original stays the exact bytes received; what this parser returns is the text
researchers annotate: no navigation, cookie notices, subscription boxes, share buttons or
comments. The page is never rendered by Kaynak (its original is downloaded as an attachment)."""

from __future__ import annotations

import codecs
import logging
import re

import trafilatura
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from trafilatura.settings import Document as ExtractedPage

from archive.ingest.dates import DayOrder, read_date
from archive.ingest.decoding import decode, normalize_text
from archive.ingest.errors import IngestRefused, NotThisLayout
from archive.ingest.language import guess_language
from archive.ingest.records import ParsedDocument, SourceName

# trafilatura warns "discarding data: None" on a page without article text; our refusal says
# which page and why, so its warning would only be noise on the command's output.
logging.getLogger("trafilatura.core").setLevel(logging.ERROR)

_SNIFF_BYTES = 2048
_HTML_START = re.compile(
    # XHTML may open with an XML declaration.
    rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
    re.I | re.S,
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*(?P<charset>[A-Za-z0-9_:.-]+)""", re.IGNORECASE
)
# Less article text than this is an error page, a consent wall or a script-only shell: refused
# rather than stored as a document nobody can annotate.
MIN_ARTICLE_CHARACTERS = 120
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def looks_like_html(data: bytes) -> bool:
    """HTML sniffed from the bytes (a BOM, comments and blank lines may come first)."""
    head = data[:_SNIFF_BYTES]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            head = head.decode(encoding, errors="ignore").encode("utf-8")
            break
    return bool(_HTML_START.match(head))


def _decode_html(data: bytes) -> tuple[str, str]:
    """The page's text: a BOM decides, then the `<meta>` charset, then our text decoding."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return normalize_text(data.decode(encoding)), encoding.replace("-sig", "")
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        name = declared["charset"].decode("ascii").lower()
        try:
            codecs.lookup(name)
        except LookupError:
            raise IngestRefused(
                f"the page declares the unknown character set {name!r}", code="undecodable"
            ) from None
        try:
            return normalize_text(data.decode(name)), name
        except UnicodeDecodeError as error:
            raise IngestRefused(
                f"the page declares {name} but byte 0x{data[error.start]:02X} at offset "
                f"{error.start} is not {name}",
                code="undecodable",
            ) from None
    decoded = decode(data)
    return decoded.text, decoded.encoding


def _is_url(value: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


def parse_web_page(data: bytes) -> ParsedDocument:
    if not looks_like_html(data):
        raise NotThisLayout("not an HTML page")
    html, encoding = _decode_html(data)
    extracted = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        # Only the page's own statements of its date (Open Graph, JSON-LD, dc.date, the URL),
        # never a date guessed from the running text.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    # trafilatura answers with its Document (a dict only when asked with as_dict).
    page = extracted if isinstance(extracted, ExtractedPage) else None
    text = normalize_text(page.text or "").strip() if page else ""
    if page is None or len(text) < MIN_ARTICLE_CHARACTERS:
        raise IngestRefused(
            f"the page has no article text ({len(text)} characters found; a saved article "
            f"has at least {MIN_ARTICLE_CHARACTERS}): it may be an error page or a page "
            "that builds its text with scripts",
            code="no_article_text",
        )
    rules: dict[str, str] = {}
    warnings: list[str] = []
    title = normalize_text(page.title or "").strip()
    if title:
        rules["title"] = "page_metadata"
    else:
        title = text.split("\n", 1)[0][:300]
        rules["title"] = "first_body_line"
    outlet = normalize_text(page.sitename or "").strip()
    if outlet:
        rules["original_outlet"] = "site_name"
    else:
        warnings.append("no site name found: the document needs provenance")
    published_on = None
    if page.date:
        published_on = read_date(
            page.date, order=DayOrder.DAY_FIRST, what="original publication date"
        )
        rules["original_published_on"] = "page_metadata"
    else:
        warnings.append("no publication date found: the document needs provenance")
    byline = normalize_text(page.author or "").strip()
    if byline:
        rules["byline"] = "page_metadata"
    url = (page.url or "").strip()
    if url and _is_url(url):
        rules["original_url"] = "canonical_url"
    else:
        url = ""
    return ParsedDocument(
        layout="web_page",
        title=title,
        text=text,
        language=guess_language(f"{title}\n{text}"),
        media_type="text/html",
        encoding=encoding,
        original_outlet=SourceName(outlet) if outlet else None,
        original_published_on=published_on,
        byline=byline[:200],
        original_url=url,
        warnings=tuple(warnings),
        field_rules=rules,
    )
