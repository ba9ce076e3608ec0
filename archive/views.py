"""The archive's REST API. Each view checks permission, validates input, calls one service or
selector, and serialises the result."""

from __future__ import annotations

import base64

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive import storage
from archive.ingest import check_size, refuse_bulk_file
from archive.ingest.images import DERIVATIVE_MEDIA_TYPE, check_image_size
from archive.models import DerivativeState, Document, Facsimile
from archive.search import similar_documents
from archive.search_requests import run_search
from archive.selectors import (
    DocumentFilters,
    document_detail_queryset,
    document_list,
    documents_in_order,
    facsimile_detail_queryset,
    facsimile_list,
    source_list,
)
from archive.serializers import (
    DocumentDetailSerializer,
    DocumentFilterSerializer,
    DocumentSummarySerializer,
    DocumentUploadSerializer,
    ErrorSerializer,
    FacsimileSerializer,
    FacsimileUploadSerializer,
    SearchParamsSerializer,
    SearchResultsSerializer,
    SimilarDocumentSerializer,
    SourceFilterSerializer,
    SourceSerializer,
)
from archive.services import IngestMethod, document_ingest, facsimile_attach
from kaynak.api import StandardPagination

REFUSAL = OpenApiResponse(ErrorSerializer, description="The input was refused; `detail` says why.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such document.")
FACSIMILE_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such facsimile.")
INDEX_UNAVAILABLE = OpenApiResponse(
    ErrorSerializer, description="The search index is damaged; `detail` names the repair."
)


class DocumentListView(GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = StandardPagination
    serializer_class = DocumentSummarySerializer

    @extend_schema(
        operation_id="documents_list",
        parameters=[DocumentFilterSerializer],
        responses={200: DocumentSummarySerializer(many=True), 400: REFUSAL, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        filters = DocumentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        documents = document_list(filters=DocumentFilters(**filters.validated_data))
        page = self.paginate_queryset(documents)
        serializer = DocumentSummarySerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="documents_upload",
        request=DocumentUploadSerializer,
        responses={
            201: OpenApiResponse(DocumentDetailSerializer, description="Ingested."),
            200: OpenApiResponse(
                DocumentDetailSerializer,
                description="The same bytes were ingested before: the existing document.",
            ),
            400: REFUSAL,
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request: Request) -> Response:
        upload_form = DocumentUploadSerializer(data=request.data)
        upload_form.is_valid(raise_exception=True)
        upload = upload_form.validated_data["file"]
        refuse_bulk_file(upload.name)
        check_size(upload.size)  # before reading a huge upload into memory
        result = document_ingest(
            data=upload.read(),
            filename=upload.name,
            actor=request.user,
            method=IngestMethod.API,
        )
        document = document_detail_queryset().get(pk=result.document.pk)
        body = DocumentDetailSerializer(document, context={"request": request}).data
        if not result.created:
            return Response(body, status=status.HTTP_200_OK)
        location = reverse("api:document-detail", kwargs={"pk": document.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class DocumentDetailView(APIView):
    @extend_schema(
        operation_id="documents_retrieve",
        responses={200: DocumentDetailSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(document_detail_queryset(), pk=pk)
        return Response(DocumentDetailSerializer(document, context={"request": request}).data)


class StoredOriginalMissing(APIException):
    status_code = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_detail = "The stored original is missing from disk; run `manage.py fixity_check`."
    default_code = "original_missing"


class AnyContentNegotiation(BaseContentNegotiation):
    """The original is whatever bytes were received; an Accept header cannot change them."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _content_type(document: Document) -> str:
    if document.media_type.startswith("text/"):
        charset = document.encoding.removesuffix("-sig")
        return f"{document.media_type}; charset={charset}"
    return document.media_type


class DocumentOriginalView(APIView):
    content_negotiation_class = AnyContentNegotiation

    @extend_schema(
        operation_id="documents_original",
        description=(
            "The exact bytes received, as an attachment. `ETag` is the quoted SHA-256 and "
            "`Repr-Digest` carries it too, so a client can verify what it downloaded."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The stored original."
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        etag = f'"{document.sha256}"'
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        try:
            handle = storage.open_original(document.sha256)
        except FileNotFoundError:
            raise StoredOriginalMissing() from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.original_filename,
            content_type=_content_type(document),
        )
        response["ETag"] = etag
        digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        return response


class SourceListView(GenericAPIView):
    pagination_class = StandardPagination
    serializer_class = SourceSerializer

    @extend_schema(
        operation_id="sources_list",
        parameters=[SourceFilterSerializer],
        responses={200: SourceSerializer(many=True), 400: REFUSAL, 401: UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        filters = SourceFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        sources = source_list(
            kind=filters.validated_data.get("kind"), query=filters.validated_data.get("q")
        )
        page = self.paginate_queryset(sources)
        return self.get_paginated_response(SourceSerializer(page, many=True).data)


class SourceDetailView(APIView):
    @extend_schema(
        operation_id="sources_retrieve",
        description="A curated source; its URL is the IRI annotations use for it.",
        responses={200: SourceSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, slug: str) -> Response:
        source = get_object_or_404(source_list(), slug=slug)
        return Response(SourceSerializer(source).data)


class SearchView(APIView):
    @extend_schema(
        operation_id="search",
        parameters=[SearchParamsSerializer],
        responses={
            200: SearchResultsSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            503: INDEX_UNAVAILABLE,
        },
    )
    def get(self, request: Request) -> Response:
        form = SearchParamsSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        page = run_search(form.validated_data, user=request.user)
        body = {
            "query": page.query,
            "total": page.results.total,
            "page": page.results.page,
            "page_size": page.results.page_size,
            "pages": page.results.pages,
            "sort": page.sort,
            "results": [
                {"document": document, "score": hit.score, "snippets": hit.snippets}
                for document, hit in page.hits
            ],
            "facets": page.facets,
            "suggestion": page.results.suggestion,
        }
        return Response(SearchResultsSerializer(body, context={"request": request}).data)


class SimilarDocumentsView(APIView):
    @extend_schema(
        operation_id="documents_similar",
        description="Documents sharing this one's key terms: other reprints of the same story.",
        responses={
            200: SimilarDocumentSerializer(many=True),
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
            503: INDEX_UNAVAILABLE,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        scored = similar_documents(document, user=request.user)
        documents = {item.pk: item for item in documents_in_order([pk for pk, _ in scored])}
        body = [
            {"document": documents[pk], "score": score} for pk, score in scored if pk in documents
        ]
        return Response(
            SimilarDocumentSerializer(body, many=True, context={"request": request}).data
        )


# --- Facsimiles ------------------------------------------------------------------------------


class DocumentFacsimilesView(GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = StandardPagination
    serializer_class = FacsimileSerializer

    @extend_schema(
        operation_id="documents_facsimiles_list",
        description="The document's facsimiles (scans of the printed reprint), in order.",
        responses={200: FacsimileSerializer(many=True), 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        page = self.paginate_queryset(facsimile_list(document=document))
        serializer = FacsimileSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="documents_facsimiles_attach",
        description=(
            "Attach a scan or photograph of the printed reprint. The bytes are kept exactly, "
            "with their SHA-256; a thumbnail and a display image are made after the "
            "attachment commits (`derivatives.state`). A multi-page TIFF is accepted and its "
            "first page shown, as `notes` says."
        ),
        request=FacsimileUploadSerializer,
        responses={
            201: OpenApiResponse(FacsimileSerializer, description="Attached."),
            200: OpenApiResponse(
                FacsimileSerializer,
                description="These bytes were attached to this document before: that facsimile.",
            ),
            400: REFUSAL,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        upload_form = FacsimileUploadSerializer(data=request.data)
        upload_form.is_valid(raise_exception=True)
        upload = upload_form.validated_data["file"]
        check_image_size(upload.size)  # before reading a huge upload into memory
        result = facsimile_attach(
            document=document,
            data=upload.read(),
            filename=upload.name,
            actor=request.user,
            method=IngestMethod.API,
        )
        body = FacsimileSerializer(result.facsimile, context={"request": request}).data
        if not result.created:
            return Response(body, status=status.HTTP_200_OK)
        location = reverse("api:facsimile-detail", kwargs={"pk": result.facsimile.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class FacsimileDetailView(APIView):
    @extend_schema(
        operation_id="facsimiles_retrieve",
        responses={200: FacsimileSerializer, 401: UNAUTHENTICATED, 404: FACSIMILE_NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        facsimile = get_object_or_404(facsimile_detail_queryset(), pk=pk)
        return Response(FacsimileSerializer(facsimile, context={"request": request}).data)


def _stored_file_response(
    handle, *, filename: str, content_type: str, as_attachment: bool, etag: str
) -> FileResponse:
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    response["ETag"] = etag
    # Never let a browser guess another type from the bytes (an image that is also HTML).
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


class FacsimileOriginalView(APIView):
    content_negotiation_class = AnyContentNegotiation

    @extend_schema(
        operation_id="facsimiles_original",
        description=(
            "The exact bytes received, always as an attachment (never shown inline). `ETag` "
            "is the quoted SHA-256 and `Repr-Digest` carries it too."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The stored original image."
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
            401: UNAUTHENTICATED,
            404: FACSIMILE_NOT_FOUND,
        },
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        facsimile = get_object_or_404(Facsimile.objects.all(), pk=pk)
        etag = f'"{facsimile.sha256}"'
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        try:
            handle = storage.open_original(facsimile.sha256)
        except FileNotFoundError:
            raise StoredOriginalMissing() from None
        response = _stored_file_response(
            handle,
            filename=facsimile.original_filename,
            content_type=facsimile.media_type,
            as_attachment=True,
            etag=etag,
        )
        digest = base64.b64encode(bytes.fromhex(facsimile.sha256)).decode()
        response["Repr-Digest"] = f"sha-256=:{digest}:"
        return response


class DerivativeUnavailable(APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "derivative_unavailable"


class FacsimileDerivativeView(APIView):
    """The thumbnail or the display image, shown inline: made by Kaynak, so its type is known."""

    content_negotiation_class = AnyContentNegotiation
    kind = "display"

    def get(self, request: Request, pk: int) -> HttpResponse:
        facsimile = get_object_or_404(Facsimile.objects.all(), pk=pk)
        if facsimile.derivative_state != DerivativeState.READY:
            raise DerivativeUnavailable(
                f"the {self.kind} image of facsimile {pk} is {facsimile.derivative_state}"
                + (f": {facsimile.derivative_error}" if facsimile.derivative_error else "")
            )
        etag = f'"{facsimile.sha256}.{self.kind}"'
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        try:
            handle = storage.derivative_path(facsimile.sha256, self.kind).open("rb")
        except FileNotFoundError:
            raise DerivativeUnavailable(
                f"the {self.kind} image of facsimile {pk} is missing from disk; run "
                "`manage.py facsimile_derivatives --all`"
            ) from None
        stem = facsimile.original_filename.rsplit(".", 1)[0] or "facsimile"
        return _stored_file_response(
            handle,
            filename=f"{stem}.{self.kind}.jpg",
            content_type=DERIVATIVE_MEDIA_TYPE,
            as_attachment=False,
            etag=etag,
        )


_DERIVATIVE_RESPONSES = {
    (200, DERIVATIVE_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="A JPEG."),
    304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
    401: UNAUTHENTICATED,
    404: OpenApiResponse(
        ErrorSerializer, description="No such facsimile, or its derivatives are not made yet."
    ),
}


class FacsimileThumbnailView(FacsimileDerivativeView):
    kind = "thumbnail"

    @extend_schema(
        operation_id="facsimiles_thumbnail",
        description="At most 320 pixels on its longest side, upright, without metadata.",
        responses=_DERIVATIVE_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)


class FacsimileDisplayView(FacsimileDerivativeView):
    kind = "display"

    @extend_schema(
        operation_id="facsimiles_display",
        description="At most 1600 pixels on its longest side, upright, without metadata.",
        responses=_DERIVATIVE_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return super().get(request, pk)
