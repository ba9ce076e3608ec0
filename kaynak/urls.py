from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from kaynak.views import ObtainAuthToken, healthz

api_patterns: list[URLPattern | URLResolver] = [
    path("", include("archive.urls")),
    path("", include("annotations.urls")),
    path("", include("search.urls")),
    path("auth/token/", ObtainAuthToken.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("web.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("api-auth/", include("rest_framework.urls")),
]

handler400 = "kaynak.views.bad_request"
handler404 = "kaynak.views.not_found"
handler500 = "kaynak.views.server_error"
