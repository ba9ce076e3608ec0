from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from annotations.models import (
    COMMENT_MAX_LENGTH,
    Annotation,
    AnnotationRevision,
    SourceTag,
    Visibility,
)
from annotations.services import (
    AnnotationRefused,
    NotAllowed,
    SourceTagInput,
    StaleAnnotation,
    annotation_create,
    annotation_delete,
    annotation_hide,
    annotation_update,
    reply_create,
    tag_create,
)
from tests.annotations.conftest import TEXT
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


def test_create_by_offsets_stores_quote_context_and_a_revision(annotate, owner, tag, outlet):
    annotation = annotate(
        "Şükrü Öğütcü",
        comment="The cooperative's head.",
        tags=["fare dispute"],
        source_tags=[(outlet.slug, "claimed_by")],
    )
    start = TEXT.index("Şükrü Öğütcü")
    assert (annotation.start, annotation.end, annotation.quote) == (
        start,
        start + 12,
        "Şükrü Öğütcü",
    )
    assert annotation.prefix == TEXT[start - 32 : start]
    assert annotation.version == 1
    assert [tag.name for tag in annotation.tags.all()] == ["Fare dispute"]
    assert [(item.source, item.role) for item in annotation.source_tags.all()] == [
        (outlet, "claimed_by")
    ]
    [revision] = annotation.revisions.all()
    assert (revision.action, revision.version, revision.actor) == ("created", 1, owner)
    assert revision.changes["comment"] == {"before": None, "after": "The cooperative's head."}


def test_create_by_quote_alone(document, owner) -> None:
    annotation = annotation_create(
        document=document, creator=owner, quote="the fare would double", prefix="denied that "
    )
    assert annotation.start == TEXT.rindex("the fare would double")


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"tags": ["no such tag"]}, "tags", "unknown tag 'no such tag'"),
        ({"source_tags": [SourceTagInput("no-such-source")]}, "source_tags", "unknown source"),
        ({"visibility": "group", "group": 999}, "group", "unknown group 999"),
        ({"visibility": "group", "group": None}, "group", "needs a group"),
        ({"group": 1}, "group", "only with group visibility"),
        ({"comment": "x" * (COMMENT_MAX_LENGTH + 1)}, "comment", "at most 10,000"),
    ],
)
def test_bad_labels_are_refused_and_nothing_is_stored(annotate, kwargs, field, message) -> None:
    with pytest.raises(AnnotationRefused, match=message) as error:
        annotate(**kwargs)
    assert field in error.value.fields
    assert Annotation.objects.count() == 0
    assert AnnotationRevision.objects.count() == 0


def test_a_merged_away_source_is_refused_naming_the_survivor(annotate) -> None:
    survivor = SourceFactory(name="Harbour Authority")
    merged = SourceFactory(name="Port Authority Office")
    type(merged).objects.filter(pk=merged.pk).update(merged_into=survivor)
    with pytest.raises(AnnotationRefused, match="was merged into 'Harbour Authority'"):
        annotate(source_tags=[(merged.slug, "quoted")])


def test_the_database_refuses_a_source_tag_on_a_merged_away_source(annotate) -> None:
    annotation = annotate()
    survivor, merged = SourceFactory(name="Survivor"), SourceFactory(name="Merged Away")
    type(merged).objects.filter(pk=merged.pk).update(merged_into=survivor)
    with pytest.raises(IntegrityError, match="merged"), transaction.atomic():
        SourceTag.objects.create(annotation=annotation, source=merged, role="quoted")


@pytest.mark.parametrize(
    ("update", "rule"),
    [
        ({"comment": "x" * (COMMENT_MAX_LENGTH + 1)}, "annotations_annotation_comment_length"),
        ({"visibility": "group"}, "annotations_annotation_group_iff_group_visibility"),
    ],
)
def test_the_database_holds_the_comment_and_group_rules(annotate, update, rule) -> None:
    annotation = annotate()
    with pytest.raises(IntegrityError, match=rule), transaction.atomic():
        Annotation.objects.filter(pk=annotation.pk).update(**update)


def test_the_database_holds_the_span_rule(document, owner) -> None:
    # A span never changes once written (tests/annotations/test_constraints.py): its rule
    # is tried on the row as written.
    with (
        pytest.raises(IntegrityError, match="annotations_annotation_span_valid"),
        transaction.atomic(),
    ):
        Annotation.objects.create(
            document=document, creator=owner, start=5, end=5, quote="x", prefix="", suffix=""
        )


def test_revisions_are_append_only_in_the_database(annotate) -> None:
    annotate()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AnnotationRevision.objects.update(reason="rewritten")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM annotations_annotationrevision")


def test_update_raises_the_version_and_records_before_and_after(annotate, owner, tag) -> None:
    annotation = annotate(comment="first thoughts")
    updated = annotation_update(
        annotation=annotation,
        actor=owner,
        expected_version=1,
        comment="second thoughts",
        tags=["Fare dispute"],
    )
    assert updated.version == 2
    revision = updated.revisions.get(version=2)
    assert revision.action == "updated"
    assert revision.changes == {
        "comment": {"before": "first thoughts", "after": "second thoughts"},
        "tags": {"before": [], "after": ["Fare dispute"]},
    }


def test_an_edit_of_a_stale_version_is_refused(annotate, owner) -> None:
    annotation = annotate()
    annotation_update(annotation=annotation, actor=owner, expected_version=1, comment="mine")
    with pytest.raises(StaleAnnotation, match="changed by someone else") as error:
        annotation_update(annotation=annotation, actor=owner, expected_version=1, comment="lost?")
    assert error.value.status_code == 412
    annotation.refresh_from_db()
    assert (annotation.comment, annotation.version) == ("mine", 2)


def test_nobody_edits_another_persons_annotation(annotate, colleague, curator) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    for someone in (colleague, curator):
        with pytest.raises(NotAllowed):
            annotation_update(annotation=annotation, actor=someone, expected_version=1, comment="x")


def test_the_span_cannot_be_changed_for_annotation_update_takes_no_span(annotate, owner) -> None:
    annotation = annotate()
    with pytest.raises(TypeError, match="start"):
        annotation_update(annotation=annotation, actor=owner, expected_version=1, start=0)
    annotation.refresh_from_db()
    assert annotation.version == 1


def test_curators_delete_with_a_reason_recorded(annotate, curator, colleague) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC)
    with pytest.raises(NotAllowed):
        annotation_delete(annotation=annotation, actor=colleague, expected_version=1)
    with pytest.raises(AnnotationRefused, match="must give the reason"):
        annotation_delete(annotation=annotation, actor=curator, expected_version=1)
    annotation_delete(annotation=annotation, actor=curator, expected_version=1, reason="spam")
    annotation.refresh_from_db()
    assert annotation.deleted_at and annotation.deletion_reason == "spam"
    assert annotation.revisions.last().action == "deleted"
    assert not Annotation.objects.live().filter(pk=annotation.pk).exists()


def test_hiding_is_for_curators_and_recorded(annotate, owner, curator) -> None:
    annotation = annotate(visibility=Visibility.PUBLIC)
    with pytest.raises(NotAllowed):
        annotation_hide(annotation=annotation, actor=owner, reason="mine")
    hidden = annotation_hide(annotation=annotation, actor=curator, reason="defamatory")
    assert hidden.hidden_at and hidden.hidden_reason == "defamatory"
    revision = hidden.revisions.last()
    assert (revision.action, revision.reason) == ("hidden", "defamatory")


def test_a_reader_replies_to_an_annotation_but_not_with_blank_text(annotate, colleague) -> None:
    annotation = annotate(visibility=Visibility.GROUP)
    reply = reply_create(annotation=annotation, author=colleague, body="Agreed.")
    assert list(annotation.replies.all()) == [reply]
    with pytest.raises(AnnotationRefused):
        reply_create(annotation=annotation, author=colleague, body="   ")


def test_tags_are_unique_whatever_the_spelling_and_curated_ones_need_a_curator(owner, curator):
    tag_create(name="Ateşkes", actor=owner)
    with pytest.raises(AnnotationRefused, match="exists already"):
        tag_create(name="ATESKES", actor=owner)
    with pytest.raises(NotAllowed):
        tag_create(name="Ceasefire", actor=owner, curated=True)
    assert tag_create(name="Ceasefire", actor=curator, curated=True).curated
