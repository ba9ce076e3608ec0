"""The annotation panel (issue 14 §3): replies with author and date that their author edits
and deletes, history in words with before and after, one date form in the reader's time
zone, the keys on "?", and on a phone a panel that leaves its passage in view."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from annotations.models import Annotation, Reply, ReplyRevision, Visibility
from annotations.services import (
    SourceTagInput,
    annotation_create,
    annotation_update,
    reply_create,
    tag_create,
)
from tests.factories import DocumentFactory, SourceFactory
from tests.web.conftest import NARROW

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = (
    "The ferry company said the winter timetable would start in November.\n\n"
    + "Passengers waited on the pier while the crew loaded crates of oranges. " * 14
    + "\n\nThe harbour master said the last ferry of the day would leave at nine."
)
READABLE = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")


@pytest.fixture
def document(reader_user):
    return DocumentFactory(title="THE WINTER TIMETABLE", body=TEXT)


@pytest.fixture
def annotation(document, reader_user):
    return annotation_create(
        document=document,
        creator=reader_user,
        quote="the winter timetable would start in November",
        comment="Compare with last year.",
        visibility=Visibility.PUBLIC,
    )


def open_panel(tab, document, annotation) -> Page:
    page = tab.go(f"/documents/{document.pk}/")
    expect(page.locator("#document-text[data-ready='true']")).to_be_visible()
    page.click(f"#annotation-{annotation.pk}")
    expect(page.locator("#annotation-panel")).to_be_visible()
    return page


def test_a_reply_shows_author_and_date_and_its_author_edits_and_deletes_it(
    visit, document, annotation, second_user
) -> None:
    reply_create(annotation=annotation, author=second_user, body="Last year it was October.")
    tab = visit("reader")
    page = open_panel(tab, document, annotation)
    theirs = page.locator("#panel-replies .reply").first
    expect(theirs.locator(".reply-author")).to_have_text("second")
    expect(theirs.locator("time")).to_have_text(READABLE)
    expect(theirs.locator(".reply-edit")).to_have_count(0)  # not the reader's to edit

    page.fill("#reply-body", "Thanks, I will check.")
    page.press("#reply-body", "Control+Enter")
    mine = page.locator("#panel-replies .reply").nth(1)
    expect(mine.locator(".reply-body")).to_have_text("Thanks, I will check.")
    expect(page.locator(f"#list-item-{annotation.pk} .list-replies")).to_have_text("2 replies")
    mine.locator(".reply-edit").click()
    mine.locator(".reply-editor").fill("Thanks, checked: October.")
    mine.locator("button", has_text="Save reply").click()
    expect(mine.locator(".reply-body")).to_have_text("Thanks, checked: October.")
    expect(mine.locator(".reply-meta")).to_contain_text("edited")
    reply = Reply.objects.get(body="Thanks, checked: October.")
    assert list(reply.revisions.values_list("action", flat=True)) == ["created", "updated"]

    mine.locator(".reply-delete").click()
    page.click(".reply-confirm-delete")
    expect(page.locator("#panel-replies .reply")).to_have_count(1)
    expect(page.locator(f"#list-item-{annotation.pk} .list-replies")).to_have_text("1 reply")
    reply.refresh_from_db()
    assert reply.deleted_at is not None
    assert ReplyRevision.objects.filter(reply=reply, action="deleted").exists()
    assert not tab.errors


def test_a_curator_hides_a_reply_from_the_panel(visit, document, annotation, second_user):
    second_user.is_superuser = True  # a curator: may moderate annotations
    second_user.save(update_fields=["is_superuser"])
    reply_create(annotation=annotation, author=annotation.creator, body="Off-topic aside.")
    tab = visit("second")
    page = open_panel(tab, document, annotation)
    page.click("#panel-replies .reply-hide")
    page.fill(".reply-hide-reason", "Not about the passage.")
    page.click(".reply-confirm-hide")
    expect(page.locator("#panel-replies .notice")).to_contain_text("Not about the passage.")
    assert Reply.objects.get().hidden_at is not None


def test_history_says_what_changed_in_words_with_before_and_after(
    visit, document, reader_user
) -> None:
    pier = SourceFactory(name="Pier Authority", kind="government")
    tag_create(name="timetable", actor=reader_user)
    annotation = annotation_create(
        document=document,
        creator=reader_user,
        quote="the winter timetable would start in November",
        comment="First reading.",
    )
    annotation_update(
        annotation=annotation,
        actor=reader_user,
        expected_version=1,
        comment="Second reading.",
        tags=["timetable"],
        source_tags=[SourceTagInput(pier.slug, "claimed_by")],
        visibility=Visibility.PUBLIC,
    )
    tab = visit("reader")
    page = open_panel(tab, document, annotation)
    page.click("#annotation-panel summary:has-text('History')")
    edited = page.locator(".history > li").nth(1)
    expect(edited.locator(".revision-head")).to_contain_text("Edited by reader")
    expect(edited.locator("time")).to_have_text(READABLE)
    changes = edited.locator(".revision-changes li")
    expect(changes).to_have_text(
        [
            "Comment: “First reading.” → “Second reading.”",
            "Tags: none → timetable",
            "Sources: none → Claimed by Pier Authority",
            "Who can see it: Private (only me) → Public (every signed-in user)",
        ]
    )
    expect(page.locator(".history")).not_to_contain_text("source_tags")
    expect(page.locator(".history")).not_to_contain_text("visibility")


def test_dates_are_one_readable_form_in_the_readers_time_zone(visit, document, annotation) -> None:
    instant = datetime(2026, 12, 2, 18, 50, tzinfo=UTC)  # 03:50 next day in Tokyo
    Annotation.objects.filter(pk=annotation.pk).update(created_at=instant)
    tab = visit("reader")
    session = tab.page.context.new_cdp_session(tab.page)
    session.send("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    page = open_panel(tab, document, annotation)
    expect(page.locator("#annotation-panel .annotation-meta time")).to_have_text(
        "3 Dec 2026, 03:50"
    )
    expect(page.locator(f"#list-item-{annotation.pk} .list-date")).to_have_text("3 Dec 2026, 03:50")
    for time in page.locator(".timeline time").all():
        expect(time).to_have_text(READABLE)


def test_question_mark_opens_the_keys_but_not_while_typing(visit, document, annotation) -> None:
    tab = visit("reader")
    page = open_panel(tab, document, annotation)
    page.click("#reply-body")
    page.keyboard.type("?")
    expect(page.locator("#keys-help")).to_be_hidden()
    expect(page.locator("#reply-body")).to_have_value("?")
    page.locator("#annotation-panel").focus()
    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    expect(page.locator("#keys-help")).to_contain_text("Next / previous annotation")
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()
    expect(page.locator("#annotation-panel")).to_be_visible()  # Esc closed only the keys


@pytest.mark.parametrize("where", ["first", "last"])
def test_on_a_phone_the_open_panel_leaves_its_passage_in_view(
    visit, document, reader_user, where
) -> None:
    quote = (
        "The ferry company said"
        if where == "first"
        else "the last ferry of the day would leave at nine"
    )
    annotation = annotation_create(document=document, creator=reader_user, quote=quote)
    tab = visit("reader", viewport=NARROW)
    page = tab.go(f"/documents/{document.pk}/")
    mark = page.locator(f"#annotation-{annotation.pk}")
    mark.scroll_into_view_if_needed()
    mark.click()
    panel = page.locator("#annotation-panel")
    expect(panel).to_be_visible()
    page.wait_for_function(
        "(id) => { const m = document.getElementById(id).getBoundingClientRect();"
        " const p = document.getElementById('annotation-panel').getBoundingClientRect();"
        " return m.top >= 0 && m.bottom <= p.top; }",
        arg=f"annotation-{annotation.pk}",
    )
