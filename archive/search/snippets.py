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


def _is_match(word: str, wanted: QueryWords, stems: frozenset[str], language: str) -> bool:
    forms = split_apostrophe(word) or (word,)
    for form in forms:
        if form and (
            fold_term(form) in wanted.words or (stems and STEMMERS[language](form) in stems)
        ):
            return True
    return False


def _fragments(text: str, wanted: QueryWords, language: str) -> list[list]:
    """The first fragments of `text` with matches, in reading order: [start, end, matches].

    Reading stops once a match would open one fragment more than are shown: the first
    matches make the snippet, and a long text need not be read to its end.
    """
    stems = wanted.stems.get(language, frozenset())
    fragments: list[list] = []
    for match in _WORD.finditer(text):
        if not _is_match(match.group(), wanted, stems, language):
            continue
        start, end = match.span()
        last = fragments[-1] if fragments else None
        if last and start - last[1] < SURROUND and end + SURROUND - last[0] <= MAX_FRAGMENT:
            last[1] = min(len(text), end + SURROUND)
            last[2].append((start, end))
        elif len(fragments) == TOP_FRAGMENTS:
            break
        else:
            fragments.append(
                [max(0, start - SURROUND), min(len(text), end + SURROUND), [(start, end)]]
            )
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
    pieces = []
    for start, end, matches in _fragments(text, wanted, language):
        start, end = _widen_to_words(text, start, end)
        out, position = [], start
        for match_start, match_end in matches:
            out.append(html.escape(text[position:match_start], quote=False))
            out.append(f"<mark>{html.escape(text[match_start:match_end], quote=False)}</mark>")
            position = match_end
        out.append(html.escape(text[position:end], quote=False))
        pieces.append(" ".join("".join(out).split()))
    return BETWEEN.join(pieces)
