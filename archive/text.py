"""Text folding shared by source-name matching and (later) search analysis."""

from __future__ import annotations

import unicodedata

# Turkish has a dotted and a dotless i in both cases; every form folds to plain "i" so that
# "AVİM", "Avim", "AVIM" and "avım" compare equal whatever locale wrote them.
_TURKISH_I = str.maketrans({"İ": "i", "I": "i", "ı": "i"})


def fold(text: str) -> str:
    """Lower-case `text` and strip diacritics, treating Turkish dotted/dotless i as `i`."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TURKISH_I).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def normalize_name(name: str) -> str:
    """The comparison key of a source name: folded, punctuation as space, spaces collapsed.

    `Hürriyet Daily News` and `Hurriyet  daily news` share a key, as do `AVİM` and `AVIM`.
    """
    folded = fold(name)
    spaced = "".join(ch if ch.isalnum() else " " for ch in folded)
    return " ".join(spaced.split())
