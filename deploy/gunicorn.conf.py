"""gunicorn's settings for Kaynak's app servers (`make serve`, the Procfile, the systemd unit):
`gunicorn --config deploy/gunicorn.conf.py kaynak.wsgi`. Everything a machine decides comes
from the environment (README "Deployment")."""

from __future__ import annotations

import os


def _cores() -> int:
    # The cores this process may run on (a container's or cgroup's share), not the machine's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# KAYNAK_BIND (host:port, or unix:/path) wins; a platform that runs the Procfile sets PORT and
# expects every interface; otherwise loopback only, for a reverse proxy on the same machine.
if os.environ.get("KAYNAK_BIND"):
    bind = [os.environ["KAYNAK_BIND"]]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{os.environ['PORT']}"]
else:
    bind = ["127.0.0.1:8000"]

# One process per core plus one (requests wait on the database and the index as much as on
# the CPU), each with a few threads: a slow download or upload does not hold a whole process.
workers = _int("KAYNAK_WEB_WORKERS", _cores() + 1)
worker_class = "gthread"
threads = _int("KAYNAK_WEB_THREADS", 4)
# The largest upload (KAYNAK_MAX_UPLOAD_BYTES) over a slow line, and a bulk search export,
# fit in a minute; anything longer is stuck.
timeout = _int("KAYNAK_WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they do not all restart at
# once): a slow leak in a library cannot grow for ever.
max_requests = _int("KAYNAK_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# Access lines go to standard output when asked (the reverse proxy usually keeps them);
# errors always go to standard error, where the service manager collects them.
accesslog = os.environ.get("KAYNAK_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("KAYNAK_LOG_LEVEL", "warning").lower()
# The address in X-Forwarded-For is Kaynak's to read (KAYNAK_TRUSTED_PROXIES); gunicorn only
# needs to know that the proxy's X-Forwarded-Proto may be believed when it is on loopback.
forwarded_allow_ips = os.environ.get("KAYNAK_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "kaynak-web"
