"""Header shapes of reprints in text files, each a small pure parser `bytes -> ParsedDocument`,
tried in the order of `parsers.PARSERS` after the AVİM reprint layout.

Each parser reads only the head of the file (the first lines), so a plain text that matches
none of them costs a few regular expressions. A shape that almost matches (an outlet line with
no date under it, a `Published` line with no date) raises NotThisLayout and the next parser
tries: a wrong outlet is worse than none, since none puts the document in the review queue.
Each parser says which of its rules set each field (`field_rules`), and the ingestion event
records it, so a curator can tell how a value was read."""

from __future__ import annotations

import re
from datetime import date

from archive.ingest.dates import DayOrder, find_date, read_date, split_trailing_date
from archive.ingest.decoding import DecodedText, decode
from archive.ingest.errors import IngestRefused, NotThisLayout
from archive.ingest.language import guess_language
from archive.ingest.records import AVIM, ParsedDocument, SourceName

# How far into a file a header may start, in non-empty lines.
_HEAD_LINES = 8
_NAME_MAX = 80
_HEAD_SPLIT = 200
_OUTLET_LINE_MAX = 200


def _filled(text: str, limit: int = _HEAD_LINES) -> list[tuple[int, str]]:
    """The first `limit` non-empty lines as (line number, stripped line)."""
    found = []
    # Only the head is split: a header is in the first lines, and a long text is not copied.
    for number, line in enumerate(text.split("\n", _HEAD_SPLIT)):
        if number == _HEAD_SPLIT:
            break  # the rest of the text, not a line
        if line.strip():
            found.append((number, line.strip()))
            if len(found) == limit:
                break
    return found


def _first_match(
    head: list[tuple[int, str]], pattern: re.Pattern[str]
) -> tuple[int, int, re.Match[str]] | None:
    """(position in `head`, line number, match) of the first head line `pattern` matches."""
    for position, (line_number, line) in enumerate(head):
        match = pattern.match(line)
        if match:
            return position, line_number, match
    return None


def _body(text: str, after_line: int) -> str:
    return "\n".join(text.split("\n")[after_line + 1 :]).strip("\n").rstrip()


def _looks_like_name(line: str) -> bool:
    """An outlet's name: short, starts with a capital, no sentence punctuation at its end."""
    return (
        0 < len(line) <= _NAME_MAX
        and line[0].isupper()
        and len(line.split()) <= 8
        and not line.endswith((".", ":", "?", "!", ";"))
        and not any(ch.isdigit() for ch in line)
    )


def _title(lines: list[str]) -> str:
    """Title lines before a header: a headline repeated in capitals counts once."""
    kept: list[str] = []
    for line in lines:
        if kept and line.casefold() == kept[-1].casefold():
            if kept[-1].isupper():
                kept[-1] = line  # prefer the mixed-case copy
            continue
        kept.append(line)
    return " ".join(kept)


_BYLINES = (
    # BYLINE: By X
    re.compile(r"^byline\s*:\s*(?:by\s+)?(?P<name>\S.*?)\s*$", re.IGNORECASE),
    # By X – Outlet:   (the outlet after the dash is already known from the header)
    re.compile(r"^by\s+(?P<name>[^–—:]+?)\s*[–—-]\s*[^:]*:\s*$", re.IGNORECASE),
    # Author: X · Yazar: X · By X
    re.compile(r"^(?:author|yazar)\s*:\s*(?P<name>\S.*?)\s*$", re.IGNORECASE),
    re.compile(r"^by\s+(?P<name>\S.{0,148}?)\s*$", re.IGNORECASE),
)


def _byline(line: str) -> str:
    for pattern in _BYLINES:
        match = pattern.match(line)
        if match and len(match["name"]) <= 150:
            return match["name"].strip()
    return ""


def _document(
    *,
    layout: str,
    decoded: DecodedText,
    title: str,
    body: str,
    field_rules: dict[str, str],
    **fields: object,
) -> ParsedDocument:
    if not body.strip():
        raise IngestRefused(
            f"the {layout.replace('_', ' ')} header has no text under it", code="no_body"
        )
    if not title:
        title = body.split("\n", 1)[0].strip()[:300]
        field_rules = {**field_rules, "title": "first_body_line"}
    warnings = []
    if "original_outlet" not in field_rules:
        warnings.append("no outlet found: the document needs provenance")
    if "original_published_on" not in field_rules:
        warnings.append("no original publication date found: the document needs provenance")
    return ParsedDocument(
        layout=layout,
        title=title,
        text=body,
        language=guess_language(f"{title}\n{body}"),
        media_type="text/plain",
        encoding=decoded.encoding,
        warnings=tuple(warnings),
        field_rules=field_rules,
        **fields,  # type: ignore[arg-type]
    )


# --- The think tank's own publications ------------------------------------------------------

_AVIM_NUMBER = re.compile(
    r"^(?P<series>yorum|commentary|analiz|analysis)\s+no\s*:\s*(?P<number>\d{4}\s*/\s*\d+)\s*$",
    re.IGNORECASE,
)
_READING_TIME = re.compile(r"^\d+\s*(?:dk\.?\s+okuma|min\.?\s+read)\s*$", re.IGNORECASE)


def parse_avim_publication(data: bytes) -> ParsedDocument:
    """AVİM's own commentary or analysis: title, `Commentary No : 2024 / 2`, `DD.MM.YYYY`,
    `3 min read`. An original, not a reprint: the outlet is AVİM, the number its identifier."""
    decoded = decode(data)
    head = _filled(decoded.text)
    found = _first_match(head, _AVIM_NUMBER)
    if not found:
        raise NotThisLayout("no AVİM `Commentary No :` / `Yorum No :` line")
    position, _, number = found
    rest = head[position + 1 :]
    published_on = None
    last = head[position][0]
    what = "publication date"
    for line_number, line in rest[:2]:
        when = read_date(line, order=DayOrder.DAY_FIRST, what=what)
        if when:
            published_on, last = when, line_number
        elif _READING_TIME.match(line):
            last = line_number
        else:
            break
    if published_on is None:
        raise NotThisLayout("an AVİM number line without a DD.MM.YYYY date under it")
    series = number["series"].capitalize()
    return _document(
        layout="avim_publication",
        decoded=decoded,
        title=_title([line for _, line in head[:position]]),
        body=_body(decoded.text, last),
        field_rules={
            "title": "lines_before_number",
            "original_outlet": "avim_publication",
            "original_published_on": "date_after_number",
        },
        original_outlet=AVIM,
        original_published_on=published_on,
        extra={"avim_series": series, "avim_number": re.sub(r"\s+", " ", number["number"])},
    )


# --- Inline pairs: `Source:Washington Post Date:21Jun2019` ----------------------------------

_INLINE_PAIRS = re.compile(
    r"^source\s*:\s*(?P<outlet>.*?)\s*\|?\s*date\s*:\s*(?P<date>.*?)\s*$", re.IGNORECASE
)


def parse_inline_pairs(data: bytes) -> ParsedDocument:
    decoded = decode(data)
    head = _filled(decoded.text)
    found = _first_match(head, _INLINE_PAIRS)
    if not found:
        raise NotThisLayout("no `Source: … Date: …` line")
    position, line_number, pairs = found
    line = pairs.group()
    outlet = pairs["outlet"].strip(" |,")
    if not outlet:
        raise IngestRefused(
            f"the line {line!r} has a `Source:` pair without a value", code="empty_source"
        )
    published_on = read_date(pairs["date"], order=DayOrder.DAY_FIRST, what="date")
    if published_on is None:
        raise IngestRefused(
            f"the `Date:` value {pairs['date']!r} on the line {line!r} is not a date",
            code="bad_date",
        )
    return _document(
        layout="inline_pairs",
        decoded=decoded,
        title=_title([text for _, text in head[:position]]),
        body=_body(decoded.text, line_number),
        field_rules={
            "title": "lines_before_pairs",
            "original_outlet": "source_pair",
            "original_published_on": "date_pair",
        },
        original_outlet=SourceName(outlet),
        original_published_on=published_on,
    )


# --- A `Published :` line, the outlet from a title suffix or a `Read more:` line ------------

_PUBLISHED = re.compile(r"^published\s*:\s*(?P<date>.+?)\s*$", re.IGNORECASE)
_MORE = re.compile(
    r"^(?:read\s+)?more\s*:\s*(?P<name>[^\n]*?)\s*(?P<url>https?://\S+)?\s*$", re.IGNORECASE
)


def parse_published_line(data: bytes) -> ParsedDocument:
    decoded = decode(data)
    head = _filled(decoded.text)
    found = _first_match(head, _PUBLISHED)
    if not found:
        raise NotThisLayout("no `Published :` line")
    position, line_number, published = found
    line = published.group()
    published_on = read_date(
        published["date"], order=DayOrder.DAY_FIRST, what="original publication date"
    )
    if published_on is None:
        raise NotThisLayout(f"a `Published` line without a date: {line!r}")
    rules = {"original_published_on": "published_line", "title": "lines_before_published"}
    title_lines = [text for _, text in head[:position]]
    title = _title(title_lines)
    outlet = ""
    if " | " in title:
        # `The headline | Opinion | Daily Sabah`: the last part names the outlet.
        parts = [part.strip() for part in title.split(" | ")]
        if _looks_like_name(parts[-1]):
            title, outlet = parts[0], parts[-1]
            rules["original_outlet"] = "title_suffix"
    body = _body(decoded.text, line_number)
    url = ""
    if not outlet:
        for text_line in reversed(body.split("\n")[-6:] + body.split("\n")[:6]):
            more = _MORE.match(text_line.strip())
            if more and _looks_like_name(more["name"].strip(" -–")):
                outlet = more["name"].strip(" -–")
                url = more["url"] or ""
                rules["original_outlet"] = "read_more_line"
                break
    return _document(
        layout="published_line",
        decoded=decoded,
        title=title,
        body=body,
        field_rules=rules,
        original_outlet=SourceName(outlet) if outlet else None,
        original_published_on=published_on,
        original_url=url,
    )


# --- Outlet line, then a date line ----------------------------------------------------------


def parse_outlet_then_date(data: bytes) -> ParsedDocument:
    """`[Title]` `[TITLE]` / `Outlet[, Place]` / `Date` / `[byline]` / body; or the outlet and
    its date on one line (`Trend, Azerbaijan April 8 2010`)."""
    decoded = decode(data)
    head = _filled(decoded.text)
    what = "original publication date"
    for position, (line_number, line) in enumerate(head[:4]):
        if len(line) > _OUTLET_LINE_MAX:
            continue  # a paragraph, not a header line
        outlet = place = ""
        published_on: date | None = None
        rule = ""
        next_line = head[position + 1] if position + 1 < len(head) else None
        name, _, after_comma = line.partition(",")
        if (
            next_line
            and _looks_like_name(name.strip())
            and _looks_like_name(after_comma.strip() or "X")
        ):
            published_on = read_date(next_line[1], order=DayOrder.DAY_FIRST, what=what)
            if published_on:
                outlet, place, rule = name.strip(), after_comma.strip(), "outlet_then_date"
                last = next_line[0]
        if not rule and "," in line and _looks_like_name(name.strip()):
            split = split_trailing_date(after_comma, what=what)
            if split and (not split[0] or _looks_like_name(split[0])):
                outlet, place, published_on, rule = (
                    name.strip(),
                    split[0],
                    split[1],
                    "outlet_date_line",
                )
                last = line_number
        if rule:
            break
    else:
        raise NotThisLayout("no outlet line followed by a date")
    byline = ""
    rules = {"original_outlet": rule, "original_published_on": rule, "title": "lines_before_outlet"}
    if place:
        rules["original_place"] = rule
    after = _filled("\n".join(decoded.text.split("\n")[last + 1 :]), 1)
    if after:
        byline = _byline(after[0][1])
        if byline:
            last = last + 1 + after[0][0]
            rules["byline"] = "byline_line"
    return _document(
        layout="outlet_then_date",
        decoded=decoded,
        title=_title([text for _, text in head[:position]]),
        body=_body(decoded.text, last),
        field_rules=rules,
        original_outlet=SourceName(outlet),
        original_place=place,
        original_published_on=published_on,
        byline=byline,
    )


# --- A sentence that states the original ----------------------------------------------------

_FIRST_PUBLISHED = (
    re.compile(
        r"first\s+(?:published|appeared)\s+(?:in|on|by)\s+(?:the\s+)?(?P<outlet>[^.\n]{2,80}?)"
        r"(?:\s+newspaper)?(?:['’]s\s+(?:online\s+edition|website))?\s+on\s+",
        re.IGNORECASE,
    ),
    re.compile(
        r"bu\s+yazı\s+(?P<outlet>[^.\n]{2,80}?)\s+gazetesi(?:nin|nde)\s+(?:internet\s+"
        r"nüshasında\s+)?",
        re.IGNORECASE,
    ),
)
_PARAGRAPHS = 4
_SENTENCE_WINDOW = 6000
_STATEMENT_WORDS = ("first published", "first appeared", "bu yazı")


def parse_first_published(data: bytes) -> ParsedDocument:
    """`This article was first published in the X newspaper's online edition on 17 September
    2020` (or `Bu yazı X gazetesinin internet nüshasında 17 Eylül 2020'de yayınlanan…`) within
    the first paragraphs: outlet and date from it; the author's own later date line, if any, is
    the reprint date."""
    decoded = decode(data)
    # The statement is in the first paragraphs (or the last): only those are split, and only
    # when a word of the statement is there at all (most texts are not in this shape).
    text = decoded.text.strip()
    window = (text[:_SENTENCE_WINDOW] + "\n" + text[-_SENTENCE_WINDOW:]).casefold()
    if not any(words in window for words in _STATEMENT_WORDS):
        raise NotThisLayout("no sentence saying where the text was first published")
    head = [part for part in re.split(r"\n\s*\n", text[:_SENTENCE_WINDOW]) if part.strip()]
    tail = [part for part in re.split(r"\n\s*\n", text[-_SENTENCE_WINDOW:]) if part.strip()]
    paragraphs = head[:-1] + tail[-1:] if len(text) > _SENTENCE_WINDOW else head
    what = "original publication date"
    for paragraph in paragraphs[:_PARAGRAPHS] + paragraphs[-1:]:
        for pattern in _FIRST_PUBLISHED:
            stated = pattern.search(paragraph)
            if not stated:
                continue
            found = find_date(paragraph[stated.end() :][:40], order=DayOrder.DAY_FIRST, what=what)
            if found:
                break
        else:
            continue
        break
    else:
        raise NotThisLayout("no sentence saying where the text was first published")
    published_on = found[0]
    rules = {
        "original_outlet": "first_published_sentence",
        "original_published_on": "first_published_sentence",
        "title": "first_line",
    }
    reprinted_on = None
    for _, line in _filled(decoded.text, 12):
        when = read_date(line, order=DayOrder.DAY_FIRST, what="reprint date")
        if when and when > published_on:
            reprinted_on = when
            rules["reprinted_on"] = "later_date_line"
            break
    body = decoded.text.strip("\n").rstrip()
    title = body.split("\n", 1)[0].strip()
    return _document(
        layout="first_published_sentence",
        decoded=decoded,
        title=title[:300],
        body=body,
        field_rules=rules,
        original_outlet=SourceName(stated["outlet"].strip()),
        original_published_on=published_on,
        reprinted_on=reprinted_on,
    )


# The shapes an item of a digest may be in, in the order they are tried.
ITEM_PARSERS = (
    parse_avim_publication,
    parse_inline_pairs,
    parse_published_line,
    parse_outlet_then_date,
    parse_first_published,
)
