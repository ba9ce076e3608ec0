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
    path("saved-searches/", views.SavedSearchListView.as_view(), name="saved-search-list"),
    path(
        "saved-searches/<int:pk>/",
        views.SavedSearchDetailView.as_view(),
        name="saved-search-detail",
    ),
    path(
        "saved-searches/<int:pk>/results/",
        views.SavedSearchResultsView.as_view(),
        name="saved-search-results",
    ),
]
