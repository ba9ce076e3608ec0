"""OpenAPI schema post-processing: answers every API operation can give whatever its view
declares, added in one place so the schema says what the server does (a fuzzer checks it)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def declare_common_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook.

    - 404 wherever the path names something (an id, a slug) or the list is paged (a page past
      the end is "Invalid page.").
    - 400 wherever the operation takes query parameters or a body (they are validated).
    - 415 wherever there is a body: a Content-Type the operation does not read (or a
      multipart body whose parts name none).
    - 406 everywhere: an Accept the operation cannot answer.
    """
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            paged = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
            if "{" in path or paged:
                responses.setdefault("404", _error("No such thing here, or no such page."))
            if any(p.get("in") == "query" for p in parameters) or "requestBody" in operation:
                responses.setdefault("400", _error("The input was refused; `detail` says why."))
            if "requestBody" in operation:
                responses.setdefault("415", _error("The body's Content-Type is not one it reads."))
            responses.setdefault("406", _error("The Accept header names nothing this answers."))
    return result
