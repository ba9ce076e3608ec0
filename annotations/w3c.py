"""Annotations in the W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/),
out and in. Kaynak's own representation is richer in places (visibility, replies); this is
the interchange form.

A source tag becomes two bodies: a SpecificResource with purpose `identifying` whose source is
the curated source's IRI, followed by a TextualBody with purpose `classifying` whose value is
the role (`claimed_by`, …). Tags are TextualBodies with purpose `tagging`; the comment is a
TextualBody with purpose `commenting`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from annotations.models import Annotation, SourceRole
from archive.models import Document
from kaynak.errors import KaynakError

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
LDP_RESOURCE = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
LDP_CONTAINER = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)


class W3CInputError(KaynakError):
    code = "bad_web_annotation"


def _iri(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _datetime(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def annotation_iri(request: HttpRequest, annotation: Annotation) -> str:
    return _iri(request, "api:annotation-detail", pk=annotation.pk)


def document_iri(request: HttpRequest, document_id: int) -> str:
    return _iri(request, "api:document-detail", pk=document_id)


def source_iri(request: HttpRequest, slug: str) -> str:
    return _iri(request, "api:source-detail", slug=slug)


def annotation_to_w3c(
    annotation: Annotation, request: HttpRequest, *, context: bool = True
) -> dict:
    iri = annotation_iri(request, annotation)
    bodies: list[dict[str, Any]] = []
    if annotation.comment:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": annotation.comment,
                "format": "text/plain",
            }
        )
    for tag in annotation.tag_list:
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": tag.name})
    for number, source_tag in enumerate(annotation.source_tag_list, start=1):
        bodies.append(
            {
                "id": f"{iri}#source-{number}",
                "type": "SpecificResource",
                "purpose": "identifying",
                "source": source_iri(request, source_tag.source.slug),
            }
        )
        # No id here: the test suite takes any body with an id and no source for an
        # External Web Resource, which may not carry a purpose.
        bodies.append({"type": "TextualBody", "purpose": "classifying", "value": source_tag.role})
    representation: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": iri,
        "type": "Annotation",
        "motivation": "commenting" if annotation.comment else "highlighting",
        "created": _datetime(annotation.created_at),
        "modified": _datetime(annotation.modified_at),
        "creator": {"type": "Person", "nickname": annotation.creator.username},
        # A page note's target is the document itself: a SpecificResource without a selector.
        "target": {"source": document_iri(request, annotation.document_id)}
        if annotation.is_page_note
        else {
            "source": document_iri(request, annotation.document_id),
            "selector": [
                {
                    "type": "TextQuoteSelector",
                    "exact": annotation.quote,
                    "prefix": annotation.prefix,
                    "suffix": annotation.suffix,
                },
                {"type": "TextPositionSelector", "start": annotation.start, "end": annotation.end},
            ],
        },
    }
    if bodies:
        representation["body"] = bodies
    if not context:
        del representation["@context"]
    return representation


def _collection(document: Document, total: int, page_size: int, request: HttpRequest) -> dict:
    iri = _iri(request, "api:document-annotations", pk=document.pk)
    collection: dict[str, Any] = {
        "id": iri,
        "type": "AnnotationCollection",
        "label": f"Annotations on “{document.title}”",
        "total": total,
    }
    if total:
        collection["first"] = f"{iri}?page=1"
        collection["last"] = f"{iri}?page={math.ceil(total / page_size)}"
    return collection


def collection_to_w3c(document: Document, total: int, page_size: int, request: HttpRequest) -> dict:
    return {"@context": ANNO_CONTEXT, **_collection(document, total, page_size, request)}


def page_to_w3c(
    document: Document,
    annotations: Sequence[Annotation],
    *,
    page: int,
    page_size: int,
    total: int,
    request: HttpRequest,
) -> dict:
    collection = _collection(document, total, page_size, request)
    representation: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": f"{collection['id']}?page={page}",
        "type": "AnnotationPage",
        "partOf": collection,
        "startIndex": (page - 1) * page_size,
        "items": [annotation_to_w3c(item, request, context=False) for item in annotations],
    }
    if page * page_size < total:
        representation["next"] = f"{collection['id']}?page={page + 1}"
    if page > 1:
        representation["prev"] = f"{collection['id']}?page={page - 1}"
    return representation


# --- In --------------------------------------------------------------------------------------


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_SOURCE_PATH = re.compile(r"/api/sources/(?P<slug>[-\w]+)/?$")


def w3c_to_create_data(data: Any, document: Document, request: HttpRequest) -> dict[str, Any]:
    """The fields of Kaynak's create request that a Web Annotation says."""
    if not isinstance(data, dict):
        raise W3CInputError("a Web Annotation is a JSON object")
    if ANNO_CONTEXT not in _as_list(data.get("@context")):
        raise W3CInputError(
            f"the @context must be (or include) {ANNO_CONTEXT}",
            fields={"@context": [f"must include {ANNO_CONTEXT}"]},
        )
    if "Annotation" not in _as_list(data.get("type")):
        raise W3CInputError("the type must be Annotation", fields={"type": ["must be Annotation"]})
    if "body" in data and "bodyValue" in data:
        raise W3CInputError("give body or bodyValue, not both")

    # A target given as the document's IRI alone is the whole document (a page note).
    targets = [
        {"source": item} if isinstance(item, str) else item for item in _as_list(data.get("target"))
    ]
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise W3CInputError(
            "give one target: this document with a text selector",
            fields={"target": ["one object with source and selector"]},
        )
    target = targets[0]
    if target.get("source") != document_iri(request, document.pk):
        raise W3CInputError(
            "the target's source must be this document's IRI",
            fields={"target": [f"source must be {document_iri(request, document.pk)}"]},
        )
    fields: dict[str, Any] = {}
    selectors = {
        item.get("type"): item
        for item in _as_list(target.get("selector"))
        if isinstance(item, dict)
    }
    if position := selectors.get("TextPositionSelector"):
        fields["start"], fields["end"] = position.get("start"), position.get("end")
    if quote := selectors.get("TextQuoteSelector"):
        fields["quote"] = quote.get("exact")
        fields["prefix"] = quote.get("prefix", "")
        fields["suffix"] = quote.get("suffix", "")
    if "selector" not in target:
        fields["page_note"] = True  # the whole document
    elif not position and not quote:
        raise W3CInputError(
            "the target needs a TextPositionSelector or a TextQuoteSelector (or no selector, "
            "for a note on the whole document)",
            fields={"target": ["needs a TextPositionSelector or TextQuoteSelector"]},
        )

    comments, tags, source_tags = [], [], []
    if isinstance(data.get("bodyValue"), str):
        comments.append(data["bodyValue"])
    for body in _as_list(data.get("body")):
        if not isinstance(body, dict):
            raise W3CInputError("each body must be an object")
        purpose = body.get("purpose", "commenting")
        if body.get("type") == "SpecificResource" and purpose == "identifying":
            match = _SOURCE_PATH.search(str(body.get("source", "")))
            if not match:
                raise W3CInputError(
                    "an identifying body must point at a Kaynak source, not "
                    f"{body.get('source')!r}",
                    fields={"body": ["identifying bodies point at /api/sources/<slug>/"]},
                )
            source_tags.append({"source": match["slug"], "role": SourceRole.MENTIONED})
        elif purpose == "classifying":
            if not source_tags:
                raise W3CInputError("a classifying body (a role) must follow a source body")
            source_tags[-1]["role"] = body.get("value")
        elif purpose == "tagging":
            tags.append(body.get("value"))
        elif purpose in ("commenting", "describing"):
            comments.append(body.get("value"))
        else:
            raise W3CInputError(f"unsupported body purpose {purpose!r}")
    if len(comments) > 1:
        raise W3CInputError("give at most one comment (commenting body)")
    fields.update(tags=tags, source_tags=source_tags)
    if comments:
        fields["comment"] = comments[0]
    for extension in ("visibility", "group"):
        if extension in data:
            fields[extension] = data[extension]
    return fields
