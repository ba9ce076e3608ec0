"""The annotations API, in Kaynak's JSON and, on request, the W3C Web Annotation model
(`Accept: application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"`)."""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from annotations import exports, w3c
from annotations.anchoring import OffsetUnit
from annotations.models import Annotation, Reply
from annotations.permissions import AnnotationWriteRules, CuratorsOnly, ReplyWriteRules
from annotations.selectors import (
    AnnotationFilters,
    annotation_citation,
    annotation_export,
    annotation_list,
    reply_list,
    revision_history,
    tag_list,
    visible_annotations,
    with_representation,
)
from annotations.serializers import (
    AnnotationCreateSerializer,
    AnnotationFilterSerializer,
    AnnotationSerializer,
    AnnotationUpdateSerializer,
    CitationSerializer,
    ReasonSerializer,
    ReplyInputSerializer,
    ReplySerializer,
    RevisionSerializer,
    TagFilterSerializer,
    TagInputSerializer,
    TagSerializer,
    update_changes,
)
from annotations.services import (
    SourceTagInput,
    StaleAnnotation,
    StaleReply,
    annotation_create,
    annotation_delete,
    annotation_hide,
    annotation_unhide,
    annotation_update,
    reply_create,
    reply_delete,
    reply_hide,
    reply_update,
    tag_create,
)
from archive.selectors import visible_documents
from archive.serializers import ErrorSerializer
from archive.views import (
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    PRECONDITIONS,
    AnyContentNegotiation,
)
from kaynak import preconditions
from kaynak.api import BrowsableAPIRenderer, JSONParser, StandardPagination
from kaynak.chain import canonical_json, sha256_hex
from kaynak.users import signed_in


class WebAnnotationRenderer(JSONRenderer):
    media_type = w3c.MEDIA_TYPE
    format = "jsonld"


class PlainJSONLDRenderer(JSONRenderer):
    """`application/ld+json` without the profile is answered in the same model."""

    media_type = "application/ld+json"
    format = "jsonld"


class JSONLDParser(JSONParser):
    media_type = "application/ld+json"


RENDERERS = [JSONRenderer, WebAnnotationRenderer, PlainJSONLDRenderer, BrowsableAPIRenderer]
PARSERS = [JSONParser, JSONLDParser]
# A client that names no media type (no Accept, or only `*/*`) of the W3C addresses.
_ANY = {"", "*/*"}


class WebAnnotationFirst(DefaultContentNegotiation):
    """The W3C addresses (the container and the annotations in it) answer the JSON-LD form
    when the client names no media type (protocol §4 and §3.2: JSON-LD by default); Kaynak's
    JSON when asked for `application/json`. A write sent in Kaynak's JSON is answered in it,
    as a client speaking JSON expects."""

    def select_renderer(self, request, renderers, format_suffix=None):
        ranges = {
            item.split(";", 1)[0].strip() for item in request.META.get("HTTP_ACCEPT", "").split(",")
        }
        if ranges <= _ANY and not format_suffix and "format" not in request.query_params:
            speaks_json = request.method in ("POST", "PUT", "PATCH") and not sent_w3c(request)
            wanted = JSONRenderer if speaks_json else WebAnnotationRenderer
            renderer = next(item for item in renderers if type(item) is wanted)
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)


def _w3c_finish(request: Request, response: HttpResponse, link: str) -> None:
    """Protocol §4 and §3: on every answer of a W3C address a Link to its LDP type, and the
    JSON-LD answer typed with the Web Annotation profile whichever JSON-LD was asked for."""
    response["Link"] = link
    if isinstance(response, Response) and wants_w3c(request):
        response.content_type = w3c.MEDIA_TYPE


ERROR = OpenApiResponse(ErrorSerializer, description="Refused; `detail` says why, by field too.")
UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No valid session or token.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Not allowed for this user.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such thing visible to this user.")
# What an annotation export answers, one document's or a search's.
EXPORT_RESPONSES = {
    401: UNAUTHENTICATED,
    (200, "application/ld+json"): OpenApiResponse(
        OpenApiTypes.OBJECT, description="as=jsonld: a W3C AnnotationCollection."
    ),
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="as=csv"),
    (200, "application/x-ndjson"): OpenApiResponse(
        OpenApiTypes.STR, description="as=jsonl: one annotation per line."
    ),
    400: ERROR,
}
W3C_NOTE = (
    "With `Accept: application/ld+json; "
    'profile="http://www.w3.org/ns/anno.jsonld"` the answer is in the W3C Web Annotation '
    "model (an AnnotationCollection, `?page=N` an AnnotationPage); a POST with that "
    "Content-Type takes a Web Annotation. At the W3C addresses (a document's container and "
    "the annotations in it) that is also the answer when no media type is named; send "
    "`Accept: application/json` for Kaynak's JSON."
)


PREFER = OpenApiParameter(
    "Prefer",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='W3C form, without `page`: `return=representation; include="<IRI>"` with '
    "ldp#PreferMinimalContainer (no page embedded), ldp#PreferContainedIRIs (the first "
    "page lists IRIs) or ldp#PreferContainedDescriptions (the default: whole annotations).",
)
IRIS = OpenApiParameter(
    "iris",
    int,
    enum=[1],
    required=False,
    description="W3C form: pages list the annotations' IRIs (the address "
    "ldp#PreferContainedIRIs leads to).",
)


def wants_w3c(request: Request) -> bool:
    return getattr(request.accepted_renderer, "format", None) == "jsonld"


def sent_w3c(request: Request) -> bool:
    return (request.content_type or "").startswith("application/ld+json")


def expected_version(request: Request, annotation: Annotation) -> int:
    """The version the client last read, from If-Match (its ETag, `"<id>.<version>"`)."""
    tag = preconditions.require_version(request, annotation.tag_version)
    pk, _, version = tag.partition(".")
    if pk == str(annotation.pk) and version.isdigit():
        return int(version)
    return -1  # no version of this annotation: stale by definition


def _w3c_headers(response: Response, request: Request, link: str) -> Response:
    if wants_w3c(request):
        response["Link"] = link
    return response


def _annotation_response(request: Request, annotation: Annotation, *, code: int = 200) -> Response:
    annotation = with_representation(Annotation.objects.filter(pk=annotation.pk)).get()
    if wants_w3c(request):
        body = w3c.annotation_to_w3c(annotation, request)
    else:
        body = AnnotationSerializer(annotation, context={"request": request}).data
    response = preconditions.tagged(body, annotation.tag_version, code=code)
    return _w3c_headers(response, request, w3c.LDP_RESOURCE)


def _create_arguments(data: dict) -> dict:
    return {
        **data,
        "offset_unit": OffsetUnit(data["offset_unit"]),
        "source_tags": [SourceTagInput(**item) for item in data["source_tags"]],
    }


def _filters(request: Request, **fixed: int) -> AnnotationFilters:
    filters = AnnotationFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return AnnotationFilters(**{**filters.validated_data, **fixed})


class DocumentAnnotationsView(GenericAPIView):
    """A document's annotation container (W3C Web Annotation protocol §4)."""

    renderer_classes = RENDERERS
    parser_classes = PARSERS
    content_negotiation_class = WebAnnotationFirst
    pagination_class = StandardPagination
    serializer_class = AnnotationSerializer

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        _w3c_finish(request, response, w3c.LDP_CONTAINER)
        # Protocol §4.1.3: the answer depends on Prefer too, so caches must key on it.
        patch_vary_headers(response, ("Accept", "Prefer"))
        return response

    @extend_schema(
        operation_id="document_annotations_list",
        description=W3C_NOTE,
        parameters=[AnnotationFilterSerializer, IF_NONE_MATCH, PREFER, IRIS],
        responses={
            200: AnnotationSerializer(many=True),
            304: NOT_MODIFIED,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        document = get_object_or_404(visible_documents(request.user).only("id", "title"), pk=pk)
        annotations = annotation_list(user=request.user, filters=_filters(request, document=pk))
        if not wants_w3c(request):
            page = self.paginate_queryset(annotations)
            body = AnnotationSerializer(page, many=True, context={"request": request}).data
            return self.get_paginated_response(body)
        # pagination_class above: the paginator is a StandardPagination.
        paginator = cast(StandardPagination, self.paginator)
        # StandardPagination always has a page size (a default, capped).
        page_size = cast(int, paginator.get_page_size(request))
        total = annotations.count()
        headers: dict[str, str] = {}
        if "page" in request.query_params:
            # A page's IRI says what it lists (`iris=1`); Prefer is for the container only.
            items = list(self.paginate_queryset(annotations) or [])
            view = w3c.ContainerView.of(request, pk, total=total, page_size=page_size)
            w3c_body = w3c.page_to_w3c(
                document,
                items,
                view=view,
                page=paginator.page.number if paginator.page is not None else 1,
                request=request,
            )
        else:
            choice, asked = w3c.preference(request.headers.get("Prefer", ""))
            view = w3c.ContainerView.of(
                request,
                pk,
                total=total,
                page_size=page_size,
                iris=choice == w3c.PREFER_IRIS or None,
            )
            first = None if choice == w3c.PREFER_MINIMAL else list(annotations[:page_size])
            w3c_body = w3c.container_to_w3c(document, view, first_items=first, request=request)
            headers["Content-Location"] = w3c_body["id"]
            if asked:
                headers["Preference-Applied"] = "return=representation"
        # The version of this answer is its content: any change to what it lists changes it.
        version = sha256_hex(canonical_json(w3c_body))[:32]
        unchanged = preconditions.not_modified(request, version)
        if unchanged is not None:
            return unchanged
        response = preconditions.tagged(w3c_body, version)
        for name, value in headers.items():
            response[name] = value
        return response

    @extend_schema(
        operation_id="document_annotations_create",
        description=W3C_NOTE,
        request=AnnotationCreateSerializer,
        responses={201: AnnotationSerializer, 400: ERROR, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        document = get_object_or_404(visible_documents(request.user), pk=pk)
        data = (
            w3c.w3c_to_create_data(request.data, document, request)
            if sent_w3c(request)
            else request.data
        )
        payload = AnnotationCreateSerializer(data=data)
        payload.is_valid(raise_exception=True)
        annotation = annotation_create(
            document=document,
            creator=signed_in(request.user),
            **_create_arguments(payload.validated_data),
        )
        response = _annotation_response(request, annotation, code=status.HTTP_201_CREATED)
        response["Location"] = w3c.annotation_iri(request, annotation)
        return response


class AnnotationDetailView(GenericAPIView):
    renderer_classes = RENDERERS
    parser_classes = PARSERS
    permission_classes = [IsAuthenticated & AnnotationWriteRules]
    serializer_class = AnnotationSerializer

    def get_object(self) -> Annotation:
        annotation = get_object_or_404(visible_annotations(self.request.user), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, annotation)
        return annotation

    @extend_schema(
        operation_id="annotations_retrieve",
        description=W3C_NOTE + " The ETag is the version to send back in If-Match.",
        parameters=[IF_NONE_MATCH],
        responses={
            200: AnnotationSerializer,
            304: NOT_MODIFIED,
            401: UNAUTHENTICATED,
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        annotation = self.get_object()
        unchanged = preconditions.not_modified(request, annotation.tag_version)
        return unchanged if unchanged is not None else _annotation_response(request, annotation)

    def _update(self, request: Request, *, partial: bool) -> Response:
        annotation = self.get_object()
        version = expected_version(request, annotation)
        data = request.data
        if sent_w3c(request):
            data = w3c.w3c_to_update_data(request.data, annotation, request)
        payload = AnnotationUpdateSerializer(data=data, partial=partial)
        payload.is_valid(raise_exception=True)
        try:
            annotation = annotation_update(
                annotation=annotation,
                actor=signed_in(request.user),
                expected_version=version,
                **update_changes(payload.validated_data),
            )
        except StaleAnnotation as stale:
            return self._stale(request, annotation, stale)
        return _annotation_response(request, annotation)

    def _stale(self, request: Request, annotation: Annotation, stale: StaleAnnotation) -> Response:
        current = with_representation(Annotation.objects.filter(pk=annotation.pk)).get()
        body = AnnotationSerializer(current, context={"request": request}).data
        return preconditions.stale_response(stale, body, current.tag_version)

    @extend_schema(
        operation_id="annotations_replace",
        request=AnnotationUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            401: UNAUTHENTICATED,
            200: AnnotationSerializer,
            400: ERROR,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        operation_id="annotations_update",
        request=AnnotationUpdateSerializer(partial=True),
        parameters=[IF_MATCH],
        responses={
            401: UNAUTHENTICATED,
            200: AnnotationSerializer,
            400: ERROR,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        operation_id="annotations_destroy",
        description="The creator deletes; a curator may delete anyone's, giving `reason`.",
        request=ReasonSerializer,
        parameters=[IF_MATCH],
        responses={
            401: UNAUTHENTICATED,
            204: None,
            400: ERROR,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def delete(self, request: Request, pk: int) -> Response:
        annotation = self.get_object()
        version = expected_version(request, annotation)
        payload = ReasonSerializer(data=request.data or request.query_params)
        payload.is_valid(raise_exception=True)
        try:
            annotation_delete(
                annotation=annotation,
                actor=signed_in(request.user),
                expected_version=version,
                reason=payload.validated_data["reason"],
            )
        except StaleAnnotation as stale:
            return self._stale(request, annotation, stale)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(operation_id="document_annotation_retrieve"),
    put=extend_schema(operation_id="document_annotation_replace"),
    patch=extend_schema(operation_id="document_annotation_update"),
    delete=extend_schema(operation_id="document_annotation_destroy"),
)
class ContainedAnnotationView(AnnotationDetailView):
    """An annotation at its W3C IRI, inside its document's container (protocol §5): the same
    resource as /api/annotations/<id>/, answering the JSON-LD form by default."""

    content_negotiation_class = WebAnnotationFirst

    def dispatch(self, request, *args, **kwargs):
        # The handlers are the detail view's, which take the annotation's pk alone.
        self.document_pk = kwargs.pop("document")
        return super().dispatch(request, *args, **kwargs)

    def get_object(self) -> Annotation:
        annotation = super().get_object()
        if annotation.document_id != self.document_pk:
            raise Http404("No such annotation in this document's container.")
        return annotation

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        _w3c_finish(request, response, w3c.LDP_RESOURCE)
        return response


class AnnotationHideView(GenericAPIView):
    permission_classes = [IsAuthenticated & CuratorsOnly]
    serializer_class = AnnotationSerializer

    @extend_schema(
        operation_id="annotations_hide",
        description="Curators: hide an annotation from everyone but its creator.",
        request=ReasonSerializer,
        responses={
            401: UNAUTHENTICATED,
            200: AnnotationSerializer,
            400: ERROR,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        annotation_hide(
            annotation=annotation,
            actor=signed_in(request.user),
            reason=payload.validated_data["reason"],
        )
        return _annotation_response(request, annotation)

    @extend_schema(
        operation_id="annotations_unhide",
        request=None,
        responses={401: UNAUTHENTICATED, 200: AnnotationSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        annotation_unhide(annotation=annotation, actor=signed_in(request.user))
        return _annotation_response(request, annotation)


class AnnotationRepliesView(GenericAPIView):
    serializer_class = ReplySerializer
    # A thread is answered whole, as is an annotation's history: the schema says so too.
    pagination_class = None

    @extend_schema(
        operation_id="annotation_replies_list",
        responses={401: UNAUTHENTICATED, 200: ReplySerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        replies = reply_list(annotation=annotation, user=request.user)
        return Response(ReplySerializer(replies, many=True).data)

    @extend_schema(
        operation_id="annotation_replies_create",
        description="Anyone who can read the annotation may reply.",
        request=ReplyInputSerializer,
        responses={401: UNAUTHENTICATED, 201: ReplySerializer, 400: ERROR, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        payload = ReplyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        reply = reply_create(
            annotation=annotation,
            author=signed_in(request.user),
            body=payload.validated_data["body"],
        )
        return preconditions.tagged(
            ReplySerializer(reply).data, reply.tag_version, code=status.HTTP_201_CREATED
        )


def expected_reply_version(request: Request, reply: Reply) -> int:
    """The version of the reply the client last read, from If-Match (its ETag)."""
    tag = preconditions.require_version(request, reply.tag_version)
    name, _, version = tag.partition(".")
    if name == f"reply-{reply.pk}" and version.isdigit():
        return int(version)
    return -1  # no version of this reply: stale by definition


class AnnotationReplyView(GenericAPIView):
    """One reply: its author edits or deletes it, with the ETag last read in If-Match."""

    permission_classes = [IsAuthenticated & ReplyWriteRules]
    serializer_class = ReplySerializer

    def get_object(self) -> Reply:
        annotation = get_object_or_404(visible_annotations(self.request.user), pk=self.kwargs["pk"])
        reply = get_object_or_404(
            reply_list(annotation=annotation, user=self.request.user), pk=self.kwargs["reply"]
        )
        self.check_object_permissions(self.request, reply)
        return reply

    def _stale(self, reply: Reply, stale: StaleReply) -> Response:
        current = Reply.objects.select_related("author").get(pk=reply.pk)
        body = ReplySerializer(current).data
        return preconditions.stale_response(stale, body, current.tag_version)

    @extend_schema(
        operation_id="annotation_replies_retrieve",
        description="The ETag is the version to send back in If-Match.",
        responses={200: ReplySerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int, reply: int) -> Response:
        found = self.get_object()
        return preconditions.tagged(ReplySerializer(found).data, found.tag_version)

    @extend_schema(
        operation_id="annotation_replies_update",
        description="Its author rewrites the reply; one revision per change.",
        request=ReplyInputSerializer,
        parameters=[IF_MATCH],
        responses={
            200: ReplySerializer,
            400: ERROR,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def patch(self, request: Request, pk: int, reply: int) -> Response:
        found = self.get_object()
        version = expected_reply_version(request, found)
        form = ReplyInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            updated = reply_update(
                reply=found,
                actor=signed_in(request.user),
                expected_version=version,
                body=form.validated_data["body"],
            )
        except StaleReply as stale:
            return self._stale(found, stale)
        return preconditions.tagged(ReplySerializer(updated).data, updated.tag_version)

    @extend_schema(
        operation_id="annotation_replies_destroy",
        description="Its author deletes the reply; its history stays.",
        parameters=[IF_MATCH],
        responses={
            204: None,
            400: ERROR,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            **PRECONDITIONS,
        },
    )
    def delete(self, request: Request, pk: int, reply: int) -> Response:
        found = self.get_object()
        version = expected_reply_version(request, found)
        try:
            reply_delete(reply=found, actor=signed_in(request.user), expected_version=version)
        except StaleReply as stale:
            return self._stale(found, stale)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnnotationReplyHideView(GenericAPIView):
    permission_classes = [IsAuthenticated & CuratorsOnly]
    serializer_class = ReplySerializer

    def _reply(self, request: Request, pk: int, reply: int) -> Reply:
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        return get_object_or_404(reply_list(annotation=annotation, user=request.user), pk=reply)

    @extend_schema(
        operation_id="annotation_replies_hide",
        description="A curator hides a reply from everyone but its author, giving `reason`.",
        request=ReasonSerializer,
        responses={
            200: ReplySerializer,
            400: ERROR,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request: Request, pk: int, reply: int) -> Response:
        form = ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hidden = reply_hide(
            reply=self._reply(request, pk, reply),
            actor=signed_in(request.user),
            reason=form.validated_data["reason"],
        )
        return preconditions.tagged(ReplySerializer(hidden).data, hidden.tag_version)

    @extend_schema(
        operation_id="annotation_replies_unhide",
        responses={200: ReplySerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def delete(self, request: Request, pk: int, reply: int) -> Response:
        shown = reply_hide(
            reply=self._reply(request, pk, reply),
            actor=signed_in(request.user),
            reason="",
            hidden=False,
        )
        return preconditions.tagged(ReplySerializer(shown).data, shown.tag_version)


class AnnotationCitationView(GenericAPIView):
    serializer_class = CitationSerializer
    pagination_class = None

    @extend_schema(
        operation_id="annotation_citation",
        description="How to cite the annotated passage: plain text and CSL-JSON, with the "
        "annotation's permanent address in the reader and the SHA-256 of the original. "
        "A 404 for an annotation you may not read, as for one that does not exist.",
        responses={200: CitationSerializer, 401: UNAUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(
            visible_annotations(request.user).select_related(
                "document__original_outlet", "document__reprinter"
            ),
            pk=pk,
        )
        page = reverse("pages:document", kwargs={"pk": annotation.document_id})
        citation = annotation_citation(
            annotation=annotation,
            document_url=request.build_absolute_uri(page),
            accessed=timezone.localdate(),
        )
        return Response(CitationSerializer(citation).data)


class AnnotationHistoryView(GenericAPIView):
    serializer_class = RevisionSerializer
    pagination_class = None

    @extend_schema(
        operation_id="annotation_history",
        description="Every revision, oldest first. A change shows its content only where you "
        "could read the annotation at the time (before and after, each on its own); otherwise "
        "which fields changed, by whom and when.",
        responses={401: UNAUTHENTICATED, 200: RevisionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> Response:
        annotation = get_object_or_404(visible_annotations(request.user), pk=pk)
        revisions = revision_history(annotation=annotation, user=request.user)
        return Response(RevisionSerializer(revisions, many=True).data)


class TagListView(GenericAPIView):
    pagination_class = StandardPagination
    serializer_class = TagSerializer

    @extend_schema(
        operation_id="tags_list",
        parameters=[TagFilterSerializer],
        responses={401: UNAUTHENTICATED, 200: TagSerializer(many=True), 400: ERROR},
    )
    def get(self, request: Request) -> Response:
        filters = TagFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tags = tag_list(
            query=filters.validated_data.get("q"), curated=filters.validated_data["curated"]
        )
        page = self.paginate_queryset(tags)
        return self.get_paginated_response(TagSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tags_create",
        description="Anyone may create a free tag; curated tags are for curators.",
        request=TagInputSerializer,
        responses={401: UNAUTHENTICATED, 201: TagSerializer, 400: ERROR, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        payload = TagInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        tag = tag_create(actor=signed_in(request.user), **payload.validated_data)
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


EXPORT_FORMATS = {
    "jsonld": ("application/ld+json", "jsonld"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson", "jsonl"),
}


class AnnotationExportView(GenericAPIView):
    content_negotiation_class = AnyContentNegotiation
    serializer_class = AnnotationSerializer

    @extend_schema(
        operation_id="document_annotations_export",
        description="Every annotation on the document visible to you, with its replies, as a "
        "download written as it is read, in the forms of GET /api/annotations/export/.",
        parameters=[
            OpenApiParameter("as", str, enum=list(EXPORT_FORMATS), default="jsonld"),
        ],
        responses={**EXPORT_RESPONSES, 404: NOT_FOUND},
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        document = get_object_or_404(visible_documents(request.user).only("id", "title"), pk=pk)
        return _export(
            request,
            AnnotationFilters(document=pk),
            label=f"Annotations on “{document.title}”",
            filename=f"document-{pk}-annotations",
        )


EXPORT_CHUNK = 500


def _export(
    request: Request, filters: AnnotationFilters, *, label: str, filename: str
) -> HttpResponseBase:
    """The annotations the filters find that the user may read, with their replies, streamed
    in the format `as=` names: read EXPORT_CHUNK at a time, written as they are read."""
    kind = request.query_params.get("as", "jsonld")
    if kind not in EXPORT_FORMATS:
        return Response(
            {"detail": f"as= takes {', '.join(EXPORT_FORMATS)}", "code": "bad_format"},
            status=400,
        )
    annotations, total = annotation_export(user=request.user, filters=filters)
    rows = annotations.iterator(chunk_size=EXPORT_CHUNK)
    serialize = AnnotationSerializer(context={"request": request}).to_representation
    if kind == "jsonld":
        chunks = exports.stream_jsonld(
            rows, total=total, iri=request.build_absolute_uri(), label=label, request=request
        )
    elif kind == "csv":
        chunks = exports.stream_csv(rows, serialize)
    else:
        chunks = exports.stream_jsonl(rows, serialize)
    content_type, extension = EXPORT_FORMATS[kind]
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{extension}"'
    return response


class AnnotationSearchExportView(GenericAPIView):
    """The annotations of any search (the filters of GET /api/annotations/), streamed."""

    content_negotiation_class = AnyContentNegotiation
    serializer_class = AnnotationSerializer

    @extend_schema(
        operation_id="annotations_export",
        description="Every annotation you may read that the filters find, across documents, "
        "with its replies and their text, as a download written as it is read (100,000 "
        "annotations take no more memory than 500): a W3C AnnotationCollection and all its "
        "pages in one `@graph` (`as=jsonld`; replies as `replying` annotations), CSV "
        "(a row per reply after its annotation's, `kind` and `reply_to` saying so; cells a "
        "spreadsheet would run as formulas are neutralised), or JSON Lines (`replies` in each).",
        parameters=[
            AnnotationFilterSerializer,
            OpenApiParameter("as", str, enum=list(EXPORT_FORMATS), default="jsonld"),
        ],
        responses=EXPORT_RESPONSES,
    )
    def get(self, request: Request) -> HttpResponseBase:
        return _export(
            request,
            self.export_filters(request),
            label="Annotations exported from Kaynak",
            filename="annotations",
        )

    def export_filters(self, request: Request) -> AnnotationFilters:
        """Which annotations to export (the search app narrows them by its query)."""
        return _filters(request)
