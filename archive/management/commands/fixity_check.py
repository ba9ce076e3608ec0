from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.models import Document, EventOutcome
from archive.services import document_fixity_check, kaynak_agent


class Command(BaseCommand):
    help = (
        "Verify every document's provenance hash chain and re-hash its stored original and its "
        "facsimiles' originals; "
        "record a fixity_check event for each. Exits non-zero on any failure."
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
        if failures:
            raise CommandError(f"Fixity check failed for {len(failures)} document(s).")
