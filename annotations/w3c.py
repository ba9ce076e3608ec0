"""Annotations in the W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/),
out and in. Kaynak's own representation is richer in places (visibility, replies); this is
the interchange form.

A source tag is one body, whole in itself: a SpecificResource with purpose `identifying` whose
source is the curated source's IRI and whose `role` (Kaynak's extension term, defined in the
annotation's own @context) is the source's role (`claimed_by`, …). A JSON-LD processor keeps a
node's properties together, so each source stays paired with its role; the bodies of an
annotation are a set, so a role given in a body of its own (as before, and still read) could
be paired with any source. Tags are TextualBodies with purpose `tagging`; the comment is a
TextualBody with purpose `commenting`.

Each annotation's IRI is inside its document's annotation container
(`/api/documents/<document>/annotations/<id>/`, protocol §5.1); `/api/annotations/<id>/`
still answers, as Kaynak's own address for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from annotations.models import Annotation, Reply, SourceRole
from archive.models import Document
from kaynak.errors import KaynakError

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP = "http://www.w3.org/ns/ldp#"
# The terms Kaynak adds to the Web Annotation vocabulary (model §6, extensions), given inline
# so that no processor has to fetch them: the container's LDP type, and a source tag's role.
KAYNAK_TERMS = {
    "ldp": LDP,
    "BasicContainer": "ldp:BasicContainer",
    "kaynak": "https://kaynak.invalid/ns#",
    "role": "kaynak:sourceRole",
}
EXTENDED_CONTEXT = [ANNO_CONTEXT, KAYNAK_TERMS]
MEDIA_TYPE = f'application/ld+json; profile="{ANNO_CONTEXT}"'
LDP_RESOURCE = f'<{LDP}Resource>; rel="type"'
LDP_CONTAINER = (
    f'<{LDP}BasicContainer>; rel="type", '
    f'<http://www.w3.org/TR/annotation-protocol/>; rel="{LDP}constrainedBy"'
)
# Protocol §4.1.1, the client's preference (RFC 7240 `Prefer: return=representation;
# include="…"`) for what a container's answer embeds.
PREFER_MINIMAL = f"{LDP}PreferMinimalContainer"
PREFER_IRIS = f"{LDP}PreferContainedIRIs"
PREFER_DESCRIPTIONS = f"{LDP}PreferContainedDescriptions"
PREFERENCES = (PREFER_MINIMAL, PREFER_IRIS, PREFER_DESCRIPTIONS)
# A page of IRIs has an address of its own (the preference is in it), so pages are never
# asked for with Prefer (protocol §4.2).
IRIS_PARAMETER = "iris"


class W3CInputError(KaynakError):
    code = "bad_web_annotation"


def _iri(request: HttpRequest, name: str, **kwargs: Any) -> str:
    return request.build_absolute_uri(reverse(name, kwargs=kwargs))


def _datetime(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def annotation_iri(request: HttpRequest, annotation: Annotation) -> str:
    """The annotation's IRI, inside its document's container (protocol §5.1)."""
    return _iri(
        request, "api:document-annotation", document=annotation.document_id, pk=annotation.pk
    )


def container_iri(request: HttpRequest, document_id: int) -> str:
    return _iri(request, "api:document-annotations", pk=document_id)


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
                "role": source_tag.role,
            }
        )
    representation: dict[str, Any] = {
        # The extension terms only where they are used: most annotations stay plain.
        "@context": EXTENDED_CONTEXT if annotation.source_tag_list else ANNO_CONTEXT,
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
    if annotation.canonical:
        representation["canonical"] = annotation.canonical
    if annotation.via:
        representation["via"] = annotation.via[0] if len(annotation.via) == 1 else annotation.via
    if not context:
        del representation["@context"]
    return representation


def preference(header: str) -> tuple[str, bool]:
    """What a container's answer embeds, from the Prefer header: one of PREFERENCES, and
    whether the client asked (so the answer can say `Preference-Applied`). Without a
    preference, the full descriptions (protocol §4.1.1); minimal wins over the others."""
    included: set[str] = set()
    for found in re.finditer(r'include\s*=\s*"([^"]*)"', header):
        included.update(found[1].split())
    for choice in PREFERENCES:
        if choice in included:
            return choice, True
    return PREFER_DESCRIPTIONS, False


def _query_iri(base: str, query: dict[str, str]) -> str:
    return f"{base}?{urlencode(query)}" if query else base


@dataclass(frozen=True)
class ContainerView:
    """One view of a document's container: the filters and page size in its query (kept in
    every page's IRI, so following `next` keeps them) and whether its pages list IRIs."""

    base: str
    query: dict[str, str]
    iris: bool
    total: int
    page_size: int

    @classmethod
    def of(
        cls,
        request: HttpRequest,
        document_id: int,
        *,
        total: int,
        page_size: int,
        iris: bool | None = None,
    ) -> ContainerView:
        query = {key: request.GET[key] for key in request.GET if key != "page"}
        if iris is None:
            iris = IRIS_PARAMETER in query
        query.pop(IRIS_PARAMETER, None)
        if iris:
            query = {IRIS_PARAMETER: "1", **query}
        return cls(container_iri(request, document_id), query, iris, total, page_size)

    @property
    def iri(self) -> str:
        return _query_iri(self.base, self.query)

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def page_iri(self, number: int) -> str:
        return _query_iri(self.base, {**self.query, "page": str(number)})


def reply_to_w3c(reply: Reply, annotation: Annotation, request: HttpRequest) -> dict:
    """A reply as the model has it: an annotation `replying` to its parent (model §3.3.5)."""
    thread = _iri(request, "api:annotation-replies", pk=annotation.pk)
    return {
        "id": f"{thread}#reply-{reply.pk}",
        "type": "Annotation",
        "motivation": "replying",
        "created": _datetime(reply.created_at),
        "creator": {"type": "Person", "nickname": reply.author.username},
        "body": {"type": "TextualBody", "value": reply.body, "format": "text/plain"},
        "target": annotation_iri(request, annotation),
    }


def _collection(document: Document, view: ContainerView) -> dict:
    collection: dict[str, Any] = {
        "id": view.iri,
        "type": "AnnotationCollection",
        "label": f"Annotations on “{document.title}”",
        "total": view.total,
    }
    if view.total:
        collection["first"] = view.page_iri(1)
        collection["last"] = view.page_iri(view.last_page)
    return collection


def collection_to_w3c(
    document: Document,
    view: ContainerView,
    *,
    first_items: list[Annotation] | None,
    request: HttpRequest,
) -> dict:
    """The AnnotationCollection, its first page embedded unless `first_items` is None."""
    collection: dict[str, Any] = {"@context": EXTENDED_CONTEXT, **_collection(document, view)}
    if first_items is not None and view.total:
        first = page_to_w3c(document, first_items, view=view, page=1, request=request)
        for key in ("@context", "partOf"):
            del first[key]  # the collection's context, and the collection itself
        collection["first"] = first
    return collection


def container_to_w3c(
    document: Document,
    view: ContainerView,
    *,
    first_items: list[Annotation] | None,
    request: HttpRequest,
) -> dict:
    """The container (protocol §4.1): an LDP BasicContainer that is an AnnotationCollection,
    its first page embedded unless `first_items` is None (the minimal container)."""
    container = collection_to_w3c(document, view, first_items=first_items, request=request)
    container["type"] = ["BasicContainer", "AnnotationCollection"]
    return container


def page_to_w3c(
    document: Document,
    annotations: Sequence[Annotation],
    *,
    view: ContainerView,
    page: int,
    request: HttpRequest,
) -> dict:
    items: list[Any] = (
        [annotation_iri(request, item) for item in annotations]
        if view.iris
        else [annotation_to_w3c(item, request, context=False) for item in annotations]
    )
    representation: dict[str, Any] = {
        "@context": EXTENDED_CONTEXT,
        "id": view.page_iri(page),
        "type": "AnnotationPage",
        "partOf": _collection(document, view),
        "startIndex": (page - 1) * view.page_size,
        "items": items,
    }
    if page < view.last_page:
        representation["next"] = view.page_iri(page + 1)
    if page > 1:
        representation["prev"] = view.page_iri(page - 1)
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
            source_tags.append(
                {"source": match["slug"], "role": body.get("role", SourceRole.MENTIONED)}
            )
        elif purpose == "classifying":
            # The older form: the role in a body of its own, after its source's.
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
    fields.update(_provenance(data, request))
    return fields


def _provenance(data: dict, request: HttpRequest) -> dict[str, Any]:
    """`canonical` as posted (protocol §5.1: never changed or removed) and `via`, to which an
    `id` the annotation had elsewhere is added, since the server gives it a new one."""
    fields: dict[str, Any] = {}
    canonical = data.get("canonical")
    if canonical is not None:
        if not isinstance(canonical, str):
            raise W3CInputError("canonical is one IRI", fields={"canonical": ["one IRI"]})
        fields["canonical"] = canonical
    via = _as_list(data.get("via"))
    if not all(isinstance(item, str) for item in via):
        raise W3CInputError("via is an IRI or a list of IRIs", fields={"via": ["IRIs"]})
    given = data.get("id")
    ours = request.build_absolute_uri("/")
    if isinstance(given, str) and given and not given.startswith(ours):
        via.append(given)
    if via:
        fields["via"] = list(dict.fromkeys(via))
    return fields


def w3c_to_update_data(data: Any, annotation: Annotation, request: HttpRequest) -> dict[str, Any]:
    """The fields of Kaynak's update request that a Web Annotation PUT says. What an
    annotation cannot change (its target, `canonical`, `via`) must be sent as it is or left
    out: a client that sends another target believes it moved the annotation."""
    fields = w3c_to_create_data(data, annotation.document, request)
    position = (fields.get("start"), fields.get("end"))
    if position != (None, None) and position != (annotation.start, annotation.end):
        raise W3CInputError(
            "the target cannot change; annotate the new passage instead",
            fields={"target": ["read-only: annotate the new passage instead"]},
        )
    if "quote" in fields and fields["quote"] != annotation.quote:
        raise W3CInputError("the target's quote cannot change", fields={"target": ["read-only"]})
    for name, current in (("canonical", annotation.canonical), ("via", annotation.via)):
        if name in fields and fields[name] != current:
            raise W3CInputError(
                f"{name} cannot change (it is what the annotation was posted with)",
                fields={name: ["read-only"]},
            )
    update: dict[str, Any] = {
        key: fields[key]
        for key in ("comment", "tags", "source_tags", "visibility", "group")
        if key in fields
    }
    update.setdefault("comment", "")
    update.setdefault("visibility", annotation.visibility)
    return update
