from __future__ import annotations

import random
import re

import pytest

from search import snippets
from search.analysis import WORD_PATTERN
from search.engine import open_index
from search.query import parse_query
from search.snippets import MAX_FRAGMENT, query_words, snippet
from tests.work import counted


@pytest.fixture
def words(db):
    schema = open_index().schema
    return lambda query: query_words(parse_query(query, schema))


def test_marks_folded_matches(words) -> None:
    text = "Kooperatif başkanı Şükrü Öğütcü konuştu."
    assert snippet(text, words("ogutcu sukru"), "tr") == (
        "Kooperatif başkanı <mark>Şükrü</mark> <mark>Öğütcü</mark> konuştu."
    )


def test_marks_stemmed_matches_in_the_documents_language(words) -> None:
    text = "The negotiations stalled; negotiators left; talks ended."
    assert snippet(text, words("negotiation"), "en") == (
        "The <mark>negotiations</mark> stalled; <mark>negotiators</mark> left; talks ended."
    )
    assert snippet(text, words("negotiation"), "tr") == ""


def test_marks_words_with_and_without_apostrophes(words) -> None:
    text = "Iraqs government and Iraq's army."
    assert snippet(text, words("Iraq's"), "und") == (
        "<mark>Iraqs</mark> government and <mark>Iraq's</mark> army."
    )


def test_words_under_not_are_not_marked(words) -> None:
    assert snippet("ferry and strike", words("ferry NOT strike"), "en") == (
        "<mark>ferry</mark> and strike"
    )


def test_escapes_everything_but_the_marks(words) -> None:
    text = '<img src=x onerror=alert(1)> ferry & "quotes"'
    assert snippet(text, words("ferry"), "en") == (
        '&lt;img src=x onerror=alert(1)&gt; <mark>ferry</mark> &amp; "quotes"'
    )


def test_long_texts_give_at_most_three_fragments_around_matches(words) -> None:
    filler = " ".join(["filler"] * 200)
    text = " ".join(f"{filler} ferry{number}" for number in range(5)).replace("ferry", "ferry ")
    result = snippet(text, words("ferry"), "en")
    assert result.count("<mark>ferry</mark>") == 3
    assert result.count(" … ") == 2
    assert len(result) < 3 * 300


# Bounds: a page of hits stays quick whatever its texts hold. The old reading checked every
# word of the text in Python: 23 s for one hit on a 20 MiB text of "e ".
TWENTY_MIB = 20 * 1024 * 1024
# Calls one hit's snippets may make: about 25,000 today on the worst text below.
CALL_BOUND = 100_000


def _reference_fragments(text: str, wanted, language: str) -> list[list]:
    """The reading before the bounds: every word of the text, checked in Python."""
    stems = wanted.stems.get(language, frozenset())
    fragments: list[list] = []
    for match in re.finditer(WORD_PATTERN, text):
        if not snippets._is_match(match.group(), wanted, stems, language):
            continue
        start, end = match.span()
        last = fragments[-1] if fragments else None
        if (
            last
            and start - last[1] < snippets.SURROUND
            and end + snippets.SURROUND - last[0] <= snippets.MAX_FRAGMENT
        ):
            last[1] = min(len(text), end + snippets.SURROUND)
            last[2].append((start, end))
        elif len(fragments) == snippets.TOP_FRAGMENTS:
            break
        else:
            fragments.append(
                [
                    max(0, start - snippets.SURROUND),
                    min(len(text), end + snippets.SURROUND),
                    [(start, end)],
                ]
            )
    return fragments


VOCABULARY = [
    "Şükrü",
    "Öğütcü",
    "İstanbul'da",
    "ISTANBUL",
    "ıspanak",
    "Iraq's",
    "Iraqs",
    "U.S.",
    "negotiations",
    "negotiator",
    "ferry",
    "Ferry",
    "FERRY",
    "fare's",
    "feribot",
    "Kadıköy",
    "kadikoy",
    "über",
    "Zoë",
    "zeal",
    "2017",
    "x_y",
    "çarşı",
    "Çarşı",
    "d'Ivoire",
    "al-Ani",
    "AVİM",
    "Avim",
    "a.b.c",
    "..ferry",
    "ferry..",
    "'ferry'",
    "naïve",
    "NAÏVE",
    "ǆemal",
]
QUERIES = ["ferry", "sukru ogutcu", "istanbul", "iraq's", "negotiation", "kadikoy", "avim", "zoe"]


@pytest.mark.parametrize("language", ["en", "tr"])
def test_skipping_words_that_cannot_match_finds_exactly_what_reading_every_word_found(
    words, language: str
) -> None:
    randomness = random.Random(11)
    for _ in range(60):
        text = "".join(
            randomness.choice(VOCABULARY) + randomness.choice([" ", "  ", ", ", ".\n", "-", ""])
            for _ in range(randomness.randint(1, 400))
        )
        for query in QUERIES:
            wanted = words(query)
            assert snippets._fragments(text, wanted, language) == _reference_fragments(
                text, wanted, language
            ), (query, text)


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("e " * (TWENTY_MIB // 2), "zzz"),  # no match: the whole text would be read
        ("eve " * (TWENTY_MIB // 4), "every"),  # every word could match, none does
        ("x" * TWENTY_MIB, "xylophone"),  # one endless word
        ("ğ " * (TWENTY_MIB // 2), "gemi"),  # no ASCII at all
        ("e " * (TWENTY_MIB // 2), "e"),  # every word matches
    ],
    ids=["no-match", "near-misses", "endless-word", "non-ascii", "all-match"],
)
def test_a_snippet_of_a_20_mib_text_reads_a_bounded_opening(words, text: str, query: str) -> None:
    wanted = words(query)

    def both_languages(of: str) -> list[str]:
        return [snippet(of, wanted, language) for language in ("en", "tr")]

    made, calls = counted(lambda: both_languages(text))
    assert made == both_languages(text[: snippets.SCAN_CHARS + MAX_FRAGMENT])
    # A page shows up to 100 hits: a hit's work is bounded whatever the text's length.
    # Reading the 20 MiB word by word would be millions of calls.
    assert calls <= CALL_BOUND, f"{calls} calls for one hit"


def test_a_match_past_the_scanned_opening_is_not_marked(words) -> None:
    """The documented limit: only the opening SCAN_CHARS are read for matches."""
    text = "filler " * (snippets.SCAN_CHARS // 7 + 10) + "ferry"
    assert snippet(text, words("ferry"), "en") == ""
    assert snippet("ferry " + text, words("ferry"), "en").startswith("<mark>ferry</mark>")


def test_a_match_inside_an_endless_word_run_is_widened_only_so_far(words) -> None:
    text = "y" * 10_000 + " ferry " + "z" * 10_000
    result = snippet(text, words("ferry"), "en")
    assert "<mark>ferry</mark>" in result
    assert len(result) < 2 * snippets.SURROUND + 200
