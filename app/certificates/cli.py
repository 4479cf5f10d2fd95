"""`flask certificates issue|revoke|restore|verify`, calling the same services as the pages.

Each command commits what it did at the end, or on a refusal rolls back and exits non-zero
with the reason, having changed nothing.
"""

import json
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from app.catalog.models import Course
from app.certificates import services
from app.core import jobs
from app.core.commands import one_commit
from app.core.models import Job
from app.extensions import db
from app.seasons.models import Cohort, Offering
from app.seasons.services import find_season

COMMAND_LINE = services.Actor(None, "command line")
MAX_CHECKED_FILE = 20 * 1024 * 1024

certificates_cli = click.Group(
    "certificates", help="Issue, revoke, restore and verify certificates."
)


def _one_commit():
    return one_commit(services.CertificateError)


def _certificate(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        raise click.ClickException("no certificate has this code")
    return certificate


@certificates_cli.command("issue")
@click.option("--enrollment", "enrollment_id", type=int, help="One completed enrolment (its id).")
@click.option("--season", help="Every completed enrolment of this season (name or id).")
@click.option("--cohort", help="With --season: only this cohort (its name).")
@click.option(
    "--course", "course_slug", help="With --cohort: its course, when several share the name."
)
@click.option("--again", is_flag=True, help="Also re-issue existing certificates (new editions).")
def issue(enrollment_id, season, cohort, course_slug, again):
    """Issue certificates: one enrolment's now, or a season's (or cohort's) as a job."""
    if (enrollment_id is None) == (season is None):
        raise click.UsageError("give either --enrollment ID or --season NAME")
    if cohort and not season:
        raise click.UsageError("--cohort needs --season")
    if course_slug and not cohort:
        raise click.UsageError("--course needs --cohort")
    if enrollment_id is not None:
        with _one_commit():
            certificate, created = services.issue_certificate(
                enrollment_id, COMMAND_LINE, render=False
            )
            if not created and again:
                services.reissue(certificate, COMMAND_LINE, render=False)
        # Rendered here, after the certificate is committed: a failed render keeps it. The
        # learner is told with the first PDF, as when a worker renders it.
        with _one_commit():
            services.render_and_tell(certificate.id)
        click.echo(
            f"{'issued' if created else 'already issued'}: {certificate.grouped_code} "
            f"({certificate.learner_name}, {certificate.course_title})"
        )
        click.echo(services.verification_url(certificate))
        return
    found = find_season(season)
    if found is None:
        raise click.ClickException(f"no season named “{season.strip()}” or with that id")
    cohort_id, title = None, found.name
    if cohort:
        cohort_id = _cohort_id(found, cohort.strip(), course_slug)
        title = f"{found.name} · {cohort.strip()}"
    ids = services.completed_enrollment_ids(season_id=found.id, cohort_id=cohort_id)
    if not ids:
        raise click.ClickException("nobody has completed a course there: nothing to issue")
    with _one_commit():
        job = services.start_bulk_issue(title, ids, again=again, actor=COMMAND_LINE)
        job_id = job.id
    backend = current_app.config["JOBS_BACKEND"]
    if backend == "pool":
        # A command's pool ends with the command: wait for it.
        jobs.wait_for_pool(current_app)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    if job.finished:
        click.echo(
            f"job {job.id}: {job.done} of {job.total} certificates issued, {job.failed} failed"
        )
        for failure in job.failures:
            click.echo(f"  failed: {failure.label}: {failure.message}")
        if job.failed:
            raise SystemExit(1)
    else:
        click.echo(
            f"job {job.id}: {job.total} enrolments queued for `flask jobs worker`; "
            f"follow it at /admin/jobs/{job.id}"
        )


def _cohort_id(season, name: str, course_slug: str | None) -> int:
    """The season's cohort of that name; cohort names are unique only within a course."""
    query = (
        select(Cohort.id, Course.slug)
        .join(Offering, Offering.id == Cohort.offering_id)
        .join(Course, Course.id == Offering.course_id)
        .where(Offering.season_id == season.id, Cohort.name == name)
        .order_by(Course.slug)
    )
    if course_slug:
        query = query.where(Course.slug == course_slug.strip())
    found = db.session.execute(query).all()
    if not found:
        course = f" in course “{course_slug}”" if course_slug else ""
        raise click.ClickException(f"season “{season.name}” has no cohort named “{name}”{course}")
    if len(found) > 1:
        slugs = ", ".join(slug for _, slug in found)
        raise click.ClickException(
            f"season “{season.name}” has {len(found)} cohorts named “{name}” (courses: {slugs}): "
            "add --course SLUG"
        )
    return found[0].id


@certificates_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept in the certificate's history).")
def revoke(code, reason):
    """Revoke a certificate: its verification page says so from now on."""
    with _one_commit():
        certificate = _certificate(code)
        services.revoke(certificate, reason, COMMAND_LINE)
    click.echo(f"revoked: {certificate.grouped_code}")


@certificates_cli.command("restore")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept in the certificate's history).")
def restore(code, reason):
    """Make a revoked certificate valid again."""
    with _one_commit():
        certificate = _certificate(code)
        services.restore(certificate, reason, COMMAND_LINE)
    click.echo(f"restored: {certificate.grouped_code}")


@certificates_cli.command("verify")
@click.argument("code")
@click.option(
    "--file",
    "pdf",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also say whether this PDF is byte for byte the file issued.",
)
def verify(code, pdf):
    """Print what the verification page shows (JSON); exit 1 unless valid (and the file issued)."""
    certificate = _certificate(code)
    record = services.public_record(certificate)
    ok = not certificate.revoked
    if pdf is not None:
        if pdf.stat().st_size > MAX_CHECKED_FILE:
            raise click.ClickException("that file is far larger than any certificate we issue")
        check = services.check_file(certificate, pdf.read_bytes())
        record["file_is_the_issued_pdf"] = check.issued
        ok = ok and check.issued
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))
    if not ok:
        raise SystemExit(1)
