from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from archive.bags.export import bag_export
from kaynak.errors import KaynakError


def _moment(value: str) -> datetime:
    """A date (midnight UTC) or an ISO date-time (UTC when it names no zone)."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD) or ISO date-time")
        moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Write the archive as a BagIt bag (SHA-256 and SHA-512 manifests): originals and "
        "facsimiles, each document's metadata, text and PREMIS 3 provenance, sources, tags, "
        "groups, the newest checkpoint; annotations with --with-annotations. The bag appears "
        "at DESTINATION only once complete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="A path that does not exist yet.")
        parser.add_argument(
            "--document", type=int, action="append", metavar="ID", help="Only this document."
        )
        parser.add_argument(
            "--since", type=_moment, help="Only documents whose history moved since then."
        )
        parser.add_argument("--with-annotations", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = bag_export(
                destination=options["destination"],
                document_ids=options["document"],
                since=options["since"],
                with_annotations=options["with_annotations"],
                progress=options["verbosity"] > 0,
            )
        except KaynakError as error:
            raise CommandError(str(error)) from None
        parts = "".join(f", {count} {name}" for name, count in report.parts.items())
        self.stdout.write(
            f"Bag written to {report.path}: {report.documents} documents, {report.events} "
            f"events, {report.facsimiles} facsimiles, {report.sources} sources{parts} "
            f"in {report.seconds:.1f} s."
        )
