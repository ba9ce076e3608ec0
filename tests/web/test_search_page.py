"""The search page in a real Chromium at both widths: the date and language filters, a sort
that applies at once, and on a phone the filters folded behind one button."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import DocumentFactory
from tests.web.conftest import NARROW, WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-screenshots"
VIEWPORTS = pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])


@pytest.fixture
def harbour(reader_user):
    """Four invented reprints of harbour news over four years, one of them in Turkish."""
    stories = [
        ("HARBOUR FEES RISE AGAIN", "Northern Ledger, May 12 2018", "14.05.2018", "en"),
        ("HARBOUR PILOTS STRIKE", "Anatolian Courier, 3 March 2019", "05.03.2019", "en"),
        ("HARBOUR DREDGING BEGINS", "Northern Ledger, June 2 2020", "04.06.2020", "en"),
        ("LİMAN ÜCRETLERİ ARTTI", "Günlük Ayna (4 Nisan 2021)", "09.04.2021", "tr"),
    ]
    documents = {}
    for title, outlet, reprinted, language in stories:
        body = (
            "Limandaki harbour ücretleri bu yıl yine arttı, dedi kooperatif başkanı."
            if language == "tr"
            else "The harbour board said the new figures would be published before the summer."
        )
        documents[title] = DocumentFactory(
            title=title, outlet_line=outlet, reprint_date=reprinted, body=body
        )
    return documents


def titles(page: Page) -> list[str]:
    """The hits' titles as listed: a headline received in capitals in title case."""
    return page.locator(".hit h3").all_inner_texts()


def open_filters(page: Page) -> None:
    """On a phone the filters are folded behind the "Filters" button; elsewhere always open."""
    toggle = page.locator("#filters-toggle")
    if toggle.is_visible():
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def assert_fits(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the screen"


@VIEWPORTS
def test_date_ranges_filter_by_original_and_reprint_date(visit, harbour, viewport) -> None:
    tab = visit("reader", viewport=viewport)
    page = tab.page
    tab.go("/?q=harbour")
    expect(page.locator("#result-count")).to_contain_text("4 documents")
    open_filters(page)
    page.fill("#published_from", "2019-01-01")
    page.fill("#published_to", "2020-12-31")
    page.click("button.apply")
    expect(page.locator("#result-count")).to_contain_text("2 documents")
    assert sorted(titles(page)) == ["Harbour Dredging Begins", "Harbour Pilots Strike"]
    # Only the fields filled in are in the URL, which a bookmark keeps.
    assert "published_from=2019-01-01" in page.url and "published_to=2020-12-31" in page.url
    assert "reprinted_from" not in page.url and "language=" not in page.url
    open_filters(page)
    expect(page.locator("#published_from")).to_have_value("2019-01-01")
    page.fill("#published_from", "")
    page.fill("#published_to", "")
    page.fill("#reprinted_from", "2021-01-01")
    page.click("button.apply")
    expect(page.locator("#result-count")).to_contain_text("1 document")
    assert titles(page) == ["Liman Ücretleri Arttı"]
    assert tab.errors == []


@VIEWPORTS
def test_the_language_filter_applies_when_chosen(visit, harbour, viewport) -> None:
    tab = visit("reader", viewport=viewport)
    page = tab.page
    tab.go("/?q=harbour")
    open_filters(page)
    options = page.locator("#language option").all_inner_texts()
    assert options == ["Any language", "English (3)", "Turkish (1)"]
    page.select_option("#language", "tr")  # no button pressed
    expect(page).to_have_url(re.compile(r"language=tr"))
    expect(page.locator("#result-count")).to_contain_text("1 document")
    assert titles(page) == ["Liman Ücretleri Arttı"]
    open_filters(page)
    page.click("text=Clear filters")
    expect(page.locator("#result-count")).to_contain_text("4 documents")
    assert tab.errors == []


@VIEWPORTS
def test_changing_the_sort_applies_at_once_by_mouse_or_keyboard(visit, harbour, viewport) -> None:
    tab = visit("reader", viewport=viewport)
    page = tab.page
    tab.go("/?q=harbour")
    page.select_option("#sort", "-published")
    expect(page).to_have_url(re.compile(r"sort=-published"))
    expect(page.locator(".hit h3").first).to_have_text("Liman Ücretleri Arttı")
    # From the keyboard: the next option is chosen, applied, and the focus stays on the sort.
    page.focus("#sort")
    page.keyboard.press("ArrowDown")
    expect(page).to_have_url(re.compile(r"sort=published(&|$)"))
    expect(page.locator(".hit h3").first).to_have_text("Harbour Fees Rise Again")
    expect(page.locator("#sort")).to_be_focused()
    expect(page.locator("#sort")).to_have_value("published")
    assert tab.errors == []


def test_on_a_phone_the_filters_fold_behind_a_button_and_the_first_result_shows(
    visit, harbour
) -> None:
    tab = visit("reader", viewport=NARROW)
    page = tab.page
    tab.go("/?q=harbour&outlet=northern-ledger")
    toggle = page.locator("#filters-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_contain_text("1")  # one filter chosen
    expect(page.locator("#facets")).to_be_hidden()
    expect(page.locator("#filter-fields")).to_be_hidden()
    first = page.locator(".hit").first.bounding_box()
    assert first is not None and first["y"] + first["height"] <= NARROW["height"], first
    assert_fits(page)
    assert axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-390-filters-folded.png"))

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#facets")).to_be_visible()
    expect(page.locator("#published_from")).to_be_visible()
    assert_fits(page)
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "search-390-filters-open.png"), full_page=True)
    toggle.press("Enter")  # a button: the keyboard folds them again
    expect(page.locator("#facets")).to_be_hidden()
    assert tab.errors == []


def test_on_a_wide_screen_the_filters_stay_open_without_a_button(visit, harbour) -> None:
    tab = visit("reader", viewport=WIDE)
    page = tab.page
    tab.go("/?q=harbour")
    expect(page.locator("#filters-toggle")).to_be_hidden()
    expect(page.locator("#facets")).to_be_visible()
    expect(page.locator("#published_from")).to_be_visible()
    # Beside the query syntax, on the same row.
    syntax = page.locator(".syntax summary").bounding_box()
    dates = page.locator("#published_from").bounding_box()
    assert syntax and dates and dates["x"] > syntax["x"] + syntax["width"]
    assert abs((dates["y"] + dates["height"] / 2) - (syntax["y"] + syntax["height"] / 2)) < 20
    assert_fits(page)
    assert axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "search-1280.png"), full_page=True)
    assert tab.errors == []


def test_empty_filter_fields_are_no_filter_and_the_page_keeps_what_was_chosen(
    client, harbour, reader_user
) -> None:
    """Without the page's script the form sends its empty fields too."""
    client.force_login(reader_user)
    empty = {"q": "harbour", "sort": "relevance", "language": "", "published_from": ""}
    page = client.get("/", empty | {"published_to": "", "reprinted_from": ""})
    assert page.status_code == 200
    assert "4 documents" in page.content.decode()
    chosen = client.get("/", {"q": "harbour", "language": "tr", "reprinted_to": "2021-12-31"})
    html = chosen.content.decode()
    assert "1 document" in html
    assert 'name="reprinted_to" value="2021-12-31"' in html
    assert '<option value="tr" selected>Turkish (1)</option>' in html
    backwards = client.get(
        "/", {"q": "harbour", "published_from": "2021-01-01", "published_to": "2020-01-01"}
    )
    assert backwards.status_code == 400
    assert (
        "published_to (2020-01-01) is before published_from (2021-01-01)"
        in backwards.content.decode()
    )
