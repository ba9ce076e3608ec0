"""Rules the database holds for annotations, whatever code writes to it: each tried with
raw SQL, as someone with direct database access would write."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from annotations.models import Annotation, SourceTag
from archive.models import Source
from tests.archive.test_constraints import racing, raw
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def execute(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def refused(match: str):
    return pytest.raises(IntegrityError, match=match)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("start", 0),
        ("end", 200),
        ("quote", "the fare would triple"),
        ("prefix", "rewritten context"),
        ("suffix", "rewritten context"),
    ],
)
def test_an_annotations_span_and_context_never_change(annotate, column: str, value) -> None:
    annotation = annotate()
    with refused("cannot change"):
        execute(
            f'UPDATE annotations_annotation SET "{column}" = %s WHERE id = %s',
            [value, annotation.pk],
        )
    assert Annotation.objects.get(pk=annotation.pk).quote == "the fare would double"


@pytest.mark.parametrize(
    ("column", "value"), [("canonical", "urn:uuid:43"), ("via", '["https://elsewhere.example/2"]')]
)
def test_the_iris_an_annotation_was_posted_with_never_change(
    annotate, column: str, value: str
) -> None:
    annotation = annotate(canonical="urn:uuid:42", via=["https://elsewhere.example/1"])
    with refused("cannot change"):
        execute(
            f'UPDATE annotations_annotation SET "{column}" = %s WHERE id = %s',
            [value, annotation.pk],
        )
    kept = Annotation.objects.get(pk=annotation.pk)
    assert (kept.canonical, kept.via) == ("urn:uuid:42", ["https://elsewhere.example/1"])


@pytest.mark.parametrize(
    ("column", "value"), [("imported_from", "urn:uuid:43"), ("imported_creator", "Someone else")]
)
def test_where_an_imported_annotation_came_from_never_changes(
    annotate, column: str, value: str
) -> None:
    annotation = annotate(imported_from="urn:uuid:42", imported_creator="Ayla")
    with refused("cannot change"):
        execute(
            f'UPDATE annotations_annotation SET "{column}" = %s WHERE id = %s',
            [value, annotation.pk],
        )
    kept = Annotation.objects.get(pk=annotation.pk)
    assert (kept.imported_from, kept.imported_creator) == ("urn:uuid:42", "Ayla")


def test_an_annotation_cannot_move_to_another_document(annotate) -> None:
    annotation = annotate()
    other = DocumentFactory(body="Another invented text where the fare would double.")
    with refused("cannot change"):
        execute(
            "UPDATE annotations_annotation SET document_id = %s WHERE id = %s",
            [other.pk, annotation.pk],
        )
    assert Annotation.objects.get(pk=annotation.pk).document_id == annotation.document_id


def test_an_annotations_creator_never_changes(annotate, outsider) -> None:
    annotation = annotate()
    with refused("cannot change"):
        execute(
            "UPDATE annotations_annotation SET creator_id = %s WHERE id = %s",
            [outsider.pk, annotation.pk],
        )
    assert Annotation.objects.get(pk=annotation.pk).creator_id == annotation.creator_id


def test_what_is_said_of_a_span_may_still_change(annotate) -> None:
    annotation = annotate()
    execute(
        "UPDATE annotations_annotation SET comment = %s, version = version + 1 WHERE id = %s",
        ["A second thought.", annotation.pk],
    )
    annotation.refresh_from_db()
    assert (annotation.comment, annotation.version) == ("A second thought.", 2)


@pytest.mark.parametrize("state", ["hidden", "deleted"])
def test_a_time_without_the_person_is_refused(annotate, state: str) -> None:
    annotation = annotate()
    with refused(f"annotations_annotation_{state}_by_iff_{state}_at"):
        execute(
            f"UPDATE annotations_annotation SET {state}_at = %s WHERE id = %s",
            [timezone.now(), annotation.pk],
        )
    assert getattr(Annotation.objects.get(pk=annotation.pk), f"{state}_at") is None


@pytest.mark.parametrize("state", ["hidden", "deleted"])
def test_a_person_without_the_time_is_refused(annotate, outsider, state: str) -> None:
    annotation = annotate()
    with refused(f"annotations_annotation_{state}_by_iff_{state}_at"):
        execute(
            f"UPDATE annotations_annotation SET {state}_by_id = %s WHERE id = %s",
            [outsider.pk, annotation.pk],
        )
    assert getattr(Annotation.objects.get(pk=annotation.pk), f"{state}_by_id") is None


@pytest.mark.parametrize("state", ["hidden", "deleted"])
def test_the_time_and_the_person_together_are_accepted_and_cleared_together(
    annotate, outsider, state: str
) -> None:
    annotation = annotate()
    execute(
        f"UPDATE annotations_annotation SET {state}_at = %s, {state}_by_id = %s WHERE id = %s",
        [timezone.now(), outsider.pk, annotation.pk],
    )
    execute(
        f"UPDATE annotations_annotation SET {state}_at = NULL, {state}_by_id = NULL WHERE id = %s",
        [annotation.pk],
    )
    assert getattr(Annotation.objects.get(pk=annotation.pk), f"{state}_by_id") is None


def test_a_source_that_tags_name_cannot_become_a_tombstone(annotate, outlet) -> None:
    annotate(source_tags=[(outlet.slug, "claimed_by")])
    target = SourceFactory()
    with refused("be merged while annotations_sourcetag rows name it"):
        execute(
            "UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, outlet.pk]
        )
    assert Source.objects.get(pk=outlet.pk).merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_a_tag_and_a_merge_of_its_source_made_at_once_keep_the_rule(annotate) -> None:
    annotation, source, target = annotate(), SourceFactory(), SourceFactory()
    tag = raw(
        "INSERT INTO annotations_sourcetag (annotation_id, source_id, role) VALUES (%s, %s, %s)",
        [annotation.pk, source.pk, "quoted"],
    )
    merge = raw(
        "UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, source.pk]
    )
    outcomes = racing(tag, merge)
    assert outcomes[0] is None and isinstance(outcomes[1], IntegrityError), outcomes
    assert Source.objects.get(pk=source.pk).merged_into_id is None


@pytest.mark.django_db(transaction=True)
def test_a_merge_and_a_tag_of_the_merged_source_made_at_once_keep_the_rule(annotate) -> None:
    annotation, source, target = annotate(), SourceFactory(), SourceFactory()
    merge = raw(
        "UPDATE archive_source SET merged_into_id = %s WHERE id = %s", [target.pk, source.pk]
    )
    tag = raw(
        "INSERT INTO annotations_sourcetag (annotation_id, source_id, role) VALUES (%s, %s, %s)",
        [annotation.pk, source.pk, "quoted"],
    )
    outcomes = racing(merge, tag)
    assert outcomes[0] is None and isinstance(outcomes[1], IntegrityError), outcomes
    assert not SourceTag.objects.filter(source=source).exists()
