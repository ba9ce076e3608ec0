"""`make serve`: gunicorn, WhiteNoise and the worker with debug off, stopped together by
Ctrl+C (an INT to the terminal's process group)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.deploy.test_deploy_files import ROOT, free_port, get, health, wait_for


def test_make_serve_serves_pages_static_files_and_health_and_stops_on_ctrl_c(
    tmp_path: Path, shared_database: str
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("KAYNAK_")},
        "DATABASE_URL": shared_database,
        "KAYNAK_DATA_DIR": str(tmp_path / "data"),
        "KAYNAK_STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "kaynak.example.org",
        "KAYNAK_WEB_WORKERS": "2",
    }
    env.pop("SECRET_KEY", None)  # make serve has a local one
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with log.open("wb") as output:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    try:
        status, body = wait_for(lambda: health(port), seconds=120, what="no /healthz", log=log)
        assert status == 200, body
        assert set(body["checks"]) == {"database", "queue", "search_index"}
        page = get(port, "/accounts/login/")
        assert page.status == 200
        assert page.getheader("Server") == "gunicorn"
        # Debug off: an unknown page is the site's own 404, not Django's debug page.
        missing = get(port, "/no-such-page/")
        assert missing.status == 404
        assert b"URLconf" not in missing.body
        [stylesheet] = re.findall(rb'href="(/static/kaynak/app\.[0-9a-f]{12}\.css)"', page.body)
        css = get(port, stylesheet.decode())
        assert css.status == 200 and "immutable" in css.getheader("Cache-Control", "")
        processes = subprocess.run(
            ["ps", "-ww", "-o", "args=", "-g", str(make.pid)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "gunicorn --config deploy/gunicorn.conf.py kaynak.wsgi" in processes
        assert "manage.py db_worker" in processes

        os.killpg(make.pid, signal.SIGINT)  # Ctrl+C
        make.wait(timeout=60)
        deadline = time.monotonic() + 20
        while subprocess.run(["ps", "-o", "pid=", "-g", str(make.pid)], capture_output=True).stdout:
            assert time.monotonic() < deadline, "a process of make serve outlived Ctrl+C"
            time.sleep(0.2)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait(timeout=10)
