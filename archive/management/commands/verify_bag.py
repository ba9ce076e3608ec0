from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.bags.records import BagRefused
from archive.bags.verify import bag_verify


class Command(BaseCommand):
    help = (
        "Verify a bag: BagIt fixity and completeness, no symlink or path out of the bag, every "
        "PREMIS file against the PREMIS 3 schema, every chain recomputed, and the checkpoint "
        "it carries matched. Reads no database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            contents = bag_verify(options["path"])
        except BagRefused as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{options['path']} is not a sound bag") from None
        self.stdout.write(
            f"{options['path']} is sound: {len(contents.document_files)} documents"
            + "".join(f", {part}" for part in contents.parts)
            + "."
        )
