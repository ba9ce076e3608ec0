from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.models import Document, EventOutcome
from archive.services import document_fixity_check, kaynak_agent
from archive.services.checkpoints import provenance_audit, read_export
from archive.services.storage_check import (
    MissingOriginal,
    describe_missing,
    describe_orphan,
    storage_check,
)
from kaynak.errors import KaynakError
from kaynak.progress import ProgressStream


class Command(BaseCommand):
    help = (
        "Verify every document's provenance hash chain, replay it against the document's "
        "fields, and re-hash its stored original and its facsimiles' originals; verify the "
        "chains of annotation revisions and source events, and every chain against the newest "
        "checkpoint (or the exported one given with --against). Record a fixity_check event "
        "for each document. Without --document, then checks the stored files as "
        "`storage_check` does: orphans are a warning, rows whose file is missing a failure. "
        "Exits non-zero on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--document", type=int, action="append", help="Check only this document id."
        )
        parser.add_argument(
            "--against",
            type=Path,
            metavar="FILE",
            help="Verify against this checkpoint export (provenance_checkpoint --export) "
            "instead of the newest checkpoint in the database.",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            against = read_export(options["against"]) if options["against"] else None
        except KaynakError as error:
            raise CommandError(str(error)) from None
        audit = provenance_audit(against=against)
        documents = Document.objects.order_by("pk")
        if options["document"]:
            documents = documents.filter(pk__in=options["document"])
        agent = kaynak_agent("fixity_check command")
        failures, notes = [], []
        checked_ids = set()
        for document in tqdm(
            documents.iterator(chunk_size=500),
            total=documents.count(),
            unit="doc",
            disable=options["no_progress"] or None,
            file=ProgressStream(self.stderr),
        ):
            event = document_fixity_check(document=document, actor=None, agent=agent, audit=audit)
            checked_ids.add(document.pk)
            if event.outcome == EventOutcome.FAILURE:
                failures.append(
                    (f"document {document.pk} ({document.title[:60]})", event.detail["problems"])
                )
            notes += [f"document {document.pk}: {note}" for note in event.detail.get("notes", [])]

        existing = set(Document.objects.values_list("pk", flat=True))
        for (kind, owner), problems in sorted(audit.by_owner.items()):
            if kind == "document" and (owner in checked_ids or owner in existing):
                continue  # reported with the document's own check (or not asked for)
            failures.append((f"{kind} {owner}", problems))
        if audit.general:
            failures.append(("checkpoints", audit.general))

        for name, problems in failures:
            self.stderr.write(f"FAILED {name}:")
            for problem in problems:
                self.stderr.write(f"  - {problem}")
        for note in notes:
            self.stdout.write(f"Note: {note}")
        against_text = f" against checkpoint {audit.checkpoint.number}" if audit.checkpoint else ""
        checked = len(checked_ids)
        document_failures = sum(1 for name, _ in failures if name.startswith("document "))
        self.stdout.write(
            f"Checked: {checked}, passed: {checked - document_failures}, "
            f"failed: {document_failures}{against_text}."
        )
        missing = self._check_storage() if not options["document"] else []
        if failures:
            others = len(failures) - document_failures
            raise CommandError(
                f"Fixity check failed for {document_failures} document(s)"
                + (f" and {others} other item(s)" if others else "")
                + "."
            )
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
