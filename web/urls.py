from __future__ import annotations

from django.urls import path

from web import annotation_imports, pages, saved_searches, uploads

app_name = "pages"

urlpatterns = [
    path("", pages.search_page, name="search"),
    path("documents/<int:pk>/", pages.document_page, name="document"),
    path(
        "documents/<int:pk>/facsimiles/",
        pages.facsimile_attach_page,
        name="facsimile-attach",
    ),
    path("upload/", pages.upload_page, name="upload"),
    path(
        "annotations/import/",
        annotation_imports.annotation_import_page,
        name="annotation-import",
    ),
    path("upload/<int:pk>/", uploads.upload_result_page, name="upload-result"),
    path("upload/<int:pk>/correct/", uploads.upload_correct, name="upload-correct"),
    path("upload/<int:pk>/flag/", uploads.upload_flag, name="upload-flag"),
    path("saved-searches/", saved_searches.saved_search_list, name="saved-searches"),
    path("saved-searches/new/", saved_searches.saved_search_save, name="saved-search-save"),
    path("saved-searches/<int:pk>/", saved_searches.saved_search_open, name="saved-search-open"),
    path(
        "saved-searches/<int:pk>/edit/",
        saved_searches.saved_search_edit,
        name="saved-search-edit",
    ),
    path(
        "saved-searches/<int:pk>/delete/",
        saved_searches.saved_search_remove,
        name="saved-search-delete",
    ),
]
