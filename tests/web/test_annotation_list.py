"""The list of a document's annotations beside the text (issue 14 §2): what each entry
says, filter and sort, opening one, j/k, the folded filters and the legend."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Visibility
from annotations.services import SourceTagInput, annotation_create, reply_create, tag_create
from tests.factories import DocumentFactory, SourceFactory
from tests.web.conftest import NARROW, WIDE, axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The mill by the river Aras stopped turning in the spring of the flood year.\n\n"
    + "The miller's daughter kept the ledger of the grain that came in. " * 12
    + "\n\nIn autumn the village council voted to mend the wheel before the first frost."
)
READABLE_DATE = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")


def first_place(document, quote: str) -> dict:
    """The offsets of a passage's first occurrence (the text repeats itself)."""
    start = document.text.index(quote)
    return {"start": start, "end": start + len(quote), "quote": quote}


@pytest.fixture
def annotated(reader_user, second_user):
    document = DocumentFactory(title="THE MILL ON THE ARAS", body=TEXT)
    tag_create(name="Water mills", actor=reader_user)
    council = SourceFactory(name="Village Council", kind="government")
    first = annotation_create(
        document=document,
        creator=reader_user,
        quote="stopped turning",
        comment="When exactly?",
        tags=["water mills"],
        visibility=Visibility.PUBLIC,
    )
    last = annotation_create(
        document=document,
        creator=second_user,
        quote="voted to mend the wheel",
        comment="The council's decision.",
        source_tags=[SourceTagInput(council.slug, "claimed_by")],
        visibility=Visibility.PUBLIC,
    )
    middle = annotation_create(
        document=document,
        creator=reader_user,
        **first_place(document, "kept the ledger of the grain that came in. The miller's"),
        comment="My own note.",
        visibility=Visibility.PRIVATE,
    )
    reply_create(annotation=last, author=reader_user, body="Which year?")
    reply_create(annotation=last, author=second_user, body="The flood year.")
    return document, first, middle, last


def open_reader(tab, document) -> Page:
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    return page


def show_list(page: Page, viewport: dict) -> None:
    """Beside the text at 1280 px; a sheet opened from the toolbar on a phone."""
    if viewport is NARROW:
        expect(page.locator("#annotation-list-section")).to_be_hidden()
        page.click("#list-toggle")
    expect(page.locator("#annotation-list-section")).to_be_visible()


def listed_quotes(page: Page) -> list[str]:
    return page.locator("#annotation-list .list-quote").all_inner_texts()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_list_shows_each_annotation_and_opens_it(visit, annotated, viewport) -> None:
    document, first, middle, last = annotated
    tab = visit("reader", viewport=viewport)
    page = open_reader(tab, document)
    show_list(page, viewport)
    items = page.locator("#annotation-list .list-item")
    expect(items).to_have_count(3)
    # By position in the text, each with its quote, author, date, labels and reply count.
    assert listed_quotes(page) == [f"“{first.quote}”", f"“{middle.quote}”", f"“{last.quote}”"]
    entry = page.locator(f"#list-item-{last.pk}")
    expect(entry.locator(".list-author")).to_have_text("second")
    expect(entry.locator(".list-date")).to_have_text(READABLE_DATE)
    expect(entry.locator(".list-replies")).to_have_text("2 replies")
    expect(entry.locator(".chip")).to_have_text(["Claimed by: Village Council"])
    expect(page.locator(f"#list-item-{first.pk} .chip")).to_have_text(["Water mills"])
    expect(page.locator(f"#list-item-{first.pk} .list-replies")).to_have_text("0 replies")
    assert_no_overflow(page)
    if viewport is NARROW:
        assert not axe_violations(page), axe_violations(page)

    entry.click()
    expect(page.locator("#panel-comment")).to_have_text("The council's decision.")
    mark = page.locator(f"#annotation-{last.pk}")
    expect(mark).to_have_class(re.compile(r"\bactive\b"))
    expect(mark).to_be_in_viewport()
    if viewport is NARROW:
        # The list sheet made way for the panel, which leaves the passage above it.
        expect(page.locator("#annotation-list-section")).to_be_hidden()
        mark_box, panel_box = mark.bounding_box(), page.locator("#annotation-panel").bounding_box()
        assert mark_box["y"] + mark_box["height"] <= panel_box["y"]
    else:
        expect(page.locator(f"#list-item-{last.pk}")).to_have_attribute("aria-current", "true")
    assert not tab.errors


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_list_sorts_newest_first_and_follows_the_filters(visit, annotated, viewport) -> None:
    document, first, middle, last = annotated
    tab = visit("reader", viewport=viewport)
    page = open_reader(tab, document)
    show_list(page, viewport)
    page.select_option("#list-sort", "newest")
    assert listed_quotes(page) == [f"“{middle.quote}”", f"“{last.quote}”", f"“{first.quote}”"]
    if viewport is NARROW:
        page.click("#list-close")
        page.click("#filter-toggle")
    page.select_option("#filter-creator", "second")
    if viewport is NARROW:
        expect(page.locator("#filter-toggle")).to_have_text("Filter (1)")
        page.click("#list-toggle")
    expect(page.locator("#annotation-list .list-item")).to_have_count(1)
    assert listed_quotes(page) == [f"“{last.quote}”"]


def test_j_and_k_step_through_the_list_but_not_while_typing(visit, annotated) -> None:
    document, _first, middle, _last = annotated
    tab = visit("reader")
    page = open_reader(tab, document)
    page.locator("#document-text").focus()
    page.keyboard.press("j")
    expect(page.locator("#panel-comment")).to_have_text("When exactly?")
    page.keyboard.press("j")
    expect(page.locator("#panel-comment")).to_have_text("My own note.")
    expect(page.locator(f"#annotation-{middle.pk}")).to_be_in_viewport()
    page.keyboard.press("j")
    expect(page.locator("#panel-comment")).to_have_text("The council's decision.")
    page.keyboard.press("k")
    expect(page.locator("#panel-comment")).to_have_text("My own note.")
    # In the reply field j and k are letters.
    page.click("#reply-body")
    page.keyboard.type("jk")
    expect(page.locator("#reply-body")).to_have_value("jk")
    expect(page.locator("#panel-comment")).to_have_text("My own note.")
    assert not tab.errors


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_the_filters_fold_into_one_control_without_annotations_or_on_a_phone(
    visit, annotated, viewport
) -> None:
    document = annotated[0]
    empty = DocumentFactory(title="AN UNREAD PAGE", body="Nothing marked here yet.")
    tab = visit("reader", viewport=viewport)
    page = open_reader(tab, empty)
    expect(page.locator("#filter-toggle")).to_be_visible()
    expect(page.locator("#filter-tag")).to_be_hidden()
    page.click("#filter-toggle")
    expect(page.locator("#filter-toggle")).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#filter-tag")).to_be_visible()
    expect(page.locator("#filter-tag")).to_be_focused()

    page = open_reader(tab, document)
    if viewport is WIDE:
        expect(page.locator("#filter-toggle")).to_be_hidden()
        expect(page.locator("#filter-tag")).to_be_visible()
    else:
        expect(page.locator("#filter-toggle")).to_be_visible()
        expect(page.locator("#filter-tag")).to_be_hidden()
    assert_no_overflow(page)


def test_the_legend_explains_each_highlight_style(visit, annotated, second_user) -> None:
    document, _first, _middle, _last = annotated
    team = second_user.groups.create(name="millers")
    annotation_create(
        document=document,
        creator=second_user,
        quote="the first frost",
        visibility=Visibility.GROUP,
        group=team.pk,
    )
    annotation_create(
        document=document,
        creator=second_user,
        visibility=Visibility.PUBLIC,
        **first_place(document, "ledger"),
    )
    tab = visit("second")
    page = open_reader(tab, document)
    underline = "(node) => getComputedStyle(node).borderBottomStyle"
    styles = {
        visibility: page.locator(f"mark.hl[data-visibility='{visibility}']").first.evaluate(
            underline
        )
        for visibility in ("public", "group")
    }
    tab.page.context.close()
    tab = visit("reader")
    page = open_reader(tab, document)
    styles["private"] = page.locator("mark.hl[data-visibility='private']").first.evaluate(underline)
    assert len(set(styles.values())) == 3, styles
    page.click("#highlight-legend summary")
    for visibility, style in styles.items():
        sample = page.locator(f"#highlight-legend .hl-sample[data-visibility='{visibility}']")
        assert sample.first.evaluate(underline) == style
    # Nested: the inner piece looks different from the outer one without relying on hue.
    inner = page.locator("mark.hl mark.hl").first
    assert inner.evaluate("(node) => getComputedStyle(node).boxShadow") != "none"
    expect(page.locator("#highlight-legend")).to_contain_text("nested")


def assert_no_overflow(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
