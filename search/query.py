"""The query language: checked strictly, then parsed by Whoosh.

ferry tariffs          both words (AND is the default); also AND, OR, NOT, ( )
"port authority"       a phrase
tarif*  tarrifs~       a prefix (two letters at least); a fuzzy word (edits by its length;
                       ~1, ~2: one, two edits)
title:ferry  outlet:"Northern Ledger"  reprinter:avim  tag:…  source:…  language:tr
annotated:ferry  annotated:"tag:disinformation"   documents with annotations I may read
                       that match (quotes, comments, replies, tags, sources)
published:2017  published:2017-09  published:[2017-01-01 TO 2017-09-30]
reprinted:>2018-01-01  reprinted:<=2018-06-30
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date

from whoosh import query as whoosh_query
from whoosh.fields import Schema
from whoosh.qparser import FuzzyTermPlugin, MultifieldParser, QueryParser, plugins
from whoosh.qparser.default import QueryParserError
from whoosh.searching import Searcher

from kaynak.errors import KaynakError
from search.suggestions import allowed_edits

MAX_QUERY_LENGTH = 1000
MAX_EXPANSIONS = 500
MIN_PREFIX = 2
MAX_FUZZY_EDITS = 2

DATE_FIELDS = ("published", "reprinted")
TEXT_FIELDS = ("title", "outlet", "reprinter", "tag", "source")
# `annotated:` takes an annotation query (its own language, quoted when it has spaces) and
# matches the documents with annotations the user may read that it finds.
KNOWN_FIELDS = (*TEXT_FIELDS, "language", *DATE_FIELDS, "annotated")
# Unfielded words search these, exact (folded) fields weighing more than stemmed ones.
DEFAULT_FIELDS = {
    "title": 2.0,
    "body": 1.0,
    "stem_en": 0.5,
    "stem_tr": 0.5,
    "outlet": 0.5,
    "reprinter": 0.3,
    "tag": 1.0,
    "source": 1.0,
}


class SearchQueryError(KaynakError):
    """The query cannot be run as written; the message says what is wrong."""

    code = "bad_query"


def _outside_quotes(text: str) -> list[tuple[int, str]]:
    """The unquoted stretches of `text` with their offsets (quotes are balanced)."""
    parts = text.split('"')
    offsets, position = [], 0
    for number, part in enumerate(parts):
        if number % 2 == 0:
            offsets.append((position, part))
        position += len(part) + 1
    return offsets


def check_query(text: str, *, fields: tuple[str, ...] = KNOWN_FIELDS) -> None:
    """Refuse what Whoosh would misread, silently drop, or take seconds over; `fields` are
    the field names the query may use."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            f"the query is {len(text):,} characters long; at most {MAX_QUERY_LENGTH:,} are accepted"
        )
    if text.count('"') % 2:
        raise SearchQueryError('the query has an unbalanced quotation mark (")')
    depth = 0
    for _, part in _outside_quotes(text):
        for character in part:
            depth += {"(": 1, ")": -1}.get(character, 0)
            if depth < 0:
                raise SearchQueryError("the query closes a parenthesis it never opened")
    if depth:
        raise SearchQueryError(f"the query leaves {depth} parenthesis(es) unclosed")
    _check_fields(text, fields)
    for _, part in _outside_quotes(rewrite_dates(text)):
        _check_words(part)


def _inside_quotes(text: str, position: int) -> bool:
    return text.count('"', 0, position) % 2 == 1


def _check_fields(text: str, fields: tuple[str, ...]) -> None:
    for match in re.finditer(r"(?<![\w:])([^\W\d]\w*):(\S?)", text):
        if _inside_quotes(text, match.start()):
            continue
        name, following = match.group(1), match.group(2)
        if name.lower() not in fields:
            raise SearchQueryError(f"unknown field {name!r}; fields are: {', '.join(fields)}")
        if following in ("", ")"):
            raise SearchQueryError(f"the field {name!r} is followed by nothing to search for")


def _check_words(part: str) -> None:
    for word in re.split(r"[\s()]+", part):
        term = word.split(":", 1)[1] if ":" in word and not word.startswith("[") else word
        if not term or term.startswith(("[", "{", "<", ">")):
            continue
        if term.strip("*?") == "" and term:
            raise SearchQueryError(f"{word!r} would match every word; add letters before the *")
        if term[0] in "*?":
            raise SearchQueryError(
                f"{word!r} starts with a wildcard, which would scan the whole vocabulary; "
                "put at least two letters before it"
            )
        wildcard = re.search(r"[*?]", term)
        if wildcard and wildcard.start() < MIN_PREFIX:
            raise SearchQueryError(
                f"{word!r} needs at least {MIN_PREFIX} letters before its wildcard"
            )
        fuzzy = re.search(r"~(\d*)$", term)
        if fuzzy and fuzzy.group(1) and int(fuzzy.group(1)) > MAX_FUZZY_EDITS:
            raise SearchQueryError(f"{word!r} allows at most {MAX_FUZZY_EDITS} edits (~2)")


# --- Dates -----------------------------------------------------------------------------------

_DATE_VALUE = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
_DATE_CLAUSE = re.compile(
    rf"\b(?P<field>{'|'.join(DATE_FIELDS)}):"
    rf"(?:(?P<open>[\[{{])\s*(?P<start>{_DATE_VALUE}|\*)?\s*TO\s*(?P<end>{_DATE_VALUE}|\*)?\s*"
    rf"(?P<close>[\]}}])|(?P<op>[<>]=?)(?P<bound>\S+)|(?P<value>[^\s()]+))",
    re.IGNORECASE,
)


def _period(value: str, *, field: str) -> tuple[date, date]:
    """The first and last day of `2017`, `2017-09` or `2017-09-04`."""
    if not re.fullmatch(_DATE_VALUE, value):
        raise SearchQueryError(
            f"{field}: takes a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}"
        )
    parts = [int(part) for part in value.split("-")]
    try:
        if len(parts) == 1:
            return date(parts[0], 1, 1), date(parts[0], 12, 31)
        if len(parts) == 2:
            last = calendar.monthrange(parts[0], parts[1])[1]
            return date(parts[0], parts[1], 1), date(parts[0], parts[1], last)
        day = date(*parts)
    except (ValueError, calendar.IllegalMonthError) as error:
        raise SearchQueryError(f"{value!r} is not a calendar date ({error})") from None
    return day, day


def _range(
    field: str, start: date | None, end: date | None, *, open_: str = "[", close: str = "]"
) -> str:
    # The index holds dates as YYYYMMDD numbers; an open end is the smallest or largest.
    lower = start.strftime("%Y%m%d") if start else "0"
    upper = end.strftime("%Y%m%d") if end else "99991231"
    if start and end and start > end:
        raise SearchQueryError(f"the {field} range ends before it starts")
    return f"{field}:{open_}{lower} TO {upper}{close}"


def _rewrite_date(match: re.Match[str]) -> str:
    field = match["field"].lower()
    if match["value"] is not None:
        start, end = _period(match["value"], field=field)
        return _range(field, start, end)
    if match["op"]:
        first, last = _period(match["bound"], field=field)
        return {
            ">": _range(field, last, None, open_="{"),
            ">=": _range(field, first, None),
            "<": _range(field, None, first, close="}"),
            "<=": _range(field, None, last),
        }[match["op"]]
    since = None if match["start"] in (None, "*") else _period(match["start"], field=field)
    until = None if match["end"] in (None, "*") else _period(match["end"], field=field)
    # An exclusive bound excludes the whole period it names: {2017 TO → from 2018-01-01.
    return _range(
        field,
        (since[1] if match["open"] == "{" else since[0]) if since else None,
        (until[0] if match["close"] == "}" else until[1]) if until else None,
        open_=match["open"],
        close=match["close"],
    )


def rewrite_dates(text: str) -> str:
    """Date clauses become ranges of YYYYMMDD numbers, as the index holds dates; impossible
    dates are refused here rather than silently matching nothing."""
    pieces = text.split('"')
    for number in range(0, len(pieces), 2):
        pieces[number] = _DATE_CLAUSE.sub(_rewrite_date, pieces[number])
    return '"'.join(pieces)


# --- Fuzzy words ------------------------------------------------------------------------------

# A word with `~` and no number (`tarrifs~`): the word, with any field name before it.
_FUZZY_WORD = re.compile(r"(?<![\w~])(?P<word>\w[\w.'’]*)~(?![\w~])")


def _fuzzy_edits(match: re.Match[str]) -> str:
    word = match["word"]
    return f"{word}~{max(1, allowed_edits(word))}"


def rewrite_fuzzy(text: str) -> str:
    """`tarrifs~` allows as many edits as "did you mean" would (two for a word of six letters
    or more, one for a shorter one): one edit alone missed the commonest misspellings of
    longer words, such as `tarrifs` for `tariffs`. `~1` and `~2` say exactly."""
    pieces = text.split('"')
    for number in range(0, len(pieces), 2):
        pieces[number] = _FUZZY_WORD.sub(_fuzzy_edits, pieces[number])
    return '"'.join(pieces)


# --- Parsing ---------------------------------------------------------------------------------


def configure(parser: QueryParser) -> QueryParser:
    # Single quotes are apostrophes in this collection (`Iraq's`), not quoting.
    parser.remove_plugin_class(plugins.SingleQuotePlugin)
    parser.remove_plugin_class(plugins.EveryPlugin)
    parser.add_plugin(FuzzyTermPlugin())
    return parser


def make_parser(schema: Schema) -> QueryParser:
    return configure(MultifieldParser(list(DEFAULT_FIELDS), schema, fieldboosts=DEFAULT_FIELDS))


def make_spelling_parser(schema: Schema) -> QueryParser:
    """Unfielded words in the folded body only: suggestions are real words, not stems."""
    return configure(QueryParser("body", schema))


_ANNOTATED = re.compile(r'(?<![\w:])annotated:(?:"(?P<quoted>[^"]*)"|(?P<word>[^\s()"]+))', re.I)
_ANNOTATED_MARK = "annotated_"


def has_annotated(text: str) -> bool:
    return any(not _inside_quotes(text, m.start()) for m in _ANNOTATED.finditer(text))


def _split_annotated(text: str) -> tuple[str, list[str]]:
    """`annotated:…` clauses become placeholders on the `id` field (which no user query can
    name, so none can be forged), and their annotation queries, in order."""
    inner: list[str] = []

    def mark(match: re.Match[str]) -> str:
        if _inside_quotes(text, match.start()):
            return match.group(0)
        inner.append(match["quoted"] if match["quoted"] is not None else match["word"])
        return f"id:{_ANNOTATED_MARK}{len(inner) - 1}"

    return _ANNOTATED.sub(mark, text), inner


def parse_query(
    text: str,
    schema: Schema,
    *,
    annotated: Callable[[str], whoosh_query.Query] | None = None,
) -> whoosh_query.Query:
    """Check and parse `text`; an empty query matches every document. `annotated` turns the
    annotation query of an `annotated:` clause into a query over documents."""
    check_query(text)
    text, inner = _split_annotated(text)
    if inner and annotated is None:
        raise SearchQueryError("annotated: cannot be used here")
    rewritten = rewrite_fuzzy(rewrite_dates(text))  # dates checked by check_query already
    if not rewritten.strip():
        return whoosh_query.Every()
    try:
        parsed = make_parser(schema).parse(rewritten)
    except QueryParserError as error:
        raise SearchQueryError(f"the query cannot be read: {error}") from None
    if not inner or annotated is None:
        return parsed
    resolved = [annotated(clause) for clause in inner]

    def resolve(node: whoosh_query.Query) -> whoosh_query.Query:
        if (
            isinstance(node, whoosh_query.Term)
            and node.fieldname == "id"
            and str(node.text).startswith(_ANNOTATED_MARK)
        ):
            return resolved[int(str(node.text).removeprefix(_ANNOTATED_MARK))]
        return node

    return parsed.accept(resolve)


# Wildcards and fuzzy words expand in the exact fields; stems of partial words mean little.
_EXPANDING_FIELDS = frozenset({"title", "body", "outlet", "reprinter", "tag", "source"})


_EXPANDING_QUERIES = (
    whoosh_query.Prefix,
    whoosh_query.Wildcard,
    whoosh_query.FuzzyTerm,
    whoosh_query.Regex,
)


def expand_multiterms(
    parsed: whoosh_query.Query,
    searcher: Searcher,
    *,
    fields: frozenset[str] = _EXPANDING_FIELDS,
) -> whoosh_query.Query:
    """Replace each prefix, wildcard and fuzzy word by the index words it matches, once, so
    the search does not expand it again; refuse one that matches too many words. Only words
    in `fields` expand."""
    reader = searcher.reader()

    def expand(node: whoosh_query.Query) -> whoosh_query.Query:
        if not isinstance(node, _EXPANDING_QUERIES):
            return node
        if node.field() not in fields:
            return whoosh_query.NullQuery
        if isinstance(node, whoosh_query.FuzzyTerm):
            # Scanning only the words that share the first two letters keeps a fuzzy word
            # from reading most of the vocabulary.
            # Never past the word itself: Whoosh's automaton fails on a one-letter fuzzy word
            # with a longer prefix (IndexError, a 500 for `a~`).
            node.prefixlength = min(max(node.prefixlength, MIN_PREFIX), len(node.text))
        words = []
        for count, (_, word) in enumerate(node.expanded_terms(reader), start=1):
            if count > MAX_EXPANSIONS:
                raise SearchQueryError(
                    f"{node!s} matches more than {MAX_EXPANSIONS} different words; be more specific"
                )
            words.append(whoosh_query.Term(node.field(), word, boost=node.boost))
        return whoosh_query.Or(words) if words else whoosh_query.NullQuery

    return parsed.accept(expand).normalize()
