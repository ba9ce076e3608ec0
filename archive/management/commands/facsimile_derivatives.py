from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.models import DerivativeState, Facsimile
from archive.services import facsimile_make_derivatives, kaynak_agent
from kaynak.progress import ProgressStream


class Command(BaseCommand):
    help = (
        "Make the thumbnail and display image of every facsimile that has none yet: those "
        "whose earlier attempt failed, and those left pending (KAYNAK_DERIVATIVES_ON_ATTACH=0, "
        "or a process that stopped after committing). Records each outcome in the document's "
        "history; exits non-zero if any still fail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retry-failed",
            action="store_true",
            help="Only facsimiles whose last attempt failed (not those still pending).",
        )
        parser.add_argument(
            "--all", action="store_true", help="Remake every facsimile's derivatives."
        )
        parser.add_argument(
            "--facsimile", type=int, action="append", help="Only this facsimile id."
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        facsimiles = Facsimile.objects.select_related("document").order_by("pk")
        if options["retry_failed"] and options["all"]:
            raise CommandError("--retry-failed and --all exclude each other.")
        if options["retry_failed"]:
            facsimiles = facsimiles.filter(derivative_state=DerivativeState.FAILED)
        elif not options["all"]:
            facsimiles = facsimiles.needing_derivatives()
        if options["facsimile"]:
            facsimiles = facsimiles.filter(pk__in=options["facsimile"])
        agent = kaynak_agent("facsimile_derivatives command")
        made, failures = 0, []
        for facsimile in tqdm(
            facsimiles.iterator(chunk_size=100),
            total=facsimiles.count(),
            unit="image",
            disable=options["no_progress"] or None,
            file=ProgressStream(self.stderr),
        ):
            facsimile_make_derivatives(facsimile=facsimile, actor=None, agent=agent)
            if facsimile.derivative_state == DerivativeState.READY:
                made += 1
            else:
                failures.append(facsimile)

        for facsimile in failures:
            self.stderr.write(
                f"FAILED facsimile {facsimile.pk} of document {facsimile.document_id} "
                f"({facsimile.original_filename}): {facsimile.derivative_error}"
            )
        self.stdout.write(f"Derivatives made: {made}, failed: {len(failures)}.")
        if failures:
            raise CommandError(f"Derivatives failed for {len(failures)} facsimile(s).")
