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
from datetime import date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import undefer

from app.accounts.models import User
from app.accounts.services import external_url
from app.catalog.models import Course
from app.certificates import codes, signatories, signing
from app.certificates.designs import design_for, render_certificate
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDocument,
    CertificateEvent,
    CertificateStatus,
    NameCorrectionRequest,
    NameRequestStatus,
)
from app.certificates.notification_kinds import READY, REVOKED
from app.core import jobs
from app.core.db import equals_written, insert_or_ignore, read_rows, utcnow
from app.core.i18n import country_name, localise
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
    """What the certificate prints about the enrolment, frozen when it is issued: the columns,
    in `language`, and `printed`, the rest of the record (the course's title and outcomes in
    every language, so that any later edition in another language repeats the same course)."""
    course = enrollment.course
    user = enrollment.user
    titles = {lang: str(localise(course.title, course.language, lang))[:300] for lang in LANGUAGES}
    printed = {
        "titles": titles,
        "outcomes": {
            lang: [str(localise(outcome, course.language, lang)) for outcome in course.outcomes]
            for lang in LANGUAGES
        },
        # A listed institution prints its name in the certificate's language.
        "institutions": {
            lang: (user.institution.name_in(lang) if user.institution else user.institution_other)
            or ""
            for lang in LANGUAGES
        },
        "country": user.country_code or "",
        "season_names": {lang: enrollment.season.name_in(lang) for lang in LANGUAGES},
        "season_starts": enrollment.season.starts_on.isoformat(),
        "season_ends": enrollment.season.ends_on.isoformat(),
    }
    if enrollment.cohort is not None:
        printed["cohort_starts"] = enrollment.cohort.starts_on.isoformat()
        printed["cohort_ends"] = enrollment.cohort.ends_on.isoformat()
    printed.update(signatories.signing_for(enrollment.course_id, enrollment.season_id))
    return {
        "learner_name": user.full_name,
        "course_title": titles[language],
        "hours": course.hours,
        "season_name": enrollment.season.name,
        "cohort_name": enrollment.cohort.name if enrollment.cohort else None,
        "completed_on": enrollment.completed_at.date(),
        "language": language,
        "printed": printed,
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
            _queue_render(certificate)
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


def title_in(certificate: Certificate, language: str) -> str:
    """The course's title as frozen on the certificate, in `language` (certificates issued
    before titles were frozen in every language: the one they print)."""
    return (certificate.printed or {}).get("titles", {}).get(language) or certificate.course_title


def reissue(
    certificate: Certificate, actor: Actor, *, render: bool = True, unless_since=None
) -> bool:
    """Print the certificate again as a new edition with today's design, signatories and
    partners; what it certifies (name, course, hours, dates) stays as issued. With
    `unless_since`, only if it has no edition since then. Whether it did."""
    printed = {
        **(certificate.printed or {}),
        **signatories.signing_for(certificate.course_id, certificate.season_id),
    }
    if not _new_edition(certificate, {"printed": printed}, unless_since):
        return False
    _audit(certificate, CertificateAction.REISSUED, actor)
    if render:
        _queue_render(certificate)
    return True


def change_language(certificate: Certificate, language: str, actor: Actor) -> bool:
    """Make `language` the one the holder downloads; False if it already is.

    Its PDF is printed once per edition (a language already printed is served as stored), and
    every language printed stays valid: the same edition, the same record.
    """
    if language not in LANGUAGES:
        raise CertificateError(_l("Choose Spanish, Portuguese or English."))
    if language == certificate.language:
        return False
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.status == CertificateStatus.VALID)
        .values(language=language, course_title=title_in(certificate, language))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(certificate)
    if result.rowcount != 1:
        raise AlreadyRevoked(_l("This certificate is revoked: restore it first."))
    if document_of(certificate.id, certificate.edition, language) is not None:
        return True
    printed_before = db.session.scalar(
        select(CertificateEvent.id).where(
            CertificateEvent.certificate_id == certificate.id,
            CertificateEvent.action == CertificateAction.LANGUAGE,
            CertificateEvent.reason == language,
            CertificateEvent.at >= certificate.edition_at,
        )
    )
    if printed_before is None:
        _audit(certificate, CertificateAction.LANGUAGE, actor, language)
    _queue_render(certificate)
    return True


def _queue_render(certificate: Certificate) -> None:
    """Render the certificate's current edition in its current language, after the commit.
    The task names both, so quick language switches each get the PDF they asked for."""
    jobs.enqueue(
        "certificates.render",
        certificate_id=certificate.id,
        edition=certificate.edition,
        language=certificate.language,
    )


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
    signing.record_status_change(certificate)
    _audit(certificate, CertificateAction.REVOKED, actor, reason)
    tell_holder(
        certificate,
        REVOKED,
        "certificates/mail/revoked",
        _l("Your certificate was revoked"),
        reason=reason,
    )


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
    signing.record_status_change(certificate)
    _audit(certificate, CertificateAction.RESTORED, actor, reason)


def _audit(
    certificate: Certificate,
    action: CertificateAction,
    actor: Actor,
    reason="",
    *,
    old_name: str | None = None,
    new_name: str | None = None,
) -> None:
    db.session.add(
        CertificateEvent(
            certificate_id=certificate.id,
            action=action,
            old_name=old_name,
            new_name=new_name,
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


def document_of(
    certificate_id: int, edition: int, language: str, *, with_data: bool = False
) -> CertificateDocument | None:
    """The stored PDF of one edition of a certificate in one language, or None."""
    query = select(CertificateDocument).where(
        CertificateDocument.certificate_id == certificate_id,
        CertificateDocument.edition == edition,
        CertificateDocument.language == language,
    )
    if with_data:
        query = query.options(undefer(CertificateDocument.data))
    return db.session.scalar(query)


def current_document(certificate: Certificate, *, with_data: bool = False):
    """The stored PDF of the certificate's current edition in the language its holder chose,
    or None while it is being made."""
    return document_of(
        certificate.id, certificate.edition, certificate.language, with_data=with_data
    )


def _dates(printed: dict, start: str, end: str) -> tuple[date, date] | None:
    if printed.get(start) and printed.get(end):
        return date.fromisoformat(printed[start]), date.fromisoformat(printed[end])
    return None


def printed_values(certificate: Certificate, language: str | None = None) -> dict:
    """The design's variables for the certificate in `language` (default: its current one),
    dates unformatted. Everything comes from the certificate's frozen record."""
    language = language or certificate.language
    printed = certificate.printed or {}
    outcomes = printed.get("outcomes", {})
    return {
        "learner_name": certificate.learner_name,
        "course_title": title_in(certificate, language),
        "hours": certificate.hours,
        "season_name": certificate.season_name_in(language),
        "season_dates": _dates(printed, "season_starts", "season_ends"),
        "cohort_name": certificate.cohort_name or "",
        "cohort_dates": _dates(printed, "cohort_starts", "cohort_ends"),
        "completed_on": certificate.completed_on,
        "issued_on": certificate.issued_at.date(),
        "language": language,
        "institution": printed.get("institutions", {}).get(language)
        or printed.get("institution", ""),  # certificates issued before names had languages
        "country": country_name(printed.get("country"), language),
        "outcomes": outcomes.get(language) or next(iter(outcomes.values()), []),
        "signatories": printed.get("signatories", []),
        "partners": printed.get("partners", []),
        "pictures": signatories.pictures_of(printed),
        "code": certificate.grouped_code,
        "verify_url": verification_url(certificate),
    }


def verification_url(certificate: Certificate) -> str:
    return external_url("certificates.verify", code=certificate.grouped_code)


def render_document(
    certificate_id: int, edition: int | None = None, language: str | None = None
) -> tuple[CertificateDocument | None, bool]:
    """Render and store one edition in one language unless it is stored (default: the current
    edition in the current language); and whether this call stored it.

    An edition already replaced is not rendered (None, False): whoever replaced it asked for
    the new one. What is rendered is read once, at the start, so a language switch or a name
    correction meanwhile changes nothing in this PDF, which is stored under the edition and
    language it shows. A failed render is tried again (CERTIFICATE_RENDER_ATTEMPTS in all,
    each time-limited), then RenderFailed. Nothing is written until a whole PDF exists.
    """
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return None, False
    edition = edition or certificate.edition
    language = language if language in LANGUAGES else certificate.language
    if edition != certificate.edition:
        return None, False
    found = document_of(certificate.id, edition, language)
    if found is not None:
        return found, False
    course_slug = certificate.course_id and db.session.scalar(
        select(Course.slug).where(Course.id == certificate.course_id)
    )
    design = design_for(course_slug)
    values = printed_values(certificate, language)
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
    # The PDF's bytes are final from here: what is stored, served and checked by SHA-256.
    pdf = signing.seal(certificate, pdf, language)
    inserted = insert_or_ignore(
        CertificateDocument,
        certificate_id=certificate_id,
        edition=edition,
        language=language,
        design_version=design.version,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        data=pdf,
        rendered_at=utcnow(),
    )
    if inserted:
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == certificate_id, Certificate.edition == edition)
            .values(design=design.name, design_version=design.version)
            .execution_options(synchronize_session=False)
        )
    db.session.expire(certificate)
    return document_of(certificate_id, edition, language), inserted


def render_and_tell(
    certificate_id: int, edition: int | None = None, language: str | None = None
) -> tuple[CertificateDocument | None, bool]:
    """Render an edition unless it is stored; when this call stores the certificate's very
    first PDF, write the learner's "certificate ready" mail in the same transaction, so
    however many calls race, the learner gets it once."""
    document, stored = render_document(certificate_id, edition, language)
    if stored and document is not None and document.edition == 1:
        others = db.session.scalar(
            select(func.count())
            .select_from(CertificateDocument)
            .where(
                CertificateDocument.certificate_id == certificate_id,
                CertificateDocument.id != document.id,
            )
        )
        if not others:
            _tell_learner(db.session.get(Certificate, certificate_id))
    return document, stored


@jobs.task("certificates.render")
def render_task(
    certificate_id: int, edition: int | None = None, language: str | None = None
) -> None:
    """Background task: render an edition in a language (default: the current ones); tell
    the learner when their first PDF is ready."""
    render_and_tell(certificate_id, edition, language)


def _tell_learner(certificate: Certificate) -> None:
    tell_holder(
        certificate,
        READY,
        "certificates/mail/ready",
        _l("Your certificate is ready"),
        dashboard_url=external_url("learning.dashboard"),
    )


def tell_holder(
    certificate: Certificate,
    kind: str,
    template: str,
    subject,
    *,
    values: dict | None = None,
    **context,
) -> None:
    """Mail the certificate's holder (if their account still exists), in their language, and
    tell their notification centre: `kind` (notification_kinds.py) with `values` beside the
    course's title."""
    learner = db.session.get(User, certificate.user_id) if certificate.user_id else None
    if learner is None:
        return
    send_template_mail(
        learner.email,
        learner.locale,
        template,
        subject,
        learner=learner,
        certificate=certificate,
        verify_url=verification_url(certificate),
        **context,
    )
    notify(
        learner,
        kind,
        external_url("learning.dashboard"),
        course={"_": certificate.course_title},
        **(values or {}),
    )


def request_document(certificate: Certificate) -> None:
    """Ask for the current edition to be rendered (again), e.g. when a download finds none."""
    _queue_render(certificate)


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
        "edition": certificate.edition,
        "languages": edition_languages(certificate),
        "verification_url": verification_url(certificate),
    }


@dataclass(frozen=True)
class FileCheck:
    """What an uploaded file is to a certificate."""

    issued: bool  # byte for byte a PDF of the current edition, in one of its languages
    language: str | None = None  # the language of that PDF
    earlier_edition_of: datetime | None = None  # an earlier edition's PDF, replaced then


def check_file(certificate: Certificate, data: bytes) -> FileCheck:
    """Compare a file with the PDFs issued for this certificate (by SHA-256): every language
    of the current edition is the issued file; an earlier edition's is not."""
    digest = hashlib.sha256(data).hexdigest()
    matches = db.session.execute(
        select(CertificateDocument.edition, CertificateDocument.language).where(
            CertificateDocument.certificate_id == certificate.id,
            CertificateDocument.sha256 == digest,
        )
    ).all()
    for edition, language in matches:
        if edition == certificate.edition:
            return FileCheck(issued=True, language=language)
    if matches:
        return FileCheck(issued=False, earlier_edition_of=certificate.edition_at)
    return FileCheck(issued=False)


def edition_languages(certificate: Certificate) -> list[str]:
    """The languages the current edition is printed in (each one a valid PDF)."""
    printed = set(
        db.session.scalars(
            select(CertificateDocument.language).where(
                CertificateDocument.certificate_id == certificate.id,
                CertificateDocument.edition == certificate.edition,
            )
        )
    )
    return [language for language in LANGUAGES if language in printed]


@dataclass(frozen=True, slots=True)
class HeldCertificate:
    """A learner's certificate as their dashboard lists it: the columns it shows, read as
    plain values (no ORM object built on every dashboard), with the model's own properties."""

    id: int
    code: str
    language: str
    course_title: str
    learner_name: str
    season_name: str
    cohort_name: str | None
    issued_at: datetime
    status: CertificateStatus
    revoked_at: datetime | None
    printed: dict

    grouped_code = Certificate.grouped_code
    season_name_in = Certificate.season_name_in
    revoked = Certificate.revoked


# Built once: every dashboard runs it.
_CERTIFICATES_OF = (
    select(
        *(getattr(Certificate, name) for name in HeldCertificate.__dataclass_fields__),
        select(CertificateDocument.id)
        .where(
            CertificateDocument.certificate_id == Certificate.id,
            CertificateDocument.edition == Certificate.edition,
            CertificateDocument.language == Certificate.language,
        )
        .exists()
        .label("ready"),
        select(NameCorrectionRequest.requested_name)
        .where(
            NameCorrectionRequest.certificate_id == Certificate.id,
            equals_written(NameCorrectionRequest.status, NameRequestStatus.PENDING),
        )
        .scalar_subquery()
        .label("waiting"),
    )
    .where(Certificate.user_id == bindparam("user"))
    .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
)
_HELD = len(HeldCertificate.__dataclass_fields__)


def certificates_of(user: User) -> list[tuple[HeldCertificate, bool, str | None]]:
    """The learner's certificates, newest first, each with whether its PDF is ready and the
    name of a correction waiting for an answer (None: none waits); one query, read as
    committed (`read_rows`)."""
    return [
        (HeldCertificate(*row[:_HELD]), bool(row.ready), row.waiting)
        for row in read_rows(_CERTIFICATES_OF, {"user": user.id})
    ]


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
