"""Load test: 50 signed-in researchers at once against `make serve` on PostgreSQL.

    make loadtest                                   # 50 researchers, 60 s, the whole corpus
    make loadtest LOADTEST_ARGS="--clients 20 --seconds 30 --documents 500"
    make loadtest LOADTEST_ARGS="--search-backend whoosh"   # the embedded index instead

It makes a throwaway database (`kaynak_loadtest` on the PostgreSQL of --database-url, default
postgres://postgres@127.0.0.1:5432/kaynak_loadtest; loopback only) and data folder under
var/loadtest/, ingests the shared corpus (../shared/corpus, or its first --documents
articles), adds the researchers' accounts, and starts `make serve` on a free loopback port
(gunicorn with deploy/gunicorn.conf.py, WhiteNoise, the worker; KAYNAK_DEBUG=0), searching
with the postgres backend (KAYNAK_SEARCH_BACKEND=postgres, as several app servers would) unless
--search-backend says whoosh.

Each researcher signs in through the sign-in page (session and CSRF cookies, as a browser;
four at a time, before the clock starts), then until the time is up, with no pause between
requests, picks:
- search (50%): the search page with a query from a fixed list;
- open the reader (35%): a document's page, then its annotations as the reader's script loads
  them from the API;
- annotate (15%): a new private annotation on a passage of the document last opened, through
  the API with the session and the CSRF header, as the reader's script sends it.

It prints, per kind of request, how many were made, their throughput, p50, p95 and maximum,
and the errors; any error (a status other than the expected one, or no answer) makes the exit
code 1. Every wait is bounded; the server is stopped with a TERM to its process group.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CORPUS = ROOT.parent / "shared" / "corpus" / "bbc_news_2225.jsonl.gz"
WORK = ROOT / "var" / "loadtest"
PASSWORD = "loadtest-researcher-password-9f3k"
REQUEST_TIMEOUT = 30.0
SIGN_IN_CONCURRENCY = 4
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Queries a researcher of the corpus might type: words, a phrase, a prefix, two terms.
QUERIES = [
    "government",
    "market",
    "election",
    "film",
    "music",
    "profit",
    "minister",
    "football",
    "technology",
    "mobile",
    "oil prices",
    '"interest rates"',
    "tele*",
    "economy growth",
    "tax",
    "champions",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str, env: dict[str, str], timeout: float = 900) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# The researchers' accounts (one password hash for all: hashing 50 times would take longer
# than the rest of the setup), and each document's text, for choosing passages to annotate.
SETUP_CODE = """
import json, sys
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from archive.models import Document
User = get_user_model()
password = make_password(sys.argv[1])
User.objects.bulk_create(
    [User(username=f"researcher-{n:02d}", password=password) for n in range(int(sys.argv[2]))]
)
json.dump(dict(Document.objects.values_list("id", "text")), open(sys.argv[3], "w"))
"""


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[int, str]:
    if not CORPUS.exists():
        sys.exit(f"No corpus at {CORPUS}; see ../shared/corpus/README.md.")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    recreate_database(args.database_url)
    started = time.monotonic()
    manage("migrate", "--noinput", env=env)
    bulk = WORK / "corpus.jsonl"
    with gzip.open(CORPUS, "rt", encoding="utf-8") as source, bulk.open("w") as target:
        for number, line in enumerate(source):
            if number >= args.documents:
                break
            article = json.loads(line)
            target.write(json.dumps({"title": article["title"], "body": article["body"]}) + "\n")
    manage("ingest", str(bulk), "--no-progress", env=env)
    texts = WORK / "texts.json"
    script = WORK / "setup.py"
    script.write_text(SETUP_CODE)
    manage(
        "shell",
        "-c",
        f"import sys; sys.argv = ['setup', {PASSWORD!r}, '{args.clients}', '{texts}']; "
        f"exec(open({str(script)!r}).read())",
        env=env,
    )
    documents = {int(pk): text for pk, text in json.loads(texts.read_text()).items()}
    print(
        f"setup: {len(documents):,} documents and {args.clients} researchers "
        f"in {time.monotonic() - started:.0f} s"
    )
    return documents


# --- A researcher ----------------------------------------------------------------------------


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            if problem:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {problem}")


class Researcher:
    """One browser's worth of state: a kept-alive connection, its cookies, its CSRF token."""

    def __init__(self, port: int, username: str, results: Results) -> None:
        self.port = port
        self.username = username
        self.results = results
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-alive connection between requests (its keep-alive
                # timeout, a worker replaced after max_requests): a browser sends it again.
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
                continue
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.partition(";")[0]
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
            return response.status, content
        raise AssertionError("unreachable")

    def request(
        self,
        kind: str | None,
        method: str,
        path: str,
        *,
        expect: int,
        body: bytes | None = None,
        content_type: str | None = None,
        api: bool = False,
    ) -> bytes | None:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        if api:
            headers["Accept"] = "application/json"
            if method != "GET":
                headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.perf_counter()
        try:
            status, content = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            if kind:
                self.results.record(kind, time.perf_counter() - started, repr(error))
            self.connection = None
            return None
        elapsed = time.perf_counter() - started
        problem = None if status == expect else f"{method} {path} -> {status} {content[:200]!r}"
        if kind:
            self.results.record(kind, elapsed, problem)
        return content if problem is None else None

    def sign_in(self) -> bool:
        page = self.request("sign in", "GET", "/accounts/login/", expect=200)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page or b"")
        if token is None:
            return False
        form = urllib.parse.urlencode(
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token[1].decode(),
            }
        ).encode()
        self.request(
            "sign in",
            "POST",
            "/accounts/login/",
            expect=302,
            body=form,
            content_type="application/x-www-form-urlencoded",
        )
        return "sessionid" in self.cookies

    def run(self, documents: dict[int, str], deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        ids = list(documents)
        reading = rng.choice(ids)
        notes = 0
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.50:
                query = urllib.parse.quote(rng.choice(QUERIES))
                self.request("search page", "GET", f"/?q={query}", expect=200)
            elif roll < 0.85:
                reading = rng.choice(ids)
                self.request("reader page", "GET", f"/documents/{reading}/", expect=200)
                self.request(
                    "reader annotations (API)",
                    "GET",
                    f"/api/documents/{reading}/annotations/?page_size=100",
                    expect=200,
                    api=True,
                )
            else:
                text = documents[reading]
                start = rng.randrange(0, max(len(text) - 80, 1))
                end = min(start + rng.randint(20, 80), len(text))
                notes += 1
                body = {
                    "start": start,
                    "end": end,
                    "quote": text[start:end],
                    "comment": f"{self.username}: note {notes} on this passage",
                    "visibility": "private",
                }
                self.request(
                    "create annotation (API)",
                    "POST",
                    f"/api/documents/{reading}/annotations/",
                    expect=201,
                    body=json.dumps(body).encode(),
                    content_type="application/json",
                    api=True,
                )


# --- The run ---------------------------------------------------------------------------------


def health(port: int) -> tuple[int, dict] | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
        response = connection.getresponse()
        answer = response.status, json.loads(response.read())
        connection.close()
        return answer
    except (OSError, ValueError, http.client.HTTPException):
        return None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(results: Results, seconds: float) -> int:
    print(
        f"\n{'request':<28}{'count':>8}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'max ms':>9}{'errors':>8}"
    )
    total = errors = 0
    for kind, times in results.times.items():
        measured = kind != "sign in"
        rate = f"{len(times) / seconds:.1f}" if measured else "-"
        print(
            f"{kind:<28}{len(times):>8}{rate:>9}{percentile(times, 0.5) * 1000:>9.0f}"
            f"{percentile(times, 0.95) * 1000:>9.0f}{max(times) * 1000:>9.0f}"
            f"{results.errors[kind]:>8}"
        )
        total += len(times) if measured else 0
        errors += results.errors[kind]
    print(f"{'all but sign-in':<28}{total:>8}{total / seconds:>9.1f}{'':>27}{errors:>8}")
    for example in results.examples:
        print("  error:", example)
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="researchers at once")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long they work")
    parser.add_argument("--documents", type=int, default=2225, help="corpus articles ingested")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "KAYNAK_LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kaynak_loadtest"
        ),
    )
    parser.add_argument("--search-backend", choices=["postgres", "whoosh"], default="postgres")
    args = parser.parse_args()
    database = urllib.parse.urlsplit(args.database_url)
    if database.scheme not in ("postgres", "postgresql") or database.hostname not in LOOPBACK:
        sys.exit("the load test runs against a PostgreSQL on loopback only")

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAYNAK_")},
        "DJANGO_SETTINGS_MODULE": "kaynak.settings",
        "SECRET_KEY": "kaynak-loadtest-only-" + "k" * 40,
        "DATABASE_URL": args.database_url,
        "KAYNAK_DATA_DIR": str(WORK / "data"),
        "KAYNAK_STATIC_ROOT": str(WORK / "static"),
        "KAYNAK_DEBUG": "0",
        "KAYNAK_SEARCH_BACKEND": args.search_backend,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env.pop("KAYNAK_BIND", None)
    documents = prepare(args, env)

    log = (WORK / "serve.log").open("wb")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while (answer := health(port)) is None or answer[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                print((WORK / "serve.log").read_text()[-3000:])
                sys.exit(f"make serve did not answer /healthz with 200: {answer}")
            time.sleep(0.5)
        print(f"make serve is up on 127.0.0.1:{port}: {answer[1]['checks']}")

        results = Results()
        researchers = [
            Researcher(port, f"researcher-{n:02d}", results) for n in range(args.clients)
        ]
        signed_in = [False] * len(researchers)

        # Researchers arrive a few at a time, as people do: checking a password is meant to
        # be slow (PBKDF2), and fifty at once on two cores would time out, measuring nothing
        # but the hash. The timed window starts once all are signed in.
        arrivals = iter(range(args.clients))
        arrivals_lock = threading.Lock()

        def sign_in() -> None:
            while True:
                with arrivals_lock:
                    number = next(arrivals, None)
                if number is None:
                    return
                signed_in[number] = researchers[number].sign_in()

        threads = [threading.Thread(target=sign_in) for _ in range(SIGN_IN_CONCURRENCY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        if not all(signed_in):
            report(results, 1.0)
            sys.exit(f"{signed_in.count(False)} researchers could not sign in")

        load_before = os.getloadavg()[0]
        started = time.monotonic()
        stop = started + args.seconds
        threads = [
            threading.Thread(target=researcher.run, args=(documents, stop, number))
            for number, researcher in enumerate(researchers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + REQUEST_TIMEOUT * 3)
        elapsed = time.monotonic() - started
        print(
            f"\n{args.clients} researchers for {elapsed:.1f} s against make serve "
            f"({len(documents):,} documents, PostgreSQL, the {args.search_backend} search backend, "
            f"{os.cpu_count()} cores shared with the "
            f"client; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)"
        )
        errors = report(results, elapsed)
        after = health(port)
        if after:
            print(f"\n/healthz after the run: {after[0]} {after[1]['checks']}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
    if errors:
        print(f"\nFAILED: {errors} errors (see var/loadtest/serve.log)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
