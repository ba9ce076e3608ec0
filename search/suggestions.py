"""How near a word must be to another to stand for it: the edits a fuzzy word (`tarrifs~`)
allows, and the rules of "Did you mean".

Pure rules over words and their hit counts, with no index in sight: a backend supplies the
index's words near a typed word and how many documents hold each, and every backend then
suggests alike. (Whoosh's own corrector ranked by edit distance alone and offered `for` for
`fery` and `ten` for `Trend`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Shorter words are never corrected: at one or two letters every edit is a different word.
MIN_CORRECTED_LENGTH = 3
# A word of up to this many letters may be one edit away from what it stands for; a longer
# one two. Scaling edits with length keeps out words of very different length (`ten` is two
# edits from `trend`, more than a five-letter word gets).
ONE_EDIT_UP_TO = 5
MAX_EDITS = 2

# Function words are never offered, nor corrected: `for` is near many misspellings and says
# nothing to search for. Folded, as the index holds its words (`için` is `icin`).
_FUNCTION_WORDS = """
    a about after against all also an and any are as at be been before but by can could did
    do does for from had has have he her his if in into is it its may more most no nor not of
    on once only or our out over she so than that the their them then there these they this
    those through to too under until up very was we were what when where which while who why
    will with would yet you your
    acaba ama ancak bazi belki ben bile bir biz bu cok da daha de defa diye en gibi hem hep
    hic icin ile ise kez ki mi mu ne neden nicin o sey siz su tum ve veya ya yani
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())


def allowed_edits(word: str) -> int:
    """Edits a word of this length may be from another and still stand for it: none under
    three letters, one up to five, two beyond. A fuzzy word without a number (`tarrifs~`)
    allows as many."""
    if len(word) < MIN_CORRECTED_LENGTH:
        return 0
    return 1 if len(word) <= ONE_EDIT_UP_TO else MAX_EDITS


def edit_distance(first: str, second: str) -> int:
    """Insertions, deletions, substitutions and swaps of two neighbouring letters (optimal
    string alignment), as the index's fuzzy matching counts them."""
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            cost = 0 if a == b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


def typed_as_name(typed: str, *, query_in_capitals: bool) -> bool:
    """A word typed with a capital letter is taken for a name (`Trend`, `AVIM`), unless the
    whole query is in capitals (a headline pasted as it was printed), where case says nothing."""
    return not query_in_capitals and any(character.isupper() for character in typed)


def best_correction(
    word: str,
    *,
    hits: int,
    neighbours: Iterable[tuple[str, int]],
    as_name: bool,
    is_name: Callable[[str], bool],
) -> str | None:
    """The index word to offer for `word` (folded, as the index holds it), or None.

    `hits`: the documents that hold `word`; `neighbours`: index words near it with the
    documents that hold each; `as_name`: the word was typed as a name; `is_name(word)`: the
    index knows that word as part of an outlet's, a reprinter's or a source's name.

    A neighbour is offered only if it keeps the first letter, is within `allowed_edits` of
    the word, is no function word, holds more documents than the word typed, and, for a word
    typed as a name, is itself part of a name (a name is not "corrected" into a common word).
    The nearest wins, then the one in more documents.
    """
    edits = allowed_edits(word)
    if not edits or word in STOPWORDS or any(character.isdigit() for character in word):
        return None
    best: tuple[tuple[int, int, str], str] | None = None
    for candidate, count in neighbours:
        if candidate == word or candidate in STOPWORDS or candidate[:1] != word[:1]:
            continue
        if count <= hits:
            continue
        distance = edit_distance(word, candidate)
        if distance > edits:
            continue
        if as_name and not is_name(candidate):
            continue
        rank = (distance, -count, candidate)
        if best is None or rank < best[0]:
            best = (rank, candidate)
    return best[1] if best else None


def styled_like(correction: str, typed: str) -> str:
    """The correction in the case the word was typed in: `Ledgr` → `Ledger`."""
    if typed.isupper() and len(typed) > 1:
        return correction.upper()
    if typed[:1].isupper():
        return correction[:1].upper() + correction[1:]
    return correction
