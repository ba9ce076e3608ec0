from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.ingest import plan_paths
from archive.services import IngestMethod, documents_ingest_many
from kaynak.progress import ProgressStream
from kaynak.tasks import run_pending_tasks


class Command(BaseCommand):
    help = (
        "Ingest files and folders (recursively): AVİM reprints, plain text, JSON records, and "
        "JSON Lines bulk files (.jsonl, .jsonl.gz). Exits non-zero if anything was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--actor", help="Username recorded as responsible (default: none, the system)."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="Submissions per transaction (and per search-index commit).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw a progress bar."
        )
        parser.add_argument(
            "--leave-to-worker",
            action="store_true",
            help="Leave the queued index updates to `manage.py db_worker` instead of running "
            "them before reporting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            try:
                actor = get_user_model().objects.get(username=options["actor"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['actor']!r}.") from None
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")

        plan = plan_paths(options["paths"])
        reports = documents_ingest_many(
            items=plan.items,
            actor=actor,
            method=IngestMethod.COMMAND,
            batch_size=options["batch_size"],
        )
        counts: Counter[str] = Counter()
        refusals = []
        with tqdm(
            total=plan.total,
            unit="doc",
            disable=options["no_progress"] or None,  # None: only on a terminal
            file=ProgressStream(self.stderr),
        ) as progress:
            for report in reports:
                counts[report.status] += 1
                if report.status == "refused":
                    refusals.append(report)
                progress.update()

        if options["leave_to_worker"]:
            self.stdout.write("Index updates are queued for the background worker.")
        else:
            # The updates were queued batch by batch (durably: a crash leaves them to the
            # worker); running them here means the report is true of search as well.
            run_pending_tasks()
        for report in refusals:
            self.stderr.write(f"refused {report.label}: {report.reason}")
        self.stdout.write(
            f"Ingested: {counts['ingested']}, duplicates: {counts['duplicate']}, "
            f"refused: {counts['refused']}."
        )
        if refusals:
            raise CommandError(f"{len(refusals)} submission(s) refused; see above.")
