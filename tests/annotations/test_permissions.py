"""Personas × endpoints × visibility: who may read, change, delete, reply to and hide what."""

from __future__ import annotations

import pytest

from annotations.models import Visibility

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "colleague", "outsider", "curator", "anonymous"]

# What each persona gets, by visibility of an annotation the owner made in the team's group.
READ = {
    Visibility.PRIVATE: {"owner": 200, "colleague": 404, "outsider": 404, "curator": 200},
    Visibility.GROUP: {"owner": 200, "colleague": 200, "outsider": 404, "curator": 200},
    Visibility.PUBLIC: {"owner": 200, "colleague": 200, "outsider": 200, "curator": 200},
}


def request(endpoint: str, client, annotation):
    url = f"/api/annotations/{annotation.pk}/"
    if_match = {"HTTP_IF_MATCH": annotation.etag}
    return {
        "read": lambda: client.get(url),
        "history": lambda: client.get(f"{url}history/"),
        "edit": lambda: client.patch(url, {"comment": "changed"}, format="json", **if_match),
        "delete": lambda: client.delete(f"{url}?reason=moderation", **if_match),
        "reply": lambda: client.post(f"{url}replies/", {"body": "A reply."}, format="json"),
        "hide": lambda: client.post(f"{url}hide/", {"reason": "moderation"}, format="json"),
    }[endpoint]()


def expected_status(endpoint: str, persona: str, visibility: str) -> int:
    if persona == "anonymous":
        return 401
    readable = READ[visibility][persona] == 200
    if endpoint in ("read", "history"):
        return 200 if readable else 404
    if endpoint == "reply":
        return 201 if readable else 404
    if endpoint == "hide":
        return 200 if persona == "curator" else 403
    if not readable:
        return 404
    if endpoint == "edit":
        return 200 if persona == "owner" else 403
    if endpoint == "delete":
        return 204 if persona in ("owner", "curator") else 403
    raise AssertionError(endpoint)


@pytest.mark.parametrize("endpoint", ["read", "history", "edit", "delete", "reply", "hide"])
@pytest.mark.parametrize("visibility", list(Visibility))
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_answer_the_permission_matrix_gives(
    request_fixture, annotate, client_for, endpoint, visibility, persona
) -> None:
    annotation = annotate(visibility=visibility)
    user = None if persona == "anonymous" else request_fixture.getfixturevalue(persona)
    response = request(endpoint, client_for(user), annotation)
    assert response.status_code == expected_status(endpoint, persona, visibility), response.content[
        :300
    ]


@pytest.fixture
def request_fixture(request):
    return request


@pytest.mark.parametrize("persona", ["owner", "colleague", "outsider", "curator"])
def test_lists_show_each_persona_what_they_may_read(
    request_fixture, annotate, client_for, document, persona
) -> None:
    made = {visibility: annotate(visibility=visibility) for visibility in Visibility}
    user = request_fixture.getfixturevalue(persona)
    for url in (f"/api/documents/{document.pk}/annotations/", "/api/annotations/"):
        # Kaynak's JSON: the container answers the W3C form by default.
        listing = client_for(user).get(url, HTTP_ACCEPT="application/json").json()
        found = {item["id"] for item in listing["results"]}
        assert found == {
            made[visibility].pk for visibility in Visibility if READ[visibility][persona] == 200
        }


def test_hidden_annotations_are_seen_only_by_creator_and_curators(
    annotate, client_for, owner, colleague, curator
) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC)
    client_for(curator).post(
        f"/api/annotations/{annotation.pk}/hide/", {"reason": "unsourced claim"}, format="json"
    )
    assert client_for(colleague).get(f"/api/annotations/{annotation.pk}/").status_code == 404
    seen = client_for(owner).get(f"/api/annotations/{annotation.pk}/").json()
    assert (seen["hidden"], seen["hidden_reason"]) == (True, "unsourced claim")
    assert client_for(curator).get(f"/api/annotations/{annotation.pk}/").status_code == 200
    client_for(curator).delete(f"/api/annotations/{annotation.pk}/hide/")
    assert client_for(colleague).get(f"/api/annotations/{annotation.pk}/").status_code == 200
