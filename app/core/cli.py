"""`flask jobs worker|dispatch-pending` and `flask mail send-pending`."""

import logging
import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext
from rq import Queue, SimpleWorker

from app.core import jobs, schedule
from app.core.commands import one_commit
from app.core.mail import MAX_ATTEMPTS, DeliveryFailed, mail_counts, queue_pending
from app.core.models import MailState
from app.extensions import db

log = logging.getLogger(__name__)


@click.group("jobs", help="Background jobs.")
def jobs_cli():
    pass


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for tests, cron).")
@with_appcontext
def worker(burst):
    """Run background jobs from Redis (needs REDIS_URL); start as many as you like, anywhere.

    At start, and every JOBS_DISPATCH_SECONDS while it runs, the worker hands over the tasks
    that wait in the database (asked for while Redis was down, lost with an emptied Redis, or
    held by a worker that died). If Redis goes away, the worker waits for it and carries on.
    """
    app = current_app._get_current_object()
    if app.config["JOBS_BACKEND"] != "rq":
        raise click.ClickException(
            "set REDIS_URL (and leave JOBS_BACKEND unset or 'rq'): without Redis, jobs run "
            "inside the web process and need no worker"
        )
    _dispatch_quietly(app)
    schedule.enqueue_due_quietly(app)
    stop = threading.Event()
    if not burst:
        threading.Thread(
            target=_keep_dispatching, args=(app, stop), name="aula-dispatch", daemon=True
        ).start()
    pause = 1.0
    try:
        while True:
            connection = jobs.redis_connection(app, blocking=True)
            queue = Queue(app.config["JOBS_QUEUE"], connection=connection)
            rq_worker = _Worker([queue], connection=connection)
            started = time.monotonic()
            try:
                rq_worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
            except Exception as error:  # Redis refused us before RQ's loop began
                log.warning("job worker could not start: %s", error)
            if rq_worker.stopping or (burst and _redis_answers(queue)):
                return
            # RQ's loop ended on an error (Redis went away): wait for Redis and start again.
            pause = 1.0 if time.monotonic() - started > 60 else min(pause * 2, 30.0)
            click.echo(
                f"job worker: Redis does not answer; trying again in {pause:.0f} s", err=True
            )
            signal.signal(signal.SIGTERM, _exit)
            signal.signal(signal.SIGINT, _exit)
            time.sleep(pause)
            if burst:
                _dispatch_quietly(app)
    finally:
        stop.set()


def _exit(signum, frame):
    raise SystemExit(0)


class _Worker(SimpleWorker):
    """RQ's worker (each job in this process, which stays warm: WeasyPrint's fonts and the
    helper render process are loaded once), remembering whether it was asked to stop: RQ's
    loop also ends when Redis goes away, and then `flask jobs worker` starts it again."""

    stopping = False

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)


def _redis_answers(queue) -> bool:
    try:
        return bool(queue.connection.ping())
    except Exception:
        return False


def _dispatch_quietly(app) -> None:
    with app.app_context():
        try:
            handed = jobs.dispatch_pending(app)
            if handed:
                log.warning(
                    "job worker: handed over %s task(s) that waited in the database", handed
                )
        except jobs.JobsUnavailable as error:
            log.warning("job worker: tasks wait in the database until Redis answers (%s)", error)
        except Exception:
            log.exception("job worker: handing over waiting tasks failed")
        finally:
            db.session.remove()


def _keep_dispatching(app, stop: threading.Event) -> None:
    while not stop.wait(app.config["JOBS_DISPATCH_SECONDS"]):
        _dispatch_quietly(app)
        schedule.enqueue_due_quietly(app)


@jobs_cli.command("run-due")
@with_appcontext
def run_due():
    """Ask for the scheduled work that is due now (workers and `make run` do it themselves)."""
    app = current_app._get_current_object()
    asked = schedule.enqueue_due()
    if app.config["JOBS_BACKEND"] == "pool":
        jobs.wait_for_pool(app)
    click.echo(f"{len(asked)} scheduled task(s) asked for: {', '.join(asked) or '-'}")


@jobs_cli.command("schedule")
@with_appcontext
def show_schedule():
    """List the schedule kept in the code, with each entry's next run."""
    from app.core.models import ScheduleRun

    for entry in schedule.SCHEDULE.values():
        row = db.session.get(ScheduleRun, entry.name)
        when = row.due_at.isoformat(timespec="minutes") if row else "at the next check"
        click.echo(f"{entry.name}: task {entry.task}, every {entry.interval}, next {when}")


@jobs_cli.command("dispatch-pending")
@with_appcontext
def dispatch_pending():
    """Hand over tasks that wait in the database (say, after Redis was down); run it from cron."""
    app = current_app._get_current_object()
    try:
        handed = jobs.dispatch_pending(app)
    except jobs.JobsUnavailable as error:
        raise click.ClickException(
            f"the job queue (Redis) does not answer: the tasks wait in the database ({error})"
        ) from error
    if app.config["JOBS_BACKEND"] == "pool":
        jobs.wait_for_pool(app)
    click.echo(f"{handed} waiting task(s) handed over")


@click.group("mail", help="Outgoing mail.")
def mail_cli():
    pass


@mail_cli.command("send-pending")
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 1000),
    default=MAX_ATTEMPTS,
    show_default=True,
    help="Leave alone mail that failed this many times.",
)
@with_appcontext
def send_pending(max_attempts):
    """Deliver mail still waiting for the SMTP server (say, after it was down); run it from cron."""
    with one_commit(DeliveryFailed) as report:
        queued = queue_pending(max_attempts)
        report(f"{queued} pending mail(s) queued for delivery")
    if current_app.config["JOBS_BACKEND"] == "rq":
        click.echo("the job workers deliver them (flask jobs worker)")
        return
    # In this process (inline or pool): the deliveries end with the command, so report them.
    jobs.wait_for_pool(current_app)
    db.session.expire_all()
    counts = mail_counts()
    pending = counts[MailState.PENDING] + counts[MailState.SENDING]
    click.echo(f"sent so far: {counts[MailState.SENT]}; still pending: {pending}")
    if queued and pending:
        raise SystemExit(1)
