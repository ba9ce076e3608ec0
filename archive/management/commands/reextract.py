from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.ingest import PARSERS
from archive.models import Document
from archive.services.reextract import document_reextract


class Command(BaseCommand):
    help = (
        "Run today's extractors on the stored originals and print, per document, what would "
        'change. --apply records each change as a metadata_change event (reason "reextract"). '
        "A field a curator set by hand is never overwritten, no field is emptied, and the text "
        "never changes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--document",
            type=int,
            action="append",
            default=[],
            metavar="ID",
            help="Only this document (repeatable); default: every current document.",
        )
        parser.add_argument(
            "--layout",
            choices=sorted(PARSERS),
            help="Read the originals with this parser only, instead of every parser in order.",
        )
        parser.add_argument("--apply", action="store_true", help="Record the changes.")

    def handle(self, *args: Any, **options: Any) -> None:
        documents = Document.objects.current().with_sources().order_by("pk")
        if options["document"]:
            documents = Document.objects.with_sources().filter(pk__in=options["document"])
            missing = set(options["document"]) - set(documents.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No document with id {', '.join(map(str, sorted(missing)))}.")
        changed = refused = 0
        for document in documents.order_by("pk"):
            result = document_reextract(
                document=document, layout=options["layout"], apply=options["apply"]
            )
            label = f"document {document.pk}"
            if result.refused:
                refused += 1
                self.stderr.write(f"{label}: cannot be read again: {result.refused}")
                continue
            for name, (before, after) in result.changes.items():
                self.stdout.write(f"{label}: {name}: {before} → {after}")
            for name in result.kept_by_hand:
                self.stdout.write(f"{label}: {name}: kept (set by hand)")
            if result.text_differs:
                self.stdout.write(
                    f"{label}: the {result.layout} parser reads a different text; the text is kept"
                )
            changed += bool(result.changes)
        verb = "changed" if options["apply"] else "would change"
        self.stdout.write(f"{changed} document(s) {verb}; {refused} could not be read again.")
