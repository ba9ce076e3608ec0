"""Annotation revisions as kaynak.chain knows them: one chain per annotation, its version
the sequence (registered in AnnotationsConfig.ready())."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.db.models import OuterRef, Subquery

from annotations.models import Annotation, AnnotationRevision
from kaynak.chain import Chain, Head, Link, breaks_by_owner, register_chain


def _heads() -> list[Head]:
    newest = AnnotationRevision.objects.filter(annotation=OuterRef("annotation")).order_by(
        "-version"
    )
    return list(
        AnnotationRevision.objects.filter(version=Subquery(newest.values("version")[:1]))
        .order_by("annotation_id")
        .values_list("annotation_id", "version", "revision_hash")
    )


def _hashes() -> Iterator[Head]:
    return (
        AnnotationRevision.objects.order_by("annotation_id", "version")
        .values_list("annotation_id", "version", "revision_hash")
        .iterator(chunk_size=2000)
    )


def revision_breaks(ids: Sequence[int] | None = None) -> dict[int, str]:
    revisions = AnnotationRevision.objects.order_by("annotation_id", "version")
    if ids is not None:
        revisions = revisions.filter(annotation__in=ids)
    return breaks_by_owner(
        (
            (
                revision.annotation_id,
                Link(
                    revision.version,
                    revision.previous_hash,
                    revision.revision_hash,
                    revision.compute_hash(),
                    f"revision {revision.version} ({revision.action})",
                ),
            )
            for revision in revisions.iterator(chunk_size=2000)
        ),
        entry="revision",
    )


def register() -> None:
    register_chain(
        Chain(
            name="annotation",
            entry="revision",
            heads=_heads,
            hashes=_hashes,
            breaks=revision_breaks,
            count=lambda: (Annotation.objects.count(), AnnotationRevision.objects.count()),
        )
    )
