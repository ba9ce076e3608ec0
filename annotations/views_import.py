"""POST /api/annotations/import/: W3C Web Annotations onto documents in the archive (the
import itself is annotations.imports)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.imports import ImportReport, annotations_import, payload_from
from annotations.serializers import ImportParametersSerializer, ImportReportSerializer
from annotations.views import ERROR, PARSERS, UNAUTHENTICATED
from archive.serializers import ErrorSerializer
from kaynak.users import signed_in


def report_data(report: ImportReport) -> dict:
    return {
        "dry_run": report.dry_run,
        "counts": report.counts,
        "problems": report.problems,
        "items": [asdict(item) for item in report.items],
    }


class AnnotationImportView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    # Declared for the schema and content-type checks; the body is read raw (below), so the
    # upload limit applies rather than Django's in-memory limit for form data.
    parser_classes = PARSERS
    serializer_class = ImportReportSerializer

    @extend_schema(
        operation_id="annotations_import",
        description=(
            "Import W3C Web Annotations (JSON-LD: one Annotation, an AnnotationCollection with "
            "its pages embedded, an AnnotationPage, or a list) onto documents of this archive, "
            "as you. Each is anchored exactly (TextPositionSelector checked against "
            "TextQuoteSelector; a quote with its prefix and suffix must occur once) or not at "
            "all; a target without a selector becomes a page note. Per item: created (or "
            "would_create in a dry run), skipped (already imported) or failed (why), a failed "
            "one writing nothing. At most the upload limit in bytes."
        ),
        parameters=[ImportParametersSerializer],
        request={
            "application/ld+json": OpenApiTypes.OBJECT,
            "application/json": OpenApiTypes.OBJECT,
        },
        responses={
            200: ImportReportSerializer,
            400: ERROR,
            401: UNAUTHENTICATED,
            413: OpenApiResponse(ErrorSerializer, description="Larger than the upload limit."),
        },
    )
    def post(self, request: Request) -> Response:
        parameters = ImportParametersSerializer(data=request.query_params)
        parameters.is_valid(raise_exception=True)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        report = annotations_import(
            payload_from(request, size=declared),
            person=signed_in(request.user),
            hosts={request.get_host()},
            dry_run=parameters.validated_data["dry_run"],
            visibility=parameters.validated_data["visibility"],
            group=parameters.validated_data.get("group"),
        )
        return Response(report_data(report))
