"""The only code that knows file formats: decoding, layouts, and reading paths."""

from archive.ingest.errors import ImageRefused, IngestRefused, NotThisLayout
from archive.ingest.files import (
    IngestPlan,
    Submission,
    Unreadable,
    plan_paths,
    read_within_limit,
    refuse_bulk_file,
)
from archive.ingest.markup import refuse_markup
from archive.ingest.parsers import PARSERS, ParsedDocument, SourceName, parse
from archive.ingest.validation import check_size, validate_parsed

__all__ = [
    "PARSERS",
    "ImageRefused",
    "IngestPlan",
    "IngestRefused",
    "NotThisLayout",
    "ParsedDocument",
    "SourceName",
    "Submission",
    "Unreadable",
    "check_size",
    "parse",
    "plan_paths",
    "read_within_limit",
    "refuse_bulk_file",
    "refuse_markup",
    "validate_parsed",
]
