"""Background work: named tasks kept in the database until they are done, run by RQ workers on
Redis, or in this process without it.

Every task asked for is a row (`Task`, app/core/models.py) written in the transaction that asks
for it; once that transaction commits, it is handed to the configured backend:

- `rq` (the default when REDIS_URL is set): its id is pushed to Redis and `flask jobs worker`
  processes, any number of them on any machine, run it. Redis only carries the news: a task
  handed over while Redis is down, or lost when Redis comes back empty, is still a pending row,
  and `dispatch_pending()` (each worker at start and every JOBS_DISPATCH_SECONDS, or
  `flask jobs dispatch-pending` from cron) hands it over again;
- `pool` (the default without Redis, as under `make run`): a small thread pool in this process;
- `inline` (tests and commands): at once, in a fresh application context.

A run first claims its row with a lease (one guarded UPDATE, committed): while the lease holds,
no other run starts it; once it runs out (the worker was killed), any worker takes it over.
The run ends by marking the row done in the same transaction as the task's last writes, and only
if it still holds the claim, so a task whose work is idempotent is done exactly once however
often it is started. A task that raises is tried again later (JOBS_ATTEMPTS in all) unless it
raised a Refusal or UnitFailed: a rule said no, and saying it again would not help.

Tasks are plain functions registered by name with `@task`; their arguments are small JSON
values (ids, flags), never objects. A task gets its own database session; it may commit part
of its work on the way, provided running it again after that commit changes nothing.

A `Job` (a bulk issue an administrator follows) is a set of tasks, its units: its figures
(total, done, failed) are counted from their rows, so they are right whoever died when.
"""

import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, delete, or_, select, update

from app.core.db import after_commit, utcnow
from app.core.models import Job, Task, TaskState
from app.core.refusals import Refusal
from app.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registered:
    function: Callable[..., None]
    # What a failed unit is called on its job's page, from the task's arguments.
    label: Callable[..., str] | None = None


TASKS: dict[str, Registered] = {}
# What administrators read for each kind of job (areas add theirs with job_kind()).
JOB_KINDS: dict[str, object] = {}
# RQ gives up on a task that runs longer than this; the lease decides takeovers.
RQ_JOB_TIMEOUT = 30 * 60
# At most this many tasks are handed over in one pass of dispatch_pending().
DISPATCH_BATCH = 5000


class UnitFailed(Exception):
    """A unit of a job failed for good: `label` says which, the message why."""

    def __init__(self, label: str, message: str):
        super().__init__(message)
        self.label = label


class JobsUnavailable(Exception):
    """The job queue (Redis) cannot be reached now; the tasks wait in the database."""


def task(name: str, *, label: Callable[..., str] | None = None):
    """Register a function as the task `name`; `label(**arguments)` names a failed unit."""

    def register(function):
        TASKS[name] = Registered(function, label)
        return function

    return register


def job_kind(kind: str, label) -> None:
    """Name a kind of job for the administrators' pages (a lazy translated string)."""
    JOB_KINDS[kind] = label


def enqueue(name: str, /, *, unit_of: Job | None = None, **kwargs) -> Task:
    """Ask for task `name` to run in the background once the current transaction commits.

    The task is a row of this transaction: forgotten if it rolls back, kept until done if it
    commits, whatever happens to Redis. With `unit_of`, it counts as a unit of that job.
    """
    if name not in TASKS:
        raise KeyError(f"unknown task {name!r}")
    row = Task(
        name=name,
        arguments=json.dumps(kwargs, sort_keys=True),
        job_id=unit_of.id if unit_of is not None else None,
        state=TaskState.PENDING,
        dispatch_key=_new_key(),
        available_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    _dispatch_after_commit(current_app._get_current_object(), row.id, row.dispatch_key)
    return row


def _new_key() -> str:
    return uuid.uuid4().hex


class _Handover(list):
    """The tasks of one transaction, handed to the backend together once it commits."""

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def __call__(self):
        dispatch(self.app, list(self))


def _dispatch_after_commit(app: Flask, task_id: int, key: str) -> None:
    info = db.session.info
    handover = info.get("aula_handover")
    if handover is None or handover not in info.get("after_commit", []):
        handover = info["aula_handover"] = _Handover(app)
        after_commit(handover)
    handover.append((task_id, key))


def dispatch(app: Flask, tasks: list[tuple[int, str]]) -> None:
    """Hand committed tasks (id, dispatch key) to the backend now; never raises.

    Whatever goes wrong here, the tasks stay pending in the database, and the action that
    asked for them stands: they are handed over again by dispatch_pending().
    """
    if not tasks:
        return
    backend = app.config["JOBS_BACKEND"]
    try:
        if backend == "rq":
            _push_to_redis(app, tasks)
        elif backend == "pool":
            for task_id, _key in tasks:
                _submit_to_pool(app, task_id)
        else:
            for task_id, _key in tasks:
                _run_quietly(app, task_id)
    except Exception as error:
        log.warning(
            "%s task(s) kept in the database for later: the job queue did not take them (%s: %s)",
            len(tasks),
            type(error).__name__,
            error,
        )


def _push_to_redis(app: Flask, tasks: list[tuple[int, str]]) -> None:
    from rq import Queue

    queue = rq_queue(app)
    queue.enqueue_many(
        [
            Queue.prepare_data(
                perform,
                args=(task_id,),
                job_id=key,
                timeout=RQ_JOB_TIMEOUT,
                result_ttl=600,
                failure_ttl=7 * 24 * 3600,
            )
            for task_id, key in tasks
        ]
    )


# Running a task -------------------------------------------------------------------------


def _claimable(now):
    """Pending and due, or held by a run whose lease has run out (its worker died)."""
    return or_(
        and_(Task.state == TaskState.PENDING, Task.available_at <= now),
        and_(Task.state == TaskState.RUNNING, Task.lease_expires_at < now),
    )


def run_task(app: Flask, task_id: int) -> str:
    """Claim task `task_id` and run it in a fresh application context; what happened:
    "done", "failed", "retry", "skipped" (done, or another run holds it) or "lost" (another
    run took it over meanwhile: this run's last writes are rolled back)."""
    with app.app_context():
        try:
            return _claim_and_run(app, task_id)
        finally:
            db.session.remove()


def _claim_and_run(app: Flask, task_id: int) -> str:
    now = utcnow()
    claim = _new_key()
    lease = timedelta(seconds=app.config["JOBS_LEASE_SECONDS"])
    claimed = db.session.execute(
        update(Task)
        .where(Task.id == task_id, _claimable(now))
        .values(
            state=TaskState.RUNNING,
            claim=claim,
            lease_expires_at=now + lease,
            attempts=Task.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return "skipped"
    row = db.session.get(Task, task_id)
    name, kwargs, job_id, attempts = row.name, json.loads(row.arguments), row.job_id, row.attempts
    registered = TASKS.get(name)
    try:
        if registered is None:
            raise UnitFailed(name, f"unknown task {name!r}")
        registered.function(**kwargs)
        mine = Task.id == task_id, Task.claim == claim
        if job_id is None:
            ended = db.session.execute(delete(Task).where(*mine))
        else:
            ended = db.session.execute(
                update(Task)
                .where(*mine)
                .values(state=TaskState.DONE, finished_at=utcnow(), claim=None)
                .execution_options(synchronize_session=False)
            )
        if ended.rowcount != 1:
            db.session.rollback()
            log.warning(
                "Task %s (%s) was taken over by another run; this run's end undone", task_id, name
            )
            return "lost"
        db.session.commit()
        return "done"
    except Exception as error:
        db.session.rollback()
        final = isinstance(error, Refusal | UnitFailed) or attempts >= app.config["JOBS_ATTEMPTS"]
        if not isinstance(error, Refusal | UnitFailed):
            log.exception("Task %s %s(%r) failed (attempt %s)", task_id, name, kwargs, attempts)
        values = {"claim": None, "lease_expires_at": None, "message": str(error)[:2000]}
        if final:
            values.update(state=TaskState.FAILED, finished_at=utcnow())
            values["label"] = _label(registered, error, kwargs)
        else:
            pause = min(10 * 2 ** (attempts - 1), 15 * 60)
            values.update(state=TaskState.PENDING, available_at=utcnow() + timedelta(seconds=pause))
        db.session.execute(
            update(Task)
            .where(Task.id == task_id, Task.claim == claim)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return "failed" if final else "retry"


def _label(registered: Registered | None, error: Exception, kwargs: dict) -> str | None:
    if isinstance(error, UnitFailed):
        return error.label[:300]
    if registered is None or registered.label is None:
        return None
    try:
        return registered.label(**kwargs)[:300]
    except Exception:  # a label is a courtesy: never let it hide the failure itself
        db.session.rollback()
        return None


def perform(task_id: int) -> None:
    """What an RQ worker calls: run the task inside the worker's application."""
    app = current_app._get_current_object() if has_app_context() else _worker_app()
    run_task(app, task_id)


_worker_apps: list[Flask] = []


def _worker_app() -> Flask:
    if not _worker_apps:
        from app import create_app

        _worker_apps.append(create_app())
    return _worker_apps[0]


# Handing over what waits ------------------------------------------------------------------


def dispatch_pending(app: Flask) -> int:
    """Hand every task that waits in the database and that no queue holds to the backend:
    pending tasks Redis does not have (it was down, or came back empty), tasks whose lease ran
    out (their worker died); give up on those whose worker died JOBS_ATTEMPTS times. How many
    were handed over. Raises JobsUnavailable when Redis cannot be reached (nothing changes)."""
    now = utcnow()
    db.session.execute(
        update(Task)
        .where(
            Task.state == TaskState.RUNNING,
            Task.lease_expires_at < now,
            Task.attempts >= app.config["JOBS_ATTEMPTS"],
        )
        .values(
            state=TaskState.FAILED,
            finished_at=now,
            claim=None,
            message=f"stopped with its worker {app.config['JOBS_ATTEMPTS']} times: given up",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    rows = db.session.execute(
        select(Task.id, Task.dispatch_key, Task.state)
        .where(_claimable(now))
        .order_by(Task.id)
        .limit(DISPATCH_BATCH)
    ).all()
    backend = app.config["JOBS_BACKEND"]
    if backend == "rq":
        rows = _not_in_redis(app, rows)
        handed = [(task_id, _new_key()) for task_id, _key, _state in rows]
        for task_id, key in handed:
            db.session.execute(
                update(Task)
                .where(Task.id == task_id)
                .values(dispatch_key=key)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
        try:
            _push_to_redis(app, handed)
        except Exception as error:
            raise JobsUnavailable(f"{type(error).__name__}: {error}") from error
        return len(handed)
    db.session.commit()
    dispatch(app, [(task_id, key) for task_id, key, _state in rows])
    return len(rows)


def _not_in_redis(app: Flask, rows) -> list:
    """Of these tasks, those Redis does not hold in its queue: missing (Redis was down or came
    back empty), or taken by a worker that died (before its claim, or with a lease that ran
    out since). One handed over again gets a new key, so the next pass sees it waiting."""
    from rq.job import Job as RQJob
    from rq.job import JobStatus

    waiting = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
    try:
        found = RQJob.fetch_many(
            [key for _id, key, _state in rows], connection=rq_queue(app).connection
        )
    except Exception as error:
        raise JobsUnavailable(f"{type(error).__name__}: {error}") from error
    return [
        row
        for row, job in zip(rows, found, strict=True)
        if job is None or job.get_status(refresh=False) not in waiting
    ]


def queue_reachable(app: Flask) -> bool:
    """Whether background tasks can be handed over now (always, without Redis)."""
    if app.config["JOBS_BACKEND"] != "rq":
        return True
    try:
        return bool(rq_queue(app).connection.ping())
    except Exception:
        return False


# Redis and RQ ---------------------------------------------------------------------------


def redis_connection(app: Flask, *, blocking: bool = False):
    """A Redis client for the jobs: quick to give up in a request; `blocking` for a worker,
    which waits on the queue far longer than a request would wait for an answer."""
    from redis import Redis

    options = {"socket_connect_timeout": 3, "health_check_interval": 30}
    if not blocking:
        options["socket_timeout"] = 5
    return Redis.from_url(app.config["REDIS_URL"], **options)


def rq_queue(app: Flask):
    """The application's RQ queue (one Redis connection pool per process)."""
    queue = app.extensions.get("aula_rq_queue")
    if queue is None:
        from rq import Queue

        queue = Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app))
        app.extensions["aula_rq_queue"] = queue
    return queue


# The in-process pool --------------------------------------------------------------------

_pool_lock = threading.Lock()


def _submit_to_pool(app: Flask, task_id: int) -> None:
    with _pool_lock:
        pool = app.extensions.get("aula_job_pool")
        if pool is None:
            pool = ThreadPoolExecutor(app.config["JOBS_POOL_SIZE"], thread_name_prefix="aula-job")
            app.extensions["aula_job_pool"] = pool
            app.extensions["aula_job_futures"] = set()
        futures: set[Future] = app.extensions["aula_job_futures"]
        future = pool.submit(_run_quietly, app, task_id)
        futures.add(future)
    future.add_done_callback(lambda f: _forget(futures, f))


def _forget(futures: set, future: Future) -> None:
    with _pool_lock:
        futures.discard(future)


def _run_quietly(app: Flask, task_id: int) -> None:
    # Nothing waits on a background task: its failure is logged and kept on its row.
    with contextlib.suppress(Exception):
        run_task(app, task_id)


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


# Administrators' jobs ---------------------------------------------------------------------


def start_job(kind: str, title: str, created_by_id: int | None) -> Job:
    """Record a job whose units are about to be asked for (enqueue(..., unit_of=job))."""
    job = Job(kind=kind, title=title[:300], created_by_id=created_by_id)
    db.session.add(job)
    db.session.flush()
    return job
