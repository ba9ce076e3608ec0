"""What the index is built from: the documents to index and the terms annotations add."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet

from annotations.selectors import search_terms
from archive.models import Document, SourceAlias
from search.schema import NO_ANNOTATION_TERMS, AnnotationTerms, SourceTerm, TagTerm


def indexable_documents() -> QuerySet[Document]:
    """Every document that belongs in the index: those not withdrawn."""
    return Document.objects.current()


def indexable_document_ids() -> Iterator[int]:
    return indexable_documents().order_by("pk").values_list("pk", flat=True).iterator()


def annotation_terms(ids: list[int]) -> dict[int, AnnotationTerms]:
    """Tags and source tags of these documents' public annotations, by document id."""
    return {
        document_id: AnnotationTerms(
            tags=tuple(TagTerm(tag_id, name) for tag_id, name in terms.tags),
            sources=tuple(SourceTerm(source_id, names) for source_id, names in terms.sources),
        )
        for document_id, terms in search_terms(ids).items()
    }


def documents_for_index(ids: list[int]) -> Iterator[tuple[Document, AnnotationTerms]]:
    """These documents (those still indexable), with what their index entry needs loaded."""
    aliases = Prefetch("aliases", queryset=SourceAlias.objects.order_by("name", "pk"))
    documents = (
        indexable_documents()
        .filter(pk__in=ids)
        .select_related("original_outlet", "reprinter")
        .prefetch_related(
            Prefetch("original_outlet__aliases", queryset=aliases.queryset),
            Prefetch("reprinter__aliases", queryset=aliases.queryset),
        )
        .order_by("pk")
    )
    terms = annotation_terms(ids)
    for document in documents:
        yield document, terms.get(document.pk, NO_ANNOTATION_TERMS)
