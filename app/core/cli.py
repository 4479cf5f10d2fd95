"""`flask jobs worker` and `flask mail send-pending`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from app.core import jobs
from app.core.commands import one_commit
from app.core.mail import MAX_ATTEMPTS, DeliveryFailed, mail_counts, queue_pending
from app.core.models import MailState
from app.extensions import db


@click.group("jobs", help="Background jobs.")
def jobs_cli():
    pass


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (for tests, cron).")
@with_appcontext
def worker(burst):
    """Run background jobs from Redis (needs REDIS_URL); start as many as you like, anywhere."""
    from rq import SimpleWorker

    from app.core.jobs import rq_queue

    if current_app.config["JOBS_BACKEND"] != "rq":
        raise click.ClickException(
            "set REDIS_URL (and leave JOBS_BACKEND unset or 'rq'): without Redis, jobs run "
            "inside the web process and need no worker"
        )
    queue = rq_queue(current_app)
    # SimpleWorker runs each job in this process, which stays warm (WeasyPrint's fonts and
    # the helper render process are loaded once); the jobs take care of their own sessions.
    SimpleWorker([queue], connection=queue.connection).work(
        burst=burst, with_scheduler=False, logging_level="WARNING"
    )


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
