from __future__ import annotations

import pytest

from archive.text import fold, normalize_name, title_for_lists


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Hürriyet Daily News", "Hurriyet Daily News"),
        ("AVİM", "AVIM"),
        ("AVİM", "avim"),
        ("avım", "AVIM"),
        ("İstanbul", "istanbul"),
        ("Öğütcü", "ogutcu"),
        ("Şükrü Çakır", "sukru cakir"),
        ("Al-Monitor", "Al Monitor"),
        ("  Daily   Sabah ", "daily sabah"),
    ],
)
def test_normalize_name_matches_spellings_of_one_name(left: str, right: str) -> None:
    assert normalize_name(left) == normalize_name(right)


@pytest.mark.parametrize(("left", "right"), [("Daily Sabah", "Daily Star"), ("AVİM", "AVM")])
def test_normalize_name_keeps_different_names_apart(left: str, right: str) -> None:
    assert normalize_name(left) != normalize_name(right)


def test_fold_removes_diacritics_and_turkish_dots() -> None:
    assert fold("GÜNLÜK AYNA İÇİN ılık") == "gunluk ayna icin ilik"


@pytest.mark.parametrize(
    ("stored", "language", "listed"),
    [
        ("STORMS MOVE THE SANDBAR AT GÖKÇEADA", "en", "Storms Move the Sandbar at Gökçeada"),
        ("NATO AND THE UN DISAGREE OVER TARIFFS", "en", "NATO and the UN Disagree over Tariffs"),
        ("NTV REPORTS: “THE FERRY IS LATE”", "en", "NTV Reports: “The Ferry Is Late”"),
        ("IRMAK KIYISINDA İKİ KÖY", "tr", "Irmak Kıyısında İki Köy"),
        ("AVİM: KIŞ GELDİ", "tr", "AVİM: Kış Geldi"),
        ("OF MICE AND MEN", "en", "Of Mice and Men"),
        ("Storms Move the Sandbar", "en", "Storms Move the Sandbar"),
        ("A fine DAY at SEA", "en", "A fine DAY at SEA"),
        ("UN", "en", "UN"),
    ],
)
def test_a_headline_in_capitals_is_listed_in_title_case_and_any_other_title_as_it_is(
    stored, language, listed
) -> None:
    assert title_for_lists(stored, language) == listed
