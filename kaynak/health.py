"""What `GET /healthz` checks, for load balancers and monitoring (README "Deployment").

Each check is a function that returns a few JSON-ready facts when all is well and raises when
not. `kaynak/` checks what it owns (the database, the task queue); an app adds its own in
`AppConfig.ready()` through `register_health_check` (the search app: its index), so this
module never imports an app. Every check is cheap: a load balancer calls it every few seconds
on every app server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from kaynak.tasks import oldest_ready_task

logger = logging.getLogger(__name__)

HealthCheck = Callable[[], dict[str, Any]]


class Unhealthy(Exception):
    """A check's own verdict, with a message safe to show to anyone (it is served without
    sign-in); any other exception is reported by its class name only."""


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_queue() -> dict[str, Any]:
    """How long the oldest task that is due has waited: workers that are down or far behind
    show here before researchers notice stale search results."""
    oldest = oldest_ready_task()
    lag = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    limit = settings.KAYNAK_HEALTH_MAX_QUEUE_LAG
    if lag > limit:
        raise Unhealthy(
            f"the oldest due task has waited {lag:.0f} s (more than {limit:g} s): "
            "is a worker (manage.py db_worker) running?"
        )
    return {"lag_seconds": round(lag, 3), "max_lag_seconds": limit}


_checks: dict[str, HealthCheck] = {"database": check_database, "queue": check_queue}


def register_health_check(name: str, check: HealthCheck) -> None:
    """Add (or replace) a named check; ready() may run more than once in tests."""
    _checks[name] = check


@dataclass(frozen=True)
class Health:
    checks: dict[str, dict[str, Any]]

    @property
    def failing(self) -> list[str]:
        return [name for name, result in self.checks.items() if not result["ok"]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "failing" if self.failing else "ok",
            "failing": self.failing,
            "checks": self.checks,
        }


def health() -> Health:
    """Run every check; one that fails does not stop the others."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in _checks.items():
        started = time.perf_counter()
        try:
            result = {"ok": True, **check()}
        except Unhealthy as problem:
            result = {"ok": False, "error": str(problem)}
        except Exception as error:
            # The details (paths, addresses) go to the log, not to whoever asked.
            logger.exception("health check %s failed", name)
            result = {"ok": False, "error": type(error).__name__}
        result["ms"] = round((time.perf_counter() - started) * 1000, 2)
        results[name] = result
    return Health(checks=results)
