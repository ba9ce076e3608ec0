"""Export benchmark: 100,000 annotations (a tenth with a reply, a tenth public with a tag and
a source tag) across 20 documents, exported through GET /api/annotations/export/ as W3C
JSON-LD, CSV and JSON Lines, on a fresh SQLite database (or --database-url).

    make bench-exports
    make bench-exports BENCH_ARGS="--count 10000"

Each export runs in a process of its own, which reads the streamed download to the end and
reports annotations/s and its peak memory (peak RSS, and the growth over the process's RSS
before the export began): memory that does not grow with --count is what streaming buys.
The annotations are written with bulk inserts (a benchmark fixture, not a service path: they
have no revisions, which an export does not read).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import peak_rss_mib, setup_django

DOCUMENTS = 20
BATCH = 5000
FORMATS = ("jsonld", "csv", "jsonl")


def populate(count: int) -> None:
    from django.core.management import call_command

    from annotations.models import Annotation, Reply, SourceTag, Tag, Visibility
    from annotations.services import tag_create
    from archive.services import source_create
    from tests.factories import DocumentFactory, UserFactory

    call_command("migrate", verbosity=0)
    user = UserFactory(username="bench")
    tag = tag_create(name="Benchmark tag", actor=user)
    source = source_create(name="Benchmark Ministry", kind="government")
    text = "An invented reprint about a ferry fare that would double, said the port. " * 40
    documents = [
        DocumentFactory(title=f"INVENTED REPRINT {number}", body=f"{number} {text}")
        for number in range(DOCUMENTS)
    ]
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        rows = []
        for number in range(made, made + size):
            public = number % 10 == 0
            start = number % 2000
            rows.append(
                Annotation(
                    document=documents[number % DOCUMENTS],
                    start=start,
                    end=start + 12,
                    quote=documents[number % DOCUMENTS].text[start : start + 12],
                    comment=f"Note {number}: =the fare, said the port.",
                    visibility=Visibility.PUBLIC if public else Visibility.PRIVATE,
                    creator=user,
                )
            )
        created = Annotation.objects.bulk_create(rows)
        Tag.annotations.through.objects.bulk_create(
            Tag.annotations.through(annotation_id=item.pk, tag_id=tag.pk)
            for item in created
            if item.visibility == Visibility.PUBLIC
        )
        SourceTag.objects.bulk_create(
            SourceTag(annotation=item, source=source, role="quoted")
            for item in created
            if item.visibility == Visibility.PUBLIC
        )
        Reply.objects.bulk_create(
            Reply(annotation=item, author=user, body=f"A reply to {item.pk}.")
            for index, item in enumerate(created)
            if index % 10 == 5
        )
        made += size


def export(kind: str, count: int) -> dict:
    """One export, read to the end, in this process."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench"))
    before = peak_rss_mib()
    began = time.perf_counter()
    response = client.get(f"/api/annotations/export/?as={kind}")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - began
    return {
        "format": kind,
        "annotations": count,
        "seconds": seconds,
        "per_second": count / seconds,
        "megabytes": size / 1_000_000,
        "rss_before_mib": before,
        "peak_rss_mib": peak_rss_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--export", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="kaynak-bench-exports-"))
    setup_django(workdir, args.database_url)

    if args.export:
        print(json.dumps(export(args.export, args.count)))
        return

    began = time.perf_counter()
    populate(args.count)
    print(f"{args.count:,} annotations written in {time.perf_counter() - began:.1f} s")
    command = [sys.executable, __file__, "--count", str(args.count), "--workdir", str(workdir)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    for kind in FORMATS:
        output = subprocess.run(
            [*command, "--export", kind], check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(
            f"{kind:6} {result['per_second']:8,.0f} annotations/s  "
            f"({result['seconds']:.1f} s, {result['megabytes']:.1f} MB)  "
            f"peak RSS {result['peak_rss_mib']:.0f} MiB "
            f"(+{result['peak_rss_mib'] - result['rss_before_mib']:.0f} MiB during the export)"
        )


if __name__ == "__main__":
    main()
