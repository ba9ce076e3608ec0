from __future__ import annotations

import json
import os
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from archive.ingest import plan_paths
from archive.services import IngestMethod, documents_ingest_many
from kaynak.tasks import run_pending_tasks

ACCOUNTS = {
    # username: (staff, groups, environment variable holding the password); the curator
    # group and its permissions are made by a migration.
    "curator": (True, ["curator"], "KAYNAK_CURATOR_PASSWORD"),
    "researcher": (False, [], "KAYNAK_RESEARCHER_PASSWORD"),
}


class Command(BaseCommand):
    help = (
        "Prepare a demonstration archive: a curator and a researcher account and the sample "
        "documents. Idempotent: running it again adds nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--samples", type=Path, default=Path(settings.BASE_DIR) / "sample_data")
        parser.add_argument(
            "--credentials",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "demo-credentials.json",
            help="Where generated passwords are kept (mode 0600) so reruns can print them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        passwords = self._accounts(options["credentials"])
        counts = self._samples(options["samples"])
        self.stdout.write(
            f"Sample documents: {counts['ingested']} ingested, "
            f"{counts['duplicate']} already present."
        )
        self.stdout.write("Accounts:")
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<11} password: {password}")

    @transaction.atomic
    def _accounts(self, credentials_path: Path) -> dict[str, str]:
        stored = json.loads(credentials_path.read_text()) if credentials_path.exists() else {}
        users = get_user_model().objects
        passwords = {}
        for username, (staff, groups, variable) in ACCOUNTS.items():
            password = os.environ.get(variable) or stored.get(username)
            user = users.filter(username=username).first()
            if user is None:
                password = password or secrets.token_urlsafe(12)
                user = users.create_user(username=username, password=password, is_staff=staff)
                user.groups.set(Group.objects.filter(name__in=groups))
            elif os.environ.get(variable):
                user.set_password(password)
                user.save(update_fields=["password"])
            passwords[username] = password or "(set before; unchanged)"
        credentials_path.parent.mkdir(parents=True, exist_ok=True)
        credentials_path.touch(mode=0o600, exist_ok=True)
        credentials_path.write_text(json.dumps(passwords, indent=2))
        return passwords

    def _samples(self, folder: Path) -> Counter[str]:
        if not folder.is_dir():
            raise CommandError(f"No sample folder at {folder}.")
        counts: Counter[str] = Counter()
        for report in documents_ingest_many(
            items=plan_paths([folder]).items,
            actor=None,
            method=IngestMethod.SAMPLE,
            record_duplicates=False,
        ):
            if report.status == "refused":
                raise CommandError(f"Sample {report.label} was refused: {report.reason}")
            counts[report.status] += 1
        run_pending_tasks()  # the demo's searches work as soon as the server is up
        return counts
