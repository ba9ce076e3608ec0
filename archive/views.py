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
from archive.models import Document
from archive.search import similar_documents
from archive.search_requests import run_search
from archive.selectors import (
    DocumentFilters,
    document_detail_queryset,
    document_list,
    documents_in_order,
    source_list,
)
from archive.serializers import (
    DocumentDetailSerializer,
    DocumentFilterSerializer,
    DocumentSummarySerializer,
    DocumentUploadSerializer,
    ErrorSerializer,
    SearchParamsSerializer,
    SearchResultsSerializer,
    SimilarDocumentSerializer,
    SourceFilterSerializer,
    SourceSerializer,
)
from archive.services import IngestMethod, document_ingest
from kaynak.api import StandardPagination

REFUSAL = OpenApiResponse(ErrorSerializer, description="The input was refused; `detail` says why.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such document.")
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
