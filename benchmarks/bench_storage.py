"""Storage benchmark, local folders against an S3 bucket (moto's server on loopback), in one run:

    make bench-storage
    make bench-storage BENCH_ARGS="--download-mb 20 --repeat 3"

1. Ingest throughput of the shared corpus (database and stored files; the search index is
   left out, as it costs the same on both) with KAYNAK_STORAGE=local, then =s3. Each backend
   gets its own copy of the corpus (titles suffixed), so neither finds the other's bytes.
2. Download throughput of one large original (20 MB) through the app (the API's streaming
   response, in process) against reading the same object straight from the S3 server.

moto keeps objects in memory and does no disk I/O, so the S3 figures show the cost of the
protocol (HTTP, signing, checksums, round trips), not of a real store's disks or network.
They also show moto's own cost per request, which is not small: its server is pure Python
on one interpreter lock, opens a connection and a thread per request (Werkzeug's development
server closes every connection), and looks through its own package folder to route each
one. So the S3 run reports where its time went: the CPU this process spent (parsing, the
database, boto3 signing and sending) and the CPU moto's server spent per request, which
bounds the puts per second no client can exceed. `--s3-endpoint URL` runs the S3 half
against another store instead (a MinIO on the next machine; credentials from the
environment, `--s3-bucket` created if missing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import as_reprint, load_articles, setup_django

BUCKET = "kaynak-bench"


def start_s3_server() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=1):
                return server, endpoint
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("moto's S3 server did not start")
            time.sleep(0.1)


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of process `pid` so far (Linux); None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--download-mb", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="Downloads timed (best kept).")
    parser.add_argument("--s3-endpoint", help="Another S3-compatible store instead of moto.")
    parser.add_argument("--s3-bucket", default=BUCKET)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kaynak-bench-storage-"))
    server = None
    if args.s3_endpoint:
        endpoint = args.s3_endpoint
    else:
        server, endpoint = start_s3_server()
        os.environ.update(
            AWS_ACCESS_KEY_ID="kaynak-bench", AWS_SECRET_ACCESS_KEY="kaynak-bench-secret"
        )
    try:
        os.environ.update(KAYNAK_S3_BUCKET=args.s3_bucket, KAYNAK_S3_ENDPOINT_URL=endpoint)
        setup_django(workdir, None)
        run(args, server.pid if server else None)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


def run(args: argparse.Namespace, server_pid: int | None) -> None:
    from django.core.management import call_command
    from django.test import Client, override_settings

    import archive.services.ingest
    from archive import storage
    from archive.ingest import Submission
    from archive.services import IngestMethod, document_ingest, documents_ingest_many
    from archive.storage_s3 import s3_store
    from tests.factories import UserFactory, reprint_bytes

    archive.services.ingest.schedule_index_update = lambda ids: None  # see the module's note
    call_command("migrate", verbosity=0)
    store = s3_store()
    with contextlib.suppress(store.client.exceptions.BucketAlreadyOwnedByYou):
        store.client.create_bucket(Bucket=args.s3_bucket)
    requests = [0]
    store.client.meta.events.register(
        "before-send.s3", lambda **_: requests.__setitem__(0, requests[0] + 1)
    )
    articles = load_articles(2)
    half = len(articles) // 2
    corpora = {"local": articles[:half], "s3": articles[half:]}

    rates = {}
    for backend, corpus in corpora.items():
        submissions = [
            Submission(data=data, filename=name, label=name)
            for name, data in map(as_reprint, corpus)
        ]
        megabytes = sum(len(item.data) for item in submissions) / 1e6
        with override_settings(KAYNAK_STORAGE=backend):
            requests[0] = 0
            server_before = cpu_seconds(server_pid) if server_pid else None
            cpu = time.process_time()
            started = time.perf_counter()
            statuses: dict[str, int] = {}
            for report in documents_ingest_many(
                items=submissions,
                actor=None,
                method=IngestMethod.COMMAND,
                batch_size=args.batch_size,
            ):
                statuses[report.status] = statuses.get(report.status, 0) + 1
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            server_after = cpu_seconds(server_pid) if server_pid else None
        server_cpu = None
        if server_before is not None and server_after is not None:
            server_cpu = server_after - server_before
        if statuses != {"ingested": len(submissions)}:
            sys.exit(f"{backend}: not every document was ingested: {statuses}")
        rates[backend] = len(submissions) / elapsed
        print(
            f"ingest {backend:5}      {len(submissions):,} documents, {megabytes:.1f} MB in "
            f"{elapsed:.2f} s: {rates[backend]:,.0f} documents/s; this process's CPU "
            f"{cpu:.2f} s"
        )
        if backend == "s3":
            print(f"  S3 requests        {requests[0]:,}")
            if server_cpu is not None and requests[0]:
                per_request = server_cpu / requests[0]
                print(
                    f"  moto server CPU    {server_cpu:.2f} s, {per_request * 1000:.1f} ms a "
                    f"request: at most {1 / per_request:,.0f} requests/s on its one core"
                )
    cost = 1 - rates["s3"] / rates["local"]
    print(f"ingest S3 cost:     {cost:.0%} of local throughput (target: at most 30 %)")

    # A document of about --download-mb MB: the reprint layout around a long body.
    paragraph = "The ferry timetable was printed again with the winter changes. " * 16 + "\n\n"
    body = paragraph * (args.download_mb * 1_000_000 // len(paragraph))
    data = reprint_bytes(title="THE LONG TIMETABLE", body=body)
    user = UserFactory(username="bench-reader")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    with override_settings(KAYNAK_STORAGE="s3", KAYNAK_MAX_UPLOAD_BYTES=len(data)):
        document = document_ingest(
            data=data, filename="timetable.txt", actor=None, method=IngestMethod.COMMAND
        ).document
        key = store.key(storage.original_name(document.sha256))
        size = len(data) / 1e6

        def through_the_app() -> int:
            response = client.get(f"/api/documents/{document.pk}/original")
            assert response.status_code == 200, response.status_code
            return sum(len(chunk) for chunk in response.streaming_content)

        def straight_from_s3() -> int:
            body = store.client.get_object(Bucket=args.s3_bucket, Key=key)["Body"]
            return sum(len(chunk) for chunk in iter(lambda: body.read(1024 * 1024), b""))

        for label, fetch in (
            ("through the app", through_the_app),
            ("straight from S3", straight_from_s3),
        ):
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                assert fetch() == len(data)
                best = min(best, time.perf_counter() - started)
            print(f"download {label:16} {size:.1f} MB in {best:.3f} s: {size / best:,.0f} MB/s")


if __name__ == "__main__":
    main()
