"""Annotation revisions as kaynak.chain knows them: one chain per annotation, its version
the sequence (registered in AnnotationsConfig.ready())."""

from __future__ import annotations

from annotations.models import Annotation, AnnotationRevision
from kaynak.chain import model_chain, register_chain

REVISION_CHAIN = model_chain(
    name="annotation",
    entry="revision",
    owners=Annotation,
    entries=AnnotationRevision,
    owner="annotation",
    sequence="version",
    hash_field="revision_hash",
    describe=lambda revision: f"revision {revision.version} ({revision.action})",
)

revision_breaks = REVISION_CHAIN.breaks


def register() -> None:
    register_chain(REVISION_CHAIN)
