"""Project-wide API views (kept out of kaynak.api, which DRF's settings import while its own
views module is still loading)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken import views as authtoken_views
from rest_framework.authtoken.serializers import AuthTokenSerializer

from archive.serializers import ErrorSerializer
from kaynak.health import health

API_PREFIX = "/api/"


@extend_schema(
    request=AuthTokenSerializer,
    responses={
        200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
        400: OpenApiResponse(ErrorSerializer, description="Wrong username or password."),
        429: OpenApiResponse(ErrorSerializer, description="Too many failed sign-ins."),
    },
)
class ObtainAuthToken(authtoken_views.ObtainAuthToken):
    """DRF's token endpoint, authenticating with Django's request rather than DRF's wrapper:
    django-axes marks a locked-out attempt on the request it is given, and its middleware
    only sees Django's (otherwise a locked account got the 400 of a wrong password)."""

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "request": self.request._request}


# Django's own error pages for paths no view matched (or that failed before one ran) are HTML;
# on the API they are JSON in the schema's Error shape, like every other refusal there.
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Bad request.", "code": "bad_request"}, status=400)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: 200 when the database, the search index and the
    task queue are well, else 503 naming what is not; no sign-in (README "Deployment")."""
    report = health()
    return JsonResponse(report.as_dict(), status=503 if report.failing else 200)
