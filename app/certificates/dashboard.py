"""The learner's certificates as a section of their dashboard (app/learning/dashboard.py)."""

from sqlalchemy import bindparam, select

from app.certificates.forms import LanguageChoiceForm, NameCorrectionForm
from app.certificates.models import Certificate, CertificateDocument
from app.certificates.services import certificates_of
from app.extensions import db
from app.learning.dashboard import (
    CourseNote,
    DashboardSection,
    register_course_note,
    register_section,
)


def _certificates(user) -> list:
    """(certificate, PDF ready, the form to print it in another language, the name of a
    correction waiting for an answer, the form to ask for one), newest first."""
    return [
        (
            certificate,
            ready,
            LanguageChoiceForm(formdata=None, language=certificate.language),
            waiting,
            NameCorrectionForm(formdata=None),
        )
        for certificate, ready, waiting in certificates_of(user)
    ]


register_section(
    DashboardSection(
        name="certificates",
        template="certificates/_dashboard.html",
        load=_certificates,
        present=select(Certificate.id).where(Certificate.user_id == bindparam("user")).exists(),
    )
)


def certificates_of_enrollments(enrollments: list) -> dict[int, tuple]:
    """{enrolment id: (its certificate or None while it is being issued, PDF ready)} for the
    completed enrolments among `enrollments`, in one query."""
    completed = [e.id for e in enrollments if e.completed_at is not None]
    if not completed:
        return {}
    ready = (
        select(CertificateDocument.id)
        .where(
            CertificateDocument.certificate_id == Certificate.id,
            CertificateDocument.edition == Certificate.edition,
        )
        .exists()
    )
    found = {
        certificate.enrollment_id: (certificate, bool(is_ready))
        for certificate, is_ready in db.session.execute(
            select(Certificate, ready).where(Certificate.enrollment_id.in_(completed))
        )
    }
    return {enrollment_id: found.get(enrollment_id, (None, False)) for enrollment_id in completed}


# Each completed course's card (dashboard) and home page lead to its certificate.
register_course_note(
    CourseNote(
        name="certificate",
        template="certificates/_course_note.html",
        load=certificates_of_enrollments,
    )
)
