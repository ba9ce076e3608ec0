from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from kaynak.errors import KaynakError
from kaynak.progress import ProgressStream
from search.documents import indexable_documents
from search.engine import check_index, index_tasks, rebuild_index


class Command(BaseCommand):
    help = (
        "Maintain the search index. `rebuild` builds a new index beside the live one and swaps "
        "it in (searches keep working meanwhile); `check` compares index and database, names "
        "index tasks still queued and those that failed for good, and exits non-zero on drift "
        "or such failures (`--repair` fixes both)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        rebuild = actions.add_parser("rebuild", help="Rebuild the index from the database.")
        rebuild.add_argument("--no-progress", action="store_true")
        check = actions.add_parser("check", help="Report missing, stale and orphaned entries.")
        check.add_argument("--repair", action="store_true", help="Fix what the check finds.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "rebuild":
                self._rebuild(progress=not options["no_progress"])
            else:
                self._check(repair=options["repair"])
        except KaynakError as error:
            raise CommandError(error.message) from error

    def _rebuild(self, *, progress: bool) -> None:
        with tqdm(
            total=indexable_documents().count(),
            unit="doc",
            disable=None if progress else True,
            file=ProgressStream(self.stderr),
        ) as bar:
            rebuild = rebuild_index(progress=bar.update)
        self.stdout.write(
            f"Rebuilt the search index ({rebuild.documents} documents) in {rebuild.location}."
        )

    def _check(self, *, repair: bool) -> None:
        tasks = index_tasks()
        result = check_index(repair=repair)
        for label, ids in (
            ("missing", result.missing),
            ("stale", result.stale),
            ("orphaned", result.orphaned),
        ):
            shown = ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
        self.stdout.write(
            f"index tasks queued or running: {len(tasks.waiting)}"
            + (" (the worker applies them; drift above may be only these)" if tasks.waiting else "")
        )
        self.stdout.write(f"index tasks failed after every retry: {len(tasks.failed)}")
        for failed in tasks.failed[:20]:
            documents = failed.args_kwargs["args"][0]
            error = failed.traceback.strip().splitlines()[-1] if failed.traceback else "?"
            self.stdout.write(
                f"  task {failed.id} at {failed.finished_at:%Y-%m-%d %H:%M:%S}: documents "
                f"{', '.join(map(str, documents[:10]))}{' …' if len(documents) > 10 else ''}: "
                f"{error}"
            )
        if repair:
            if result.drifted or tasks.failed:
                self.stdout.write("Repaired.")
            else:
                self.stdout.write("The index matches the database.")
        elif result.drifted or tasks.failed:
            raise CommandError(
                "The index has drifted from the database or index tasks failed; run with --repair."
            )
        else:
            self.stdout.write("The index matches the database.")
