"""Background work: Django's tasks API, a queue kept in the database, and the few rules Kaynak
adds to it (retries with backoff, tasks of dead workers run again, periodic work).

Django 6 has the tasks API built in (`django.tasks`); on Django 5.2 the `django-tasks` backport
provides the same names. Everything in Kaynak imports them from here, so the move to Django 6
changes this module only.

The backend is `django-tasks-db`: enqueueing a task inserts a row through the current database
connection, so inside a service's transaction the task commits with the change that causes it
and vanishes with a rollback. A crash after the commit cannot lose it; `manage.py db_worker`
runs it whenever a worker is next up.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Min, When
from django.utils import timezone

try:  # Django 6
    from django.tasks import Task, TaskResultStatus, task
except ImportError:  # Django 5.2: the backport
    # Two implementations of one API: mypy sees both names bound, whichever Django is here.
    from django_tasks.base import (  # type: ignore[assignment, no-redef]
        Task,
        TaskResultStatus,
        task,
    )

from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

__all__ = [
    "PERIODIC_TASKS",
    "DBTaskResult",
    "Task",
    "TaskResultStatus",
    "enqueue_once",
    "oldest_ready_task",
    "register_periodic_task",
    "requeue_abandoned_tasks",
    "retried_task",
    "retry_delay",
    "run_pending_tasks",
    "schedule_periodic_tasks",
    "task",
    "worker_id",
]

P = ParamSpec("P")
T = TypeVar("T")

# The first retry waits this long; each later one twice as long as the one before.
RETRY_BASE_SECONDS = 2.0
RETRY_MAX_SECONDS = 600.0


def retry_delay(attempt: int) -> timedelta:
    """How long to wait before attempt `attempt + 1`, after attempt `attempt` failed."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS))


def retried_task(function: Callable[P, T]) -> Task:
    """`@task`, with retries: the tasks API runs a task once, and a failure stays failed.

    The task takes an extra keyword `attempt` (1 for the first run). When a run raises, the
    same call is queued again with `attempt + 1` to run after `retry_delay(attempt)`, up to
    KAYNAK_TASK_ATTEMPTS runs; then the error is raised as before, so every failed run keeps
    its traceback in the task results (the admin shows them) whether or not it was retried.
    """

    @functools.wraps(function)
    def run(*args: Any, attempt: int = 1, **kwargs: Any) -> T:
        try:
            return function(*args, **kwargs)
        except Exception:
            if attempt < settings.KAYNAK_TASK_ATTEMPTS:
                later = timezone.now() + retry_delay(attempt)
                queued.using(run_after=later).enqueue(*args, attempt=attempt + 1, **kwargs)
            raise

    queued: Task = task(run)
    return queued


def enqueue_once(queued: Task, *, run_after: timedelta, **kwargs: Any) -> bool:
    """Queue `queued(**kwargs)` to run `run_after` from now, unless the same task is already
    waiting in the queue. This is the place for periodic work: such a task ends by calling
    `enqueue_once` for its next run, and the worker calls it once at start (see
    `archive/management/commands/db_worker.py`), so it runs at most once per interval however
    many workers there are. Returns whether a task was queued."""
    with transaction.atomic():
        waiting = DBTaskResult.objects.select_for_update().filter(
            task_path=queued.module_path, status=TaskResultStatus.READY
        )
        if waiting.exists():
            return False
        queued.using(run_after=timezone.now() + run_after).enqueue(**kwargs)
    return True


# Periodic work, as (task, interval): each runs about once per interval, by whichever worker
# is up. Apps register theirs in `AppConfig.ready()`; a periodic task ends by calling
# `enqueue_once(itself, run_after=interval)`.
PERIODIC_TASKS: list[tuple[Task, timedelta]] = []


def register_periodic_task(queued: Task, *, every: timedelta) -> None:
    PERIODIC_TASKS.append((queued, every))


def schedule_periodic_tasks() -> int:
    """Queue each periodic task's next run unless one is waiting (the worker calls this at
    start: a task whose row was lost with a failed run starts its cycle again)."""
    return sum(enqueue_once(queued, run_after=timedelta(0)) for queued, _ in PERIODIC_TASKS)


def worker_id() -> str:
    """A worker's name says where it runs, so that another worker on the same machine can tell
    that it has died (`requeue_abandoned_tasks`)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive_here(name: str) -> bool:
    """False when `name` is a worker of this machine whose process is gone."""
    host, _, rest = name.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:30] or not pid.isdigit():
        return True  # another machine's (or a foreign) worker: only its age can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def requeue_abandoned_tasks() -> int:
    """Put back in the queue the tasks whose worker died while running them (killed, or its
    machine lost power): a worker of this machine whose process is gone, or any worker that
    has held a task longer than KAYNAK_TASK_ABANDONED_AFTER seconds. Kaynak's tasks are
    idempotent (they read the current state of the database), so running one again is safe.
    Returns how many were put back."""
    too_old = timezone.now() - timedelta(seconds=settings.KAYNAK_TASK_ABANDONED_AFTER)
    requeued = 0
    with transaction.atomic():
        for result in DBTaskResult.objects.select_for_update().filter(
            status=TaskResultStatus.RUNNING
        ):
            holder = result.worker_ids[-1] if result.worker_ids else ""
            if not _alive_here(holder) or (result.started_at and result.started_at < too_old):
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                requeued += 1
    return requeued


def oldest_ready_task() -> datetime | None:
    """Since when the longest-waiting task that is due has been due (None: the queue is
    empty): a task queued to run now is due since it was queued, a retry or a periodic run
    since its `run_after`, so a periodic task waiting for tomorrow is not a backlog. One
    aggregate over the ready rows, which the queue's partial index on status covers."""
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    return DBTaskResult.objects.ready().aggregate(oldest=Min(due_since))["oldest"]


def run_pending_tasks(*, limit: int | None = None) -> int:
    """Run every task that is due, here and now, as the worker would; returns how many ran.

    For commands that must see their own work done before they report (ingest, demo setup,
    benchmarks) and for tests. Tasks waiting for a retry later are left to the worker."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id(),
        excluded_queue_names=[],
    )
    requeue_abandoned_tasks()
    ran = 0
    while limit is None or ran < limit:
        with exclusive_transaction():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                break
            result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    return ran
