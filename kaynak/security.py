"""Deployment safety: which SECRET_KEY a production server refuses, and which address a login
attempt came from (for the rate limit) when a proxy stands in front."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_CHARACTERS = 5
# Words that mark a key someone typed or copied from an example, not one generated for the site.
WEAK_SECRET_KEY_MARKERS = ("insecure", "secret", "changeme", "change-me", "example", "test")


def check_production_secret_key(key: str) -> None:
    """Refuse a key a production server must not sign sessions with: short, repetitive, or
    Django's/Kaynak's development key (Django's own check only warns, under --deploy)."""
    lowered = key.lower()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ImproperlyConfigured(
            f"SECRET_KEY is {len(key)} characters; production needs at least "
            f'{MIN_SECRET_KEY_LENGTH}, generated (see README "Security").'
        )
    if len(set(key)) < MIN_SECRET_KEY_CHARACTERS:
        raise ImproperlyConfigured("SECRET_KEY repeats too few characters to be a real key.")
    marker = next((word for word in WEAK_SECRET_KEY_MARKERS if word in lowered), None)
    if marker is not None:
        raise ImproperlyConfigured(
            f"SECRET_KEY contains {marker!r}: it looks like an example or development key; "
            'generate one (see README "Security").'
        )


def client_ip(request: HttpRequest) -> str | None:
    """The address a request came from: REMOTE_ADDR, or with KAYNAK_TRUSTED_PROXIES = n the
    address the n-th proxy from us saw in X-Forwarded-For (addresses further left can be
    forged by the client, so they are never trusted)."""
    proxies = settings.KAYNAK_TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """What django-axes answers a locked-out sign-in with: 429, in JSON on the API."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    message = (
        f"Too many failed sign-ins for this account or from this address; try again in "
        f"{minutes} minutes."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
