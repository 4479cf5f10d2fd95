"""`flask demo setup` and `flask demo generate`: demo content for development and benchmarks."""

import time
from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.catalog.models import Course
from app.core.commands import one_commit
from app.demo import generate as demo_data
from app.demo.setup import DemoSetupError, set_up_demo
from app.extensions import db
from app.seasons.services import SEATS_MAX


@click.group("demo", help="Demo content for development.")
def demo_cli():
    pass


def _refuse_production(command: str) -> None:
    if current_app.config["AULA_ENV"] == "production":
        raise click.ClickException(f"{command} is for development; AULA_ENV is production")


@demo_cli.command("setup")
@with_appcontext
def setup():
    """Load the institutions, make sure the demo accounts exist and, once course content is
    imported, open a demo season (idempotent: an existing season is left as it is)."""
    _refuse_production("demo setup")
    with one_commit(DemoSetupError) as say:
        for line in set_up_demo(Path(current_app.instance_path), date.today()):
            say(line)


@demo_cli.command("generate")
@click.option("--learners", "count", type=click.IntRange(1, 100_000), required=True)
@click.option("--seed", type=int, default=None, help="Same seed, same names and choices.")
@with_appcontext
def generate(count, seed):
    """Add many learners to the open season (after `demo setup`): enrolments, progress, quiz
    attempts and capstone work in the tutor-led cohorts, written in bulk. Each run adds more."""
    _refuse_production("demo generate")
    started = time.perf_counter()
    with one_commit(demo_data.DemoDataError) as say:
        report = demo_data.generate_learners(count, seed)
        slugs = dict(db.session.execute(select(Course.id, Course.slug)).all())
        say(f"Season “{report.season}”: {report.learners} learners added.")
        say(f"  enrolments:     {report.enrollments} ({report.completed} completed)")
        for course_id, enrolled in sorted(report.enrollments_by_course.items()):
            say(f"    {slugs.get(course_id, course_id)}: {enrolled}")
        say(f"  certificates:   {report.certificates} (PDFs made on first download)")
        say(f"  items done:     {report.progress}")
        say(f"  quiz attempts:  {report.quiz_attempts}")
        states = ", ".join(f"{n} {state}" for state, n in sorted(report.submissions.items()))
        say(
            f"  capstones:      {sum(report.submissions.values())} ({states or 'none'}); "
            f"{report.versions} versions, {report.reviews} reviews"
        )
        for label, before, after in report.seats_raised:
            say(f"  seats raised:   {label} {before} → {after}")
        for label in report.cohorts_full:
            say(f"  cohort full:    {label} (at the {SEATS_MAX}-seat limit)")
    # After the commit, so the time includes writing everything.
    click.echo(
        f"Every generated learner signs in with the password {demo_data.DEMO_LEARNER_PASSWORD!r} "
        f"(one hash, computed once). {time.perf_counter() - started:.1f} s."
    )
