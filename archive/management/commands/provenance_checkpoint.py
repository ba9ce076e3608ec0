from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from archive.services.checkpoints import checkpoint_export, provenance_checkpoint
from kaynak.errors import KaynakError


class Command(BaseCommand):
    help = (
        "Record a checkpoint over the head of every hash chain (documents, annotations, "
        "sources); with --export, write it as a small JSON file to keep outside the database "
        "(signed when KAYNAK_CHECKPOINT_KEY is set) for `fixity_check --against`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export", type=Path, metavar="FILE", help="Write it here too.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = provenance_checkpoint()
        except KaynakError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Checkpoint {checkpoint.number}: {checkpoint.document_count} documents, "
            f"{checkpoint.event_count} events, {checkpoint.revision_count} annotation "
            f"revisions, {checkpoint.source_event_count} source events; "
            f"Merkle root {checkpoint.merkle_root}."
        )
        if options["export"]:
            try:
                payload = checkpoint_export(checkpoint, options["export"])
            except OSError as error:
                raise CommandError(
                    f"checkpoint {checkpoint.number} was made but not exported: {error}"
                ) from None
            signed = " (signed)" if "signature" in payload else " (not signed)"
            self.stdout.write(f"Exported to {options['export']}{signed}.")
