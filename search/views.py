"""The search API: full-text search over the archive and documents similar to one. Each view
checks permission, validates input, calls one selector, and serialises the result."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import views as annotation_views
from annotations.selectors import AnnotationFilters
from annotations.serializers import AnnotationSerializer
from annotations.views import ERROR
from archive.selectors import visible_documents
from archive.serializers import ErrorSerializer
from archive.views import INDEX_UNAVAILABLE, NOT_FOUND, REFUSAL, UNAUTHENTICATED
from kaynak.api import StandardPagination
from kaynak.users import signed_in
from search.annotation_search import annotation_search
from search.models import SavedSearch
from search.permissions import SavedSearchWriteRules
from search.search_requests import run_search
from search.selectors import similar_visible_documents, visible_saved_searches
from search.serializers import (
    AnnotationSearchParamsSerializer,
    AnnotationSearchResultsSerializer,
    SavedSearchInputSerializer,
    SavedSearchResultsSerializer,
    SavedSearchRunParamsSerializer,
    SavedSearchSerializer,
    SavedSearchUpdateSerializer,
    SearchParamsSerializer,
    SearchResultsSerializer,
    SimilarDocumentSerializer,
)
from search.services import (
    saved_search_create,
    saved_search_delete,
    saved_search_open,
    saved_search_update,
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


PAGING = [
    OpenApiParameter("page", int, description="A page number within the paginated result set."),
    OpenApiParameter("page_size", int, description="Number of results to return per page."),
]


class AnnotationSearchView(GenericAPIView):
    """GET /api/annotations/: the annotation listing, searchable. Routed here rather than in
    the annotations app because searching needs this app's query parser, and annotations may
    not import search."""

    pagination_class = StandardPagination
    serializer_class = AnnotationSerializer

    @extend_schema(
        operation_id="annotations_list",
        description=(
            "Annotations across documents, only those the requesting user may read: filtered, "
            "searched with `q` (the query language of document search), sorted, with facets "
            "over the whole result set."
        ),
        # Not a list response, so the paging parameters are not added by themselves.
        parameters=[AnnotationSearchParamsSerializer, *PAGING],
        responses={
            200: AnnotationSearchResultsSerializer,
            400: ERROR,
            401: UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
    )
    def get(self, request: Request) -> Response:
        params = AnnotationSearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = dict(params.validated_data)
        query = options.pop("q", "")
        found = annotation_search(
            user=request.user,
            filters=AnnotationFilters(**{k: v for k, v in options.items() if k != "sort"}),
            query=query,
            sort=options.get("sort"),
        )
        if found.ranked_ids is None:
            page = self.paginate_queryset(found.annotations)
        else:
            # Best first: page through the ranked ids, then load that page's annotations.
            ids = self.paginate_queryset(found.ranked_ids) or []
            loaded = found.annotations.filter(pk__in=ids).in_bulk()
            page = [loaded[pk] for pk in ids]
        response = self.get_paginated_response(
            AnnotationSerializer(page, many=True, context={"request": request}).data
        )
        response.data.update({"query": query, "sort": found.sort, "facets": found.facets})
        return response


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Export only what this annotation query finds (as GET "
                "/api/annotations/?q=…).",
            )
        ]
    )
)
class AnnotationSearchExportView(annotation_views.AnnotationSearchExportView):
    """GET /api/annotations/export/: as the annotations app's export, `q` included, so an
    export of a search holds what the search found. Here for the same reason as
    AnnotationSearchView."""

    def export_filters(self, request: Request) -> AnnotationFilters:
        params = AnnotationSearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        options = dict(params.validated_data)
        query = options.pop("q", "")
        options.pop("sort", None)
        filters = AnnotationFilters(**options)
        if not query.strip():
            return filters
        found = annotation_search(user=request.user, filters=filters, query=query)
        return replace(filters, ids=frozenset(found.annotations.values_list("pk", flat=True)))


SAVED_SEARCH_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="No such saved search visible to this user."
)
OWNER_ONLY = OpenApiResponse(
    ErrorSerializer, description="Only the saved search's owner may change or delete it."
)


class SavedSearchListView(GenericAPIView):
    """GET /api/saved-searches/: mine and those shared with a group of mine; POST saves one."""

    pagination_class = StandardPagination
    serializer_class = SavedSearchSerializer

    @extend_schema(
        operation_id="saved_searches_list",
        parameters=PAGING,
        responses={
            200: SavedSearchSerializer(many=True),
            401: UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(visible_saved_searches(request.user))
        return self.get_paginated_response(
            SavedSearchSerializer(page, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="saved_searches_create",
        request=SavedSearchInputSerializer,
        responses={201: SavedSearchSerializer, 400: ERROR, 401: UNAUTHENTICATED},
    )
    def post(self, request: Request) -> Response:
        data = SavedSearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved_search = saved_search_create(owner=signed_in(request.user), **data.validated_data)
        return Response(
            SavedSearchSerializer(saved_search, context={"request": request}).data, status=201
        )


class SavedSearchDetailView(GenericAPIView):
    """GET, PATCH, DELETE /api/saved-searches/{id}/: whoever may see it reads it; only its
    owner changes or deletes it (403 for the others who see it, 404 for everyone else)."""

    permission_classes = [IsAuthenticated & SavedSearchWriteRules]
    serializer_class = SavedSearchSerializer

    def get_queryset(self) -> QuerySet[SavedSearch]:
        return visible_saved_searches(self.request.user)

    @extend_schema(
        operation_id="saved_searches_retrieve",
        responses={200: SavedSearchSerializer, 401: UNAUTHENTICATED, 404: SAVED_SEARCH_NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(SavedSearchSerializer(self.get_object(), context={"request": request}).data)

    @extend_schema(
        operation_id="saved_searches_partial_update",
        request=SavedSearchUpdateSerializer,
        responses={
            200: SavedSearchSerializer,
            400: ERROR,
            401: UNAUTHENTICATED,
            403: OWNER_ONLY,
            404: SAVED_SEARCH_NOT_FOUND,
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        saved_search = self.get_object()
        data = SavedSearchUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved_search = saved_search_update(
            saved_search=saved_search, actor=signed_in(request.user), **data.validated_data
        )
        return Response(SavedSearchSerializer(saved_search, context={"request": request}).data)

    @extend_schema(
        operation_id="saved_searches_destroy",
        responses={
            204: None,
            401: UNAUTHENTICATED,
            403: OWNER_ONLY,
            404: SAVED_SEARCH_NOT_FOUND,
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        saved_search_delete(saved_search=self.get_object(), actor=signed_in(request.user))
        return Response(status=204)


class SavedSearchResultsView(APIView):
    """GET /api/saved-searches/{id}/results/: runs it, with how many more results it has than
    when the requesting user last opened it (and marks it seen by them now)."""

    @extend_schema(
        operation_id="saved_searches_results",
        parameters=[SavedSearchRunParamsSerializer],
        responses={
            200: SavedSearchResultsSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            404: SAVED_SEARCH_NOT_FOUND,
            503: INDEX_UNAVAILABLE,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        saved_search = get_object_or_404(visible_saved_searches(request.user), pk=pk)
        params = SavedSearchRunParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        opened = saved_search_open(
            saved_search=saved_search, user=signed_in(request.user), **params.validated_data
        )
        result = opened.run
        documents, annotations, pages = [], [], 1
        if result.documents is not None:
            documents = [
                {"document": document, "score": hit.score, "snippets": hit.snippets}
                for document, hit in result.documents.hits
            ]
            pages = result.documents.results.pages
        if result.annotations is not None:
            annotations = result.annotations.annotations
            pages = result.annotations.pages
        body = {
            "saved_search": saved_search,
            "kind": saved_search.kind,
            "total": result.total,
            "new_since_last_seen": opened.new_since_last_seen,
            "last_seen_at": opened.last_seen_at,
            **params.validated_data,
            "pages": pages,
            "documents": documents,
            "annotations": annotations,
        }
        return Response(SavedSearchResultsSerializer(body, context={"request": request}).data)
