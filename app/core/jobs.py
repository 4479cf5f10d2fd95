"""Background work: named tasks run by RQ workers on Redis, or in this process without it.

`JOBS_BACKEND` says where a task runs:
- `rq` (the default when REDIS_URL is set): queued in Redis and run by `flask jobs worker`
  processes, any number of them on any machine;
- `pool` (the default without Redis, as under `make run`): a small thread pool in this process;
- `inline` (tests and commands): at once, in a fresh application context.

Tasks are plain functions registered by name with `@task`; their arguments are small JSON-like
values (ids, flags), never objects, so any worker on any machine can run them. A task gets its
own database session and commits its own work.
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Flask, current_app, has_app_context
from sqlalchemy import update

from app.core.db import after_commit, utcnow
from app.core.models import Job, JobFailure
from app.extensions import db

log = logging.getLogger(__name__)

TASKS: dict[str, Callable[..., None]] = {}
# What administrators read for each kind of job (areas add theirs with job_kind()).
JOB_KINDS: dict[str, object] = {}
# RQ gives up on a task that runs longer than this (a batch of renders, each time-limited).
RQ_JOB_TIMEOUT = 30 * 60


def task(name: str):
    """Register a function as the task `name`."""

    def register(function):
        TASKS[name] = function
        return function

    return register


def job_kind(kind: str, label) -> None:
    """Name a kind of job for the administrators' pages (a lazy translated string)."""
    JOB_KINDS[kind] = label


def enqueue(name: str, /, **kwargs) -> None:
    """Run task `name` in the background once the current transaction commits.

    Queued after the commit so the task sees what this transaction wrote; forgotten if it
    rolls back.
    """
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}")
    app = current_app._get_current_object()
    after_commit(lambda: dispatch(app, name, kwargs))


def dispatch(app: Flask, name: str, kwargs: dict) -> None:
    """Hand the task to the configured backend now."""
    backend = app.config["JOBS_BACKEND"]
    if backend == "rq":
        from rq import Retry

        rq_queue(app).enqueue(
            perform,
            name,
            kwargs,
            job_timeout=RQ_JOB_TIMEOUT,
            retry=Retry(max=2),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    elif backend == "pool":
        _submit_to_pool(app, name, kwargs)
    else:
        # As with the other backends, the caller's work stands whatever the task does.
        _run_quietly(app, name, kwargs)


def run_task(app: Flask, name: str, kwargs: dict) -> None:
    """Run one task in a fresh application context and session; commit, or roll back and raise."""
    with app.app_context():
        try:
            TASKS[name](**kwargs)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("Task %s(%r) failed", name, kwargs)
            raise
        finally:
            db.session.remove()


def perform(name: str, kwargs: dict) -> None:
    """What an RQ worker calls: run the task inside the worker's application."""
    app = current_app._get_current_object() if has_app_context() else _worker_app()
    run_task(app, name, kwargs)


_worker_apps: list[Flask] = []


def _worker_app() -> Flask:
    if not _worker_apps:
        from app import create_app

        _worker_apps.append(create_app())
    return _worker_apps[0]


# Redis and RQ ---------------------------------------------------------------------------


def rq_queue(app: Flask):
    """The application's RQ queue (one Redis connection per process)."""
    queue = app.extensions.get("aula_rq_queue")
    if queue is None:
        from redis import Redis
        from rq import Queue

        connection = Redis.from_url(app.config["REDIS_URL"])
        queue = Queue(app.config["JOBS_QUEUE"], connection=connection)
        app.extensions["aula_rq_queue"] = queue
    return queue


# The in-process pool --------------------------------------------------------------------

_pool_lock = threading.Lock()


def _submit_to_pool(app: Flask, name: str, kwargs: dict) -> None:
    with _pool_lock:
        pool = app.extensions.get("aula_job_pool")
        if pool is None:
            pool = ThreadPoolExecutor(app.config["JOBS_POOL_SIZE"], thread_name_prefix="aula-job")
            app.extensions["aula_job_pool"] = pool
            app.extensions["aula_job_futures"] = set()
        futures: set[Future] = app.extensions["aula_job_futures"]
        future = pool.submit(_run_quietly, app, name, kwargs)
        futures.add(future)
    future.add_done_callback(lambda f: _forget(futures, f))


def _forget(futures: set, future: Future) -> None:
    with _pool_lock:
        futures.discard(future)


def _run_quietly(app: Flask, name: str, kwargs: dict) -> None:
    # Nothing waits on a background task: its failure is logged (run_task) and shows on
    # its job or as a missing PDF, which is asked for again.
    with contextlib.suppress(Exception):
        run_task(app, name, kwargs)


def wait_for_pool(app: Flask, timeout: float | None = None) -> bool:
    """Wait until the in-process pool has run everything queued so far; True if it has."""
    while True:
        with _pool_lock:
            pending = set(app.extensions.get("aula_job_futures", ()))
        if not pending:
            return True
        _, not_done = wait(pending, timeout=timeout)
        if not_done:
            return False


# Progress of administrators' jobs -------------------------------------------------------


def start_job(kind: str, title: str, total: int, created_by_id: int | None) -> Job:
    """Record a job about to be queued, for its starter to follow."""
    job = Job(kind=kind, title=title[:300], total=total, created_by_id=created_by_id)
    if total == 0:
        job.finished_at = utcnow()
    db.session.add(job)
    db.session.flush()
    return job


def record_progress(job_id: int, *, failed_label: str | None = None, reason: str = "") -> None:
    """Count one unit of the job as done (or failed, with what and why), atomically."""
    column = Job.failed if failed_label is not None else Job.done
    db.session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values({column: column + 1, Job.updated_at: utcnow()})
        .execution_options(synchronize_session=False)
    )
    if failed_label is not None:
        db.session.add(JobFailure(job_id=job_id, label=failed_label[:300], message=reason[:2000]))
    # Whoever completes the count closes the job; the guard makes that exactly one caller.
    db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.finished_at.is_(None), Job.done + Job.failed >= Job.total)
        .values(finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
