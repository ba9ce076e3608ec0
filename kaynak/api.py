"""Project-wide API plumbing: pagination, parsing, and the one exception handler (conditional
requests are kaynak.preconditions)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import parsers, renderers, status
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kaynak.errors import KaynakError

# The largest id a BigAutoField holds: id fields of inputs and filters stop there, so a longer
# number is a 400, not an integer the database driver cannot bind (a 500 on SQLite).
MAX_ID = 2**63 - 1


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, except that a body nested deeper than Python's decoder can follow
    (100,000 `[`) is bad input, answered 400, not a RecursionError answered 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply to read.") from None


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without its filter form. The list views take their rows from
    selectors, not from a `queryset` attribute, and DRF builds the form from one (an
    AssertionError, so a browser on a list answered 500); with no filter backends in Kaynak
    the form would be empty anyway."""

    def get_filter_form(self, data, view, request):
        return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus service refusals (KaynakError) and Django ValidationErrors as 400."""
    if isinstance(exc, KaynakError):
        return Response(exc.as_dict(), status=exc.status_code)
    # Django refuses an oversized or overlong body before any parser runs, as a 400 HTML page;
    # API clients get JSON, and the body limit its own status (413).
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {
                "detail": f"The request body is larger than {limit} bytes; send files as uploads.",
                "code": "request_too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"detail": str(exc), "code": "too_many_fields"}, status=400)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body: dict[str, Any] = {"detail": "Invalid input.", "errors": exc.message_dict}
        else:
            body = {"detail": " ".join(exc.messages)}
        return Response({**body, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, DRFValidationError):
        response.data = with_detail(response.data)
    return response


def with_detail(errors: Any) -> dict[str, Any]:
    """A serializer's field errors with the `detail` every error body carries (the schema's
    Error) in front: each field's first message, named; the fields stay as DRF reports them."""
    if isinstance(errors, dict):
        if "detail" in errors:
            return errors
        parts = []
        for name, messages in errors.items():
            first = messages[0] if isinstance(messages, list) and messages else messages
            if isinstance(first, dict):  # a nested serializer's errors
                first = with_detail(first)["detail"]
            parts.append(str(first) if name == "non_field_errors" else f"{name}: {first}")
        return {"detail": "; ".join(parts) or "Invalid input.", "code": "invalid", **errors}
    if isinstance(errors, list):
        return {"detail": " ".join(str(message) for message in errors), "code": "invalid"}
    return {"detail": str(errors), "code": "invalid"}
