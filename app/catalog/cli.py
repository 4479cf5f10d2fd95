"""`flask content check|import PATH`."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.catalog import kinds
from app.catalog.content.importer import ImportRefused, import_courses
from app.catalog.content.loader import load_package
from app.core.commands import one_commit
from app.extensions import db


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s); nothing imported.", err=True)


@click.group("content", help="Course packages: check and import.")
def content_cli():
    pass


@content_cli.command("check")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def check(path):
    """Validate a package (a course folder or a folder of courses) without importing it."""
    try:
        settings = kinds.check_settings()
    except SQLAlchemyError:  # checking a package needs no database; some settings do
        db.session.rollback()
        settings = {}
        click.echo(
            "No database yet: checked with the default settings (embeds: the default hosts).",
            err=True,
        )
    courses, problems = load_package(path, settings)
    if problems:
        _report(problems)
        raise SystemExit(1)
    for course in courses:
        items = sum(len(m.items) for m in course.spec.modules)
        click.echo(f"{course.spec.slug}: {len(course.spec.modules)} modules, {items} items: ok")


@content_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Remove items even when learners have worked on them.")
@with_appcontext
def import_(path, force):
    """Validate the whole package, then import all of it, or nothing."""
    # Checked with the settings as they stand now (the administrators' embed allow-list).
    courses, problems = load_package(path, kinds.check_settings())
    if problems:
        _report(problems)
        raise SystemExit(1)
    # A refusal lists its reasons on stderr, so it exits here rather than as one message;
    # leaving the block that way still rolls everything back.
    with one_commit() as say:
        try:
            report = import_courses(courses, force=force)
        except ImportRefused as refusal:
            for line in refusal.lines:
                click.echo(line, err=True)
            click.echo("Nothing imported.", err=True)
            raise SystemExit(1) from None
        for label, slugs in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("removed items", report.removed_items),
        ):
            if slugs:
                say(f"{label}: {', '.join(slugs)}")
