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
    path(
        "documents/<int:pk>/similar/",
        views.SimilarDocumentsView.as_view(),
        name="document-similar",
    ),
    path(
        "documents/<int:pk>/facsimiles/",
        views.DocumentFacsimilesView.as_view(),
        name="document-facsimiles",
    ),
    path("facsimiles/<int:pk>/", views.FacsimileDetailView.as_view(), name="facsimile-detail"),
    path(
        "facsimiles/<int:pk>/original",
        views.FacsimileOriginalView.as_view(),
        name="facsimile-original",
    ),
    path(
        "facsimiles/<int:pk>/thumbnail",
        views.FacsimileThumbnailView.as_view(),
        name="facsimile-thumbnail",
    ),
    path(
        "facsimiles/<int:pk>/display",
        views.FacsimileDisplayView.as_view(),
        name="facsimile-display",
    ),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/<slug:slug>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("search/", views.SearchView.as_view(), name="search"),
]
