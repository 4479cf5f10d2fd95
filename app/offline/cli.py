"""`flask offline packs`: render the printable course packs of courses imported before packs
existed (an import renders them for every course it creates or changes)."""

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.catalog.models import Course
from app.core.commands import one_commit
from app.extensions import db
from app.offline.packs import render_packs


@click.group("offline", help="Learning offline: printable course packs.")
def offline_cli():
    pass


@offline_cli.command("packs")
@click.argument("slugs", nargs=-1)
@with_appcontext
def packs(slugs):
    """Render and store the course packs of every course (or of the courses named)."""
    query = select(Course).order_by(Course.position)
    if slugs:
        query = query.where(Course.slug.in_(slugs))
    with one_commit() as report, current_app.test_request_context():
        for course in db.session.scalars(query).all():
            render_packs(None, course)
            report(f"{course.slug}: course pack rendered ({', '.join(course.languages)})")
