"""The admin in Chromium as a curator reads it (issue 14 §6): the source list fits 1280 px,
and a document's history reads as labelled before and after."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from archive.services import document_update, source_merge
from tests.factories import CuratorFactory, DocumentFactory, SourceFactory
from tests.web.conftest import WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keeper(transactional_db):
    return CuratorFactory(username="keeper")


def test_the_source_list_fits_1280_px(visit, keeper) -> None:
    long = SourceFactory(
        name="The Invented Eastern Mediterranean Maritime and Coastal Affairs Review"
    )
    SourceFactory(name="Harbour Gazette", aliases=["Liman Gazetesi"])
    merged = SourceFactory(name="Coastal Times")
    source_merge(sources=[merged], into=long, actor=keeper, reason="same paper")
    for day in range(1, 4):
        DocumentFactory(outlet_line=f"Harbour Gazette, September {day} 2017")
    tab = visit("keeper", viewport=WIDE)
    page = tab.go("/admin/archive/source/")
    expect(page.locator("#result_list")).to_be_visible()
    page.screenshot(path="var/admin-sources-1280.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDE["width"]
    assert page.evaluate(
        "document.querySelector('#changelist .results').scrollWidth"
        " <= document.querySelector('#changelist .results').clientWidth"
    )
    page.locator("td.field-documents_as_outlet a").first.click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)


def test_a_document_history_reads_as_before_and_after(visit, keeper) -> None:
    document = DocumentFactory(outlet_line="Harbour Gazette, September 4 2017")
    document_update(
        document=document,
        actor=keeper,
        agent="admin",
        original_outlet=SourceFactory(name="Coastal Times"),
        reason="the outlet line named the wrong paper",
    )
    tab = visit("keeper", viewport=WIDE)
    page = tab.go(f"/admin/archive/document/{document.pk}/change/")
    history = page.locator("#events-group")
    expect(history).to_contain_text("Outlet: was “Harbour Gazette”, now “Coastal Times”")
    expect(history).to_contain_text("Reason: the outlet line named the wrong paper")
    history.scroll_into_view_if_needed()
    page.screenshot(path="var/admin-history-1280.png", full_page=True)
    assert not axe_violations(page)
