"""A small language guess for the two languages of the collection, Turkish and English.

Good enough to choose a stemmer; a document's language can be corrected by a curator.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_TURKISH_LETTERS = "çğışöü"
_TURKISH_WORDS = frozenset(
    """ve bir bu da de ile için olarak gibi daha çok ama ancak olan oldu sonra kadar göre ise
    değil her şu ki veya hem en yeni tarafından""".split()  # noqa: SIM905 - a word list
)
_ENGLISH_WORDS = frozenset(
    """the and of to in is that for on with as was by it at from are has have be this which
    said not or an will were their""".split()  # noqa: SIM905 - a word list
)
_SAMPLE = 2000


def guess_language(text: str) -> str:
    """'tr', 'en', or 'und' when there is too little to tell (from the first 2,000 characters)."""
    sample = text[:_SAMPLE].replace("İ", "i").lower()
    words = _WORD.findall(sample)
    if len(words) < 5:
        return "und"
    turkish: float = sum(map(_TURKISH_WORDS.__contains__, words))
    english = sum(map(_ENGLISH_WORDS.__contains__, words))
    # Letters English never uses weigh in too, a third of a function word each.
    turkish += sum(sample.count(letter) for letter in _TURKISH_LETTERS) / 3
    if turkish == english == 0:
        return "und"
    return "tr" if turkish > english else "en"
