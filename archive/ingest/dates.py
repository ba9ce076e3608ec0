"""Calendar dates as printed in reprints: `06.09.2017`, `September 4 2017`, `8 February 2017`,
`4 Nisan 2018` (Turkish month names, with or without their diacritics)."""

from __future__ import annotations

import calendar
import re
from datetime import date

from archive.ingest.errors import IngestRefused
from archive.text import fold

_ENGLISH = [calendar.month_name[number].lower() for number in range(1, 13)]
_TURKISH = [
    "ocak",
    "subat",
    "mart",
    "nisan",
    "mayis",
    "haziran",
    "temmuz",
    "agustos",
    "eylul",
    "ekim",
    "kasim",
    "aralik",
]

MONTHS: dict[str, int] = {}
for _number, (_english, _turkish) in enumerate(zip(_ENGLISH, _TURKISH, strict=True), start=1):
    MONTHS[_english] = _number
    MONTHS[_turkish] = _number
    MONTHS[_english[:3]] = _number
# "Sept" is common in English datelines; the other abbreviations are the first three letters.
MONTHS["sept"] = 9

_MONTH_WORD = r"[^\W\d_]+\.?"
# A date at the end of a line: "September 4 2017", "Sep. 4, 2017", "8 February 2017".
TRAILING_DATE = re.compile(
    rf"(?:(?P<month_a>{_MONTH_WORD})\s+(?P<day_a>\d{{1,2}}),?\s+(?P<year_a>\d{{4}})"
    rf"|(?P<day_b>\d{{1,2}})\.?\s+(?P<month_b>{_MONTH_WORD}),?\s+(?P<year_b>\d{{4}}))\s*$"
)
NUMERIC_DATE = re.compile(r"^\s*(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})\s*$")


def month_number(word: str) -> int | None:
    return MONTHS.get(fold(word).rstrip("."))


def calendar_date(year: int, month: int, day: int, *, what: str, as_written: str) -> date:
    """A date, or a refusal that names what was impossible about it."""
    try:
        return date(year, month, day)
    except ValueError as error:
        raise IngestRefused(
            f"the {what} {as_written!r} is not a calendar date ({error})", code="impossible_date"
        ) from None


def parse_numeric_date(line: str, *, what: str) -> date | None:
    """`DD.MM.YYYY`, or None when the line is not in that form."""
    match = NUMERIC_DATE.match(line)
    if not match:
        return None
    return calendar_date(
        int(match["year"]),
        int(match["month"]),
        int(match["day"]),
        what=what,
        as_written=line.strip(),
    )


def split_trailing_date(text: str, *, what: str) -> tuple[str, date] | None:
    """Split "Azerbaijan April 8 2010" into ("Azerbaijan", date(2010, 4, 8)).

    None when `text` does not end in a date whose month word is a month name.
    """
    match = TRAILING_DATE.search(text)
    if not match:
        return None
    if match["month_a"]:
        month_word, day, year = match["month_a"], match["day_a"], match["year_a"]
    else:
        month_word, day, year = match["month_b"], match["day_b"], match["year_b"]
    month = month_number(month_word)
    if month is None:
        return None
    when = calendar_date(int(year), month, int(day), what=what, as_written=match.group().strip())
    return text[: match.start()].strip(" ,"), when
