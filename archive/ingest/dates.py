"""Calendar dates as printed in reprints, in one place: `06.09.2017`, `September 4 2017`,
`8 February 2017`, `4 Nisan 2018`, `Nis 24, 2007`, `24 Apr 05`, `21Jun2019`, `14.10.2014 01:55:20`.

Our regular expressions decide what is shaped like a date; dateparser (which knows English and
Turkish month names, full and abbreviated, with or without diacritics) names the month. The day
and the year are ours to check, so an impossible date (`31 Şubat 2017`), an ambiguous one, one
in the future or one before the printing press is refused rather than guessed: dateparser on its
own would return None for the first and silently pick an order for the second.

Whether `03.04.2015` is the 3rd of April or the 4th of March is decided by the LAYOUT (`order`),
never per string: a layout that does not know its order refuses a numeric date whose day and
month could be swapped."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from functools import lru_cache

import dateparser
from django.utils import timezone

from archive.document_dates import FUTURE_SLACK
from archive.ingest.errors import IngestRefused
from archive.text import fold

# The printing press: no reprint we hold can be older, so an earlier year is a misreading.
EARLIEST_YEAR = 1450


class DayOrder(StrEnum):
    """How a layout writes numeric dates."""

    DAY_FIRST = "DMY"
    MONTH_FIRST = "MDY"
    UNKNOWN = "unknown"


_MONTH_WORD = r"[^\W\d_]{3,}\.?"
_TIME = r"(?:[,\s]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?"
_DATE_FORMS = (
    # 8 February 2017 · 24 Apr 05 · 21Jun2019 · 17 Eylül 2020'de (a Turkish suffix after it)
    rf"(?P<day_a>\d{{1,2}})\.?\s*(?P<month_a>{_MONTH_WORD}),?\s*(?P<year_a>\d{{4}}|\d{{2}})",
    # September 4 2017 · Sep. 4, 2017 · Nis 24, 2007
    rf"(?P<month_b>{_MONTH_WORD})\s+(?P<day_b>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year_b>\d{{4}}|\d{{2}})",
    # 06.09.2017 · 6.09.17 · 06/09/2017
    r"(?P<first>\d{1,2})(?P<sep>[./])(?P<second>\d{1,2})(?P=sep)(?P<year_c>\d{4}|\d{2})",
    # 2017-09-06 (ISO, as page metadata and JSON records write it)
    r"(?P<year_d>\d{4})-(?P<month_d>\d{2})-(?P<day_d>\d{2})",
)
_DATE = "(?:" + "|".join(_DATE_FORMS) + ")"
# A whole line (or value) that is a date, perhaps followed by a time, which is ignored.
DATE_LINE = re.compile(rf"^\s*{_DATE}{_TIME}\s*$", re.IGNORECASE)
# A date inside a sentence, not glued to letters or digits before it.
DATE_IN_TEXT = re.compile(rf"(?<![\w.]){_DATE}(?!\d)", re.IGNORECASE)
# Kept for the AVİM layout: its reprint date is always DD.MM.YYYY.
NUMERIC_DATE = re.compile(r"^\s*(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})\s*$")


@lru_cache(maxsize=512)
def month_number(word: str) -> int | None:
    """The month a word names (English or Turkish, full or abbreviated), or None."""
    word = word.strip().rstrip(".")
    if len(word) < 3:
        return None
    found = dateparser.parse(
        f"1 {word} 2000", languages=["en", "tr"], settings={"STRICT_PARSING": True}
    )
    if found is None or found.year != 2000 or found.day != 1:
        return None
    return found.month


def calendar_date(year: int, month: int, day: int, *, what: str, as_written: str) -> date:
    """A date, or a refusal that names what was impossible about it."""
    if year < EARLIEST_YEAR:
        raise IngestRefused(
            f"the {what} {as_written!r} is before {EARLIEST_YEAR}, before the printing press",
            code="implausible_date",
        )
    try:
        return date(year, month, day)
    except ValueError as error:
        raise IngestRefused(
            f"the {what} {as_written!r} is not a calendar date ({error})", code="impossible_date"
        ) from None


def _today() -> date:
    return timezone.now().date()


def _full_year(written: str, today: date) -> int:
    """`05` is 2005 and `98` is 1998: a two-digit year is never in the future."""
    if len(written) == 4:
        return int(written)
    year = 2000 + int(written)
    return year if year <= today.year else year - 100


def _from_match(found: re.Match[str], *, order: DayOrder, what: str, today: date) -> date | None:
    as_written = found.group().strip()
    match = found.groupdict()
    if match.get("year_d"):
        year, month, day = int(match["year_d"]), int(match["month_d"]), int(match["day_d"])
    elif match.get("year_c"):
        first, second = int(match["first"]), int(match["second"])
        if order is DayOrder.UNKNOWN and first != second and first <= 12 and second <= 12:
            raise IngestRefused(
                f"the {what} {as_written!r} could be day-first or month-first, and this layout "
                "does not say which",
                code="ambiguous_date",
            )
        if order is DayOrder.MONTH_FIRST or (order is DayOrder.UNKNOWN and second > 12):
            month, day = first, second
        else:
            day, month = first, second
        year = _full_year(match["year_c"], today)
    else:
        month_word = match["month_a"] or match["month_b"]
        named_month = month_number(fold(month_word))
        if named_month is None:
            return None  # "24 Hours 2000" is not a date
        month = named_month
        day = int(match["day_a"] or match["day_b"])
        year = _full_year(match["year_a"] or match["year_b"], today)
    when = calendar_date(year, month, day, what=what, as_written=as_written)
    if when > today + FUTURE_SLACK:
        raise IngestRefused(f"the {what} {as_written!r} is in the future", code="future_date")
    return when


def read_date(value: str, *, order: DayOrder, what: str, today: date | None = None) -> date | None:
    """`value` as a date when the whole of it is one (a time after it is ignored); None when it
    is not shaped like a date; IngestRefused when it is, but impossible, ambiguous, in the
    future or before 1450."""
    match = DATE_LINE.match(value)
    if not match:
        return None
    return _from_match(match, order=order, what=what, today=today or _today())


def find_date(
    text: str, *, order: DayOrder, what: str, today: date | None = None
) -> tuple[date, re.Match[str]] | None:
    """The first date inside `text` (a sentence), with where it was found."""
    for match in DATE_IN_TEXT.finditer(text):
        when = _from_match(match, order=order, what=what, today=today or _today())
        if when:
            return when, match
    return None


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


_TRAILING = re.compile(
    rf"(?:^|(?<=[\s,(]))(?:{_DATE_FORMS[0]}|{_DATE_FORMS[1]})\s*$", re.IGNORECASE
)


def split_trailing_date(text: str, *, what: str) -> tuple[str, date] | None:
    """Split "Azerbaijan April 8 2010" into ("Azerbaijan", date(2010, 4, 8)).

    None when `text` does not end in a date whose month word is a month name.
    """
    for match in _TRAILING.finditer(text):
        if not (match["year_a"] or match["year_b"]):
            continue
        when = _from_match(match, order=DayOrder.DAY_FIRST, what=what, today=_today())
        if when:
            return text[: match.start()].strip(" ,"), when
    return None
