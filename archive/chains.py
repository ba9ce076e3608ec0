"""The archive's hash chains as kaynak.chain knows them: documents' provenance events and
sources' curation events (registered in ArchiveConfig.ready())."""

from __future__ import annotations

from archive.models import Document, ProvenanceEvent, Source, SourceEvent
from kaynak.chain import model_chain, register_chain

DOCUMENT_CHAIN = model_chain(
    name="document",
    entry="event",
    owners=Document,
    entries=ProvenanceEvent,
    owner="document",
    sequence="sequence",
    hash_field="event_hash",
    describe=lambda event: f"event {event.sequence} ({event.event_type})",
)
SOURCE_CHAIN = model_chain(
    name="source",
    entry="event",
    owners=Source,
    entries=SourceEvent,
    owner="source",
    sequence="sequence",
    hash_field="event_hash",
    describe=lambda event: f"event {event.sequence} ({event.event_type})",
)

document_breaks = DOCUMENT_CHAIN.breaks
source_breaks = SOURCE_CHAIN.breaks


def register() -> None:
    register_chain(DOCUMENT_CHAIN)
    register_chain(SOURCE_CHAIN)
