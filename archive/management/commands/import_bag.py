from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.bags.records import BagRefused
from archive.bags.restore import bag_import
from kaynak.errors import KaynakError


class Command(BaseCommand):
    help = (
        "Restore a bag into an empty archive (same ids, checksums and chains, one "
        "restored_from_bag event appended per document), then rebuild the search index. "
        "With --merge, into a non-empty one: adds what is missing, reports conflicts, changes "
        "no record already here. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--merge", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = bag_import(
                path=options["path"],
                actor=None,
                merge=options["merge"],
                progress=options["verbosity"] > 0,
            )
        except BagRefused as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{options['path']} was not imported; nothing changed") from None
        except KaynakError as error:
            raise CommandError(str(error)) from None
        for conflict in report.conflicts:
            self.stdout.write(f"conflict: {conflict}")
        parts = "".join(f", {count} {name}" for name, count in report.parts.items())
        self.stdout.write(
            f"Imported {report.documents} documents, {report.events} events, "
            f"{report.facsimiles} facsimiles, {report.sources} sources, {report.users} "
            f"users{parts}; {report.skipped} already here or skipped; "
            f"{len(report.conflicts)} conflicts."
            + (" Search index rebuilt." if report.index_rebuilt else "")
        )
