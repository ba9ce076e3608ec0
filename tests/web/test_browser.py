"""The researcher's pages in a real Chromium: no fixed sleeps, every wait is on a condition."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, Visibility
from annotations.services import SourceTagInput, annotation_create, annotation_update, tag_create
from tests.factories import DocumentFactory, SourceFactory
from tests.web.conftest import NARROW, select_by_mouse, utf16

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The ferry 🚢 left Kadıköy at dawn; Şükrü Öğütcü said the fare would double.\n\n"
    "A spokesman for the port authority denied that the fare would double, and said the "
    "ferries would keep running while talks continue."
)


@pytest.fixture
def document(reader_user):
    return DocumentFactory(title="FERRY FARES DISPUTE IN KADIKÖY", body=TEXT)


def test_pages_need_a_signed_in_user(visit, document) -> None:
    tab = visit()
    for path in ("/", f"/documents/{document.pk}/", "/upload/"):
        tab.go(path)
        expect(tab.page).to_have_url(re.compile(r"/accounts/login/\?next="))
    tab.sign_in("reader")
    expect(tab.page.locator(".who")).to_have_text("reader")
    tab.page.click("text=Sign out")
    expect(tab.page).to_have_url(re.compile(r"/accounts/login/"))


def test_search_facet_page_and_back(visit, reader_user) -> None:
    for number in range(22):
        outlet = "Northern Ledger, May 12 2021" if number % 2 else "Anatolian Courier, 13 May 2021"
        DocumentFactory(
            title=f"HARBOUR STORY NUMBER {number}",
            outlet_line=outlet,
            reprint_date="20.05.2021",
            body=f"The harbour report number {number} on ferries and fares.",
        )
    tab = visit("reader")
    page = tab.page
    page.fill("#q", "harbour")
    page.press("#q", "Enter")
    expect(page.locator("#result-count")).to_contain_text("22 documents")
    page.click(".facet-value[data-value='northern-ledger']")
    expect(page.locator("#result-count")).to_contain_text("11 documents")
    expect(page).to_have_url(re.compile(r"outlet=northern-ledger"))
    expect(page.locator(".facet-value.selected")).to_contain_text("Northern Ledger")

    page.fill("#q", "harbour OR ferries")
    page.press("#q", "Enter")
    expect(page.locator("#result-count")).to_contain_text("11 documents")  # filter kept
    page.goto(page.url.split("?")[0] + "?q=harbour")
    page.click("#next-page")
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator(".hit")).to_have_count(2)
    page.go_back()
    expect(page.locator(".hit")).to_have_count(20)
    page.go_forward()
    expect(page.locator(".hit")).to_have_count(2)


def test_malformed_query_and_did_you_mean(visit, document) -> None:
    tab = visit("reader")
    tab.go("/?q=%28ferry")
    expect(tab.page.locator("#query-error")).to_contain_text("unclosed")
    tab.go("/?q=ferryy")
    expect(tab.page.locator("#did-you-mean")).to_have_text("ferry")
    tab.page.click("#did-you-mean")
    expect(tab.page.locator("#result-count")).to_contain_text("1 document")


def open_reader(tab, document):
    """The reader, once its annotations are drawn."""
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    return page


def annotate_in_editor(page, *, comment: str = "", tags: str = "", source: str | None = None):
    page.keyboard.press("a")
    expect(page.locator("#editor")).to_be_visible()
    page.fill("#editor-comment", comment)
    if tags:
        page.fill("#editor-tags", tags)
    if source:
        page.fill("#editor-source", source[:5])
        option = page.locator("#source-suggestions option").first
        expect(option).to_have_attribute("value", re.compile(re.escape(source)))
        page.fill("#editor-source", option.get_attribute("value"))
        page.select_option("#editor-role", "claimed_by")
        page.click("#editor-add-source")
        expect(page.locator("#editor-sources .chip")).to_have_count(1)
    page.click("#editor-save")
    expect(page.locator("#editor")).to_be_hidden()


def test_select_by_mouse_annotate_and_reload(visit, document) -> None:
    SourceFactory(name="Harbour Ministry", kind="government")
    tab = visit("reader")
    page = open_reader(tab, document)
    expect(page.locator("#annotation-count")).to_have_text("0 annotations")
    passage = "Şükrü Öğütcü said the fare would double"  # after the emoji and Turkish letters
    start = TEXT.index(passage)
    select_by_mouse(page, utf16(TEXT, start), utf16(TEXT, start + len(passage)))
    expect(page.locator("#annotate-button")).to_be_enabled()
    annotate_in_editor(page, comment="Claim about fares.", tags="fares", source="Harbour Ministry")

    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.end, annotation.quote) == (
        start,
        start + len(passage),
        passage,
    )
    assert [tag.name for tag in annotation.tags.all()] == ["fares"]
    assert [(item.source.name, item.role) for item in annotation.source_tags.all()] == [
        ("Harbour Ministry", "claimed_by")
    ]
    highlight = page.locator(f"mark.hl[data-id='{annotation.pk}']")
    expect(highlight).to_have_text(passage)

    page.reload()
    expect(page.locator("#annotation-count")).to_have_text("1 annotation")
    expect(page.locator(f"#annotation-{annotation.pk}")).to_have_text(passage)
    marked = page.eval_on_selector_all(
        f"mark.hl[data-id='{annotation.pk}']", "marks => marks.map(m => m.textContent).join('')"
    )
    assert marked == TEXT[annotation.start : annotation.end]


def test_select_by_keyboard_and_annotate(visit, document) -> None:
    tab = visit("reader")
    page = open_reader(tab, document)
    page.focus("#document-text")
    word = "Kadıköy"
    start = TEXT.index(word)
    for _ in range(start):  # the caret moves by characters (the emoji is one)
        page.keyboard.press("ArrowRight")
    for _ in range(len(word)):
        page.keyboard.press("Shift+ArrowRight")
    expect(page.locator("#annotate-button")).to_be_enabled()
    annotate_in_editor(page, comment="Where the ferry left from.")
    annotation = Annotation.objects.get()
    assert (annotation.start, annotation.quote) == (start, word)
    expect(page.locator("#annotation-panel")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#annotation-panel")).to_be_hidden()


@pytest.fixture
def overlapping(document, reader_user):
    outer = annotation_create(
        document=document,
        creator=reader_user,
        quote="denied that the fare would double",
        comment="The denial.",
        visibility=Visibility.PUBLIC,
    )
    inner = annotation_create(
        document=document,
        creator=reader_user,
        quote="the fare would double, and said",
        comment="Overlaps the denial.",
        visibility=Visibility.PUBLIC,
    )
    return outer, inner


def test_overlapping_annotations_are_both_reachable(visit, overlapping) -> None:
    outer, inner = overlapping
    tab = visit("reader")
    page = open_reader(tab, outer.document)
    expect(page.locator("#annotation-count")).to_have_text("2 annotations")
    page.focus("#document-text")
    page.keyboard.press("Tab")
    expect(page.locator(f"#annotation-{outer.pk}")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(f"#annotation-{inner.pk}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-comment")).to_have_text("Overlaps the denial.")
    page.click("#annotation-panel .others button")
    expect(page.locator("#panel-comment")).to_have_text("The denial.")
    # The shared words are inside both highlights, one nested in the other.
    nested = page.locator(f"mark.hl[data-id='{outer.pk}'] mark.hl[data-id='{inner.pk}']")
    expect(nested.first).to_have_text("the fare would double")


def test_a_stale_edit_is_refused_with_the_current_text(visit, document, reader_user) -> None:
    annotation = annotation_create(
        document=document, creator=reader_user, quote="Kadıköy", comment="First version."
    )
    tab = visit("reader")
    page = open_reader(tab, document)
    page.click(f"#annotation-{annotation.pk}")
    expect(page.locator("#panel-comment")).to_have_text("First version.")
    # Meanwhile, in another tab, the same user saves a change.
    annotation_update(
        annotation=annotation, actor=reader_user, expected_version=1, comment="Saved elsewhere."
    )
    page.click("#panel-edit")
    page.fill("#panel-comment-editor", "My stale edit.")
    page.click("#panel-save")
    expect(page.locator("#panel-message")).to_contain_text("changed by someone else")
    expect(page.locator("#panel-comment")).to_have_text("Saved elsewhere.")
    annotation.refresh_from_db()
    assert annotation.comment == "Saved elsewhere."


PAYLOADS = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>"]


def test_markup_in_comments_tags_and_sources_stays_text(visit, document, reader_user) -> None:
    source = SourceFactory(name=PAYLOADS[1], kind="other")
    tag_create(name=PAYLOADS[0], actor=reader_user)
    annotation = annotation_create(
        document=document,
        creator=reader_user,
        quote="Kadıköy",
        comment=" ".join(PAYLOADS),
        tags=[PAYLOADS[0]],
        source_tags=[SourceTagInput(source.slug, "quoted")],
        visibility=Visibility.PUBLIC,
    )
    tab = visit("reader")
    page = open_reader(tab, document)
    page.click(f"#annotation-{annotation.pk}")
    expect(page.locator("#panel-comment")).to_have_text(" ".join(PAYLOADS))
    expect(page.locator("#annotation-panel .chip").first).to_have_text(PAYLOADS[0])
    expect(page.locator("#annotation-panel")).to_contain_text(PAYLOADS[1])
    page.select_option("#filter-tag", label=PAYLOADS[0])
    expect(page.locator("#filter-source option").nth(1)).to_have_text(PAYLOADS[1])
    tab.go(f"/?q=tag:{annotation.tags.get().slug}")
    tab.go("/?q=" + PAYLOADS[0])
    expect(page.locator("#q")).to_have_value(PAYLOADS[0])
    assert page.locator("img[src=x]").count() == 0
    assert tab.dialogs == []
    assert tab.errors == []


def test_a_bad_upload_says_why_and_a_duplicate_links(visit, document, tmp_path) -> None:
    tab = visit("reader")
    page = tab.go("/upload/")
    picture = tmp_path / "scan.txt"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    page.set_input_files("#id_file", str(picture))
    page.click("#upload-submit")
    refused = page.locator("#upload-list li.refused")
    expect(refused).to_contain_text("scan.txt")
    expect(refused.locator(".reason")).to_contain_text("the file is a PNG image")

    from archive.storage import original_path

    same = tmp_path / "again.txt"
    same.write_bytes(original_path(document.sha256).read_bytes())
    page.set_input_files("#id_file", str(same))
    page.click("#upload-submit")
    expect(page.locator("#upload-list li.duplicate a")).to_have_text(document.title)


def test_a_private_annotation_is_invisible_to_another_user(
    visit, document, reader_user, second_user
):
    annotation_create(document=document, creator=reader_user, quote="Kadıköy", comment="Mine only.")
    tab = visit("second")
    page = open_reader(tab, document)
    expect(page.locator("#annotation-count")).to_have_text("0 annotations")
    assert page.locator("mark.hl").count() == 0
    assert "Mine only." not in page.content()


def test_the_reader_works_at_phone_width(visit, document) -> None:
    tab = visit("reader", viewport=NARROW)
    page = open_reader(tab, document)
    word = "Öğütcü"
    start = TEXT.index(word)
    select_by_mouse(page, utf16(TEXT, start), utf16(TEXT, start + len(word)))
    page.click("#annotate-button")
    page.fill("#editor-comment", "Named.")
    page.click("#editor-save")
    expect(page.locator("#annotation-panel")).to_be_visible()
    assert Annotation.objects.get().quote == word
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
