"""The search API: full-text search over the archive and documents similar to one. Each view
checks permission, validates input, calls one selector, and serialises the result."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.selectors import documents_in_order, visible_documents
from archive.views import INDEX_UNAVAILABLE, NOT_FOUND, REFUSAL, UNAUTHENTICATED
from search.engine import similar_documents
from search.search_requests import run_search
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
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        scored = similar_documents(document, user=request.user)
        documents = {
            item.pk: item
            for item in documents_in_order([pk for pk, _ in scored], user=request.user)
        }
        body = [
            {"document": documents[pk], "score": score} for pk, score in scored if pk in documents
        ]
        return Response(
            SimilarDocumentSerializer(body, many=True, context={"request": request}).data
        )
