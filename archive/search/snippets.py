"""Highlighted snippets, found by reading the text once with the index's own word rules.

Whoosh's highlighter re-runs the full analyzer chain over every hit's text, token object by
token object; on a page of twenty hits that cost more than the search. This finds the same
matches (folded words, and stems for the stemmed fields) with one regular-expression pass.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh import query as whoosh_query

from archive.search.analysis import STEMMERS, WORD_PATTERN, fold_term, split_apostrophe

_WORD = re.compile(WORD_PATTERN)
_EXACT_FIELDS = frozenset({"title", "body"})
SURROUND = 70
MAX_FRAGMENT = 240
TOP_FRAGMENTS = 3
BETWEEN = " … "


@dataclass(frozen=True)
class QueryWords:
    """The words a query looks for in a text: folded words and stems by language."""

    words: frozenset[str]
    stems: dict[str, frozenset[str]]

    @property
    def empty(self) -> bool:
        return not self.words and not any(self.stems.values())


def _positive_leaves(node: whoosh_query.Query) -> Iterable[whoosh_query.Query]:
    if isinstance(node, whoosh_query.Not):
        return
    if isinstance(node, whoosh_query.AndNot):
        yield from _positive_leaves(node.a)
        return
    if node.is_leaf():
        yield node
        return
    for child in node.children():
        yield from _positive_leaves(child)


def query_words(parsed: whoosh_query.Query) -> QueryWords:
    words: set[str] = set()
    stems: dict[str, set[str]] = {language: set() for language in STEMMERS}
    for leaf in _positive_leaves(parsed):
        for fieldname, text in leaf.terms(phrases=True):
            text = text.decode() if isinstance(text, bytes) else text
            if fieldname in _EXACT_FIELDS:
                words.add(text)
            elif fieldname.startswith("stem_") and fieldname[5:] in stems:
                stems[fieldname[5:]].add(text)
    return QueryWords(frozenset(words), {key: frozenset(value) for key, value in stems.items()})


def _matches(text: str, wanted: QueryWords, language: str) -> list[tuple[int, int]]:
    stems = wanted.stems.get(language, frozenset())
    stem = STEMMERS.get(language)
    found = []
    for match in _WORD.finditer(text):
        word = match.group()
        parts = split_apostrophe(word)
        forms = parts if parts else (word,)
        if any(fold_term(form) in wanted.words for form in forms if form) or (
            stems and any(stem(form) in stems for form in forms if form)
        ):
            found.append(match.span())
    return found


def _fragments(matches: list[tuple[int, int]], length: int) -> list[tuple[int, int, int]]:
    """Windows around runs of matches: (start, end, number of matches)."""
    fragments: list[tuple[int, int, int]] = []
    for start, end in matches:
        if (
            fragments
            and start - fragments[-1][1] < SURROUND
            and (end + SURROUND - fragments[-1][0] <= MAX_FRAGMENT)
        ):
            first, _, count = fragments[-1]
            fragments[-1] = (first, min(length, end + SURROUND), count + 1)
        else:
            fragments.append((max(0, start - SURROUND), min(length, end + SURROUND), 1))
    return fragments


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end


def snippet(text: str, wanted: QueryWords, language: str) -> str:
    """Up to three fragments of `text` around the words `wanted`, HTML-escaped, with each
    match in a <mark>; empty when nothing matches."""
    if wanted.empty:
        return ""
    matches = _matches(text, wanted, language)
    if not matches:
        return ""
    fragments = _fragments(matches, len(text))
    best = sorted(sorted(fragments, key=lambda item: -item[2])[:TOP_FRAGMENTS])
    pieces = []
    for start, end, _ in best:
        start, end = _widen_to_words(text, start, end)
        out, position = [], start
        for match_start, match_end in matches:
            if match_start >= start and match_end <= end:
                out.append(html.escape(text[position:match_start], quote=False))
                out.append(f"<mark>{html.escape(text[match_start:match_end], quote=False)}</mark>")
                position = match_end
        out.append(html.escape(text[position:end], quote=False))
        pieces.append(" ".join("".join(out).split()))
    return BETWEEN.join(pieces)
