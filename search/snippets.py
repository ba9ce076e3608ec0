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
from functools import lru_cache
from itertools import chain

from whoosh import query as whoosh_query

from archive.text import fold
from search.analysis import STEMMERS, WORD_PATTERN, fold_term, split_apostrophe

_WORD_CHAR = re.compile(r"\w")
_JOINERS = ".'’"
_EXACT_FIELDS = frozenset({"title", "body"})
SURROUND = 70
MAX_FRAGMENT = 240
TOP_FRAGMENTS = 3
BETWEEN = " … "
# Bounds that keep a page of hits quick whatever the texts hold (a 20 MiB text of one word
# repeated, or of one endless word): the opening this long is read for matches, at most this
# many words that could match are checked, and longer words are never query words.
SCAN_CHARS = 200_000
MAX_CANDIDATES = 2_000
MAX_WORD_CHARS = 100

# The letters a word's first character folds to, for the scripts a reprint uses: a word can
# match only if its first letter folds to the first letter of a query word or stem.
_FOLDED_FIRST: dict[str, str] = {}
for _code in chain(range(0x30, 0x250), range(0x370, 0x530), range(0x1E00, 0x1F00)):
    _char = chr(_code)
    if _WORD_CHAR.match(_char) and (_folded := fold(_char)):
        _FOLDED_FIRST[_char] = _folded[0]


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


@lru_cache(maxsize=256)
def _candidates(first_letters: frozenset[str]) -> re.Pattern[str]:
    """Words (from a letter on: a word's start is checked apart) whose first letter folds to
    one of `first_letters`; the regular expression skips every other word in C."""
    chars = {char for char, first in _FOLDED_FIRST.items() if first in first_letters}
    chars |= {case for letter in first_letters for case in (letter, letter.upper())}
    word_rest = WORD_PATTERN.removeprefix(r"\w+")
    return re.compile(f"[{''.join(map(re.escape, sorted(chars)))}]\\w*{word_rest}")


def _starts_word(text: str, start: int) -> bool:
    """Whether the index's tokenizer starts a word at `start` (and not inside one, after a
    letter or after a dot or apostrophe joining two letters)."""
    before = text[start - 1] if start else " "
    if _WORD_CHAR.match(before):
        return False
    return not (before in _JOINERS and start >= 2 and _WORD_CHAR.match(text[start - 2]))


def _fragments(text: str, wanted: QueryWords, language: str) -> list[list]:
    """The first fragments of `text` with matches, in reading order: [start, end, matches].

    Reading stops once a match would open one fragment more than are shown: the first
    matches make the snippet, and a long text need not be read to its end. Only the first
    SCAN_CHARS are read, and at most MAX_CANDIDATES words that could match are checked.
    """
    stems = wanted.stems.get(language, frozenset())
    first_letters = frozenset(word[0] for word in chain(wanted.words, stems) if word)
    if not first_letters:
        return []
    fragments: list[list] = []
    candidates = _candidates(first_letters).finditer(text, 0, SCAN_CHARS)
    for checked, match in enumerate(candidates):
        if checked == MAX_CANDIDATES:
            break
        start, end = match.span()
        if (
            end - start > MAX_WORD_CHARS
            or not _starts_word(text, start)
            or not _is_match(match.group(), wanted, stems, language)
        ):
            continue
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
    """Widen to whole words, by at most SURROUND characters each way (a word can be endless)."""
    floor, ceiling = max(0, start - SURROUND), min(len(text), end + SURROUND)
    while start > floor and not text[start - 1].isspace():
        start -= 1
    while end < ceiling and not text[end].isspace():
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
