from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from archive.services.storage_migrate import (
    BACKENDS,
    StorageMigrationRefused,
    storage_migrate,
    storage_plan,
)


class Command(BaseCommand):
    help = (
        "Copy every stored file (originals, facsimiles, derivatives) from the storage "
        "KAYNAK_STORAGE names to the other one, verifying each copy by SHA-256. Run it again "
        "after an interruption: files already copied and verified are skipped. Switches "
        "nothing: once every file is verified it prints the setting to change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, choices=BACKENDS, help="The target storage.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be copied; copy nothing."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source, target, names = storage_plan(to=options["to"])
        except StorageMigrationRefused as error:
            raise CommandError(f"storage_migrate: {error}") from None
        with tqdm(
            total=len(names),
            unit="file",
            disable=options["no_progress"] or None,  # None: only on a terminal
            file=self.stderr._out,
        ) as progress:
            report = storage_migrate(
                source=source,
                target=target,
                names=names,
                dry_run=options["dry_run"],
                progress=lambda name: progress.update(1),
            )
        for name in report.skipped:
            self.stderr.write(f"SKIPPED {name}: not a file Kaynak writes")
        if options["dry_run"]:
            for name in report.copied:
                self.stdout.write(f"would copy {name}")
            self.stdout.write(
                f"{len(report.copied)} files would be copied from {source.name} to "
                f"{target.name} (dry run: nothing copied)."
            )
            return
        for name, why in report.failed:
            self.stderr.write(f"FAILED {name}: {why}")
        self.stdout.write(
            f"{len(report.copied)} copied, {len(report.present)} already there, "
            f"{len(report.failed)} failed; {report.verified} files verified on {target.name}."
        )
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} files are not on {target.name}: keep "
                f"KAYNAK_STORAGE={source.name}, fix them and run this again."
            )
        self.stdout.write(
            f"Every stored file is on {target.name} and verified. Switch by setting "
            f"KAYNAK_STORAGE={target.name} on every server (and its worker) and restarting them."
        )
