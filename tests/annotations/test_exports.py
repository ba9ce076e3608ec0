"""The annotation downloads: a CSV export read as a spreadsheet would read it shows formulas
typed into comments and tags as text, never as something to evaluate."""

from __future__ import annotations

import csv
import io

import pytest

from annotations.exports import spreadsheet_safe
from annotations.services import annotation_create, tag_create

pytestmark = pytest.mark.django_db

DANGEROUS = [
    '=HYPERLINK("https://invented.example/","open")',
    "+1+2",
    "-3+4",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def spreadsheet_cells(content: str) -> list[dict[str, str]]:
    """The rows as a spreadsheet's CSV import reads them (RFC 4180 quoting)."""
    return list(csv.DictReader(io.StringIO(content, newline="")))


@pytest.mark.parametrize("typed", DANGEROUS)
def test_a_comment_a_spreadsheet_would_run_as_a_formula_is_exported_as_text(
    typed, owner, client_for, document
) -> None:
    annotation_create(document=document, creator=owner, start=0, end=9, comment=typed)
    response = client_for(owner).get(f"/api/documents/{document.pk}/annotations/export/?as=csv")
    [row] = spreadsheet_cells(response.getvalue().decode())
    assert row["comment"] == "'" + typed
    assert not row["comment"].startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_tag_name_that_looks_like_a_formula_is_neutralised_too(
    owner, client_for, document
) -> None:
    tag_create(name="=cmd|' /C calc'!A0", actor=owner)
    annotation_create(document=document, creator=owner, start=0, end=9, tags=["=cmd|' /C calc'!A0"])
    response = client_for(owner).get(f"/api/documents/{document.pk}/annotations/export/?as=csv")
    [cells] = spreadsheet_cells(response.getvalue().decode())
    assert cells["tags"] == "'=cmd|' /C calc'!A0"


def test_ordinary_text_and_numbers_are_exported_unchanged() -> None:
    assert spreadsheet_safe("the fare would double") == "the fare would double"
    assert spreadsheet_safe("2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"
    assert spreadsheet_safe(-3) == -3
    assert spreadsheet_safe("") == ""
