from __future__ import annotations

from kaynak.errors import KaynakError


class IngestRefused(KaynakError):
    """The submitted bytes cannot become a document; `message` says why."""

    code = "ingest_refused"


class NotThisLayout(Exception):
    """Raised by a parser that does not recognise the layout, so the next one is tried."""


class ImageRefused(IngestRefused):
    """The submitted bytes cannot become a facsimile; `message` says why."""

    code = "image_refused"
