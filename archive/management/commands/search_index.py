from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.search import check_index, rebuild_index
from archive.search.documents import indexable_documents
from kaynak.errors import KaynakError


class Command(BaseCommand):
    help = (
        "Maintain the search index. `rebuild` builds a new index beside the live one and swaps "
        "it in (searches keep working meanwhile); `check` compares index and database and "
        "exits non-zero on drift (`--repair` fixes it)."
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
            file=self.stderr._out,
        ) as bar:
            rebuild = rebuild_index(progress=bar.update)
        self.stdout.write(
            f"Rebuilt the search index ({rebuild.documents} documents) in "
            f"{rebuild.generation.name}."
        )

    def _check(self, *, repair: bool) -> None:
        result = check_index(repair=repair)
        for label, ids in (
            ("missing", result.missing),
            ("stale", result.stale),
            ("orphaned", result.orphaned),
        ):
            shown = ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
            self.stdout.write(f"{label}: {len(ids)}" + (f" ({shown})" if ids else ""))
        if result.drifted and repair:
            self.stdout.write("Repaired.")
        elif result.drifted:
            raise CommandError("The index has drifted from the database; run with --repair.")
        else:
            self.stdout.write("The index matches the database.")
