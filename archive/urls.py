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
        "documents/<int:pk>/withdraw/",
        views.DocumentWithdrawView.as_view(),
        name="document-withdraw",
    ),
    path(
        "documents/<int:pk>/restore/", views.DocumentRestoreView.as_view(), name="document-restore"
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
    path("sources/<slug:slug>/aliases/", views.SourceAliasesView.as_view(), name="source-aliases"),
    path(
        "sources/<slug:slug>/aliases/<str:name>/",
        views.SourceAliasDetailView.as_view(),
        name="source-alias-detail",
    ),
    path("sources/<slug:slug>/merge/", views.SourceMergeView.as_view(), name="source-merge"),
    path("sources/<slug:slug>/unmerge/", views.SourceUnmergeView.as_view(), name="source-unmerge"),
    path("sources/<slug:slug>/events/", views.SourceEventsView.as_view(), name="source-events"),
]
