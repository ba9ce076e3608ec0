"""Annotation revisions form a hash chain per annotation, its version the sequence."""

from __future__ import annotations

from itertools import pairwise

import pytest

from annotations.chains import revision_breaks
from annotations.models import AnnotationRevision
from annotations.services import (
    annotation_delete,
    annotation_hide,
    annotation_unhide,
    annotation_update,
)

pytestmark = pytest.mark.django_db


def test_every_change_links_to_the_revision_before(annotate, owner, curator) -> None:
    annotation = annotate()
    annotation_update(annotation=annotation, actor=owner, expected_version=1, comment="a note")
    annotation_hide(annotation=annotation, actor=curator, reason="off topic")
    annotation_unhide(annotation=annotation, actor=curator)
    annotation_delete(annotation=annotation, actor=owner, expected_version=4)

    revisions = list(AnnotationRevision.objects.filter(annotation=annotation).order_by("version"))
    assert [revision.version for revision in revisions] == [1, 2, 3, 4, 5]
    assert revisions[0].previous_hash == ""
    for before, after in pairwise(revisions):
        assert after.previous_hash == before.revision_hash
    assert all(revision.revision_hash == revision.compute_hash() for revision in revisions)
    assert revision_breaks() == {}


def test_a_deleted_revision_breaks_the_chain(annotate, owner, triggers_dropped) -> None:
    annotation = annotate()
    annotation_update(annotation=annotation, actor=owner, expected_version=1, comment="a note")
    annotation_update(annotation=annotation, actor=owner, expected_version=2, comment="more")
    AnnotationRevision.objects.filter(annotation=annotation, version=2).delete()
    assert revision_breaks() == {annotation.pk: "revision 2 is missing (found 3 next)"}
