"""Writes to the archive. Each public function is the one way to make its change, and records
its provenance in the same transaction."""

from archive.services.documents import (
    document_restore,
    document_review_close,
    document_review_request,
    document_update,
    document_withdraw,
)
from archive.services.facsimiles import (
    FacsimileResult,
    facsimile_attach,
    facsimile_make_derivatives,
)
from archive.services.fixity import document_fixity_check
from archive.services.ingest import (
    IngestMethod,
    IngestReport,
    IngestResult,
    document_ingest,
    documents_ingest_many,
)
from archive.services.provenance import kaynak_agent, provenance_record
from archive.services.sources import (
    check_source_names_free,
    source_alias_add,
    source_alias_remove,
    source_create,
    source_merge,
    source_unmerge,
    source_update,
    sources_resolve,
)

__all__ = [
    "FacsimileResult",
    "IngestMethod",
    "IngestReport",
    "IngestResult",
    "check_source_names_free",
    "document_fixity_check",
    "document_ingest",
    "document_restore",
    "document_review_close",
    "document_review_request",
    "document_update",
    "document_withdraw",
    "documents_ingest_many",
    "facsimile_attach",
    "facsimile_make_derivatives",
    "kaynak_agent",
    "provenance_record",
    "source_alias_add",
    "source_alias_remove",
    "source_create",
    "source_merge",
    "source_unmerge",
    "source_update",
    "sources_resolve",
]
