from __future__ import annotations

from django.urls import path

from web import annotation_imports, pages, uploads

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
]
