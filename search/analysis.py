"""Text analysis for the index: Turkish-aware folding and per-language stemming.

Every field is folded (case, diacritics, Turkish dotted/dotless i), at index and at query time,
so `AVİM`, `Avim` and `avim`, or `Öğütcü` and `ogutcu`, are the same term. The stemmed fields
stem before folding, because the Turkish stemmer needs the letters folding removes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer
from whoosh.analysis import Analyzer, Filter, RegexTokenizer

from archive.text import fold

# Words, keeping inner dots and apostrophes: `U.S.`, `Iraq's`, `İstanbul'da`. Hyphens split,
# so `al-Ani` is two terms (and the query parser makes a phrase of them).
WORD_PATTERN = r"\w+(?:[.'’]\w+)*"
# A stem shorter than this says too little (the Turkish stemmer takes `avim` to `av`, as in
# hunting); the word is kept whole instead.
MIN_STEM_LENGTH = 3


@lru_cache(maxsize=200_000)
def fold_term(text: str) -> str:
    return fold(text)


def split_apostrophe(text: str) -> tuple[str, str] | None:
    """`iraq's` → ("iraqs", "iraq"); None for a word without an apostrophe."""
    if "'" not in text and "’" not in text:
        return None
    head = text.split("'", 1)[0].split("’", 1)[0]
    return text.replace("'", "").replace("’", ""), head


class WordFilter(Filter):
    """Turn each word into its index term: `fold` folds it (see archive.text.fold); `en` and
    `tr` lower-case it (with Turkish rules for Turkish), stem it, then fold it.

    Reprints often lose apostrophes (`Iraqs` for `Iraq's`): a word with an apostrophe is
    indexed without it, and also as the part before it, so `Iraq's`, `Iraqs` and `Iraq` in a
    query find it; a query word is only joined. Terms are cached: a corpus repeats its words.
    """

    def __init__(self, kind: str) -> None:
        self._set_kind(kind)

    def _set_kind(self, kind: str) -> None:
        self.kind = kind
        self._term = fold_term if kind == "fold" else STEMMERS[kind]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WordFilter) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(self.kind)

    # The index stores its schema pickled: keep only the kind, not the cached function.
    def __getstate__(self) -> dict:
        return {"kind": self.kind}

    def __setstate__(self, state: dict) -> None:
        self._set_kind(state["kind"])

    def __call__(self, tokens):
        term = self._term
        for token in tokens:
            for text in word_terms(token.text, term, indexing=token.mode == "index"):
                token.text = text
                yield token


def word_terms(word: str, term: Callable[[str], str], *, indexing: bool) -> tuple[str, ...]:
    """The terms of one word: `term` of it, and when indexing a word with an apostrophe, also
    `term` of the part before it."""
    parts = split_apostrophe(word)
    if parts is None:
        return (term(word),)
    if indexing and parts[1]:
        return (term(parts[0]), term(parts[1]))
    return (term(parts[0]),)


def _stemmer(language: str, lower: Callable[[str], str]) -> Callable[[str], str]:
    # PyStemmer's C stemmer when installed (a dependency), else snowballstemmer's Python one:
    # the same Snowball algorithms, the same stems.
    snowball = snowballstemmer.stemmer({"en": "english", "tr": "turkish"}[language])
    # A Snowball stemmer keeps the word it is working on in itself, and gunicorn's threads
    # share this one: two threads stemming at once read each other's word (IndexError, or a
    # wrong stem). Only words the cache has not seen reach it, so the lock is rarely taken.
    busy = threading.Lock()

    @lru_cache(maxsize=200_000)
    def stem(word: str) -> str:
        lowered = lower(word)
        with busy:
            stemmed = snowball.stemWord(lowered)
        return fold_term(stemmed if len(stemmed) >= MIN_STEM_LENGTH else lowered)

    return stem


def _lower(word: str) -> str:
    # A dotted capital İ lower-cases to `i` plus a combining dot; make it plain `i`.
    return word.replace("İ", "i").lower()


def _lower_turkish(word: str) -> str:
    return word.replace("I", "ı").replace("İ", "i").lower()


STEMMERS = {"en": _stemmer("en", _lower), "tr": _stemmer("tr", _lower_turkish)}
STEMMED_LANGUAGES = tuple(STEMMERS)


def analyzer_kind(analyzer: Analyzer) -> str:
    """The kind ("fold", "en" or "tr") of an analyzer made by this module."""
    word_filter = analyzer.items[-1]
    assert isinstance(word_filter, WordFilter), analyzer
    return word_filter.kind


_WORDS = re.compile(WORD_PATTERN)


def _cached_index_terms(kind: str) -> Callable[[str], tuple[str, ...]]:
    term = fold_term if kind == "fold" else STEMMERS[kind]

    @lru_cache(maxsize=200_000)
    def terms_of(word: str) -> tuple[str, ...]:
        return word_terms(word, term, indexing=True)

    return terms_of


_INDEX_TERMS = {kind: _cached_index_terms(kind) for kind in ("fold", *STEMMERS)}


def term_positions(value: str, kind: str, start: int = 0) -> dict[str, list[int]]:
    """Every term the analyzer of `kind` indexes in `value`, with its positions (counted from
    `start`, in order), in the order the terms first occur: the tokens its tokenizer and
    WordFilter make, without a token object per word. The postgres backend builds its entries
    with this. A word's terms are worked out once per text (and cached across texts: a corpus
    repeats its words), so the work per word is a dictionary lookup; a word with two terms that
    are the same gives its position twice, as the analyzer does."""
    terms_of = _INDEX_TERMS[kind]
    words: dict[str, list[int]] = {}
    for position, word in enumerate(_WORDS.findall(value), start):
        listed = words.get(word)
        if listed is None:
            words[word] = [position]
        else:
            listed.append(position)
    positions: dict[str, list[int]] = {}
    merged: set[str] = set()
    for word, at in words.items():
        for term in terms_of(word):
            listed = positions.get(term)
            if listed is None:
                positions[term] = list(at)
            else:
                listed.extend(at)
                merged.add(term)
    for term in merged:
        positions[term].sort()
    return positions


def folding_analyzer() -> Analyzer:
    """Exact words, folded: the language-independent fields."""
    return RegexTokenizer(WORD_PATTERN) | WordFilter("fold")


def stemming_analyzer(language: str) -> Analyzer:
    """Words stemmed in `language` ('en' or 'tr'), then folded."""
    return RegexTokenizer(WORD_PATTERN) | WordFilter(language)
