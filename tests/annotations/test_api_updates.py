"""PATCH and PUT on an annotation do what they say: nothing sent, nothing changed; a field that
cannot change is refused by name; visibility moves in and out of a group in one field."""

from __future__ import annotations

import pytest

from annotations.models import Annotation, Visibility

pytestmark = pytest.mark.django_db


def url(annotation: Annotation) -> str:
    return f"/api/annotations/{annotation.pk}/"


def patch(client, annotation: Annotation, data, *, if_match: str | None = None):
    headers = {"HTTP_IF_MATCH": if_match or annotation.etag}
    return client.patch(url(annotation), data, format="json", **headers)


def stored(annotation: Annotation) -> Annotation:
    return Annotation.objects.get(pk=annotation.pk)


def test_an_empty_patch_changes_nothing_and_answers_the_current_version(
    annotate, client_for, owner
) -> None:
    annotation = annotate(comment="as it was", visibility=Visibility.PUBLIC)
    response = patch(client_for(owner), annotation, {})
    assert response.status_code == 200, response.json()
    assert response["ETag"] == annotation.etag == f'"{annotation.pk}.1"'
    assert (response.json()["version"], response.json()["comment"]) == (1, "as it was")
    assert stored(annotation).version == 1
    assert stored(annotation).modified_at == annotation.modified_at
    assert annotation.revisions.count() == 1


def test_an_empty_patch_still_needs_the_current_if_match(annotate, client_for, owner) -> None:
    annotation = annotate()
    client = client_for(owner)
    assert client.patch(url(annotation), {}, format="json").status_code == 428
    stale = patch(client, annotation, {}, if_match=f'"{annotation.pk}.7"')
    assert stale.status_code == 412
    assert stale["ETag"] == annotation.etag


def test_an_empty_patch_by_someone_else_is_still_forbidden(annotate, client_for, colleague) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    assert patch(client_for(colleague), annotation, {}).status_code == 403


def test_sending_the_current_values_again_records_no_revision(
    annotate, client_for, owner, tag, outlet
) -> None:
    annotation = annotate(
        comment="same",
        visibility=Visibility.GROUP,
        tags=["Fare dispute"],
        source_tags=[(outlet.slug, "quoted")],
    )
    response = client_for(owner).put(
        url(annotation),
        {
            "comment": "same",
            "visibility": "group",
            "group": annotation.group_id,
            "tags": ["fare DISPUTE"],
            "source_tags": [{"source": outlet.slug, "role": "quoted"}],
        },
        format="json",
        HTTP_IF_MATCH=annotation.etag,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 1
    assert annotation.revisions.count() == 1


def test_a_real_change_still_raises_the_version(annotate, client_for, owner) -> None:
    annotation = annotate(comment="before")
    response = patch(client_for(owner), annotation, {"comment": "after"})
    assert response.status_code == 200
    assert response["ETag"] == f'"{annotation.pk}.2"'
    assert annotation.revisions.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start", 0),
        ("end", 3),
        ("quote", "The"),
        ("prefix", ""),
        ("suffix", "x"),
        ("offset_unit", "utf16"),
        ("document", 1),
        ("creator", "colleague"),
        ("id", 1),
        ("url", "http://testserver/api/annotations/1/"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("modified_at", "2020-01-01T00:00:00Z"),
        ("version", 9),
        ("hidden", False),
        ("hidden_reason", ""),
        ("reply_count", 0),
    ],
)
def test_a_read_only_field_is_refused_by_name_and_nothing_changes(
    annotate, client_for, owner, field, value
) -> None:
    annotation = annotate(comment="kept")
    response = patch(client_for(owner), annotation, {field: value, "comment": "not applied"})
    assert response.status_code == 400
    body = response.json()
    # Every error body leads with `detail` (and `code`), then the fields as DRF names them.
    assert list(body) == ["detail", "code", field]
    assert body["detail"].startswith(f"{field}: {field} is read-only")
    assert f"{field} is read-only" in body[field][0]
    assert "comment, visibility, group, tags, source_tags" in body[field][0]
    assert (stored(annotation).comment, stored(annotation).version) == ("kept", 1)


def test_every_read_only_field_sent_is_named(annotate, client_for, owner) -> None:
    annotation = annotate()
    response = patch(client_for(owner), annotation, {"start": 0, "end": 4, "colour": "red"})
    assert response.status_code == 400
    body = response.json()
    assert sorted(body) == ["code", "colour", "detail", "end", "start"]
    assert "unknown field 'colour'" in body["colour"][0]
    assert "annotate the new span instead" in body["start"][0]


def test_a_put_with_read_only_fields_names_them_before_missing_ones(
    annotate, client_for, owner
) -> None:
    annotation = annotate()
    response = client_for(owner).put(
        url(annotation), {"start": 0}, format="json", HTTP_IF_MATCH=annotation.etag
    )
    assert response.status_code == 400
    assert list(response.json()) == ["detail", "code", "start"]


@pytest.mark.parametrize("leaving_for", [Visibility.PUBLIC, Visibility.PRIVATE])
def test_visibility_alone_takes_a_group_annotation_out_of_its_group(
    annotate, client_for, owner, outsider, leaving_for
) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    response = patch(client_for(owner), annotation, {"visibility": leaving_for})
    assert response.status_code == 200, response.json()
    assert (response.json()["visibility"], response.json()["group"]) == (leaving_for, None)
    assert (stored(annotation).visibility, stored(annotation).group) == (leaving_for, None)
    revision = annotation.revisions.get(version=2)
    assert revision.changes["group"] == {"before": annotation.group_id, "after": None}
    seen_by_outsider = client_for(outsider).get(url(annotation)).status_code
    assert seen_by_outsider == (200 if leaving_for == Visibility.PUBLIC else 404)


def test_naming_a_group_with_another_visibility_is_still_refused(
    annotate, client_for, owner, team
) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    response = patch(client_for(owner), annotation, {"visibility": "public", "group": team.pk})
    assert response.status_code == 400
    assert "only with group visibility" in response.json()["detail"]
    assert stored(annotation).visibility == Visibility.GROUP


def test_entering_group_visibility_still_needs_a_group(annotate, client_for, owner, team) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC)
    response = patch(client_for(owner), annotation, {"visibility": "group"})
    assert response.status_code == 400
    assert "needs a group" in response.json()["detail"]
    entered = patch(client_for(owner), annotation, {"visibility": "group", "group": team.pk})
    assert entered.status_code == 200
    assert entered.json()["group"]["id"] == team.pk


def test_a_group_annotation_moves_to_another_group_by_group_alone(
    annotate, client_for, owner
) -> None:
    other = owner.groups.create(name="night desk")
    annotation = annotate(visibility=Visibility.GROUP)
    response = patch(client_for(owner), annotation, {"group": other.pk})
    assert response.status_code == 200
    assert response.json()["group"]["id"] == other.pk
