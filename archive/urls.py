from __future__ import annotations

from django.urls import path

from archive import views

urlpatterns = [
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path(
        "documents/<int:pk>/original",
        views.DocumentOriginalView.as_view(),
        name="document-original",
    ),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
]
