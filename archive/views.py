"""The archive's REST API. Each view checks permission, validates input, calls one service or
selector, and serialises the result."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import IO, Any, TypeVar

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from archive import storage
from archive.ingest.images import DERIVATIVE_MEDIA_TYPE
from archive.models import DerivativeState, Document, Source, SourceAlias
from archive.permissions import (
    DocumentCuration,
    DocumentWithdrawal,
    SourceCuration,
    SourceMerging,
)
from archive.selectors import (
    DocumentFilters,
    document_detail_queryset,
    document_list,
    document_read_back,
    facsimile_detail_queryset,
    facsimile_list,
    merges_not_undone,
    source_events,
    source_list,
    source_lookup,
    visible_documents,
)
from archive.serializers import (
    CurationReasonSerializer,
    DocumentDetailSerializer,
    DocumentFilterSerializer,
    DocumentSummarySerializer,
    DocumentUpdateSerializer,
    DocumentUploadedSerializer,
    DocumentUploadSerializer,
    ErrorSerializer,
    FacsimileSerializer,
    FacsimileUploadSerializer,
    SourceAliasSerializer,
    SourceCreateSerializer,
    SourceEventSerializer,
    SourceFilterSerializer,
    SourceMergeSerializer,
    SourceSerializer,
    SourceUnmergeSerializer,
    SourceUpdateSerializer,
)
from archive.services import (
    IngestMethod,
    document_ingest,
    document_restore,
    document_update,
    document_withdraw,
    facsimile_attach,
    kaynak_agent,
    source_alias_add,
    source_alias_remove,
    source_create,
    source_merge,
    source_unmerge,
    source_update,
)
from archive.services.documents import StaleDocument, document_etag
from archive.services.sources import StaleSource, source_etag
from archive.text import normalize_name
from kaynak import preconditions
from kaynak.api import JSONParser, StandardPagination
from kaynak.users import signed_in

F = TypeVar("F", bound=Callable[..., Any])

REFUSAL = OpenApiResponse(ErrorSerializer, description="The input was refused; `detail` says why.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such document.")
NO_SUCH_SOURCE = OpenApiResponse(ErrorSerializer, description="No such source.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Only curators may do this.")
API_AGENT = kaynak_agent("API")
# Changes that must not overwrite someone else's (documents' metadata, annotations).
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the version being changed (from GET).",
)
PRECONDITIONS = {
    412: OpenApiResponse(
        ErrorSerializer,
        description="Changed by someone else meanwhile; `current` is the current representation "
        "and the ETag its version.",
    ),
    428: OpenApiResponse(ErrorSerializer, description="If-Match is missing."),
}
NOT_MODIFIED = OpenApiResponse(description="Not modified (If-None-Match named this version).")
IF_NONE_MATCH = OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
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
        documents = document_list(
            user=request.user, filters=DocumentFilters(**filters.validated_data)
        )
        page = self.paginate_queryset(documents)
        serializer = DocumentSummarySerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        operation_id="documents_upload",
        request=DocumentUploadSerializer,
        responses={
            201: OpenApiResponse(
                DocumentUploadedSerializer, description="Ingested; `read` says what was read."
            ),
            200: OpenApiResponse(
                DocumentUploadedSerializer,
                description="The same bytes were ingested before: the existing document.",
            ),
            400: REFUSAL,
            401: UNAUTHENTICATED,
            409: OpenApiResponse(
                ErrorSerializer,
                description="The same bytes were ingested before as a document you may not "
                "see (`unavailable_duplicate`); the attempt is recorded on it.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        payload = DocumentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        result = document_ingest(
            data=upload,  # unread: the service checks its name and size before reading it
            filename=upload.name,
            actor=signed_in(request.user),
            method=IngestMethod.API,
        )
        document = document_detail_queryset(request.user).get(pk=result.document.pk)
        # Carried to DocumentUploadedSerializer on the instance; not a field of the model.
        document.read_back = document_read_back(document)  # type: ignore[attr-defined]
        body = DocumentUploadedSerializer(document, context={"request": request}).data
        if not result.created:
            return Response(body, status=status.HTTP_200_OK)
        location = reverse("api:document-detail", kwargs={"pk": document.pk})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class DocumentDetailView(APIView):
    permission_classes = [IsAuthenticated & DocumentCuration]

    @extend_schema(
        operation_id="documents_retrieve",
        parameters=[IF_NONE_MATCH],
        responses={
            200: DocumentDetailSerializer,
            304: NOT_MODIFIED,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = get_object_or_404(document_detail_queryset(request.user), pk=pk)
        version = document_etag(document)
        unchanged = preconditions.not_modified(request, version)
        if unchanged is not None:
            return unchanged
        return preconditions.tagged(_document_body(request, document), version)

    @extend_schema(
        operation_id="documents_update",
        description="Correct metadata (curators). Records a metadata_change event with each "
        "field before and after, and re-indexes the document. Send the ETag you read in "
        "If-Match: an edit to metadata someone changed since is refused (412), not applied "
        "over theirs.",
        request=DocumentUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: DocumentDetailSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        expected = preconditions.require_version(request, document_etag(document))
        payload = DocumentUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        try:
            document_update(
                document=document,
                actor=signed_in(request.user),
                agent=API_AGENT,
                expected_etag=expected,
                **payload.validated_data,
            )
        except StaleDocument as stale:
            current = document_detail_queryset(request.user).get(pk=pk)
            body = _document_body(request, current)
            return preconditions.stale_response(stale, body, document_etag(current))
        document = document_detail_queryset(request.user).get(pk=pk)
        return preconditions.tagged(_document_body(request, document), document_etag(document))


def _document_body(request: Request, document: Document) -> dict:
    return DocumentDetailSerializer(document, context={"request": request}).data


def _change_status(request: Request, pk: int, change: Callable[..., Document]) -> Response:
    """Withdraw or restore (`change`) the document, with the reason given."""
    document = get_object_or_404(Document.objects.all(), pk=pk)
    payload = CurationReasonSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    change(
        document=document, actor=signed_in(request.user), agent=API_AGENT, **payload.validated_data
    )
    document = document_detail_queryset(request.user).get(pk=pk)
    return Response(DocumentDetailSerializer(document, context={"request": request}).data)


class DocumentWithdrawView(APIView):
    permission_classes = [IsAuthenticated & DocumentWithdrawal]

    @extend_schema(
        operation_id="documents_withdraw",
        description="Withdraw a document (curators): it leaves search and everyone's sight but "
        "curators', keeping its original, annotations and history. A reason is required.",
        request=CurationReasonSerializer,
        responses={
            200: DocumentDetailSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _change_status(request, pk, document_withdraw)


class DocumentRestoreView(APIView):
    permission_classes = [IsAuthenticated & DocumentWithdrawal]

    @extend_schema(
        operation_id="documents_restore",
        description="Restore a withdrawn document (curators).",
        request=CurationReasonSerializer,
        responses={
            200: DocumentDetailSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        return _change_status(request, pk, document_restore)


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


def original_schema(
    operation_id: str, *, not_found: OpenApiResponse, media_type: str
) -> Callable[[F], F]:
    """The schema of a stored original's download (see `_original_response`), in the media
    type it was received as (`media_type` may be a range: `text/*`, `image/*`)."""
    return extend_schema(
        operation_id=operation_id,
        description=(
            "The exact bytes received, always as an attachment (never shown inline). `ETag` "
            "is the quoted SHA-256 and `Repr-Digest` carries it too, so a client can verify "
            "what it downloaded."
        ),
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.BINARY, description="The stored original, as received."
            ),
            304: OpenApiResponse(description="Not modified (If-None-Match matched)."),
            401: UNAUTHENTICATED,
            404: not_found,
        },
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
    )


class DocumentOriginalView(APIView):
    content_negotiation_class = AnyContentNegotiation

    # Reprints arrive as text, JSON records or (from JSON Lines) single JSON lines.
    @original_schema("documents_original", not_found=NOT_FOUND, media_type="*/*")
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        return _original_response(
            request,
            sha256=document.sha256,
            filename=document.original_filename,
            content_type=_content_type(document),
        )


def _original_response(
    request: Request, *, sha256: str, filename: str, content_type: str
) -> HttpResponseBase:
    """Stored original bytes, always as an attachment, never sniffed into another type;
    `ETag` (and `If-None-Match`) and `Repr-Digest` carry the SHA-256."""
    etag = preconditions.entity_tag(sha256)
    unchanged = preconditions.not_modified(request, sha256)
    if unchanged is not None:
        return unchanged
    # The caller has checked permission; the bucket serves the bytes itself when configured.
    url = storage.original_download_url(sha256, filename=filename, content_type=content_type)
    if url is not None:
        # Never cached: the URL expires, and the next request must be checked again.
        return HttpResponse(
            status=status.HTTP_302_FOUND,
            headers={"Location": url, "ETag": etag, "Cache-Control": "private, no-store"},
        )
    try:
        handle = storage.open_original(sha256)
    except FileNotFoundError:
        raise StoredOriginalMissing() from None
    response = _stored_file_response(
        handle, filename=filename, content_type=content_type, as_attachment=True, etag=etag
    )
    digest = base64.b64encode(bytes.fromhex(sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


class SourceListView(GenericAPIView):
    pagination_class = StandardPagination
    serializer_class = SourceSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    permission_classes = [IsAuthenticated & SourceCuration]
    creates_source = True

    @extend_schema(
        operation_id="sources_list",
        description="Live sources (those merged into another are left out).",
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

    @extend_schema(
        operation_id="sources_create",
        request=SourceCreateSerializer,
        responses={201: SourceSerializer, 400: REFUSAL, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        payload = SourceCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        source = source_create(actor=signed_in(request.user), **payload.validated_data)
        location = reverse("api:source-detail", kwargs={"slug": source.slug})
        return Response(
            SourceSerializer(source).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


def _live_source(slug: str) -> tuple[Source, Source | None]:
    try:
        return source_lookup(slug)
    except Source.DoesNotExist:
        raise NotFound(f"no source {slug!r}") from None


def _source_response(source: Source, asked_for: Source | None, **kwargs: Any) -> Response:
    response = Response(SourceSerializer(source).data, **kwargs)
    response["ETag"] = preconditions.entity_tag(source_etag(source))
    if asked_for is not None:
        # The tombstone's URL answers with the source it was merged into, and says so.
        response["Content-Location"] = reverse("api:source-detail", kwargs={"slug": source.slug})
    return response


class SourceDetailView(APIView):
    permission_classes = [IsAuthenticated & SourceCuration]

    @extend_schema(
        operation_id="sources_retrieve",
        description="A curated source; its URL is the IRI annotations use for it. A source "
        "merged into another answers with that one (and a Content-Location header naming it).",
        parameters=[IF_NONE_MATCH],
        responses={
            200: SourceSerializer,
            304: NOT_MODIFIED,
            401: UNAUTHENTICATED,
            404: NO_SUCH_SOURCE,
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        source, asked_for = _live_source(slug)
        source = source_list().get(pk=source.pk)
        unchanged = preconditions.not_modified(request, source_etag(source))
        return unchanged if unchanged is not None else _source_response(source, asked_for)

    @extend_schema(
        operation_id="sources_update",
        description="Rename, re-kind or describe a source (curators); recorded as an event, "
        "its documents re-indexed. The old name stays an alias.",
        request=SourceUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: SourceSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NO_SUCH_SOURCE,
            **PRECONDITIONS,
        },
    )
    def patch(self, request: Request, slug: str) -> Response:
        source = get_object_or_404(Source.objects.all(), slug=slug)
        expected = preconditions.require_version(request, source_etag(source))
        payload = SourceUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            source_update(
                source=source,
                actor=signed_in(request.user),
                expected_etag=expected,
                **payload.validated_data,
            )
        except StaleSource as stale:
            current = source_list().get(pk=source.pk)
            body = SourceSerializer(current).data
            return preconditions.stale_response(stale, body, source_etag(current))
        return _source_response(source_list().get(pk=source.pk), None)


class SourceAliasesView(APIView):
    permission_classes = [IsAuthenticated & SourceCuration]

    @extend_schema(
        operation_id="sources_aliases_create",
        request=SourceAliasSerializer,
        responses={
            201: SourceSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NO_SUCH_SOURCE,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        source = get_object_or_404(Source.objects.all(), slug=slug)
        payload = SourceAliasSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        source_alias_add(
            source=source, name=payload.validated_data["name"], actor=signed_in(request.user)
        )
        return _source_response(source_list().get(pk=source.pk), None, status=201)


class SourceAliasDetailView(APIView):
    permission_classes = [IsAuthenticated & SourceCuration]

    @extend_schema(
        operation_id="sources_aliases_destroy",
        description="Remove one of a source's names, by the name (any spelling of it).",
        responses={
            200: SourceSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NO_SUCH_SOURCE,
        },
    )
    def delete(self, request: Request, slug: str, name: str) -> Response:
        source = get_object_or_404(Source.objects.all(), slug=slug)
        alias = get_object_or_404(
            SourceAlias.objects.all(), source=source, normalized_name=normalize_name(name)
        )
        source_alias_remove(alias=alias, actor=signed_in(request.user))
        return _source_response(source_list().get(pk=source.pk), None)


class SourceMergeView(APIView):
    permission_classes = [IsAuthenticated & SourceMerging]

    @extend_schema(
        operation_id="sources_merge",
        description="Merge the listed sources into this one (curators): their documents and "
        "source tags move here, their names become aliases, and they remain as tombstones.",
        request=SourceMergeSerializer,
        responses={
            200: SourceEventSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NO_SUCH_SOURCE,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        into = get_object_or_404(Source.objects.all(), slug=slug)
        payload = SourceMergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slugs = payload.validated_data["sources"]
        sources = list(Source.objects.filter(slug__in=slugs))
        missing = sorted(set(slugs) - {source.slug for source in sources})
        if missing:
            raise NotFound(f"no source {', '.join(missing)}")
        event = source_merge(
            sources=sources,
            into=into,
            actor=signed_in(request.user),
            reason=payload.validated_data["reason"],
        )
        return Response(SourceEventSerializer(event).data)


class SourceUnmergeView(APIView):
    permission_classes = [IsAuthenticated & SourceMerging]

    @extend_schema(
        operation_id="sources_unmerge",
        description="Undo a merge into this source (curators), restoring exactly the pointers "
        "and aliases it moved; refused, naming the conflicts, if later edits changed them.",
        request=SourceUnmergeSerializer,
        responses={
            200: SourceEventSerializer,
            400: REFUSAL,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NO_SUCH_SOURCE,
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        into = get_object_or_404(Source.objects.all(), slug=slug)
        payload = SourceUnmergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        merges = merges_not_undone(source=into)
        if "event" in payload.validated_data:
            event = source_events(source=into).filter(pk=payload.validated_data["event"]).first()
            if event is None:
                raise NotFound(f"no event {payload.validated_data['event']} of {into.slug}")
        else:
            event = merges.order_by("-occurred_at", "-pk").first()
            if event is None:
                raise NotFound(f"no merge into {into.slug} to undo")
        unmerge = source_unmerge(
            event=event, actor=signed_in(request.user), reason=payload.validated_data["reason"]
        )
        return Response(SourceEventSerializer(unmerge).data)


class SourceEventsView(GenericAPIView):
    pagination_class = StandardPagination
    serializer_class = SourceEventSerializer

    @extend_schema(
        operation_id="sources_events_list",
        description="The source's curation history, oldest first.",
        responses={
            200: SourceEventSerializer(many=True),
            401: UNAUTHENTICATED,
            404: NO_SUCH_SOURCE,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        source = get_object_or_404(Source.objects.all(), slug=slug)
        page = self.paginate_queryset(source_events(source=source))
        return self.get_paginated_response(SourceEventSerializer(page, many=True).data)


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
        document = get_object_or_404(visible_documents(request.user), pk=pk)
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
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        payload = FacsimileUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        result = facsimile_attach(
            document=document,
            data=upload,  # unread: the service checks its size before reading it
            filename=upload.name,
            actor=signed_in(request.user),
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
        facsimile = get_object_or_404(facsimile_detail_queryset(request.user), pk=pk)
        return Response(FacsimileSerializer(facsimile, context={"request": request}).data)


class _StoredFileResponse(FileResponse):
    # Django reads 4 KiB at a time; from a bucket each read is a trip through the HTTP stream,
    # and a 20 MB original streamed 7x slower than it is read straight from the store.
    block_size = 512 * 1024


def _stored_file_response(
    handle: IO[bytes], *, filename: str, content_type: str, as_attachment: bool, etag: str
) -> HttpResponseBase:
    response = _StoredFileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    response["ETag"] = etag
    # Never let a browser guess another type from the bytes (an image that is also HTML).
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    # A stream from the bucket cannot seek for FileResponse to measure it; it knows its size.
    if "Content-Length" not in response and (size := getattr(handle, "size", None)) is not None:
        response["Content-Length"] = str(size)
    return response


class FacsimileOriginalView(APIView):
    content_negotiation_class = AnyContentNegotiation

    @original_schema("facsimiles_original", not_found=FACSIMILE_NOT_FOUND, media_type="image/*")
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        facsimile = get_object_or_404(facsimile_detail_queryset(request.user), pk=pk)
        return _original_response(
            request,
            sha256=facsimile.sha256,
            filename=facsimile.original_filename,
            content_type=facsimile.media_type,
        )


class DerivativeUnavailable(APIException):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "derivative_unavailable"


class FacsimileDerivativeView(APIView):
    """The thumbnail or the display image, shown inline: made by Kaynak, so its type is known."""

    content_negotiation_class = AnyContentNegotiation
    kind = "display"

    def get(self, request: Request, pk: int) -> HttpResponseBase:
        facsimile = get_object_or_404(facsimile_detail_queryset(request.user), pk=pk)
        if facsimile.derivative_state != DerivativeState.READY:
            raise DerivativeUnavailable(
                f"the {self.kind} image of facsimile {pk} is {facsimile.derivative_state}"
                + (f": {facsimile.derivative_error}" if facsimile.derivative_error else "")
            )
        version = f"{facsimile.sha256}.{self.kind}"
        unchanged = preconditions.not_modified(request, version)
        if unchanged is not None:
            return unchanged
        try:
            handle = storage.open_derivative(facsimile.sha256, self.kind)
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
            etag=preconditions.entity_tag(version),
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
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return super().get(request, pk)


class FacsimileDisplayView(FacsimileDerivativeView):
    kind = "display"

    @extend_schema(
        operation_id="facsimiles_display",
        description="At most 1600 pixels on its longest side, upright, without metadata.",
        responses=_DERIVATIVE_RESPONSES,
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        return super().get(request, pk)
