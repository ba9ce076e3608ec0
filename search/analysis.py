"""Text analysis for the index: Turkish-aware folding and per-language stemming.

Every field is folded (case, diacritics, Turkish dotted/dotless i), at index and at query time,
so `AVİM`, `Avim` and `avim`, or `Öğütcü` and `ogutcu`, are the same term. The stemmed fields
stem before folding, because the Turkish stemmer needs the letters folding removes.
"""

from __future__ import annotations

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
            parts = split_apostrophe(token.text)
            if parts is None:
                token.text = term(token.text)
                yield token
                continue
            token.text = term(parts[0])
            yield token
            if token.mode == "index" and parts[1]:
                token.text = term(parts[1])
                yield token


def _stemmer(language: str, lower: Callable[[str], str]) -> Callable[[str], str]:
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


def folding_analyzer() -> Analyzer:
    """Exact words, folded: the language-independent fields."""
    return RegexTokenizer(WORD_PATTERN) | WordFilter("fold")


def stemming_analyzer(language: str) -> Analyzer:
    """Words stemmed in `language` ('en' or 'tr'), then folded."""
    return RegexTokenizer(WORD_PATTERN) | WordFilter(language)
