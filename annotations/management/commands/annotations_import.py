from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.imports import annotations_import, payload_from
from annotations.models import Visibility
from kaynak.errors import KaynakError


class Command(BaseCommand):
    help = (
        "Import W3C Web Annotations (a JSON-LD file: an Annotation, an AnnotationCollection, an "
        "AnnotationPage or a list) onto documents of this archive as --user, each anchored "
        "exactly or reported; with --dry-run, report what would happen and write nothing. "
        "Targets name documents by their IRIs or reader addresses on one of --host (by "
        "default the ALLOWED_HOSTS that are not patterns)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="Username of the importing person.")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--visibility", choices=Visibility.values, default=Visibility.PRIVATE)
        parser.add_argument("--group", type=int, help="With --visibility group: the group id.")
        parser.add_argument(
            "--host",
            action="append",
            default=[],
            help="host[:port] whose document addresses are this archive's (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        person = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if person is None:
            raise CommandError(f"no active user {options['user']!r}")
        path: Path = options["path"]
        try:
            with path.open("rb") as handle:
                payload = payload_from(handle, size=path.stat().st_size)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except KaynakError as error:
            raise CommandError(f"{path} was not imported: {error.message}") from None
        hosts = options["host"] or [
            host for host in settings.ALLOWED_HOSTS if host != "*" and not host.startswith(".")
        ]
        try:
            report = annotations_import(
                payload,
                person=person,
                hosts=hosts,
                dry_run=options["dry_run"],
                visibility=options["visibility"],
                group=options["group"],
            )
        except KaynakError as error:
            raise CommandError(f"{path} was not imported: {error.message}") from None
        for problem in report.problems:
            self.stdout.write(f"payload: {problem}")
        for item in report.items:
            where = f" onto document {item.document}" if item.document else ""
            made = f" as annotation {item.annotation}" if item.annotation else ""
            if item.reply:
                made = f" as reply {item.reply} to annotation {item.annotation}"
            line = f"#{item.index} {item.kind} {item.id or '(no id)'}: {item.status}{where}{made}"
            if item.reason:
                line += f": {item.reason}"
            self.stdout.write(line)
            for note in item.notes:
                self.stdout.write(f"    {note}")
        counts = ", ".join(
            f"{count} {status.replace('_', ' ')}" for status, count in report.counts.items()
        )
        self.stdout.write(("Dry run: nothing written. " if report.dry_run else "") + counts + ".")
