"""History by persona: a revision shows a reader only what they could read at that revision's
visibility (before and after, each on its own); otherwise that a change happened (which
fields, by whom, when), not its content. The hide reason is for the creator and curators."""

from __future__ import annotations

import json

import pytest

from annotations import w3c
from annotations.models import Visibility
from annotations.selectors import can_read_state, visible_annotations
from annotations.services import annotation_hide, annotation_unhide, annotation_update

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "curator"]


@pytest.fixture
def request_fixture(request):
    return request


def update(annotation, owner, **changes):
    annotation.refresh_from_db()
    return annotation_update(
        annotation=annotation, actor=owner, expected_version=annotation.version, **changes
    )


def history(client, annotation) -> tuple[str, list[dict]]:
    response = client.get(f"/api/annotations/{annotation.pk}/history/")
    assert response.status_code == 200, response.content[:300]
    return response.content.decode(), response.json()


def withheld(revisions: list[dict]) -> list[tuple[int, list[str]]]:
    return [(item["version"], item["withheld"]) for item in revisions]


def assert_shows_nothing_of(body: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in body, f"{secret!r} leaked"


@pytest.mark.parametrize("persona", PERSONAS)
def test_private_then_group_then_public(
    request_fixture, annotate, client_for, owner, team, persona
) -> None:
    annotation = annotate(visibility=Visibility.PRIVATE, comment="my private hunch")
    update(annotation, owner, visibility=Visibility.GROUP, group=team.pk, comment="for the desk")
    update(annotation, owner, visibility=Visibility.PUBLIC, comment="for everyone")
    body, revisions = history(client_for(request_fixture.getfixturevalue(persona)), annotation)
    expected = {
        "owner": [(1, []), (2, []), (3, [])],
        "curator": [(1, []), (2, []), (3, [])],
        "colleague": [(1, ["after"]), (2, ["before"]), (3, [])],
        "outsider": [(1, ["after"]), (2, ["before", "after"]), (3, ["before"])],
    }[persona]
    assert withheld(revisions) == expected
    # Which fields changed, by whom and when, is shown to every reader.
    assert [sorted(item["changes"]) for item in revisions][1:] == [
        ["comment", "group", "visibility"],
        ["comment", "group", "visibility"],
    ]
    assert {item["actor"] for item in revisions} == {"owner"}
    assert all(item["occurred_at"] for item in revisions)
    assert revisions[2]["changes"]["comment"].get("after") == "for everyone"
    if persona in ("owner", "curator"):
        assert revisions[1]["changes"]["comment"] == {
            "before": "my private hunch",
            "after": "for the desk",
        }
    if persona == "colleague":
        assert_shows_nothing_of(body, "my private hunch")
        assert revisions[1]["changes"]["comment"] == {"after": "for the desk"}
    if persona == "outsider":
        assert_shows_nothing_of(body, "my private hunch", "for the desk")
        assert revisions[1]["changes"]["group"] == {}
        assert revisions[2]["changes"]["visibility"] == {"after": "public"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_history_of_a_group_annotation_made_public_withholds_what_outsiders_never_saw(
    request_fixture, annotate, client_for, owner, persona
) -> None:
    annotation = annotate(visibility=Visibility.GROUP, comment="desk only", tags=[])
    update(annotation, owner, visibility=Visibility.PUBLIC)
    body, revisions = history(client_for(request_fixture.getfixturevalue(persona)), annotation)
    expected = [(1, ["after"]), (2, ["before"])] if persona == "outsider" else [(1, []), (2, [])]
    assert withheld(revisions) == expected
    if persona == "outsider":
        # The comment did not change when it went public: it is in the annotation itself,
        # not in a history that never showed it.
        assert_shows_nothing_of(body, "desk only")
        assert revisions[0]["changes"]["comment"] == {"before": None}
    else:
        assert revisions[0]["changes"]["comment"] == {"before": None, "after": "desk only"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_then_private_then_public(
    request_fixture, annotate, client_for, owner, persona
) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC, comment="said in public")
    update(annotation, owner, visibility=Visibility.PRIVATE, comment="second thoughts, mine")
    update(annotation, owner, visibility=Visibility.PUBLIC, comment="said in public again")
    body, revisions = history(client_for(request_fixture.getfixturevalue(persona)), annotation)
    if persona in ("owner", "curator"):
        assert withheld(revisions) == [(1, []), (2, []), (3, [])]
        assert "second thoughts, mine" in body
    else:
        assert withheld(revisions) == [(1, []), (2, ["after"]), (3, ["before"])]
        assert_shows_nothing_of(body, "second thoughts, mine")
        assert revisions[1]["changes"]["comment"] == {"before": "said in public"}
        assert revisions[2]["changes"]["comment"] == {"after": "said in public again"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_hidden_then_unhidden_keeps_the_reason_for_creator_and_curators(
    request_fixture, annotate, client_for, curator, persona
) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC, comment="a bold claim")
    annotation_hide(annotation=annotation, actor=curator, reason="names a private person")
    annotation_unhide(annotation=annotation, actor=curator)
    body, revisions = history(client_for(request_fixture.getfixturevalue(persona)), annotation)
    assert [(item["action"], item["actor"]) for item in revisions] == [
        ("created", "owner"),
        ("hidden", "curator"),
        ("unhidden", "curator"),
    ]
    if persona in ("owner", "curator"):
        assert withheld(revisions) == [(1, []), (2, []), (3, [])]
        assert revisions[1]["reason"] == "names a private person"
    else:
        assert withheld(revisions) == [(1, []), (2, ["after"]), (3, ["before"])]
        assert revisions[1]["reason"] is None
        assert revisions[1]["changes"] == {"hidden": {"before": False}}
        assert_shows_nothing_of(body, "names a private person")


def test_the_hide_reason_stays_out_of_the_history_while_hidden_too(
    annotate, client_for, colleague, curator
) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    annotation_hide(annotation=annotation, actor=curator, reason="off topic")
    # The colleague cannot read it now, so its history is not found at all.
    assert (
        client_for(colleague).get(f"/api/annotations/{annotation.pk}/history/").status_code == 404
    )
    annotation_unhide(annotation=annotation, actor=curator)
    body, _ = history(client_for(colleague), annotation)
    assert_shows_nothing_of(body, "off topic")


def test_a_colleague_who_left_the_group_sees_no_group_content(
    annotate, client_for, owner, colleague, team
) -> None:
    annotation = annotate(visibility=Visibility.GROUP, comment="desk only")
    update(annotation, owner, visibility=Visibility.PUBLIC, comment="now for all")
    colleague.groups.remove(team)
    body, revisions = history(client_for(colleague), annotation)
    assert withheld(revisions) == [(1, ["after"]), (2, ["before"])]
    assert_shows_nothing_of(body, "desk only")


def test_history_is_one_json_list_a_client_can_read(annotate, client_for, outsider, owner) -> None:
    annotation = annotate(visibility=Visibility.PRIVATE, comment="hush")
    update(annotation, owner, visibility=Visibility.PUBLIC)
    _, revisions = history(client_for(outsider), annotation)
    for item in revisions:
        assert set(item) >= {"version", "action", "actor", "occurred_at", "changes", "withheld"}
        assert set(item["withheld"]) <= {"before", "after"}
        for change in item["changes"].values():
            assert set(change) <= {"before", "after"}
    json.dumps(revisions)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_past_state_rule_agrees_with_who_reads_the_annotation_now(
    request_fixture, annotate, curator, persona, visibility, hidden
) -> None:
    annotation = annotate(visibility=visibility)
    if hidden:
        annotation = annotation_hide(annotation=annotation, actor=curator, reason="check")
    user = request_fixture.getfixturevalue(persona)
    state = {
        "visibility": annotation.visibility,
        "group": annotation.group_id,
        "hidden": annotation.hidden_at is not None,
    }
    group_ids = set(user.groups.values_list("pk", flat=True))
    assert can_read_state(user, annotation, state, group_ids=group_ids) == (
        visible_annotations(user).filter(pk=annotation.pk).exists()
    )


@pytest.mark.parametrize("persona", ["colleague", "outsider"])
def test_the_w3c_form_and_the_exports_carry_no_history(
    request_fixture, annotate, client_for, owner, curator, document, persona
) -> None:
    annotation = annotate(visibility=Visibility.PRIVATE, comment="my private hunch")
    update(annotation, owner, visibility=Visibility.PUBLIC, comment="for everyone")
    annotation_hide(annotation=annotation, actor=curator, reason="names a private person")
    annotation_unhide(annotation=annotation, actor=curator)
    client = client_for(request_fixture.getfixturevalue(persona))
    bodies = [
        client.get(f"/api/annotations/{annotation.pk}/", HTTP_ACCEPT=w3c.MEDIA_TYPE),
        client.get(f"/api/documents/{document.pk}/annotations/?page=1", HTTP_ACCEPT=w3c.MEDIA_TYPE),
        *(
            client.get(f"/api/documents/{document.pk}/annotations/export/?as={kind}")
            for kind in ("jsonld", "csv", "jsonl")
        ),
    ]
    for response in bodies:
        assert response.status_code == 200
        content = response.getvalue().decode()  # the exports are streamed
        assert "for everyone" in content
        assert_shows_nothing_of(content, "my private hunch", "names a private")
