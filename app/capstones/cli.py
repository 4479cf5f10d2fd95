"""`flask capstones ...`: daily reminders, rubrics as CSV."""

from datetime import date
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.capstones import rubric_csv, services
from app.catalog.models import Course
from app.core.commands import one_commit
from app.extensions import db


@click.group("capstones", help="Capstone projects: reminders and rubrics.")
def capstones_cli():
    pass


def _capstone(course_slug: str):
    """The course and its capstone item, or a clean refusal."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug.strip()))
    if course is None:
        raise click.ClickException(f"no course with the slug “{course_slug}”")
    item = services.capstone_item(course)
    if item is None:
        raise click.ClickException(f"{course.slug} has no capstone project")
    return course, item


@capstones_cli.command("rubric-export")
@click.argument("course_slug")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV to this file instead of the standard output.",
)
@with_appcontext
def rubric_export(course_slug, output):
    """Print (or write) the rubric of COURSE_SLUG's capstone as CSV."""
    course, item = _capstone(course_slug)
    rubric = services.rubric(item)
    text = rubric_csv.export_rubric(rubric, rubric_csv.languages_of(rubric, course.languages))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_bytes(text.encode("utf-8"))
        click.echo(f"Wrote the rubric of {course.slug} to {output}.", err=True)


@capstones_cli.command("rubric-import")
@click.argument("course_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def rubric_import(course_slug, file):
    """Replace the rubric of COURSE_SLUG's capstone with the one in the CSV FILE.

    Reviews already made keep their own copy of the scores. Re-importing the course package
    with --force puts the package's rubric back.
    """
    course, item = _capstone(course_slug)
    with one_commit() as say:
        try:
            rubric = rubric_csv.import_rubric(
                file.read_bytes(), rubric_csv.languages_of(services.rubric(item), course.languages)
            )
        except rubric_csv.RubricCsvError as error:
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            raise click.ClickException(
                f"the rubric of {course.slug} was not changed: {len(error.problems)} problem(s)"
            ) from None
        services.save_rubric(item, rubric)
        say(
            f"Replaced the rubric of {course.slug}: {len(rubric['criteria'])} criteria, "
            f"pass mark {rubric['pass_threshold']}."
        )


@capstones_cli.command("remind")
@click.option(
    "--days",
    type=click.IntRange(0, 60),
    default=3,
    show_default=True,
    help="Remind learners whose deadline falls within this many days.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to count from (YYYY-MM-DD); today by default.",
)
@with_appcontext
def remind(days, today):
    """Mail learners whose capstone is due soon and who have sent nothing (run it daily)."""
    day = today.date() if today is not None else date.today()
    with one_commit() as say:
        sent = services.remind_due(day, days)
        say(f"Sent {sent} reminder(s) for capstone deadlines from {day} to {days} day(s) later.")
