"""A small language guess for the two languages of the collection, Turkish and English.

Good enough to choose a stemmer; a document's language can be corrected by a curator.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_TURKISH_LETTERS = frozenset("çğışöü")
_TURKISH_WORDS = frozenset(
    """ve bir bu da de ile için olarak gibi daha çok ama ancak olan oldu sonra kadar göre ise
    değil her şu ki veya hem en yeni tarafından""".split()  # noqa: SIM905 - a word list
)
_ENGLISH_WORDS = frozenset(
    """the and of to in is that for on with as was by it at from are has have be this which
    said not or an will were their""".split()  # noqa: SIM905 - a word list
)


def guess_language(text: str) -> str:
    """'tr', 'en', or 'und' when there is too little to tell."""
    words = _WORD.findall(text[:20_000].replace("İ", "i").lower())
    if len(words) < 5:
        return "und"
    turkish = sum(word in _TURKISH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    turkish += sum(1 for word in words if _TURKISH_LETTERS.intersection(word)) / 2
    if turkish == english == 0:
        return "und"
    return "tr" if turkish > english else "en"
