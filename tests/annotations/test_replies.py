"""Replies change only by their author, each change a revision; curators may hide them
(issue 14 §3). Personas: owner (of the annotation), colleague (its group), curator."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from annotations.models import ReplyRevision, Visibility
from annotations.services import (
    NotAllowed,
    StaleReply,
    reply_create,
    reply_delete,
    reply_hide,
    reply_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(annotate, colleague):
    annotation = annotate(visibility=Visibility.GROUP)
    reply = reply_create(annotation=annotation, author=colleague, body="Which port?")
    return annotation, reply


def history(reply) -> list[tuple[int, str, str, dict]]:
    return [
        (revision.version, revision.action, revision.actor.username, revision.changes)
        for revision in ReplyRevision.objects.filter(reply=reply).order_by("version")
    ]


def test_a_reply_can_be_edited_by_its_author(thread, colleague) -> None:
    _, reply = thread
    edited = reply_update(reply=reply, actor=colleague, expected_version=1, body="Which quay?")
    assert (edited.body, edited.version) == ("Which quay?", 2)
    assert edited.modified_at is not None
    assert history(reply) == [
        (1, "created", "colleague", {"body": {"after": "Which port?"}}),
        (2, "updated", "colleague", {"body": {"before": "Which port?", "after": "Which quay?"}}),
    ]


def test_an_unchanged_reply_makes_no_revision(thread, colleague) -> None:
    _, reply = thread
    reply_update(reply=reply, actor=colleague, expected_version=1, body="Which port?")
    assert len(history(reply)) == 1


@pytest.mark.parametrize("who", ["owner", "curator"])
def test_nobody_else_edits_or_deletes_a_reply(thread, request, who) -> None:
    _, reply = thread
    other = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        reply_update(reply=reply, actor=other, expected_version=1, body="Rewritten.")
    with pytest.raises(NotAllowed):
        reply_delete(reply=reply, actor=other, expected_version=1)
    reply.refresh_from_db()
    assert (reply.body, reply.deleted_at) == ("Which port?", None)


def test_a_stale_reply_edit_is_refused(thread, colleague) -> None:
    _, reply = thread
    reply_update(reply=reply, actor=colleague, expected_version=1, body="Second.")
    with pytest.raises(StaleReply):
        reply_update(reply=reply, actor=colleague, expected_version=1, body="Third.")


def test_a_deleted_reply_leaves_the_thread_and_keeps_its_history(
    thread, colleague, client_for, owner
) -> None:
    annotation, reply = thread
    reply_delete(reply=reply, actor=colleague, expected_version=1)
    assert client_for(owner).get(f"/api/annotations/{annotation.pk}/replies/").json() == []
    body = client_for(owner).get(f"/api/annotations/{annotation.pk}/").json()
    assert body["reply_count"] == 0
    assert history(reply)[-1] == (2, "deleted", "colleague", {"body": {"before": "Which port?"}})


def test_only_a_curator_hides_a_reply_which_its_author_still_reads(
    thread, colleague, owner, curator, client_for
) -> None:
    annotation, reply = thread
    with pytest.raises(NotAllowed):
        reply_hide(reply=reply, actor=owner, reason="Off topic.")
    reply_hide(reply=reply, actor=curator, reason="Off topic.")
    url = f"/api/annotations/{annotation.pk}/replies/"
    assert client_for(owner).get(url).json() == []
    [seen] = client_for(colleague).get(url).json()
    assert (seen["hidden"], seen["hidden_reason"]) == (True, "Off topic.")
    assert history(reply)[-1][:3] == (2, "hidden", "curator")


def test_the_api_edits_a_reply_with_if_match(thread, colleague, owner, client_for) -> None:
    annotation, reply = thread
    url = f"/api/annotations/{annotation.pk}/replies/{reply.pk}/"
    author = client_for(colleague)
    read = author.get(url)
    assert read.status_code == 200
    etag = read["ETag"]
    assert author.patch(url, {"body": "No tag."}, format="json").status_code == 428
    changed = author.patch(url, {"body": "Which quay?"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["body"] == "Which quay?"
    stale = author.patch(url, {"body": "Late."}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["current"]["body"] == "Which quay?"
    refused = client_for(owner).patch(
        url, {"body": "Not mine."}, format="json", HTTP_IF_MATCH=changed["ETag"]
    )
    assert refused.status_code == 403
    assert client_for(owner).delete(url, HTTP_IF_MATCH=changed["ETag"]).status_code == 403
    assert author.delete(url, HTTP_IF_MATCH=changed["ETag"]).status_code == 204
    assert author.get(url).status_code == 404


def test_the_api_lets_curators_hide_and_show_a_reply(thread, curator, owner, client_for) -> None:
    annotation, reply = thread
    url = f"/api/annotations/{annotation.pk}/replies/{reply.pk}/hide/"
    assert client_for(owner).post(url, {"reason": "x"}, format="json").status_code == 403
    assert client_for(curator).post(url, {"reason": ""}, format="json").status_code == 400
    hidden = client_for(curator).post(url, {"reason": "Spam."}, format="json")
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    shown = client_for(curator).delete(url)
    assert shown.status_code == 200 and shown.json()["hidden"] is False
    assert [revision[1] for revision in history(reply)] == ["created", "hidden", "unhidden"]


def test_reply_revisions_are_append_only_in_the_database(thread, colleague) -> None:
    _, reply = thread
    reply_update(reply=reply, actor=colleague, expected_version=1, body="a second thought")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ReplyRevision.objects.update(reason="rewritten")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM annotations_replyrevision")
