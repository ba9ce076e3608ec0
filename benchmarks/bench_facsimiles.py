"""Facsimile benchmark: 200 generated 3000 × 4000 JPEGs attached to one document, then their
thumbnails and display images made, on a fresh SQLite database (or --database-url).

    make bench-facsimiles

Two processes, so each phase's peak memory is its own: a child generates the scans in a
temporary folder and attaches them through `facsimile_attach` (the full safety check of each
file included) with derivatives left pending; this process then makes the derivatives one by
one through `facsimile_make_derivatives`, as `manage.py facsimile_derivatives` does, and
reports images/s and its memory after every quarter. Peak RSS must not grow with the number of
images: each is decoded at a reduced scale and nothing is kept between them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import peak_rss_mib, setup_django

WIDTH, HEIGHT = 3000, 4000


def current_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def generate(folder: Path, count: int) -> list[Path]:
    """Scans of invented clippings: paper-toned gradient, columns of 'text' blocks and a
    noise stripe whose place and seed differ per image, so every file's SHA-256 differs."""
    import random

    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    paper = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: 200 + v // 6)
    paper = Image.merge("RGB", (paper, paper, paper.point(lambda v: v - 15)))
    paths = []
    for number in range(count):
        rng = random.Random(number)
        page = paper.copy()
        draw = ImageDraw.Draw(page)
        for column in range(3):
            left = 150 + column * 950
            for line in range(rng.randint(60, 110)):
                top = 300 + line * 32
                draw.rectangle(
                    (left, top, left + rng.randint(400, 850), top + 14), fill=(40, 40, 45)
                )
        top = rng.randint(0, HEIGHT - 200)
        noise = Image.effect_noise((WIDTH, 160), 40 + number % 30).convert("RGB")
        page.paste(noise, (0, top))
        path = folder / f"clipping-{number:03}.jpg"
        page.save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def prepare(workdir: Path, count: int, database_url: str | None) -> None:
    """The child: make the scans, migrate, ingest a document, attach the scans."""
    os.environ["KAYNAK_DERIVATIVES_ON_ATTACH"] = "0"
    setup_django(workdir, database_url)
    from django.core.management import call_command

    from archive.services import IngestMethod, document_ingest, facsimile_attach
    from tests.factories import reprint_bytes

    started = time.perf_counter()
    paths = generate(workdir / "scans", count)
    generated = time.perf_counter() - started
    call_command("migrate", verbosity=0)
    document = document_ingest(
        data=reprint_bytes(title="BENCHMARK CLIPPING WITH TWO HUNDRED SCANS"),
        filename="bench.txt",
        actor=None,
        method=IngestMethod.COMMAND,
    ).document
    started = time.perf_counter()
    total_bytes = 0
    for path in paths:
        data = path.read_bytes()
        total_bytes += len(data)
        facsimile_attach(
            document=document, data=data, filename=path.name, actor=None, method=IngestMethod.API
        )
    attached = time.perf_counter() - started
    print(
        json.dumps(
            {
                "generated_s": generated,
                "attach_s": attached,
                "bytes": total_bytes,
                "attach_peak_rss_mib": peak_rss_mib(),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, args.count, args.database_url)
        return

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-facsimiles-"))
    command = [sys.executable, __file__, "--prepare", str(workdir), "--count", str(args.count)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    print(f"generating and attaching {args.count} JPEGs of {WIDTH} × {HEIGHT} in {workdir} …")
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    prepared = json.loads(child.stdout.strip().splitlines()[-1])

    setup_django(workdir, args.database_url)
    from django.db import connection

    from archive.models import DerivativeState, Facsimile
    from archive.services import facsimile_make_derivatives, kaynak_agent

    agent = kaynak_agent("facsimile benchmark")
    facsimiles = list(Facsimile.objects.select_related("document").order_by("pk"))
    checkpoints = {round(len(facsimiles) * quarter / 4) for quarter in (1, 2, 3, 4)}
    print(
        f"database: {connection.vendor}; {len(facsimiles)} scans, "
        f"{prepared['bytes'] / len(facsimiles) / 1e6:.2f} MB each on average"
    )
    print(
        f"attach (checks + store + insert): {len(facsimiles) / prepared['attach_s']:.1f} "
        f"images/s; peak RSS of that process {prepared['attach_peak_rss_mib']:.0f} MiB"
    )
    print(f"before the derivatives: RSS {current_rss_mib():.0f} MiB")
    started = time.perf_counter()
    failed = 0
    for done, facsimile in enumerate(facsimiles, start=1):
        facsimile_make_derivatives(facsimile=facsimile, actor=None, agent=agent)
        failed += facsimile.derivative_state != DerivativeState.READY
        if done in checkpoints:
            elapsed = time.perf_counter() - started
            print(
                f"after {done:3} images: {done / elapsed:5.2f} images/s, "
                f"RSS {current_rss_mib():4.0f} MiB, peak RSS {peak_rss_mib():4.0f} MiB"
            )
    elapsed = time.perf_counter() - started
    print(
        f"derivatives: {len(facsimiles) / elapsed:.2f} images/s "
        f"({elapsed:.1f} s for {len(facsimiles)}), {failed} failed; "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )
    shutil.rmtree(workdir)  # some 500 MB of scans, originals and derivatives
    if failed:
        sys.exit(f"{failed} derivative(s) failed")


if __name__ == "__main__":
    main()
