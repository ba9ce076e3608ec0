"""The editor never loses what was typed (issue 14 §3): a typed source is added on save or
saving is refused saying so, names match ignoring case and diacritics, Ctrl+Enter saves,
Esc asks before discarding, and everything can be edited after saving, as one revision."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation, AnnotationRevision, Tag, Visibility
from annotations.services import SourceTagInput, annotation_create, tag_create
from tests.factories import DocumentFactory, SourceFactory
from tests.web.conftest import NARROW, WIDE

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The governor's office in İzmir said the new quay would open in March.\n\n"
    "Dock workers said the date had already moved twice, and that the cranes were not yet "
    "delivered."
)
PASSAGE = "the new quay would open in March"


@pytest.fixture
def document(reader_user):
    return DocumentFactory(title="A NEW QUAY FOR İZMİR", body=TEXT)


def open_editor_on(tab, document, passage: str = PASSAGE) -> Page:
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    start = TEXT.index(passage)
    page.evaluate(
        """([start, end]) => {
          const node = document.getElementById("document-text").firstChild;
          getSelection().setBaseAndExtent(node, start, node, end);
        }""",
        [start, start + len(passage)],
    )
    page.locator("#document-text").focus()
    page.keyboard.press("a")
    expect(page.locator("#editor")).to_be_visible()
    return page


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_a_source_typed_but_not_added_is_added_on_save_ignoring_case_and_accents(
    visit, document, viewport
) -> None:
    governor = SourceFactory(name="İzmir Valiliği", kind="government")
    tab = visit("reader", viewport=viewport)
    page = open_editor_on(tab, document)
    page.fill("#editor-comment", "Opening date.")
    page.fill("#editor-source", "izmir valiligi")  # typed, never picked nor added
    page.select_option("#editor-role", "claimed_by")
    page.click("#editor-save")
    expect(page.locator("#editor")).to_be_hidden()
    annotation = Annotation.objects.get()
    assert [(tag.source, tag.role) for tag in annotation.source_tags.all()] == [
        (governor, "claimed_by")
    ]
    expect(page.locator("#annotation-panel")).to_contain_text("Claimed by: İzmir Valiliği")
    assert not tab.errors


def test_an_unknown_typed_source_blocks_saving_with_a_message(visit, document) -> None:
    SourceFactory(name="Harbour Board", kind="government")
    tab = visit("reader")
    page = open_editor_on(tab, document)
    page.fill("#editor-comment", "Who said it?")
    page.fill("#editor-source", "Harbour Bored")
    page.click("#editor-save")
    expect(page.locator("#editor-error")).to_contain_text("No source is called “Harbour Bored”")
    expect(page.locator("#editor")).to_be_visible()
    expect(page.locator("#editor-comment")).to_have_value("Who said it?")
    assert not Annotation.objects.exists()


def test_tags_match_ignoring_case_and_turkish_dotted_letters(visit, document, reader_user):
    existing = tag_create(name="İskele", actor=reader_user)
    tab = visit("reader")
    page = open_editor_on(tab, document)
    page.fill("#editor-tags", "ISKELE")
    page.click("#editor-save")
    expect(page.locator("#editor")).to_be_hidden()
    assert list(Annotation.objects.get().tags.all()) == [existing]
    assert Tag.objects.count() == 1


def test_ctrl_enter_saves_from_any_field(visit, document) -> None:
    tab = visit("reader")
    page = open_editor_on(tab, document)
    page.fill("#editor-comment", "Saved from the keyboard.")
    page.press("#editor-comment", "Control+Enter")
    expect(page.locator("#editor")).to_be_hidden()
    assert Annotation.objects.get().comment == "Saved from the keyboard."


def test_escape_asks_before_discarding_typed_text(visit, document) -> None:
    tab = visit("reader")
    page = open_editor_on(tab, document)
    page.keyboard.press("Escape")  # nothing typed: closes at once
    expect(page.locator("#editor")).to_be_hidden()

    page.locator("#document-text").focus()
    page.evaluate(
        """([start, end]) => {
          const node = document.getElementById("document-text").firstChild;
          getSelection().setBaseAndExtent(node, start, node, end);
        }""",
        [TEXT.index(PASSAGE), TEXT.index(PASSAGE) + len(PASSAGE)],
    )
    page.keyboard.press("a")
    page.fill("#editor-comment", "A long thought I do not want to lose.")
    page.keyboard.press("Escape")
    expect(page.locator("#editor-discard")).to_be_visible()
    expect(page.locator("#editor")).to_be_visible()
    page.click("#editor-keep")
    expect(page.locator("#editor-discard")).to_be_hidden()
    expect(page.locator("#editor-comment")).to_have_value("A long thought I do not want to lose.")
    page.click("#editor-cancel")
    expect(page.locator("#editor-discard")).to_be_visible()
    page.click("#editor-discard-yes")
    expect(page.locator("#editor")).to_be_hidden()
    assert not Annotation.objects.exists()


def test_after_saving_its_author_edits_everything_as_one_revision(
    visit, document, reader_user
) -> None:
    board = SourceFactory(name="Harbour Board", kind="government")
    union = SourceFactory(name="Dock Workers' Union", kind="other")
    tag_create(name="quay", actor=reader_user)
    team = reader_user.groups.create(name="port desk")
    annotation = annotation_create(
        document=document,
        creator=reader_user,
        quote=PASSAGE,
        comment="First thought.",
        tags=["quay"],
        source_tags=[SourceTagInput(board.slug, "claimed_by")],
        visibility=Visibility.PRIVATE,
    )
    tab = visit("reader")
    page = tab.go(f"/documents/{document.pk}/")
    page.click(f"#annotation-{annotation.pk}")
    page.click("#panel-edit")
    expect(page.locator("#editor-title")).to_have_text("Edit annotation")
    expect(page.locator("#editor-comment")).to_have_value("First thought.")
    expect(page.locator("#editor-tags")).to_have_value("quay")
    expect(page.locator("#editor-sources .chip")).to_have_count(1)
    page.fill("#editor-comment", "Second thought.")
    page.fill("#editor-tags", "quay, delays")
    page.click("#editor-sources .chip button")  # remove the board
    page.fill("#editor-source", "dock workers")
    page.select_option("#editor-role", "denied_by")
    page.click("#editor-add-source")
    page.select_option("#editor-visibility", "group")
    page.select_option("#editor-group", str(team.pk))
    page.click("#editor-save")
    expect(page.locator("#editor")).to_be_hidden()
    expect(page.locator("#panel-comment")).to_have_text("Second thought.")
    expect(page.locator("#annotation-panel")).to_contain_text("Denied by: Dock Workers' Union")

    annotation.refresh_from_db()
    assert annotation.version == 2
    assert annotation.comment == "Second thought."
    assert annotation.visibility == Visibility.GROUP and annotation.group == team
    assert sorted(tag.name for tag in annotation.tags.all()) == ["delays", "quay"]
    assert [(tag.source, tag.role) for tag in annotation.source_tags.all()] == [
        (union, "denied_by")
    ]
    revisions = AnnotationRevision.objects.filter(annotation=annotation).order_by("version")
    assert [revision.action for revision in revisions] == ["created", "updated"]
    assert set(revisions[1].changes) == {"comment", "tags", "source_tags", "visibility", "group"}
    assert not tab.errors


def test_a_typed_source_that_could_be_several_is_not_guessed(visit, document) -> None:
    SourceFactory(name="Harbour Board", kind="government")
    SourceFactory(name="Harbour Police", kind="government")
    tab = visit("reader")
    page = open_editor_on(tab, document)
    page.fill("#editor-source", "harbour")
    page.click("#editor-save")
    expect(page.locator("#editor-error")).to_contain_text(
        "“harbour” could be Harbour Board, Harbour Police"
    )
    assert not Annotation.objects.exists()


def test_keyboard_selection_leaves_the_leading_and_trailing_space_out_of_the_quote(
    visit, document
) -> None:
    tab = visit("reader")
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    after_office = TEXT.index("office") + len("office")  # the caret before " in İzmir"
    page.locator("#document-text").focus()
    page.evaluate(
        """(at) => {
          const node = document.getElementById("document-text").firstChild;
          getSelection().collapse(node, at);
        }""",
        after_office,
    )
    for _ in range(2):
        page.keyboard.press("Control+Shift+ArrowRight")
    selected = page.evaluate("() => getSelection().toString()")
    assert selected != selected.strip()  # the browser took a space along
    page.keyboard.press("a")
    expect(page.locator("#editor-quote")).to_have_text(selected.strip())
    page.click("#editor-save")
    expect(page.locator("#editor")).to_be_hidden()
    assert Annotation.objects.get().quote == selected.strip()


@pytest.mark.parametrize("viewport", [WIDE, NARROW], ids=["1280", "390"])
def test_a_page_note_needs_no_selection_and_is_listed_first(visit, document, viewport) -> None:
    tab = visit("reader", viewport=viewport)
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    page.click("#page-note-button")
    expect(page.locator("#editor-title")).to_have_text("Page note")
    expect(page.locator("#editor-quote")).to_have_text("The whole document")
    page.fill("#editor-comment", "Read this with the March notice.")
    page.press("#editor-comment", "Control+Enter")
    expect(page.locator("#editor")).to_be_hidden()
    note = Annotation.objects.get()
    assert note.is_page_note and note.comment == "Read this with the March notice."
    expect(page.locator("#panel-comment")).to_have_text("Read this with the March notice.")
    expect(page.locator("#annotation-panel .page-note")).to_contain_text("whole document")
    assert page.locator("mark.hl").count() == 0  # nothing in the text is highlighted
    if viewport is NARROW:
        page.keyboard.press("Escape")
        page.click("#list-toggle")
    expect(page.locator(f"#list-item-{note.pk} .list-quote")).to_contain_text("Page note")
    assert not tab.errors
