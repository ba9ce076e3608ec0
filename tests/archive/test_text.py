from __future__ import annotations

import pytest

from archive.text import fold, normalize_name


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
