"""What the certificates area keeps about a person (app/core/privacy.py): their
certificates with the editions rendered and their history, and (administrators) what they
did to other people's certificates.

A certificate outlives its holder's account: its public record (the name as printed, course,
hours, season, cohort, dates, code, status) and its issued PDFs stay, so anyone holding a
certificate can still check it is genuine. Erasing detaches it from the account and the
enrolment and takes the holder's email out of its history.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.certificates.models import Certificate, CertificateEvent
from app.core.privacy import register_personal_data
from app.extensions import db

# Who acted, in a certificate's history, once its holder's account is gone.
HOLDER_LABEL = "holder (account deleted)"


def _actor(event: CertificateEvent, user) -> str:
    if event.actor_id == user.id:
        return "you"
    return "platform" if event.actor_id is None and event.actor_label == "platform" else "staff"


def _certificates(user) -> list[dict]:
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.user_id == user.id)
        .options(selectinload(Certificate.documents), selectinload(Certificate.events))
        .order_by(Certificate.id)
    )
    return [
        {
            "code": c.grouped_code,
            "enrollment_id": c.enrollment_id,
            "learner_name": c.learner_name,
            "course_title": c.course_title,
            "hours": c.hours,
            "season": c.season_name,
            "cohort": c.cohort_name,
            "completed_on": c.completed_on,
            "language": c.language,
            "edition": c.edition,
            "issued_at": c.issued_at,
            "status": c.status,
            "revoked_at": c.revoked_at,
            "revoked_reason": c.revoked_reason,
            "documents": [
                {
                    "edition": d.edition,
                    "language": d.language,
                    "sha256": d.sha256,
                    "size": d.size,
                    "rendered_at": d.rendered_at,
                }
                for d in c.documents
            ],
            "history": [
                {"action": e.action, "by": _actor(e, user), "reason": e.reason, "at": e.at}
                for e in c.events
            ],
        }
        for c in rows
    ]


def _erase_certificates(user) -> None:
    own = select(Certificate.id).where(Certificate.user_id == user.id)
    db.session.execute(
        update(CertificateEvent)
        .where(CertificateEvent.certificate_id.in_(own), CertificateEvent.actor_id == user.id)
        .values(actor_id=None, actor_label=HOLDER_LABEL)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Certificate)
        .where(Certificate.user_id == user.id)
        .values(user_id=None, enrollment_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "certificates",
    tables=("certificate", "certificate_document"),
    export=_certificates,
    erase=_erase_certificates,
    erase_order=10,
    kept=_l(
        "Your certificates' public record stays: the name as printed, the course, hours, "
        "season, cohort, dates, code and status, and the PDFs issued. Anyone you gave a "
        "certificate to (an employer, a ministry) must still be able to check that it is "
        "genuine; your email and your account are no longer linked to it."
    ),
)


def _actions_on_others(user) -> list[dict]:
    rows = db.session.execute(
        select(Certificate.code, CertificateEvent.action, CertificateEvent.at)
        .join(Certificate, Certificate.id == CertificateEvent.certificate_id)
        .where(
            CertificateEvent.actor_id == user.id,
            (Certificate.user_id != user.id) | Certificate.user_id.is_(None),
        )
        .order_by(CertificateEvent.id)
    )
    return [{"certificate": code, "action": action, "at": at} for code, action, at in rows]


def _erase_actions_on_others(user) -> None:
    # What staff did to someone else's certificate stays in that certificate's audit trail,
    # under the words that named them then; only the link to the account goes.
    db.session.execute(
        update(CertificateEvent)
        .where(CertificateEvent.actor_id == user.id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "certificate_actions",
    tables=("certificate_event",),
    export=_actions_on_others,
    erase=_erase_actions_on_others,
    erase_order=11,
    kept=_l(
        "If you acted on other people's certificates as staff (issued, revoked or restored "
        "one), those certificates' history keeps who did it, so that it can be audited."
    ),
)


def _name_requests(user) -> list[dict]:
    from app.certificates.models import NameCorrectionRequest

    rows = db.session.scalars(
        select(NameCorrectionRequest)
        .where(NameCorrectionRequest.requested_by_id == user.id)
        .order_by(NameCorrectionRequest.id)
    )
    return [
        {
            "current_name": r.current_name,
            "requested_name": r.requested_name,
            "explanation": r.explanation,
            "status": r.status,
            "requested_at": r.requested_at,
            "decided_at": r.decided_at,
            "decision_reason": r.decision_reason,
        }
        for r in rows
    ]


def _erase_name_requests(user) -> None:
    from sqlalchemy import delete

    from app.certificates.models import NameCorrectionRequest

    # Their own requests go (the certificate's history keeps what was decided); requests they
    # decided as staff stay with the certificates, under the label that named them then.
    db.session.execute(
        delete(NameCorrectionRequest)
        .where(NameCorrectionRequest.requested_by_id == user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(NameCorrectionRequest)
        .where(NameCorrectionRequest.decided_by_id == user.id)
        .values(decided_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "certificate_name_requests",
    tables=("certificate_name_request",),
    export=_name_requests,
    erase=_erase_name_requests,
    erase_order=9,
)
