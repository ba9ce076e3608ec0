from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services.storage_check import (
    DEFAULT_GRACE,
    describe_missing,
    describe_orphan,
    storage_check,
)


class Command(BaseCommand):
    help = (
        "Compare the stored files with the rows that refer to them: report orphans (stored "
        "files no document or facsimile refers to, left by a failed ingest or a crash) and "
        "rows whose stored original is missing. Exits non-zero if any file is missing. "
        "--delete-orphans removes orphans older than the grace period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete-orphans",
            action="store_true",
            help="Remove orphans last modified before the grace period (never another file).",
        )
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=int(DEFAULT_GRACE.total_seconds()),
            help="Orphans younger than this may belong to an ingest still in flight "
            "(default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["grace_seconds"] < 0:
            raise CommandError("--grace-seconds must be 0 or more.")
        report = storage_check(
            delete_orphans=options["delete_orphans"],
            grace=timedelta(seconds=options["grace_seconds"]),
        )
        for orphan in report.orphans:
            self.stdout.write(f"ORPHAN {describe_orphan(orphan)}")
        for missing in report.missing:
            self.stderr.write(f"MISSING {describe_missing(missing)}")
        self.stdout.write(
            f"Stored files: {report.files}, orphans: {len(report.orphans)} "
            f"(removed: {len(report.removed)}), rows whose original is missing: "
            f"{len(report.missing)}."
        )
        if report.missing:
            raise CommandError(f"{len(report.missing)} row(s) refer to a missing stored file.")
