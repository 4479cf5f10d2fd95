"""`flask demo ...` (what `make run` needs to show a working platform), `flask jobs worker`
and `flask mail send-pending`."""

import secrets
import time
from datetime import date, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import Role, User
from app.catalog.models import Course, CourseKind
from app.core import jobs
from app.core.commands import one_commit
from app.core.mail import MAX_ATTEMPTS, DeliveryFailed, mail_counts, queue_pending
from app.core.models import MailState
from app.extensions import db
from app.seasons import services as seasons
from app.seasons.models import Season

DEMO_ADMIN_EMAIL = "admin@aula.example"
DEMO_TUTOR_EMAIL = "tutor@aula.example"
DEMO_COHORT_SEATS = 25


@click.group("demo", help="Demo content for development.")
def demo_cli():
    pass


def _demo_account(email: str, full_name: str, role: Role, password_name: str) -> str:
    """Make sure the account exists and its password is in the instance folder; the password."""
    password_file = Path(current_app.instance_path) / password_name
    user = services.find_user_by_email(email)
    if user is None or not password_file.exists():
        password = secrets.token_urlsafe(12)
        if user is None:
            services.create_user(email, full_name, role, password, check_strength=False)
        else:
            services.set_password(user, password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def _demo_season(tutor: User, today: date) -> str:
    """Open "Season <year>" offering every course, one cohort "A" per tutor-led course."""
    season = seasons.create_season(
        f"Season {today.year}", today - timedelta(days=30), today + timedelta(days=300)
    )
    starts = today + timedelta(days=14)
    cohorts = 0
    for course in db.session.scalars(select(Course).order_by(Course.position, Course.slug)):
        offering = seasons.offer_course(season, course)
        if course.kind == CourseKind.TUTOR_LED:
            seasons.add_cohort(
                offering,
                seasons.CohortPlan(
                    name="A",
                    starts_on=starts,
                    ends_on=starts + timedelta(days=90),
                    enrol_opens_on=today - timedelta(days=30),
                    enrol_closes_on=starts - timedelta(days=1),
                    seats=DEMO_COHORT_SEATS,
                    language=course.language,
                    tutors=[tutor],
                ),
            )
            cohorts += 1
    seasons.open_season(season)
    return (
        f"Season: “{season.name}” opened with {len(season.offerings)} courses "
        f"({cohorts} cohorts led by {DEMO_TUTOR_EMAIL})."
    )


@demo_cli.command("setup")
@with_appcontext
def setup():
    """Load the institutions, make sure the demo accounts exist and, once course content is
    imported, open a demo season (idempotent: an existing season is left as it is)."""
    if current_app.config["AULA_ENV"] == "production":
        raise click.ClickException("demo setup is for development; AULA_ENV is production")
    added, updated = services.load_institutions()
    admin_password = _demo_account(
        DEMO_ADMIN_EMAIL, "Demo Administrator", Role.ADMIN, "demo_admin_password"
    )
    has_courses = db.session.scalar(select(Course.id).limit(1)) is not None
    has_season = db.session.scalar(select(Season.id).limit(1)) is not None
    tutor_password = None
    if (has_courses and not has_season) or services.find_user_by_email(DEMO_TUTOR_EMAIL):
        tutor_password = _demo_account(
            DEMO_TUTOR_EMAIL, "Demo Tutor", Role.TUTOR, "demo_tutor_password"
        )
    if has_season:
        season_line = "Season: a season exists already; seasons left as they are."
    elif not has_courses:
        season_line = (
            "Season: none, as no course is imported (flask content import course_content)."
        )
    else:
        try:
            tutor = services.find_user_by_email(DEMO_TUTOR_EMAIL)
            season_line = _demo_season(tutor, date.today())
        except seasons.SeasonError as error:
            db.session.rollback()
            raise click.ClickException(f"the demo season: {error}") from error
    db.session.commit()
    click.echo(f"Institutions: {added} added, {updated} updated.")
    click.echo(season_line)
    click.echo("")
    click.echo("  Sign in as an administrator at http://127.0.0.1:5000/login")
    click.echo(f"    email:    {DEMO_ADMIN_EMAIL}")
    click.echo(f"    password: {admin_password}")
    if tutor_password is not None:
        click.echo("  or as the tutor of the demo cohorts:")
        click.echo(f"    email:    {DEMO_TUTOR_EMAIL}")
        click.echo(f"    password: {tutor_password}")
    click.echo("  Mail is not sent in development: read it at /admin/outbox or in this log.")
    click.echo("")


@demo_cli.command("generate")
@click.option("--learners", "count", type=click.IntRange(1, 100_000), required=True)
@click.option("--seed", type=int, default=None, help="Same seed, same names and choices.")
@with_appcontext
def generate(count, seed):
    """Add many learners to the open season (after `demo setup`): enrolments, progress, quiz
    attempts and capstone work in the tutor-led cohorts, written in bulk. Each run adds more."""
    from app.core import demo_data

    if current_app.config["AULA_ENV"] == "production":
        raise click.ClickException("demo generate is for development; AULA_ENV is production")
    started = time.perf_counter()
    try:
        report = demo_data.generate_learners(count, seed)
    except demo_data.DemoDataError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    slugs = dict(db.session.execute(select(Course.id, Course.slug)).all())
    click.echo(f"Season “{report.season}”: {report.learners} learners added.")
    click.echo(f"  enrolments:     {report.enrollments} ({report.completed} completed)")
    for course_id, enrolled in sorted(report.enrollments_by_course.items()):
        click.echo(f"    {slugs.get(course_id, course_id)}: {enrolled}")
    click.echo(f"  certificates:   {report.certificates} (PDFs made on first download)")
    click.echo(f"  items done:     {report.progress}")
    click.echo(f"  quiz attempts:  {report.quiz_attempts}")
    states = ", ".join(f"{n} {state}" for state, n in sorted(report.submissions.items()))
    click.echo(
        f"  capstones:      {sum(report.submissions.values())} ({states or 'none'}); "
        f"{report.versions} versions, {report.reviews} reviews"
    )
    for label, before, after in report.seats_raised:
        click.echo(f"  seats raised:   {label} {before} → {after}")
    for label in report.cohorts_full:
        click.echo(f"  cohort full:    {label} (at the {seasons.SEATS_MAX}-seat limit)")
    click.echo(
        f"Every generated learner signs in with the password {demo_data.DEMO_LEARNER_PASSWORD!r} "
        f"(one hash, computed once). {time.perf_counter() - started:.1f} s."
    )


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
