"""The search API: full-text search over the archive and documents similar to one. Each view
checks permission, validates input, calls one selector, and serialises the result."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.selectors import visible_documents
from archive.views import INDEX_UNAVAILABLE, NOT_FOUND, REFUSAL, UNAUTHENTICATED
from search.search_requests import run_search
from search.selectors import similar_visible_documents
from search.serializers import (
    SearchParamsSerializer,
    SearchResultsSerializer,
    SimilarDocumentSerializer,
)


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
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = run_search(params.validated_data, user=request.user)
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
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        body = [
            {"document": similar.document, "score": similar.score}
            for similar in similar_visible_documents(document, user=request.user)
        ]
        return Response(
            SimilarDocumentSerializer(body, many=True, context={"request": request}).data
        )
