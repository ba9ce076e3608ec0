"""Project-wide API views (kept out of kaynak.api, which DRF's settings import while its own
views module is still loading)."""

from __future__ import annotations

from typing import Any

from rest_framework.authtoken import views as authtoken_views


class ObtainAuthToken(authtoken_views.ObtainAuthToken):
    """DRF's token endpoint, authenticating with Django's request rather than DRF's wrapper:
    django-axes marks a locked-out attempt on the request it is given, and its middleware
    only sees Django's (otherwise a locked account got the 400 of a wrong password)."""

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "request": self.request._request}
