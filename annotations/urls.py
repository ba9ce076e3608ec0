from __future__ import annotations

from django.urls import path

from annotations import views, views_import

urlpatterns = [
    path(
        "documents/<int:pk>/annotations/",
        views.DocumentAnnotationsView.as_view(),
        name="document-annotations",
    ),
    path(
        "documents/<int:document>/annotations/<int:pk>/",
        views.ContainedAnnotationView.as_view(),
        name="document-annotation",
    ),
    path(
        "documents/<int:pk>/annotations/export/",
        views.AnnotationExportView.as_view(),
        name="document-annotations-export",
    ),
    path(
        "annotations/import/",
        views_import.AnnotationImportView.as_view(),
        name="annotations-import",
    ),
    path("annotations/<int:pk>/", views.AnnotationDetailView.as_view(), name="annotation-detail"),
    path(
        "annotations/<int:pk>/replies/",
        views.AnnotationRepliesView.as_view(),
        name="annotation-replies",
    ),
    path(
        "annotations/<int:pk>/replies/<int:reply>/",
        views.AnnotationReplyView.as_view(),
        name="annotation-reply",
    ),
    path(
        "annotations/<int:pk>/replies/<int:reply>/hide/",
        views.AnnotationReplyHideView.as_view(),
        name="annotation-reply-hide",
    ),
    path(
        "annotations/<int:pk>/history/",
        views.AnnotationHistoryView.as_view(),
        name="annotation-history",
    ),
    path(
        "annotations/<int:pk>/citation/",
        views.AnnotationCitationView.as_view(),
        name="annotation-citation",
    ),
    path("annotations/<int:pk>/hide/", views.AnnotationHideView.as_view(), name="annotation-hide"),
    path("tags/", views.TagListView.as_view(), name="tag-list"),
]
