"""Project-wide API plumbing: pagination, If-Match, and the one exception handler."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kaynak.errors import KaynakError


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the ETag you read, so no one else's change is lost."
    default_code = "precondition_required"


def if_match_tags(request: Request) -> list[str]:
    """The entity tags of If-Match, unquoted (weak ones too); 428 when there are none: a
    change must say which version it was made to."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired()
    return [value.strip().removeprefix("W/").strip('"') for value in header.split(",")]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus service refusals (KaynakError) and Django ValidationErrors as 400."""
    if isinstance(exc, KaynakError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body: dict[str, Any] = {"detail": "Invalid input.", "errors": exc.message_dict}
        else:
            body = {"detail": " ".join(exc.messages)}
        return Response({**body, "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
