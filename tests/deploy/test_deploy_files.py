"""The deployment files do what README "Deployment" says: the documented production
environment passes `check --deploy` with debug off, and the commands of the Procfile and of
the systemd units, started as written (only paths, ports and the database substituted), serve
the site over loopback and run the background work."""

from __future__ import annotations

import configparser
import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.kaynak.test_settings import GENERATED_KEY

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Where the units expect the checkout; the tests run them from this one.
INSTALLED_AT = "/srv/kaynak"
HOST = "kaynak.example.org"  # ALLOWED_HOSTS in the example environment


def documented_environment() -> dict[str, str]:
    """deploy/kaynak.env.example as systemd's EnvironmentFile= reads it."""
    values = {}
    for line in (DEPLOY / "kaynak.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def production_environment(tmp_path: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """The documented environment with this test's secret, database, folders and port."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("KAYNAK_")
        and name not in {"SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return {
        **clean,
        **documented_environment(),
        "SECRET_KEY": GENERATED_KEY,
        "DATABASE_URL": database_url,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "KAYNAK_STATIC_ROOT": str(tmp_path / "static"),
        # The Procfile names `python` and `gunicorn`: the virtualenv's, as on a platform.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        **overrides,
    }


def test_the_example_environment_commits_no_secret_and_is_refused_without_one(
    tmp_path: Path,
) -> None:
    assert documented_environment()["SECRET_KEY"] == ""
    env = production_environment(tmp_path, f"sqlite:///{tmp_path}/db.sqlite3", SECRET_KEY="")
    refused = subprocess.run(
        [sys.executable, "-c", "import kaynak.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr


def test_the_documented_production_environment_passes_check_deploy_with_debug_off(
    tmp_path: Path,
) -> None:
    env = production_environment(tmp_path, f"sqlite:///{tmp_path}/db.sqlite3")
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout
    code = (
        "from django.conf import settings as s; import django; django.setup(); "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.STORAGES['staticfiles']['BACKEND'])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "kaynak.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.split() == [
        "False",
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line.strip())
        assert match, f"not a Procfile line: {line!r}"
        entries[match[1]] = match[2]
    return entries


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def here(command: str) -> list[str]:
    """A unit's command line, run from this checkout instead of /srv/kaynak."""
    return [part.replace(INSTALLED_AT, str(ROOT)) for part in shlex.split(command)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    connection.request("GET", path, headers={"Host": HOST, **headers})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def health(port: int) -> tuple[int, dict] | None:
    try:
        response = get(port, "/healthz")
    except OSError:
        return None
    return response.status, json.loads(response.body)  # type: ignore[attr-defined]


@contextmanager
def started(argv: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Start a command in a process group of its own; afterwards TERM it (as systemd and
    Procfile runners stop them) and wait, then make sure nothing of it is left."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
                raise AssertionError(f"{argv[0]} ignored TERM for 45 s") from None
        # Nothing of it outlives the TERM (gunicorn's workers included).
        deadline = time.monotonic() + 10
        while _group_alive(process.pid):
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(f"processes of {argv[0]} outlived its TERM")
            time.sleep(0.1)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def documents_in_index(port: int) -> int | None:
    answer = health(port)
    return answer[1]["checks"]["search_index"].get("documents") if answer else None


def wait_for(condition, *, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s; the processes said:\n{log.read_text()}")


def exercise(web: list[str], worker: list[str], *, env: dict[str, str], tmp_path: Path) -> None:
    """Release, start the web command, a document for the worker, the worker: the site
    answers as production does and the worker's index update shows in /healthz."""
    log = tmp_path / "processes.log"
    release = subprocess.run(
        ["bash", "-c", procfile()["release"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert release.returncode == 0, release.stderr
    ingest = subprocess.run(
        [
            *(sys.executable, "manage.py", "ingest", "sample_data/04-rail-link.txt"),
            *("--leave-to-worker", "--no-progress"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr
    port = int(env["KAYNAK_BIND"].rpartition(":")[2])

    with started(web, env=env, log=log) as server:
        status, body = wait_for(lambda: health(port), seconds=60, what="no /healthz", log=log)
        assert server.poll() is None
        # The load balancer's probe: plain HTTP, no redirect; no worker yet, so the
        # document's index update waits in the queue (well within the allowed lag).
        assert status == 200, body
        assert body["checks"]["search_index"]["documents"] == 0

        # Through the proxy (X-Forwarded-Proto: https) the pages are served with HSTS and
        # secure cookies; straight over HTTP they redirect to HTTPS.
        plain = get(port, "/accounts/login/")
        assert plain.status == 301
        assert plain.getheader("Location") == f"https://{HOST}/accounts/login/"
        page = get(port, "/accounts/login/", **{"X-Forwarded-Proto": "https"})
        assert page.status == 200
        assert page.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
        assert "Secure" in page.getheader("Set-Cookie", "")
        # Static files from the app server (WhiteNoise), under their hashed names, for ever.
        [stylesheet] = re.findall(rb'href="(/static/kaynak/app\.[0-9a-f]{12}\.css)"', page.body)
        css = get(port, stylesheet.decode(), **{"X-Forwarded-Proto": "https"})
        assert css.status == 200
        assert "immutable" in css.getheader("Cache-Control", "")

        with started(worker, env=env, log=log) as running:
            wait_for(
                lambda: documents_in_index(port) == 1,
                seconds=90,
                what="the worker did not index the document",
                log=log,
            )
            assert running.poll() is None
        assert running.returncode is not None
    assert server.returncode is not None


def test_the_procfile_commands_serve_the_site_and_run_the_worker(
    tmp_path: Path, shared_database: str
) -> None:
    entries = procfile()
    assert set(entries) == {"release", "web", "worker"}
    env = production_environment(
        tmp_path,
        shared_database,
        KAYNAK_BIND=f"127.0.0.1:{free_port()}",
        KAYNAK_WEB_WORKERS="2",
    )
    exercise(
        shlex.split(entries["web"]), shlex.split(entries["worker"]), env=env, tmp_path=tmp_path
    )


def test_the_systemd_units_commands_serve_the_site_and_run_the_worker(
    tmp_path: Path, shared_database: str
) -> None:
    web, worker = unit("kaynak-web.service"), unit("kaynak-worker.service")
    for service in (web, worker):
        assert service["Service"]["WorkingDirectory"] == INSTALLED_AT
        assert service["Service"]["EnvironmentFile"] == "/etc/kaynak/kaynak.env"
        assert service["Service"]["User"] == "kaynak"
        assert service["Install"]["WantedBy"] == "multi-user.target"
    # gunicorn notifies systemd when it is ready; TERM reaches the arbiter, which stops its
    # workers gracefully before systemd would kill them.
    assert web["Service"]["Type"] == "notify"
    assert web["Service"]["KillMode"] == "mixed"
    assert worker["Service"]["Restart"] == "always"
    env = production_environment(
        tmp_path,
        shared_database,
        KAYNAK_BIND=f"127.0.0.1:{free_port()}",
        KAYNAK_WEB_WORKERS="2",
    )
    exercise(
        here(web["Service"]["ExecStart"]),
        here(worker["Service"]["ExecStart"]),
        env=env,
        tmp_path=tmp_path,
    )
