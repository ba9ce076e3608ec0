"""The W3C Web Annotation answers in the OpenAPI schema.

The annotation views answer `application/ld+json` in the W3C model (see `annotations.w3c`),
not in Kaynak's own JSON; drf-spectacular gives every renderer the view's one serializer, so
this postprocessing hook puts the W3C shapes where they belong."""

from __future__ import annotations

from typing import Any

LD_JSON = "application/ld+json"
STRING = {"type": "string"}
OBJECT = {"type": "object", "additionalProperties": True}
TYPES = {"oneOf": [STRING, {"type": "array", "items": STRING}]}
# The Web Annotation context alone, or with Kaynak's extension terms (an object) after it.
CONTEXT = {"oneOf": [STRING, {"type": "array", "items": {"oneOf": [STRING, OBJECT]}}]}
IRIS = {"oneOf": [STRING, {"type": "array", "items": STRING}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


W3C_SCHEMAS: dict[str, dict[str, Any]] = {
    "WebAnnotation": {
        "type": "object",
        "description": "A W3C Web Annotation (https://www.w3.org/TR/annotation-model/).",
        "required": ["id", "type", "target"],
        "properties": {
            "@context": CONTEXT,
            "id": {"type": "string", "format": "uri"},
            "type": STRING,
            "motivation": STRING,
            "created": {"type": "string", "format": "date-time"},
            "modified": {"type": "string", "format": "date-time"},
            "creator": OBJECT,
            "target": OBJECT,
            "body": {
                "type": "array",
                "items": OBJECT,
                "description": "The comment, the tags, and one SpecificResource per source "
                "tag: `source` the source's IRI, `role` its role.",
            },
            "canonical": STRING,
            "via": IRIS,
        },
    },
    "WebAnnotationInput": {
        "type": "object",
        "description": "A W3C Web Annotation to create: `@context`, `type` Annotation, a "
        "`target` with a TextQuoteSelector and/or TextPositionSelector, and bodies.",
        "required": ["@context", "type", "target"],
        "properties": {
            "@context": {"oneOf": [STRING, {"type": "array", "items": {}}]},
            "type": TYPES,
            "motivation": TYPES,
            "target": OBJECT,
            "body": {"oneOf": [OBJECT, {"type": "array", "items": OBJECT}]},
            "bodyValue": STRING,
            "canonical": {"type": "string", "description": "Kept as given, never changed."},
            "via": IRIS,
        },
    },
    "WebAnnotationCollection": {
        "type": "object",
        "description": "A document's annotation container (no `page`): an LDP BasicContainer "
        "and AnnotationCollection, its first page embedded (whole annotations, or their IRIs "
        "with `Prefer` ldp#PreferContainedIRIs) or only linked (ldp#PreferMinimalContainer).",
        "required": ["id", "type", "total"],
        "properties": {
            "@context": CONTEXT,
            "id": {"type": "string", "format": "uri"},
            "type": TYPES,
            "label": STRING,
            "total": {"type": "integer"},
            "first": {"oneOf": [STRING, _ref("WebAnnotationPageEmbedded")]},
            "last": STRING,
        },
    },
    "WebAnnotationPageEmbedded": {
        "type": "object",
        "description": "The first page, inside its collection.",
        "required": ["id", "type", "startIndex", "items"],
        "properties": {
            "id": STRING,
            "type": STRING,
            "startIndex": {"type": "integer"},
            "items": {"type": "array", "items": {"oneOf": [STRING, _ref("WebAnnotation")]}},
            "next": STRING,
        },
    },
    "WebAnnotationPage": {
        "type": "object",
        "description": "One page (`?page=N`) of a W3C AnnotationCollection; with `iris=1` its "
        "items are the annotations' IRIs.",
        "required": ["id", "type", "partOf", "startIndex", "items"],
        "properties": {
            "@context": CONTEXT,
            "id": STRING,
            "type": STRING,
            "partOf": _ref("WebAnnotationCollection"),
            "startIndex": {"type": "integer"},
            "items": {"type": "array", "items": {"oneOf": [STRING, _ref("WebAnnotation")]}},
            "next": STRING,
            "prev": STRING,
        },
    },
}


# What Kaynak's own shape becomes in the W3C model, by the component drf-spectacular names.
W3C_ANSWERS: dict[str, dict[str, Any]] = {
    "Annotation": _ref("WebAnnotation"),
    "PaginatedAnnotationList": {
        "anyOf": [_ref("WebAnnotationCollection"), _ref("WebAnnotationPage")]
    },
}
W3C_REQUESTS = {"AnnotationCreateRequest": _ref("WebAnnotationInput")}


def _w3c(schema: dict[str, Any], table: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    return table.get(name, schema)


def declare_w3c_answers(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: W3C shapes for `application/ld+json`."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(W3C_SCHEMAS)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            body = operation.get("requestBody", {}).get("content", {}).get(LD_JSON)
            if body is not None:
                body["schema"] = _w3c(body["schema"], W3C_REQUESTS)
            for code, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get(LD_JSON)
                if content is not None and code.startswith("2"):
                    content["schema"] = _w3c(content["schema"], W3C_ANSWERS)
    return result
