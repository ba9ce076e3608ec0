"""The PostgreSQL backend: the index in the database every app server shares.

Each document's entry (`search.models.SearchEntry`) holds one tsvector with the terms of every
field Whoosh indexes, made in Python by the rules of Whoosh's analysers (`search.analysis`:
words folded, or stemmed in the document's language and then folded; `term_positions` makes
the analysers' terms and positions without a token object per word) and written as a tsvector
literal, so both backends index exactly the same terms. Fields are told apart by weight and prefix:

    title            'term'      weight A     positions 1…
    body (text)      'term'      weight B     positions after the title's (no phrase spans both)
    stem_en/stem_tr  'en:stem'   weight C     (title and text, stemmed in their language)
    outlet           'o:term'    weight D
    reprinter        'r:term'    weight D
    tag / source     'g:term' / 's:term'      weight D

A query is parsed by the same parser as Whoosh's (same language, same errors), its wildcards
and fuzzy words expanded over the index's vocabulary (`SearchTerm`) as Whoosh expands them over
its lexicon, and the query tree translated into a tsquery (AND `&`, OR `|`, NOT `!`, phrases
`<->`, a field by prefix and weight) plus SQL conditions (dates, language, `annotated:`).
Filters, facets and sorting read plain columns of the matching rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import repeat
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Left
from django.utils import timezone
from whoosh import query as whoosh_query
from whoosh.fields import Schema

from archive.models import Document
from kaynak.users import Requester
from search import query as query_language
from search.analysis import analyzer_kind, term_positions
from search.backends import RebuildReport
from search.documents import documents_for_index, indexable_document_ids
from search.index import (
    FRESH_LIMIT,
    IndexCheck,
    chunks,
    drift_from_database,
    pending_document_ids,
)
from search.models import SearchEntry, SearchIndexState, SearchTerm
from search.query import MIN_PREFIX, SearchQueryError, has_annotated, parse_query
from search.schema import AnnotationTerms, build_schema, date_number, document_fields
from search.searching import (
    FACETS,
    SIMILAR_KEY_TERMS,
    SIMILAR_TEXT_CHARS,
    SearchFilters,
    SearchHit,
    SearchResults,
    annotated_documents,
    check_paging,
    suggested_query,
    text_snippets,
)
from search.snippets import SCAN_CHARS, query_words
from search.suggestions import STOPWORDS, edit_distance

# Field → (lexeme prefix, weight). Title and body share unprefixed lexemes, told apart by
# weight (and by positions that never overlap, since a position keeps only one weight).
FIELD_LEXEMES: dict[str, tuple[str, str]] = {
    "title": ("", "A"),
    "body": ("", "B"),
    "stem_en": ("en:", "C"),
    "stem_tr": ("tr:", "C"),
    "outlet": ("o:", "D"),
    "reprinter": ("r:", "D"),
    "tag": ("g:", "D"),
    "source": ("s:", "D"),
}
# The fields whose words go into the vocabulary: those wildcards and fuzzy words expand in
# (search.query._EXPANDING_FIELDS) and "did you mean" corrects into.
VOCABULARY_FIELDS = ("title", "body", "outlet", "reprinter", "tag", "source")
# ts_rank_cd's weights for D, C, B, A: title over text over stems and names, roughly as
# Whoosh's field boosts (title 2 × 3, text 1, stems and names 0.3 to 1).
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
# PostgreSQL's limits: positions above 16,383 are stored as 16,383, at most 256 positions are
# kept per lexeme, and a lexeme is at most 2,047 bytes.
MAX_POSITION = 16_383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2_000
# Each position as tsvector text with each weight ("7B"): an entry writes hundreds of them.
WEIGHTED_POSITIONS = {
    weight: [f"{position}{weight}" for position in range(MAX_POSITION + 1)] for weight in "ABCD"
}
MAX_LEXEME_CHARS = MAX_LEXEME_BYTES // 4
# A tsvector holds at most 1 MiB of distinct lexemes; past this many bytes of them (a text of
# millions of distinct words) further new words are left out of the entry rather than the whole
# index update failing.
MAX_LEXEMES_BYTES = 1_000_000
MAX_VOCABULARY_TERM = 200
TABLE = SearchEntry._meta.db_table
TERMS = SearchTerm._meta.db_table
COLUMNS = (
    "document_id",
    "vector",
    "language",
    "published",
    "reprinted",
    "year",
    "outlet_id",
    "reprinter_id",
    "tag_ids",
    "source_ids",
)
COLUMN_TYPES = (
    "bigint",
    "tsvector",
    "varchar",
    "integer",
    "integer",
    "integer",
    "bigint",
    "bigint",
    "bigint[]",
    "bigint[]",
)
# How many index writes may run at once: one. Each takes this lock in its transaction and
# reads the documents after taking it, so the last writer wrote the newest committed state
# (as Whoosh's writer lock does).
WRITE_LOCK = 0x6B61796E  # "kayn"


@lru_cache(maxsize=1)
def schema() -> Schema:
    """Whoosh's schema: its analysers make the terms, its parser reads the queries."""
    return build_schema()


def _escaped(text: str) -> str:
    """`text` as it goes between the quotes of a tsvector or tsquery literal."""
    return text.replace("\\", "\\\\").replace("'", "''")


def quote_lexeme(text: str) -> str:
    """A lexeme quoted for a tsvector or tsquery literal."""
    return "'" + _escaped(text) + "'"


def tsvector_literal(pieces: dict[str, str]) -> str:
    """The tsvector literal of lexemes and their positions as text ("1A,5A"), each lexeme
    escaped as `quote_lexeme` escapes it, all at once (an entry has hundreds)."""
    # A lexeme is made of word characters, never NUL, so NUL can join them.
    quoted = _escaped("\0".join(pieces)).split("\0")
    return " ".join(
        [
            f"'{lexeme}':{positions}"
            for lexeme, positions in zip(quoted, pieces.values(), strict=True)
        ]
    )


# --- Entries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    document_id: int
    fingerprint: str
    vector: str
    language: str
    published: int | None
    reprinted: int | None
    year: int | None
    outlet_id: int | None
    reprinter_id: int | None
    tag_ids: list[int]
    source_ids: list[int]
    vocabulary: frozenset[tuple[str, str]]

    def row(self) -> tuple[Any, ...]:
        return (
            self.document_id,
            self.vector,
            self.language,
            self.published,
            self.reprinted,
            self.year,
            self.outlet_id,
            self.reprinter_id,
            self.tag_ids,
            self.source_ids,
        )


def _ids(value: str) -> list[int]:
    return [int(part) for part in value.split()]


def build_entry(document: Document, terms: AnnotationTerms) -> Entry:
    """The entry of `document`: the same fields (and fingerprint) as its Whoosh entry."""
    fields = document_fields(document, terms)
    # Lexeme → its positions as tsvector text ("1A,5A"): title and body share unprefixed
    # lexemes, so a lexeme of both has the title's positions, then the body's ("1A,9B").
    pieces: dict[str, str] = {}
    vocabulary: set[tuple[str, str]] = set()
    index_schema = schema()
    offset = 0
    lexeme_bytes = 0
    for fieldname, (prefix, weight) in FIELD_LEXEMES.items():
        value = fields.get(fieldname)
        if not value:
            continue
        # The body's positions follow the title's, with a gap: a position keeps one weight.
        start = (offset if fieldname == "body" else 0) + 1
        kind = analyzer_kind(index_schema[fieldname].analyzer)
        weighted = WEIGHTED_POSITIONS[weight]
        last = start
        field_terms: list[str] = []
        for text, positions in term_positions(value, kind, start).items():
            # (A UTF-8 character takes at most 4 bytes: shorter terms need no encoding.)
            if not text or (len(text) > MAX_LEXEME_CHARS and len(text.encode()) > MAX_LEXEME_BYTES):
                continue
            if positions[-1] > last:
                last = positions[-1]
            key = prefix + text if prefix else text
            # PostgreSQL keeps a lexeme's first 256 positions, each once (sending more, in
            # order, would only see them dropped), and takes positions past its largest as the
            # largest.
            if len(positions) > MAX_POSITIONS_PER_LEXEME:
                del positions[MAX_POSITIONS_PER_LEXEME:]
            if positions[-1] >= MAX_POSITION:
                positions = [at if at < MAX_POSITION else MAX_POSITION for at in positions]
            if len(positions) == 1:
                piece = weighted[positions[0]]
            else:
                piece = ",".join(map(weighted.__getitem__, positions))
            held = pieces.get(key)
            if held is None:
                size = len(key.encode()) + 1
                if lexeme_bytes + size > MAX_LEXEMES_BYTES:
                    continue
                lexeme_bytes += size
                pieces[key] = piece
            else:
                pieces[key] = held + "," + piece
            if len(text) <= MAX_VOCABULARY_TERM:
                field_terms.append(text)
        if fieldname in VOCABULARY_FIELDS:
            vocabulary.update(zip(repeat(fieldname), field_terms))
        if fieldname == "title":
            offset = last - start + 2
    published = fields.get("published")
    return Entry(
        document_id=document.pk,
        fingerprint=fields["fingerprint"],
        vector=tsvector_literal(pieces),
        language=fields["language"],
        published=published,
        reprinted=fields.get("reprinted"),
        year=int(fields["year"]) if fields.get("year") else None,
        outlet_id=int(fields["outlet_id"]) if fields.get("outlet_id") else None,
        reprinter_id=int(fields["reprinter_id"]) if fields.get("reprinter_id") else None,
        tag_ids=_ids(fields["tag_ids"]),
        source_ids=_ids(fields["source_ids"]),
        vocabulary=frozenset(vocabulary),
    )


def _vocabulary_sql(where: str) -> str:
    """(field, term, entries) of the vocabulary fields' lexemes in the entries `e` matching
    `where`: title and body lexemes have no prefix (no word holds a colon) and their own weight;
    the names' have their prefix."""
    fields = ", ".join(
        f"('{prefix}', '{weight}', '{fieldname}')"
        for fieldname, (prefix, weight) in FIELD_LEXEMES.items()
        if fieldname in VOCABULARY_FIELDS
    )
    return f"""
        SELECT f.field, substr(v.lexeme, length(f.prefix) + 1) AS term, count(*) AS entries
        FROM {TABLE} AS e, unnest(e.vector) AS v, (VALUES {fields}) AS f (prefix, weight, field)
        WHERE ({where}) AND f.weight = ANY(v.weights::text[])
          AND CASE WHEN f.prefix = '' THEN position(':' in v.lexeme) = 0
                   ELSE starts_with(v.lexeme, f.prefix) END
          AND char_length(v.lexeme) - length(f.prefix) <= {MAX_VOCABULARY_TERM}
        GROUP BY 1, 2
    """


def _write(ids: list[int]) -> int:
    """Upsert the entries of these documents from the database as it is once the write lock
    is held, delete those of documents no longer indexable, and count the vocabulary's
    document frequencies by what changed. Returns how many entries were written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        entries = [build_entry(document, terms) for document, terms in documents_for_index(ids)]
        changes: Counter[tuple[str, str]] = Counter()
        cursor.execute(_vocabulary_sql("e.document_id = ANY(%s)"), [ids])
        for field, term, entries_holding in cursor.fetchall():
            changes[(field, term)] -= entries_holding
        for entry in entries:
            changes.update(entry.vocabulary)
        gone = sorted(set(ids) - {entry.document_id for entry in entries})
        if gone:
            cursor.execute(f"DELETE FROM {TABLE} WHERE document_id = ANY(%s)", [gone])
        if entries:
            columns = ", ".join(("fingerprint", *COLUMNS))
            updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in ("fingerprint", *COLUMNS))
            cursor.executemany(
                f"INSERT INTO {TABLE} ({columns}) VALUES "
                f"(%s, %s, %s::tsvector, {', '.join(['%s'] * (len(COLUMNS) - 2))}) "
                f"ON CONFLICT (document_id) DO UPDATE SET {updates}",
                [(entry.fingerprint, *entry.row()) for entry in entries],
            )
        changed = sorted((key, delta) for key, delta in changes.items() if delta)
        if changed:
            cursor.execute(
                f"INSERT INTO {TERMS} AS t (field, term, documents) "
                "SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::integer[]) "
                "ON CONFLICT (field, term) DO UPDATE "
                "SET documents = t.documents + EXCLUDED.documents",
                [
                    [field for (field, _), _ in changed],
                    [term for (_, term), _ in changed],
                    [delta for _, delta in changed],
                ],
            )
        return len(entries)


# --- Query translation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A translated query node: a tsquery (`ts`) when it is text only, else SQL."""

    ts: str | None = None
    sql: str = ""
    params: tuple[Any, ...] = ()

    def as_sql(self) -> tuple[str, tuple[Any, ...]]:
        if self.ts is not None:
            return TEXT_MATCH, (self.ts,)
        return self.sql, self.params


# The text condition of a search, alone or within SQL built around it.
TEXT_MATCH = "e.vector @@ %s::tsquery"
TRUE = Condition(sql="TRUE")
FALSE = Condition(sql="FALSE")
_DATE_COLUMNS = {"published": "published", "reprinted": "reprinted"}


def _lexeme(fieldname: str, text: str, *, weighed: bool = True) -> str | None:
    """`text` in `fieldname` as a tsquery lexeme. A weight is written only where the lexeme
    alone does not tell the field (title and text share unprefixed lexemes): a weighted
    lexeme makes PostgreSQL re-read every match's vector, since its GIN index keeps no
    weights. `weighed=False` asks a title-or-text word of both."""
    if fieldname not in FIELD_LEXEMES:
        return None
    prefix, weight = FIELD_LEXEMES[fieldname]
    lexeme = quote_lexeme(prefix + text)
    return f"{lexeme}:{weight}" if weighed and not prefix else lexeme


# The fields that share unprefixed lexemes, told apart by weight only.
_WEIGHED_FIELDS = frozenset({"title", "body"})


def _words(node: whoosh_query.Term | whoosh_query.Phrase) -> tuple[str, ...]:
    """The word of a term, or the words of a phrase."""
    if isinstance(node, whoosh_query.Term):
        text = node.text
        return (text.decode() if isinstance(text, bytes) else str(text),)
    return tuple(node.words)


def _words_key(node: whoosh_query.Query) -> tuple[str, ...] | None:
    """The words of a term or phrase of the title or the text, else None."""
    if getattr(node, "fieldname", None) not in _WEIGHED_FIELDS:
        return None
    if isinstance(node, whoosh_query.Term | whoosh_query.Phrase):
        return _words(node)
    return None


def _either_text_field(children: list[whoosh_query.Query]) -> list[Condition]:
    """The alternatives of an OR, where a word or phrase asked of both the title and the text
    (as every unfielded word is) becomes one lexeme without a weight, which the GIN index
    answers alone. (No phrase spans both fields: the text's positions start after a gap.)"""
    fields: dict[tuple[str, ...], set[str]] = {}
    for child in children:
        key = _words_key(child)
        if key is not None:
            fields.setdefault(key, set()).add(child.fieldname)
    either = {key for key, found in fields.items() if found >= _WEIGHED_FIELDS}
    parts: list[Condition] = []
    for child in children:
        key = _words_key(child)
        if key not in either:
            parts.append(translate(child))
        elif child.fieldname == "body":
            lexemes = [_lexeme("body", word, weighed=False) for word in key]
            parts.append(Condition(ts="(" + " <-> ".join(map(str, lexemes)) + ")"))
    return parts


def _combine(parts: list[Condition], joiner: str) -> Condition:
    if not parts:
        return TRUE if joiner == "AND" else FALSE
    if len(parts) == 1:
        return parts[0]
    if all(part.ts is not None for part in parts):
        symbol = " & " if joiner == "AND" else " | "
        return Condition(ts="(" + symbol.join(str(part.ts) for part in parts) + ")")
    sqls: list[str] = []
    params: list[Any] = []
    for part in parts:
        sql, values = part.as_sql()
        sqls.append(sql)
        params.extend(values)
    return Condition(sql="(" + f" {joiner} ".join(sqls) + ")", params=tuple(params))


def _negate(part: Condition) -> Condition:
    if part.ts is not None:
        return Condition(ts=f"!{part.ts}")
    return Condition(sql=f"NOT COALESCE({part.sql}, FALSE)", params=part.params)


def translate(node: whoosh_query.Query) -> Condition:
    """The Whoosh query tree (expanded: no prefixes, wildcards or fuzzy words left) as a
    tsquery and SQL over the entries `e`."""
    if isinstance(node, whoosh_query.Every):
        return TRUE
    if node is whoosh_query.NullQuery or isinstance(node, type(whoosh_query.NullQuery)):
        return FALSE
    if isinstance(node, whoosh_query.Term):
        [text] = _words(node)
        if node.fieldname == "language":
            return Condition(sql="e.language = %s", params=(text,))
        if node.fieldname == "id":
            return Condition(sql="e.document_id = %s", params=(int(text),))
        lexeme = _lexeme(node.fieldname, text)
        return Condition(ts=lexeme) if lexeme else FALSE
    if isinstance(node, whoosh_query.Phrase):
        lexemes = [_lexeme(node.fieldname, word) for word in node.words]
        if not lexemes or None in lexemes:
            return FALSE
        return Condition(ts="(" + " <-> ".join(str(lexeme) for lexeme in lexemes) + ")")
    if isinstance(node, whoosh_query.NumericRange) and node.fieldname in _DATE_COLUMNS:
        column = f"e.{_DATE_COLUMNS[node.fieldname]}"
        clauses, params = [f"{column} IS NOT NULL"], list[int]()
        if node.start is not None:
            clauses.append(f"{column} {'>' if node.startexcl else '>='} %s")
            params.append(int(node.start))
        if node.end is not None:
            clauses.append(f"{column} {'<' if node.endexcl else '<='} %s")
            params.append(int(node.end))
        return Condition(sql="(" + " AND ".join(clauses) + ")", params=tuple(params))
    if isinstance(node, whoosh_query.Not):
        return _negate(translate(node.query))
    if isinstance(node, whoosh_query.AndNot):
        return _combine([translate(node.a), _negate(translate(node.b))], "AND")
    if isinstance(node, whoosh_query.AndMaybe):
        return translate(node.a)  # the optional part only weighs in Whoosh's scores
    if isinstance(node, whoosh_query.Require):
        return _combine([translate(node.a), translate(node.b)], "AND")
    if isinstance(node, whoosh_query.And):
        return _combine([translate(child) for child in node.children()], "AND")
    if isinstance(node, whoosh_query.Or | whoosh_query.DisjunctionMax):
        return _combine(_either_text_field(list(node.children())), "OR")
    raise SearchQueryError(f"{node!s} cannot be searched with this index")


@dataclass(frozen=True)
class Ranking:
    """The text a match is ranked by: every word and phrase not under a NOT, as alternatives,
    each with the lexemes (quoted, without weights) it needs."""

    parts: tuple[tuple[str, frozenset[str]], ...]

    def lexemes(self) -> list[str]:
        return sorted({lexeme for _, needed in self.parts for lexeme in needed})

    def held(self, lexemes: set[str]) -> str | None:
        """The ranking text without the alternatives that need a lexeme no entry holds. They
        change no rank (ts_rank_cd sums over covers found, and is not divided by the query's
        length) but cost every ranked match a search for them in its vector: at 44,500
        entries, 'government' (10,240 matches) ranked in 88 ms with its seven fields'
        lexemes and in 59 ms with the two the corpus holds."""
        kept = [text for text, needed in self.parts if needed <= lexemes]
        return " | ".join(kept) or None


def _needed_lexemes(node: whoosh_query.Term | whoosh_query.Phrase) -> frozenset[str]:
    prefix, _ = FIELD_LEXEMES[node.fieldname]
    return frozenset(quote_lexeme(prefix + word) for word in _words(node))


def ranking_query(node: whoosh_query.Query) -> Ranking | None:
    """The words and phrases a match is ranked by: every one not under a NOT."""
    found: dict[str, frozenset[str]] = {}

    def walk(part: whoosh_query.Query) -> None:
        if isinstance(part, whoosh_query.Not):
            return
        if isinstance(part, whoosh_query.AndNot):
            walk(part.a)
            return
        if isinstance(part, whoosh_query.Term | whoosh_query.Phrase):
            condition = translate(part)
            if condition.ts is not None:
                found.setdefault(condition.ts, _needed_lexemes(part))
            return
        if not part.is_leaf():
            for child in part.children():
                walk(child)

    walk(node)
    return Ranking(parts=tuple(found.items())) if found else None


# --- Vocabulary --------------------------------------------------------------------------------


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def vocabulary_like(fieldname: str, pattern: str) -> list[str]:
    """Vocabulary words of `fieldname` matching a LIKE pattern, at most one past the limit."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term FROM {TERMS} WHERE field = %s AND term LIKE %s AND documents > 0 "
            "ORDER BY term LIMIT %s",
            [fieldname, pattern, query_language.MAX_EXPANSIONS + 1],
        )
        return [row[0] for row in cursor.fetchall()]


def terms_within(fieldname: str, word: str, maxdist: int, prefix: int) -> list[str]:
    """Vocabulary words of `fieldname` within `maxdist` edits of `word` sharing its first
    `prefix` letters: Whoosh's `terms_within`, with the same edit distance."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term FROM {TERMS} WHERE field = %s AND term LIKE %s AND documents > 0 "
            "AND char_length(term) BETWEEN %s AND %s",
            [
                fieldname,
                _like_escape(word[:prefix]) + "%",
                len(word) - maxdist,
                len(word) + maxdist,
            ],
        )
        return sorted(term for (term,) in cursor.fetchall() if edit_distance(word, term) <= maxdist)


_EXPANDING_FIELDS = frozenset(VOCABULARY_FIELDS)


_MULTITERMS = whoosh_query.Prefix | whoosh_query.Wildcard | whoosh_query.FuzzyTerm


def _pattern(node: whoosh_query.Query) -> tuple[Any, ...]:
    """What a prefix, wildcard or fuzzy word asks, whatever its field."""
    return (
        type(node),
        str(node.text),
        getattr(node, "maxdist", None),
        getattr(node, "prefixlength", None),
    )


def _vocabulary_words(node: whoosh_query.Query) -> list[str]:
    """The vocabulary words of the node's field its prefix, wildcard or fuzzy word matches;
    refused when they are too many."""
    fieldname, text = node.field(), str(node.text)
    if isinstance(node, whoosh_query.FuzzyTerm):
        prefix = min(max(node.prefixlength, MIN_PREFIX), len(text))
        words = terms_within(fieldname, text, node.maxdist, prefix)
    elif isinstance(node, whoosh_query.Prefix):
        words = vocabulary_like(fieldname, _like_escape(text) + "%")
    else:
        pattern = "".join({"*": "%", "?": "_"}.get(char, _like_escape(char)) for char in text)
        words = vocabulary_like(fieldname, pattern)
    limit = query_language.MAX_EXPANSIONS
    if len(words) > limit:
        raise SearchQueryError(
            f"{node!s} matches more than {limit} different words; be more specific"
        )
    return words


def expand_multiterms(parsed: whoosh_query.Query) -> whoosh_query.Query:
    """`search.query.expand_multiterms` over the vocabulary: each prefix, wildcard and fuzzy
    word becomes the words it matches, and one that matches too many is refused.

    A pattern asked of both the title and the text (as every unfielded one is) becomes, in
    each, the words either field holds. A word no title holds finds no title, so the query
    finds the same entries; but a word asked of both fields is one lexeme without a weight
    (`_either_text_field`), which the GIN index answers alone, where a word asked of the text
    only must be checked against each candidate's vector. At 44,500 entries `technolog*`
    took 56 ms that way."""
    found: dict[tuple[str, tuple[Any, ...]], list[str]] = {}
    for leaf in parsed.leaves():
        if isinstance(leaf, _MULTITERMS) and leaf.field() in _EXPANDING_FIELDS:
            key = (leaf.field(), _pattern(leaf))
            if key not in found:
                found[key] = _vocabulary_words(leaf)

    def expand(node: whoosh_query.Query) -> whoosh_query.Query:
        if not isinstance(node, _MULTITERMS):
            return node
        fieldname = node.field()
        if fieldname not in _EXPANDING_FIELDS:
            return whoosh_query.NullQuery
        words = set(found[(fieldname, _pattern(node))])
        if fieldname in _WEIGHED_FIELDS:
            (other,) = _WEIGHED_FIELDS - {fieldname}
            words.update(found.get((other, _pattern(node)), []))
        terms = [whoosh_query.Term(fieldname, word, boost=node.boost) for word in sorted(words)]
        return whoosh_query.Or(terms) if terms else whoosh_query.NullQuery

    return parsed.accept(expand).normalize()


# --- Searching ---------------------------------------------------------------------------------


def _fresh_values(ids: list[int]) -> tuple[str, list[Any]]:
    rows = [build_entry(document, terms).row() for document, terms in documents_for_index(ids)]
    if not rows:
        return "", []
    placeholder = "(" + ", ".join(f"%s::{kind}" for kind in COLUMN_TYPES) + ")"
    return ", ".join([placeholder] * len(rows)), [value for row in rows for value in row]


def entries_source() -> tuple[str, list[Any]]:
    """The entries to search, in step with the database: those of documents whose index
    update is still queued (or failed) are left out, and up to FRESH_LIMIT of them built afresh
    from the database as it is now (see `search.index.searcher_in_step`, the same for Whoosh)."""
    pending = sorted(pending_document_ids())
    if not pending:
        return f"{TABLE}", []
    columns = ", ".join(COLUMNS)
    stored = f"SELECT {columns} FROM {TABLE} WHERE NOT (document_id = ANY(%s))"
    values, params = _fresh_values(pending[:FRESH_LIMIT])
    if not values:
        return f"({stored})", [pending]
    fresh = f"SELECT * FROM (VALUES {values}) AS fresh ({columns})"
    return f"({stored} UNION ALL {fresh})", [pending, *params]


_SORT_ORDER = {
    "relevance": "rank DESC, document_id",
    "published": "published ASC NULLS FIRST, document_id",
    "-published": "published DESC NULLS LAST, document_id",
    "reprinted": "reprinted ASC NULLS FIRST, document_id",
    "-reprinted": "reprinted DESC NULLS LAST, document_id",
}
_FACET_COLUMNS = {
    "outlet": "outlet_id",
    "reprinter": "reprinter_id",
    "year": "year",
    "language": "NULLIF(language, '')",
}
_ARRAY_FACETS = {"tag": "tag_ids", "source": "source_ids"}


def _filter_sql(filters: SearchFilters) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for name, column in (("outlet", "outlet_id"), ("reprinter", "reprinter_id"), ("year", "year")):
        values = getattr(filters, name)
        if values:
            clauses.append(f"e.{column} = ANY(%s)")
            params.append([int(value) for value in values])
    for name, column in _ARRAY_FACETS.items():
        values = getattr(filters, name)
        if values:
            clauses.append(f"e.{column} && %s::bigint[]")
            params.append([int(value) for value in values])
    if filters.language:
        clauses.append("e.language = %s")
        params.append(filters.language)
    for column, start, end in (
        ("published", filters.published_from, filters.published_to),
        ("reprinted", filters.reprinted_from, filters.reprinted_to),
    ):
        if start:
            clauses.append(f"e.{column} >= %s")
            params.append(date_number(start))
        if end:
            clauses.append(f"e.{column} <= %s")
            params.append(date_number(end))
    return clauses, params


def _lexemes_held(
    cursor: Any, lexemes: list[str], source: str, source_params: list[Any]
) -> set[str]:
    """Which of these lexemes (quoted tsquery literals without a weight) some entry of
    `source` (`entries_source`) holds: each asked of the GIN index alone, which answers a
    lexeme without a weight with no entry's vector read."""
    if not lexemes:
        return set()
    cursor.execute(
        "SELECT lexeme FROM unnest(%s::text[]) AS lexeme "
        f"WHERE EXISTS (SELECT FROM {source} AS e WHERE e.vector @@ lexeme::tsquery)",
        [lexemes, *source_params],
    )
    return {lexeme for (lexeme,) in cursor.fetchall()}


@dataclass(frozen=True)
class Matches:
    total: int
    page: list[tuple[int, float]]
    facets: dict[str, list[tuple[str, int]]]


def run_query(
    condition: Condition,
    ranking: Ranking | None,
    *,
    filters: SearchFilters,
    sort: str,
    offset: int,
    limit: int,
    facets: bool = True,
) -> Matches:
    """One statement: the matching entries, a page of them in order, their count and the
    facet counts over all of them (after one asking the index which of the ranking's lexemes
    any entry holds, when the matches are ranked)."""
    source, source_params = entries_source()
    where_sql, where_params = condition.as_sql()
    filter_clauses, filter_params = _filter_sql(filters)
    where = " AND ".join([where_sql, *filter_clauses])
    order = _SORT_ORDER[sort]
    parts = [
        "SELECT 'hit', document_id::text, rank::float8, "
        f"row_number() OVER (ORDER BY {order}) FROM "
        f"(SELECT * FROM matches ORDER BY {order} LIMIT %s OFFSET %s) AS page",
        "SELECT 'total', NULL, count(*)::float8, 0 FROM matches",
    ]
    if facets:
        parts += [
            f"SELECT '{name}', ({column})::text, count(*)::float8, 0 FROM matches "
            f"WHERE ({column}) IS NOT NULL GROUP BY 2"
            for name, column in _FACET_COLUMNS.items()
        ]
        parts += [
            f"SELECT '{name}', value::text, count(*)::float8, 0 "
            f"FROM matches, unnest(matches.{column}) AS value GROUP BY 2"
            for name, column in _ARRAY_FACETS.items()
        ]
    hits: list[tuple[int, int, float]] = []
    total = 0
    counts: dict[str, list[tuple[str, int]]] = {name: [] for name in FACETS}
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        planned_by_index = TEXT_MATCH in where_sql
        if planned_by_index:
            # PostgreSQL's planner does not count the cost of reading TOASTed values: it
            # prefers scanning the whole table, decompressing every entry's vector (7 KB on
            # average for the shared corpus), to the GIN index, which reads only the matches.
            # At 44,500 entries a word in 1,440 of them took 265 ms that way and 59 ms by the
            # index. Off for this statement only (then set back as it was), and only with a
            # text condition: a search by dates alone has no index to prefer.
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), "
                "set_config('enable_seqscan', 'off', true)"
            )
            [(before, _)] = cursor.fetchall()
        ranked_by = None
        if ranking:
            held = _lexemes_held(cursor, ranking.lexemes(), source, source_params)
            ranked_by = ranking.held(held)
        if ranked_by:
            rank, rank_params = f"ts_rank_cd('{RANK_WEIGHTS}', e.vector, %s::tsquery)", [ranked_by]
        else:
            rank, rank_params = "0.0::real", []
        sql = (
            f"WITH matches AS MATERIALIZED (SELECT e.document_id, e.published, e.reprinted, "
            f"e.language, e.year, e.outlet_id, e.reprinter_id, e.tag_ids, e.source_ids, "
            f"{rank} AS rank FROM {source} AS e WHERE {where}) " + " UNION ALL ".join(parts)
        )
        params = [*rank_params, *source_params, *where_params, *filter_params, limit, offset]
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if planned_by_index:
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [before])
        for kind, key, value, ordinal in rows:
            if kind == "hit":
                hits.append((ordinal, int(key), float(value)))
            elif kind == "total":
                total = int(value)
            else:
                counts[kind].append((key, int(value)))
    for name in counts:
        counts[name].sort(key=lambda item: (-item[1], item[0]))
    return Matches(
        total=total,
        page=[(pk, score) for _, pk, score in sorted(hits)],
        facets=counts,
    )


class PostgresLexicon:
    """The index's vocabulary and document frequencies, for "did you mean"."""

    def __init__(self, filters: SearchFilters) -> None:
        self.filters = filters

    def field_names(self) -> set[str]:
        return set(VOCABULARY_FIELDS)

    def doc_frequency(self, fieldname: str, word: str) -> int:
        found = SearchTerm.objects.filter(field=fieldname, term=word).values_list(
            "documents", flat=True
        )
        return max(0, found[0]) if found else 0

    def terms_within(self, fieldname: str, word: str, maxdist: int, prefix: int) -> list[str]:
        return terms_within(fieldname, word, maxdist, prefix)

    def has_term(self, fieldname: str, word: str) -> bool:
        return SearchTerm.objects.filter(field=fieldname, term=word, documents__gt=0).exists()


class PostgresBackend:
    name = "postgres"

    def index_documents(self, ids: Iterable[int]) -> None:
        for batch in chunks(sorted(set(ids)), 500):
            _write(batch)

    def remove_documents(self, ids: Iterable[int]) -> None:
        ids = sorted(set(ids))
        if ids:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                cursor.execute(
                    f"UPDATE {TERMS} AS t SET documents = t.documents - gone.entries "
                    f"FROM ({_vocabulary_sql('e.document_id = ANY(%s)')}) AS gone "
                    "WHERE t.field = gone.field AND t.term = gone.term",
                    [ids],
                )
                cursor.execute(f"DELETE FROM {TABLE} WHERE document_id = ANY(%s)", [ids])

    def indexed_ids(self, ids: Iterable[int]) -> set[int]:
        return set(
            SearchEntry.objects.filter(document_id__in=list(ids)).values_list(
                "document_id", flat=True
            )
        )

    def _parse(self, query: str, user: Requester) -> whoosh_query.Query:
        return expand_multiterms(parse_query(query, schema(), annotated=annotated_documents(user)))

    def search(
        self,
        query: str,
        *,
        user: Requester,
        filters: SearchFilters | None = None,
        sort: str = "relevance",
        page: int = 1,
        page_size: int = 20,
    ) -> SearchResults:
        check_paging(sort=sort, page=page, page_size=page_size)
        filters = filters or SearchFilters()
        parsed = self._parse(query, user)
        matches = run_query(
            translate(parsed),
            ranking_query(parsed) if sort == "relevance" else None,
            filters=filters,
            sort=sort,
            offset=(page - 1) * page_size,
            limit=page_size,
        )
        if matches.total and (page - 1) * page_size >= matches.total:
            last = math.ceil(matches.total / page_size)
            raise SearchQueryError(f"page {page} is beyond the last page ({last})")
        wanted = query_words(parsed)
        ids = [pk for pk, _ in matches.page]
        documents = (
            Document.objects.only("id", "title", "language")
            .annotate(opening=Left("text", SCAN_CHARS))
            .in_bulk(ids)
        )
        hits = tuple(
            SearchHit(
                document_id=pk,
                score=score if sort == "relevance" else None,
                snippets=text_snippets(documents.get(pk), wanted),
            )
            for pk, score in matches.page
        )
        suggestion = None
        if matches.total == 0 and query.strip() and not has_annotated(query):
            suggestion = suggested_query(
                query,
                schema(),
                PostgresLexicon(filters),
                finds_anything=lambda corrected: self._finds_anything(corrected, filters),
            )
        return SearchResults(
            total=matches.total,
            page=page,
            page_size=page_size,
            hits=hits,
            facets=matches.facets,
            suggestion=suggestion,
        )

    def _finds_anything(self, query: str, filters: SearchFilters) -> bool:
        try:
            parsed = expand_multiterms(parse_query(query, schema()))
        except SearchQueryError:
            return False
        found = run_query(
            translate(parsed),
            None,
            filters=filters,
            sort="relevance",
            offset=0,
            limit=1,
            facets=False,
        )
        return found.total > 0

    def similar_documents(
        self,
        document: Document,
        *,
        user: Requester,
        limit: int = 10,
        min_similarity: float | None = None,
    ) -> list[tuple[int, float]]:
        """Key terms of the title and the text's opening, chosen as Whoosh chooses them
        (`key_terms_from_text`: the Bo1 model over the folded text field, counting a term's
        documents where Whoosh counts its occurrences), OR-ed; a document's score is the
        weight of the key terms it holds, as a fraction of `document`'s own."""
        floor = settings.KAYNAK_SIMILAR_MIN_SIMILARITY if min_similarity is None else min_similarity
        if not SearchEntry.objects.filter(document_id=document.pk).exists():
            return []
        text = f"{document.title}\n{document.text[:SIMILAR_TEXT_CHARS]}"
        counts = Counter(
            token.text for token in schema()["body"].analyzer(text, mode="index") if token.text
        )
        frequencies = dict(
            SearchTerm.objects.filter(
                field="body", term__in=list(counts), documents__gt=0
            ).values_list("term", "documents")
        )
        total = SearchEntry.objects.count()
        scored_terms = []
        for word, frequency in frequencies.items():
            share = frequency / total
            scored_terms.append(
                (counts[word] * math.log2((1 + share) / share) + math.log2(1 + share), word)
            )
        if not scored_terms:
            return []
        top = max(score for score, _ in scored_terms)
        ranked = sorted(
            ((score / top, word) for score, word in scored_terms), key=lambda x: (-x[0], x[1])
        )
        weighted = [
            (weight, f"{quote_lexeme(word)}:B")
            for weight, word in ranked[: SIMILAR_KEY_TERMS * 2]
            if word not in STOPWORDS
        ][:SIMILAR_KEY_TERMS]
        if not weighted:
            return []
        score = " + ".join(
            "CASE WHEN e.vector @@ %s::tsquery THEN %s::float8 ELSE 0.0 END" for _ in weighted
        )
        score_params = [value for weight, lexeme in weighted for value in (lexeme, weight)]
        any_term = " | ".join(lexeme for _, lexeme in weighted)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT document_id, ({score})::float8 AS score FROM {TABLE} AS e "
                "WHERE e.vector @@ %s::tsquery ORDER BY (e.document_id = %s) DESC, score DESC, "
                "document_id LIMIT %s",
                [*score_params, any_term, document.pk, limit + 1],
            )
            rows = cursor.fetchall()
        own = next((score for pk, score in rows if pk == document.pk), 0.0)
        if not own:
            return []
        scored = [(pk, min(1.0, score / own)) for pk, score in rows if pk != document.pk]
        return [(pk, similarity) for pk, similarity in scored[:limit] if similarity >= floor]

    def rebuild(
        self, *, batch_size: int = 500, progress: Callable[[int], None] | None = None
    ) -> RebuildReport:
        """Write every indexable document's entry afresh, batch by batch (searches keep
        answering from the entries meanwhile, and index updates interleave with the
        batches), then delete entries of documents no longer indexable and prune the
        vocabulary afresh from the entries."""
        started = timezone.now()
        ids = list(indexable_document_ids())
        for batch in chunks(ids, batch_size):
            _write(batch)
            if progress:
                progress(len(batch))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
            cursor.execute(f"DELETE FROM {TABLE} WHERE NOT (document_id = ANY(%s))", [ids])
            self._recount_vocabulary(cursor)
            self._mark_repaired(started)
        return RebuildReport(documents=len(ids), location=f"the table {TABLE}")

    def _recount_vocabulary(self, cursor: Any) -> None:
        cursor.execute(f"DELETE FROM {TERMS}")
        cursor.execute(f"INSERT INTO {TERMS} (field, term, documents) {_vocabulary_sql('TRUE')}")

    def check(self, *, repair: bool = False, batch_size: int = 500) -> IndexCheck:
        """As the Whoosh check: missing, stale (by fingerprint) and orphaned entries."""
        started = timezone.now()
        entries = dict(SearchEntry.objects.values_list("document_id", "fingerprint"))
        result = drift_from_database(entries, batch_size=batch_size)
        if repair:
            if result.drifted:
                self.index_documents(result.missing + result.stale)
                self.remove_documents(result.orphaned)
            self._mark_repaired(started)
        return result

    def _mark_repaired(self, started: datetime) -> None:
        SearchIndexState.objects.update_or_create(
            backend=self.name, defaults={"repaired_at": started}
        )

    def repaired_at(self) -> datetime | None:
        state = SearchIndexState.objects.filter(backend=self.name).first()
        return state.repaired_at if state else None

    def health(self) -> dict[str, Any]:
        return {"backend": self.name, "documents": SearchEntry.objects.count()}
