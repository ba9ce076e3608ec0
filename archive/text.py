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


# Words a title in title case keeps in lower case unless they open it.
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "over",
        "per",
        "the",
        "to",
        "up",
        "via",
        "vs",
        "with",
        "ve",
        "ile",
        "ya",
        "da",
        "de",
        "için",
        "gibi",
    ]
)
# Acronyms a headline in capitals cannot be told from words by their letters alone; a word
# without a vowel ("NTV", "BBC", "PKK") is taken for an acronym anyway.
_ACRONYMS = frozenset(
    [
        "abd",
        "ab",
        "akp",
        "avim",
        "chp",
        "eu",
        "nato",
        "ohal",
        "un",
        "uk",
        "us",
        "usa",
        "ussr",
        "ngo",
        "osce",
        "oecd",
    ]
)
_VOWELS = frozenset("aeıioöuüâîûAEIİOÖUÜÂÎÛ")
_TURKISH_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_OTHER_LOWER = str.maketrans({"İ": "i"})


def title_for_lists(title: str, language: str = "und") -> str:
    """A headline received in capitals ("STORMS MOVE THE SANDBAR AT GÖKÇEADA") as lists show it,
    in title case ("Storms Move the Sandbar at Gökçeada"); any other title as it is. The stored
    title never changes. In Turkish a capital I is a dotless ı and İ a dotted i, so "KIŞ"
    becomes "Kış", not "Kiş". Known acronyms and words without a vowel stay in capitals."""
    letters = [character for character in title if character.isalpha()]
    if len(letters) < 4 or any(character.islower() for character in letters):
        return title
    lower = _TURKISH_LOWER if language.lower().startswith("tr") else _OTHER_LOWER
    cased = []
    for position, word in enumerate(title.split(" ")):
        plain = "".join(character for character in word if character.isalpha())
        if plain and (
            fold(plain) in _ACRONYMS or (len(plain) > 1 and not _VOWELS.intersection(plain))
        ):
            cased.append(word)
            continue
        small = word.translate(lower).lower()
        if position > 0 and small in _MINOR_WORDS:
            cased.append(small)
        else:
            cased.append(_capitalise(word, lower))
    return " ".join(cased)


def _capitalise(word: str, lower: dict[int, str]) -> str:
    """The first letter kept (a capital already), the rest in lower case, i's as `lower` says."""
    for index, character in enumerate(word):
        if character.isalpha():
            return word[: index + 1] + word[index + 1 :].translate(lower).lower()
    return word
