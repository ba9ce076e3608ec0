"""The rules a document's dates obey (none in the future, the reprint not before the
original), enforced by more than one write path: ingest, metadata edits, the admin form."""

from __future__ import annotations

from datetime import date, timedelta

from kaynak.errors import KaynakError

# The database's own check allows a day of slack for time zones; so does this one.
FUTURE_SLACK = timedelta(days=1)


def check_dates(*, published: date | None, reprinted: date | None, today: date) -> None:
    """Neither date in the future; the reprint not before the original."""
    latest = today + FUTURE_SLACK
    for what, value in (("original publication date", published), ("reprint date", reprinted)):
        if value and value > latest:
            raise KaynakError(
                f"the {what} {value.isoformat()} is in the future", code="future_date"
            )
    if published and reprinted and reprinted < published:
        raise KaynakError(
            f"the reprint date {reprinted.isoformat()} is before the original publication "
            f"date {published.isoformat()}",
            code="reprint_before_original",
        )
