from __future__ import annotations

from django.urls import path

from search import views

urlpatterns = [
    path(
        "documents/<int:pk>/similar/",
        views.SimilarDocumentsView.as_view(),
        name="document-similar",
    ),
    path("search/", views.SearchView.as_view(), name="search"),
    # The annotations listing lives here, searchable (see AnnotationSearchView).
    path("annotations/", views.AnnotationSearchView.as_view(), name="annotation-list"),
    path(
        "annotations/export/",
        views.AnnotationSearchExportView.as_view(),
        name="annotations-export",
    ),
]
