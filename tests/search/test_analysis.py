"""Turkish-aware folding and per-language stemming, through the analyzers themselves."""

from __future__ import annotations

import random
import re
import sys
import threading
from pathlib import Path

import pytest
import snowballstemmer
import Stemmer
from snowballstemmer.english_stemmer import EnglishStemmer
from snowballstemmer.turkish_stemmer import TurkishStemmer

from search.analysis import (
    STEMMERS,
    analyzer_kind,
    folding_analyzer,
    stemming_analyzer,
    term_positions,
)

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"


def terms(analyzer, text: str, mode: str = "query") -> list[str]:
    return [token.text for token in analyzer(text, mode=mode)]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("AVİM", "avim"),
        ("Avim", "AVIM"),
        ("avım", "AVIM"),
        ("Öğütcü", "ogutcu"),
        ("İstanbul", "istanbul"),
        ("ılık", "ilik"),
        ("ŞÜKRÜ", "sukru"),
    ],
)
@pytest.mark.parametrize(
    "analyzer",
    [folding_analyzer(), stemming_analyzer("tr"), stemming_analyzer("en")],
    ids=["folded", "turkish", "english"],
)
def test_folding_makes_spellings_one_term_both_ways(analyzer, one: str, other: str) -> None:
    assert terms(analyzer, one) == terms(analyzer, other)
    assert terms(analyzer, one, "index") == terms(analyzer, other, "index")


def test_english_inflections_share_one_stem() -> None:
    english = stemming_analyzer("en")
    assert terms(english, "negotiations") == terms(english, "negotiating") == ["negoti"]


def test_turkish_suffixes_are_stemmed_to_one_term() -> None:
    turkish = stemming_analyzer("tr")
    assert terms(turkish, "kuraklığı") == terms(turkish, "kuraklık") == ["kuraklik"]
    assert terms(turkish, "üreticilerini") == terms(turkish, "üreticiler")


def test_short_stems_keep_the_word() -> None:
    # The Turkish stemmer would make `av` (hunting) of `avim`.
    assert terms(stemming_analyzer("tr"), "AVİM") == ["avim"]


def test_apostrophes_index_the_joined_word_and_its_head() -> None:
    folded = folding_analyzer()
    assert terms(folded, "Iraq's", mode="index") == ["iraqs", "iraq"]
    assert terms(folded, "Iraq's") == ["iraqs"]
    assert terms(folded, "İstanbul’da", mode="index") == ["istanbulda", "istanbul"]


def test_hyphens_split_and_dotted_abbreviations_stay_whole() -> None:
    assert terms(folding_analyzer(), "al-Ani U.S. -militant-controlled") == [
        "al",
        "ani",
        "u.s",
        "militant",
        "controlled",
    ]


def test_stemming_gives_the_same_stems_when_threads_stem_at_once() -> None:
    """gunicorn's threads share one Snowball stemmer per language, and a Snowball stemmer
    keeps the word it is working on in itself: two threads stemming at once read each
    other's word (the load test's 500: IndexError in find_among_b)."""
    # Words no other test stems, so the cache in front of the stemmer does not answer.
    words = [
        f"{stem}{suffix}{number}x"
        for number in range(150)
        for stem in ("announce", "negotiat", "restor", "kuraklık", "görüşme")
        for suffix in ("ments", "ing", "ed", "ler", "lerinden")
    ]
    expected = {
        language: [stem.__wrapped__(word) for word in words] for language, stem in STEMMERS.items()
    }
    failures: list[BaseException] = []
    results: dict[tuple[str, int], list[str]] = {}

    def work(language: str, number: int) -> None:
        try:
            results[language, number] = [STEMMERS[language](word) for word in words]
        except BaseException as error:  # the race shows as an IndexError, or as wrong stems
            failures.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [
            threading.Thread(target=work, args=(language, number))
            for language in STEMMERS
            for number in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
    for (language, _), stems in results.items():
        assert stems == expected[language]


WORD_PIECES = [
    "AVİM", "Öğütcü", "ılık", "Iraq's", "İstanbul'da", "U.S.", "al-Ani", "negotiations",
    "kooperatifler", "’s", "x'", "'y", "Şükrü", "ISTANBUL", "1915", "e.g.", "d’Estaing",
    "ünlü", "talks", "ран", "Ελλάδα",
]  # fmt: skip


@pytest.mark.parametrize("kind", ["fold", "en", "tr"])
def test_term_positions_are_the_analyzers_terms_at_their_positions(kind: str) -> None:
    analyzer = folding_analyzer() if kind == "fold" else stemming_analyzer(kind)
    assert analyzer_kind(analyzer) == kind
    randomness = random.Random(5)
    for _ in range(300):
        text = "".join(
            randomness.choice(WORD_PIECES) + randomness.choice([" ", "  ", ", ", ".\n", "-", "'"])
            for _ in range(randomness.randint(0, 40))
        )
        start = randomness.choice([0, 1, 7])
        made: dict[str, list[int]] = {}
        for token in analyzer(text, positions=True, mode="index"):
            made.setdefault(token.text, []).append(start + token.pos)
        found = term_positions(text, kind, start)
        # The same terms, first met in the same order, at the same positions.
        assert list(found.items()) == list(made.items()), text


def test_stemming_runs_in_pystemmer_with_the_same_stems_as_snowballs_python_stemmers() -> None:
    assert isinstance(snowballstemmer.stemmer("english"), Stemmer.Stemmer)
    text = " ".join(
        path.read_bytes().decode("utf-8", "replace")
        for path in sorted(SAMPLE_DATA.rglob("*"))
        if path.is_file()
    )
    words = sorted(set(re.findall(r"\w+", text.lower())) | {piece.lower() for piece in WORD_PIECES})
    assert len(words) > 500
    for c_name, python_stemmer in [
        ("english", EnglishStemmer()),
        ("turkish", TurkishStemmer()),
    ]:
        in_c = Stemmer.Stemmer(c_name)
        assert [in_c.stemWord(word) for word in words] == python_stemmer.stemWords(words)
