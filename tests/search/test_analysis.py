"""Turkish-aware folding and per-language stemming, through the analyzers themselves."""

from __future__ import annotations

import pytest

from search.analysis import folding_analyzer, stemming_analyzer


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
