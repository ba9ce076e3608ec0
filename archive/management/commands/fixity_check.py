from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.models import Document, EventOutcome
from archive.services import document_fixity_check, kaynak_agent
from archive.services.storage_check import (
    MissingOriginal,
    describe_missing,
    describe_orphan,
    storage_check,
)


class Command(BaseCommand):
    help = (
        "Verify every document's provenance hash chain and re-hash its stored original and its "
        "facsimiles' originals; "
        "record a fixity_check event for each. Without --document, then checks the stored "
        "files as `storage_check` does: orphans are a warning, rows whose file is missing a "
        "failure. Exits non-zero on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--document", type=int, action="append", help="Check only this document id."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        documents = Document.objects.order_by("pk")
        if options["document"]:
            documents = documents.filter(pk__in=options["document"])
        agent = kaynak_agent("fixity_check command")
        failures = []
        checked = 0
        for document in tqdm(
            documents.iterator(chunk_size=500),
            total=documents.count(),
            unit="doc",
            disable=options["no_progress"] or None,
            file=self.stderr._out,
        ):
            event = document_fixity_check(document=document, actor=None, agent=agent)
            checked += 1
            if event.outcome == EventOutcome.FAILURE:
                failures.append((document, event.detail["problems"]))

        for document, problems in failures:
            self.stderr.write(f"FAILED document {document.pk} ({document.title[:60]}):")
            for problem in problems:
                self.stderr.write(f"  - {problem}")
        self.stdout.write(
            f"Checked: {checked}, passed: {checked - len(failures)}, failed: {len(failures)}."
        )
        missing = self._check_storage() if not options["document"] else []
        if failures:
            raise CommandError(f"Fixity check failed for {len(failures)} document(s).")
        if missing:
            raise CommandError(f"{len(missing)} row(s) refer to a missing stored file.")

    def _check_storage(self) -> list[MissingOriginal]:
        """The archive-wide half: files no row refers to, and (for facsimiles of documents
        not checked above, or a file removed meanwhile) rows whose file is missing."""
        report = storage_check()
        if report.orphans:
            self.stdout.write(
                f"WARNING: {len(report.orphans)} stored file(s) no document or facsimile "
                "refers to (run `manage.py storage_check --delete-orphans` to collect them):"
            )
            for orphan in report.orphans:
                self.stdout.write(f"  - {describe_orphan(orphan)}")
        for missing in report.missing:
            self.stderr.write(f"MISSING {describe_missing(missing)}")
        self.stdout.write(
            f"Stored files: {report.files}, orphans: {len(report.orphans)}, "
            f"rows whose original is missing: {len(report.missing)}."
        )
        return report.missing
