"""Issuing, rendering, revoking and verifying certificates. Views, commands and tasks call these.

Exactly one certificate per enrolment: the row is inserted with INSERT ... ON CONFLICT DO
NOTHING on a UNIQUE enrolment column, so concurrent completions or issue requests agree on one.
Rendering is slow, so it runs as a background task after the commit; the PDF is stored once per
edition and every download serves the stored bytes.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import undefer

from app.accounts.models import User
from app.accounts.services import external_url
from app.catalog.models import Course
from app.certificates import codes
from app.certificates.designs import design_for, render_certificate
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDocument,
    CertificateEvent,
    CertificateStatus,
)
from app.certificates.notification_kinds import READY
from app.core import jobs
from app.core.db import insert_or_ignore, utcnow
from app.core.i18n import localise
from app.core.mail import send_template_mail
from app.core.models import Job
from app.core.refusals import Refusal
from app.extensions import db
from app.learning import services as learning
from app.notifications.services import notify
from app.seasons import enrollments
from app.seasons.models import Cohort, Enrollment

log = logging.getLogger(__name__)

REASON_MAX = 1000
LANGUAGES = ("es", "pt", "en")


class CertificateError(Refusal):
    """A rule about certificates was broken; the message is for the person acting."""


class NotCompleted(CertificateError):
    pass


class AlreadyRevoked(CertificateError):
    pass


class NotRevoked(CertificateError):
    pass


class RenderFailed(CertificateError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who acts, for the audit trail: a person, or the platform / a command line."""

    user_id: int | None = None
    label: str = ""

    @classmethod
    def person(cls, user: User) -> "Actor":
        return cls(user.id, user.email)


PLATFORM = Actor(None, "platform")


# Issuing ------------------------------------------------------------------------------------


def _printed_details(enrollment: Enrollment, language: str) -> dict:
    """What the certificate prints about the enrolment, in `language`."""
    course = enrollment.course
    return {
        "learner_name": enrollment.user.full_name,
        "course_title": str(localise(course.title, course.language, language))[:300],
        "hours": course.hours,
        "season_name": enrollment.season.name,
        "cohort_name": enrollment.cohort.name if enrollment.cohort else None,
        "completed_on": enrollment.completed_at.date(),
        "language": language,
    }


def certificate_for(enrollment_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id))


def issue_certificate(
    enrollment_id: int, actor: Actor = PLATFORM, *, render: bool = True
) -> tuple[Certificate, bool]:
    """The enrolment's certificate, issued now unless it exists; and whether this call issued it.

    Of any number of concurrent calls for one enrolment, exactly one inserts. With `render`,
    the PDF is queued for after the commit.
    """
    enrollment = enrollments.load_enrollment(enrollment_id)
    if enrollment is None or enrollment.completed_at is None:
        raise NotCompleted(_l("The course is not completed: there is nothing to certify yet."))
    language = enrollment.user.locale if enrollment.user.locale in LANGUAGES else "es"
    design = design_for(enrollment.course.slug)
    for _attempt in range(3):
        inserted = insert_or_ignore(
            Certificate,
            code=codes.new_code(),
            enrollment_id=enrollment.id,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
            season_id=enrollment.season_id,
            design=design.name,
            design_version=design.version,
            edition=1,
            status=CertificateStatus.VALID,
            issued_at=utcnow(),
            edition_at=utcnow(),
            **_printed_details(enrollment, language),
        )
        certificate = certificate_for(enrollment.id)
        if certificate is not None:
            break
        # Not inserted and none there: the random code met an existing one. Draw again.
    else:  # pragma: no cover - 140 random bits do not collide three times
        raise RuntimeError("could not draw a unique certificate code")
    if inserted:
        _audit(certificate, CertificateAction.ISSUED, actor)
        if render:
            jobs.enqueue("certificates.render", certificate_id=certificate.id)
    return certificate, inserted


def issue_on_completion(enrollment_id: int, **_extra) -> None:
    """Listener of learning's course_completed: certify the completion in its transaction."""
    issue_certificate(enrollment_id)


learning.course_completed.connect(issue_on_completion)


def _new_edition(certificate: Certificate, values: dict, unless_since=None) -> bool:
    """Move the certificate to its next edition with `values`; refused when revoked. With
    `unless_since`, only if its edition is older than that moment. Whether it moved."""
    guards = [
        Certificate.id == certificate.id,
        Certificate.edition == certificate.edition,
        Certificate.status == CertificateStatus.VALID,
    ]
    if unless_since is not None:
        guards.append(Certificate.edition_at < unless_since)
    result = db.session.execute(
        update(Certificate)
        .where(*guards)
        .values(edition=Certificate.edition + 1, edition_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(certificate)
    if result.rowcount != 1 and certificate.revoked:
        raise AlreadyRevoked(_l("This certificate is revoked: restore it first."))
    return result.rowcount == 1


def _todays_details(certificate: Certificate, language: str) -> dict:
    """What a new edition prints: today's details of the completed enrolment, or (when the
    enrolment is gone) the certificate's own, in `language`."""
    enrollment = (
        enrollments.load_enrollment(certificate.enrollment_id)
        if certificate.enrollment_id
        else None
    )
    if enrollment is not None and enrollment.completed_at is not None:
        return _printed_details(enrollment, language)
    return {"language": language}


def reissue(
    certificate: Certificate, actor: Actor, *, render: bool = True, unless_since=None
) -> bool:
    """Print the certificate again from today's details (name, course, design) as a new
    edition; with `unless_since`, only if it has no edition since then. Whether it did."""
    details = _todays_details(certificate, certificate.language)
    if not _new_edition(certificate, details, unless_since):
        return False
    _audit(certificate, CertificateAction.REISSUED, actor)
    if render:
        jobs.enqueue("certificates.render", certificate_id=certificate.id)
    return True


def change_language(certificate: Certificate, language: str, actor: Actor) -> bool:
    """Print the certificate in another language (a new edition); False if it already is."""
    if language not in LANGUAGES:
        raise CertificateError(_l("Choose Spanish, Portuguese or English."))
    if language == certificate.language:
        return False
    _new_edition(certificate, _todays_details(certificate, language))
    _audit(certificate, CertificateAction.LANGUAGE, actor, language)
    jobs.enqueue("certificates.render", certificate_id=certificate.id)
    return True


# Revoking -----------------------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise CertificateError(_l("Give the reason (it is kept in the certificate's history)."))
    if len(reason) > REASON_MAX:
        raise CertificateError(_l("Keep the reason under %(count)s characters.", count=REASON_MAX))
    return reason


def revoke(certificate: Certificate, reason: str, actor: Actor) -> None:
    """Revoke the certificate: from the next request on, verification says so."""
    reason = _check_reason(reason)
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == CertificateStatus.VALID)
        .values(status=CertificateStatus.REVOKED, revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyRevoked(_l("This certificate is already revoked."))
    db.session.refresh(certificate)
    _audit(certificate, CertificateAction.REVOKED, actor, reason)


def restore(certificate: Certificate, reason: str, actor: Actor) -> None:
    """Make a revoked certificate valid again."""
    reason = _check_reason(reason)
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == CertificateStatus.REVOKED)
        .values(status=CertificateStatus.VALID, revoked_at=None, revoked_reason=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NotRevoked(_l("This certificate is not revoked."))
    db.session.refresh(certificate)
    _audit(certificate, CertificateAction.RESTORED, actor, reason)


def _audit(certificate: Certificate, action: CertificateAction, actor: Actor, reason="") -> None:
    db.session.add(
        CertificateEvent(
            certificate_id=certificate.id,
            action=action,
            actor_id=actor.user_id,
            actor_label=actor.label[:300],
            reason=reason,
        )
    )
    db.session.flush()


def history(certificate: Certificate) -> list[CertificateEvent]:
    return list(
        db.session.scalars(
            select(CertificateEvent)
            .where(CertificateEvent.certificate_id == certificate.id)
            .order_by(CertificateEvent.id)
        )
    )


# Rendering ----------------------------------------------------------------------------------


def current_document(certificate: Certificate, *, with_data: bool = False):
    """The stored PDF of the certificate's current edition, or None while it is being made."""
    query = select(CertificateDocument).where(
        CertificateDocument.certificate_id == certificate.id,
        CertificateDocument.edition == certificate.edition,
    )
    if with_data:
        query = query.options(undefer(CertificateDocument.data))
    return db.session.scalar(query)


def printed_values(certificate: Certificate) -> dict:
    """The design's variables for the certificate (dates unformatted)."""
    return {
        "learner_name": certificate.learner_name,
        "course_title": certificate.course_title,
        "hours": certificate.hours,
        "season_name": certificate.season_name,
        "cohort_name": certificate.cohort_name or "",
        "completed_on": certificate.completed_on,
        "issued_on": certificate.issued_at.date(),
        "language": certificate.language,
        "code": certificate.grouped_code,
        "verify_url": verification_url(certificate),
    }


def verification_url(certificate: Certificate) -> str:
    return external_url("certificates.verify", code=certificate.grouped_code)


def render_document(certificate_id: int) -> tuple[CertificateDocument | None, bool]:
    """Render and store the current edition unless it is stored; and whether this call stored it.

    A failed render is tried again (CERTIFICATE_RENDER_ATTEMPTS in all, each time-limited),
    then RenderFailed. Nothing is written until a whole PDF exists.
    """
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return None, False
    found = current_document(certificate)
    if found is not None:
        return found, False
    course_slug = certificate.course_id and db.session.scalar(
        select(Course.slug).where(Course.id == certificate.course_id)
    )
    design = design_for(course_slug)
    values = printed_values(certificate)
    attempts = current_app.config["CERTIFICATE_RENDER_ATTEMPTS"]
    for attempt in range(1, attempts + 1):
        try:
            pdf = render_certificate(values, design)
            break
        except Exception as error:
            log.warning(
                "Certificate %s: render %s of %s failed: %s",
                certificate_id,
                attempt,
                attempts,
                error,
            )
            if attempt == attempts:
                raise RenderFailed(
                    _l("The PDF could not be made (%(error)s).", error=str(error)[:300])
                ) from error
            # A short pause first: a worker short of memory or a busy machine may recover.
            time.sleep(min(2**attempt, 10) * current_app.config.get("RENDER_RETRY_PAUSE", 1.0))
    inserted = insert_or_ignore(
        CertificateDocument,
        certificate_id=certificate.id,
        edition=certificate.edition,
        language=certificate.language,
        design_version=design.version,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        data=pdf,
        rendered_at=utcnow(),
    )
    if inserted:
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == certificate.id)
            .values(design=design.name, design_version=design.version)
            .execution_options(synchronize_session=False)
        )
    db.session.expire(certificate)
    return current_document(certificate), inserted


def render_and_tell(certificate_id: int) -> tuple[CertificateDocument | None, bool]:
    """Render the current edition unless it is stored; when this call stores the first
    edition's PDF, write the learner's "certificate ready" mail in the same transaction, so
    however many calls race, the learner gets it once."""
    document, stored = render_document(certificate_id)
    if stored and document.edition == 1:
        _tell_learner(db.session.get(Certificate, certificate_id))
    return document, stored


@jobs.task("certificates.render")
def render_task(certificate_id: int) -> None:
    """Background task: render the current edition; tell the learner when their first is ready."""
    render_and_tell(certificate_id)


def _tell_learner(certificate: Certificate) -> None:
    learner = db.session.get(User, certificate.user_id) if certificate.user_id else None
    if learner is None:
        return
    send_template_mail(
        learner.email,
        learner.locale,
        "certificates/mail/ready",
        _l("Your certificate is ready"),
        learner=learner,
        certificate=certificate,
        dashboard_url=external_url("learning.dashboard"),
        verify_url=verification_url(certificate),
    )
    notify(
        learner, READY, external_url("learning.dashboard"), course={"_": certificate.course_title}
    )


def request_document(certificate: Certificate) -> None:
    """Ask for the current edition to be rendered (again), e.g. when a download finds none."""
    jobs.enqueue("certificates.render", certificate_id=certificate.id)


# Bulk issuing -------------------------------------------------------------------------------


def completed_enrollment_ids(*, season_id: int, cohort_id: int | None = None) -> list[int]:
    """Completed enrolments of a season (or one cohort of it), in a stable order."""
    query = select(Enrollment.id).where(
        Enrollment.season_id == season_id, Enrollment.completed_at.is_not(None)
    )
    if cohort_id is not None:
        query = query.where(Enrollment.cohort_id == cohort_id)
    return list(db.session.scalars(query.order_by(Enrollment.id)))


def bulk_counts(enrollment_ids: list[int]) -> tuple[int, int]:
    """Of these enrolments, how many have a certificate and how many of those are revoked."""
    if not enrollment_ids:
        return 0, 0
    rows = db.session.execute(
        select(Certificate.status, func.count())
        .where(Certificate.enrollment_id.in_(enrollment_ids))
        .group_by(Certificate.status)
    ).all()
    counts = dict(rows)
    return sum(counts.values()), counts.get(CertificateStatus.REVOKED, 0)


jobs.job_kind("certificates.issue", _l("Certificates"))


def start_bulk_issue(title: str, enrollment_ids: list[int], *, again: bool, actor: Actor):
    """A job that issues (and with `again` re-issues) the certificates of these enrolments.

    Each enrolment is one unit (a task of its own), which any number of workers share; the
    job's figures are counted from the units' rows.
    """
    job = jobs.start_job("certificates.issue", title, actor.user_id)
    for enrollment_id in enrollment_ids:
        jobs.enqueue(
            "certificates.issue_one",
            unit_of=job,
            job_id=job.id,
            enrollment_id=enrollment_id,
            again=again,
            actor_id=actor.user_id,
            actor_label=actor.label,
        )
    return job


def _unit_label(enrollment_id: int, **_other) -> str:
    return _label_of(enrollment_id)


@jobs.task("certificates.issue_one", label=_unit_label)
def issue_one(
    job_id: int, enrollment_id: int, again: bool, actor_id: int | None, actor_label: str
) -> None:
    """Background task, one unit of a bulk issue: issue (or re-issue) and render one
    enrolment's certificate, and tell the learner once its first PDF is stored.

    Run again after any interruption, it changes nothing that is done: the certificate is
    inserted once (unique enrolment), re-issued only if it has no edition since the job
    started, the PDF stored once per edition, and the mail written with that PDF.
    """
    actor = Actor(actor_id, actor_label)
    try:
        certificate, created = issue_certificate(enrollment_id, actor, render=False)
        if not created and again and not certificate.revoked:
            started = db.session.scalar(select(Job.created_at).where(Job.id == job_id))
            reissue(certificate, actor, render=False, unless_since=started)
        # Commit before the slow render: on SQLite a write transaction held through it
        # would make every other worker wait.
        db.session.commit()
        if not certificate.revoked:
            render_and_tell(certificate.id)
    except CertificateError as error:
        db.session.rollback()
        raise jobs.UnitFailed(_label_of(enrollment_id), str(error)) from error


def _label_of(enrollment_id: int) -> str:
    enrollment = enrollments.load_enrollment(enrollment_id)
    if enrollment is None:
        return f"#{enrollment_id}"
    course = enrollment.course
    return f"{enrollment.user.full_name} · {localise(course.title, course.language)}"


# Reading --------------------------------------------------------------------------------------


def find_by_code(text: str) -> Certificate | None:
    """The certificate a typed or scanned code names, or None (whatever the text's shape)."""
    code = codes.normalise(text)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def public_record(certificate: Certificate) -> dict:
    """What anyone may know about a certificate: what it prints, and its status."""
    return {
        "code": certificate.grouped_code,
        "status": certificate.status.value,
        "revoked_on": certificate.revoked_at.date().isoformat() if certificate.revoked else None,
        "learner_name": certificate.learner_name,
        "course": certificate.course_title,
        "hours": certificate.hours,
        "season": certificate.season_name,
        "cohort": certificate.cohort_name,
        "completed_on": certificate.completed_on.isoformat(),
        "issued_on": certificate.issued_at.date().isoformat(),
        "language": certificate.language,
        "verification_url": verification_url(certificate),
    }


@dataclass(frozen=True)
class FileCheck:
    """What an uploaded file is to a certificate."""

    issued: bool  # byte for byte the PDF of the current edition
    earlier_edition_of: datetime | None = None  # an earlier edition's PDF, replaced then


def check_file(certificate: Certificate, data: bytes) -> FileCheck:
    """Compare a file with the PDFs issued for this certificate (by SHA-256)."""
    digest = hashlib.sha256(data).hexdigest()
    editions = list(
        db.session.scalars(
            select(CertificateDocument.edition).where(
                CertificateDocument.certificate_id == certificate.id,
                CertificateDocument.sha256 == digest,
            )
        )
    )
    if certificate.edition in editions:
        return FileCheck(issued=True)
    if editions:
        return FileCheck(issued=False, earlier_edition_of=certificate.edition_at)
    return FileCheck(issued=False)


def certificates_of(user: User) -> list[tuple[Certificate, bool]]:
    """The learner's certificates, newest first, each with whether its PDF is ready."""
    ready = (
        select(CertificateDocument.id)
        .where(
            CertificateDocument.certificate_id == Certificate.id,
            CertificateDocument.edition == Certificate.edition,
        )
        .exists()
    )
    rows = db.session.execute(
        select(Certificate, ready)
        .where(Certificate.user_id == user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    return [(certificate, bool(is_ready)) for certificate, is_ready in rows]


# Administrators' reading ----------------------------------------------------------------------


def search_certificates(text: str = "", *, season_id: int | None = None, status: str = ""):
    """A query of certificates, newest first: by name, course or code, season and status."""
    query = select(Certificate)
    text = " ".join(text.split())[:100]
    if text:
        code = codes.normalise(text)
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        matches = [
            Certificate.learner_name.ilike(pattern),
            Certificate.course_title.ilike(pattern),
        ]
        if code is not None:
            matches.append(Certificate.code == code)
        query = query.where(or_(*matches))
    if season_id is not None:
        query = query.where(Certificate.season_id == season_id)
    if status in {s.value for s in CertificateStatus}:
        query = query.where(Certificate.status == CertificateStatus(status))
    return query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def documents_of(certificate: Certificate) -> list[CertificateDocument]:
    """The stored PDFs of every edition (without their bytes), newest first."""
    return list(
        db.session.scalars(
            select(CertificateDocument)
            .where(CertificateDocument.certificate_id == certificate.id)
            .order_by(CertificateDocument.edition.desc())
        )
    )


@dataclass(frozen=True)
class ScopeCounts:
    """Completed enrolments of one course and cohort of a season, and their certificates."""

    course_id: int
    cohort_id: int | None
    completed: int
    certified: int
    revoked: int

    @property
    def missing(self) -> int:
        return self.completed - self.certified - self.revoked


def season_certificate_counts(season_id: int) -> list[ScopeCounts]:
    """Per course and cohort of the season: completed enrolments, valid and revoked
    certificates (one query, whatever the season's size)."""
    revoked = case((Certificate.status == CertificateStatus.REVOKED, 1), else_=0)
    rows = db.session.execute(
        select(
            Enrollment.course_id,
            Enrollment.cohort_id,
            func.count(Enrollment.id),
            func.count(Certificate.id) - func.coalesce(func.sum(revoked), 0),
            func.coalesce(func.sum(revoked), 0),
        )
        .outerjoin(Certificate, Certificate.enrollment_id == Enrollment.id)
        .where(Enrollment.season_id == season_id, Enrollment.completed_at.is_not(None))
        .group_by(Enrollment.course_id, Enrollment.cohort_id)
    ).all()
    return [ScopeCounts(*(int(v) if v is not None else None for v in row)) for row in rows]


@dataclass(frozen=True)
class SeasonOverview:
    """A season's certificate counts by course and cohort (in the courses' order), their
    total, and the courses and cohorts they name, by id."""

    rows: list[ScopeCounts]
    total: ScopeCounts
    courses: dict[int, Course]
    cohorts: dict[int, Cohort]


def season_overview(season_id: int) -> SeasonOverview:
    """What the season's certificates page shows, in three queries whatever its size."""
    rows = season_certificate_counts(season_id)
    courses = {
        course.id: course
        for course in db.session.scalars(
            select(Course).where(Course.id.in_({row.course_id for row in rows}))
        )
    }
    cohort_ids = {row.cohort_id for row in rows if row.cohort_id is not None}
    cohorts = {
        cohort.id: cohort
        for cohort in db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids)))
    }
    rows.sort(key=lambda row: (courses[row.course_id].position, row.cohort_id or 0))
    total = ScopeCounts(
        0,
        None,
        sum(row.completed for row in rows),
        sum(row.certified for row in rows),
        sum(row.revoked for row in rows),
    )
    return SeasonOverview(rows, total, courses, cohorts)
