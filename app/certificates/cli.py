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


# Keys and credentials -------------------------------------------------------------------------

keys_cli = click.Group("keys", help="The issuer's signing keys (credentials and PDFs).")
certificates_cli.add_command(keys_cli)

_PDF_OPTIONS = [
    click.option(
        "--pdf-certificate",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="An X.509 certificate (PEM, with its chain) the institution provides for signing "
        "PDFs; without it a self-signed one is made.",
    ),
    click.option(
        "--pdf-key",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="With --pdf-certificate: its private key (PEM, unencrypted).",
    ),
]


def _pdf_options(function):
    for option in reversed(_PDF_OPTIONS):
        function = option(function)
    return function


def _check_pdf_options(pdf_certificate, pdf_key) -> None:
    if (pdf_certificate is None) != (pdf_key is None):
        raise click.UsageError("give --pdf-certificate and --pdf-key together")


def _describe(entry) -> str:
    from app.certificates.credentials import did

    state = f"retired {entry.retired}" if entry.retired else "in use"
    return f"{did.method_id(did.issuer_did(), entry)}  {entry.created}  {state}"


@keys_cli.command("create")
@_pdf_options
def keys_create(pdf_certificate, pdf_key):
    """Make the first signing key (Ed25519) and the PDF signing certificate."""
    from app.certificates.credentials import keys

    _check_pdf_options(pdf_certificate, pdf_key)
    try:
        entry = keys.create_key(pdf_certificate=pdf_certificate, pdf_key=pdf_key)
    except keys.KeyProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"created: {_describe(entry)}")
    click.echo(f"private keys in {keys.folder()} (keep them there, or in the environment)")


@keys_cli.command("rotate")
@_pdf_options
def keys_rotate(pdf_certificate, pdf_key):
    """Sign with a new key from now on; the old one stays in the DID document."""
    from app.certificates.credentials import keys

    _check_pdf_options(pdf_certificate, pdf_key)
    try:
        old, new = keys.rotate_key(pdf_certificate=pdf_certificate, pdf_key=pdf_key)
    except keys.KeyProblem as problem:
        raise click.ClickException(str(problem)) from problem
    if old is not None:
        click.echo(f"retired: {old.id} (still listed: what it signed still verifies)")
    click.echo(f"in use:  {_describe(new)}")


@keys_cli.command("list")
def keys_list():
    """The keys of the keyring, oldest first."""
    from app.certificates.credentials import keys

    try:
        entries = keys.read_keyring(keys.folder())
    except keys.KeyProblem as problem:
        raise click.ClickException(str(problem)) from problem
    if not entries:
        click.echo(f"no keys in {keys.folder()}: run `flask certificates keys create`")
        return
    for entry in entries:
        click.echo(_describe(entry))


def _read_json_file(path: Path, what: str) -> dict:
    if path.stat().st_size > MAX_CHECKED_FILE:
        raise click.ClickException(f"the {what} file is far too large")
    try:
        found = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as error:
        raise click.ClickException(f"the {what} file is not JSON") from error
    if not isinstance(found, dict):
        raise click.ClickException(f"the {what} file is not a JSON object")
    return found


@certificates_cli.command("verify-credential")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--did-document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The issuer's DID document (else fetched through did:web).",
)
@click.option(
    "--status-list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The status list credential (else fetched from the URL the credential names).",
)
def verify_credential(file, did_document, status_list):
    """Check a credential (JSON, or a certificate PDF carrying one): its signature and whether
    it is revoked, without the database. Prints JSON; exits 1 unless verified."""
    from app.certificates.credentials.verify import verify_credential as check
    from app.certificates.signing import NoCredential, embedded_credential

    if file.stat().st_size > MAX_CHECKED_FILE:
        raise click.ClickException("that file is far larger than any credential or certificate")
    data = file.read_bytes()
    if data.startswith(b"%PDF"):
        try:
            credential = embedded_credential(data)
        except NoCredential as error:
            raise click.ClickException(str(error)) from error
    else:
        credential = _read_json_file(file, "credential")
    result = check(
        credential,
        did_document=_read_json_file(did_document, "DID document") if did_document else None,
        status_list=_read_json_file(status_list, "status list") if status_list else None,
    )
    report = result.as_json()
    subject = credential.get("credentialSubject") if isinstance(credential, dict) else None
    if isinstance(subject, dict) and result.signature:
        achievement = subject.get("achievement") or {}
        report["holder"] = subject.get("name")
        report["achievement"] = achievement.get("name") if isinstance(achievement, dict) else None
    click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if not result.verified:
        raise SystemExit(1)
