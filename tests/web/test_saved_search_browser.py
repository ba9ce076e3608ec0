"""Saved searches and the Annotations tab in a real Chromium: save the search on screen, see
it listed, open it again; the Annotations tab finds a hit whose link opens the reader at that
annotation with its panel open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Visibility
from annotations.services import annotation_create
from tests.factories import DocumentFactory
from tests.web.conftest import NARROW, WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The island's only ferry will stop for two weeks while its engine is overhauled.\n\n"
    "The mayor said a chartered boat would carry pupils to the mainland school each morning."
)
QUOTE = "a chartered boat would carry pupils"


@pytest.fixture
def annotated(reader_user):
    document = DocumentFactory(title="ISLAND FERRY TO STOP FOR REPAIRS", body=TEXT)
    start = TEXT.index(QUOTE)
    annotation = annotation_create(
        document=document,
        creator=reader_user,
        start=start,
        end=start + len(QUOTE),
        comment="Check who pays for the chartered boat.",
        visibility=Visibility.PRIVATE,
    )
    return document, annotation


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_save_a_search_see_it_listed_and_open_it(visit, annotated, viewport) -> None:
    tab = visit("reader", viewport=viewport)
    page = tab.go("/?q=ferry")
    expect(page.locator(".hit")).to_have_count(1)
    page.locator("#save-search summary").click()
    page.fill("#save-name", "Ferry <repairs>")
    page.locator("#save-search button[type=submit]").click()
    expect(page.locator(".message.success")).to_contain_text(
        "Saved the search as “Ferry <repairs>”"
    )

    page.locator("#saved-searches-link").click()
    item = page.locator(".saved-item")
    expect(item).to_have_count(1)
    expect(item.locator("h3 a")).to_have_text("Ferry <repairs>")
    expect(item).to_contain_text("1 result, not opened yet")
    assert not axe_violations(page), axe_violations(page)

    item.locator("h3 a").click()
    expect(page.locator("#saved-opened")).to_contain_text("opened for the first time")
    expect(page.locator("#q")).to_have_value("ferry")
    expect(page.locator(".hit")).to_have_count(1)
    tab.go("/saved-searches/")
    expect(page.locator(".saved-item .new-count")).to_have_text("0 new")
    assert not tab.errors


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_annotations_tab_finds_a_hit_whose_link_opens_the_reader_at_it(
    visit, annotated, viewport
) -> None:
    document, annotation = annotated
    tab = visit("reader", viewport=viewport)
    page = tab.go("/?q=chartered")
    page.locator("#tab-annotations").click()
    expect(page.locator("#tab-annotations")).to_have_attribute("aria-current", "page")
    hit = page.locator(".annotation-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".quoted mark")).to_have_text("chartered")
    expect(hit.locator(".comment mark")).to_have_text("chartered")
    assert not axe_violations(page), axe_violations(page)

    # From the keyboard: Enter on the focused hit link follows it.
    hit.locator("h3 a").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/documents/{document.pk}/#annotation-{annotation.pk}$"))
    expect(page.locator("#annotation-panel")).to_be_visible()
    expect(page.locator("#panel-comment")).to_have_text("Check who pays for the chartered boat.")
    expect(page.locator(f"mark#annotation-{annotation.pk}")).to_have_class("hl active")
    assert not tab.errors


def test_the_tabs_work_without_script(browser, live_server, annotated, worker) -> None:
    context = browser.new_context(java_script_enabled=False, viewport=WIDE)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.fill("#id_username", "reader")
        page.fill("#id_password", "correct horse battery")
        page.click("button[type=submit]")
        page.goto(live_server.url + "/?q=chartered")
        page.click("#tab-annotations")
        expect(page.locator(".annotation-hit")).to_have_count(1)
        page.click("#tab-documents")
        expect(page.locator(".hit")).to_have_count(1)
    finally:
        context.close()
