"""Name corrections: the only way the name on a certificate changes after it is issued.

The holder asks from their dashboard; an administrator approves (a new edition with the new
name, rendered in the holder's language; earlier PDFs become earlier editions) or refuses,
with a reason. The request, the decision, both names, who and when go into the
certificate's history; the holder is told the decision by mail.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from app.accounts.models import User
from app.certificates import services
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateStatus,
    NameCorrectionRequest,
    NameRequestStatus,
)
from app.certificates.notification_kinds import NAME_DECIDED
from app.core.db import insert_or_ignore, utcnow
from app.extensions import db

NAME_MAX = 120  # as a profile's name
EXPLANATION_MAX = 1000


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise services.CertificateError(_l("Type the name as it should be printed."))
    if len(name) > NAME_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise services.CertificateError(
            _l("Keep the name under %(count)s characters.", count=NAME_MAX)
        )
    return name


def request_correction(
    certificate: Certificate, requested_name: str, explanation: str, holder: User
) -> NameCorrectionRequest:
    """The holder asks for `requested_name` to be printed instead; one request waits at a time."""
    name = _clean_name(requested_name)
    explanation = " ".join((explanation or "").split())
    if len(explanation) > EXPLANATION_MAX:
        raise services.CertificateError(
            _l("Keep the explanation under %(count)s characters.", count=EXPLANATION_MAX)
        )
    if certificate.revoked:
        raise services.AlreadyRevoked(_l("This certificate is revoked: its name is not changed."))
    if name == certificate.learner_name:
        raise services.CertificateError(_l("That is the name the certificate already prints."))
    inserted = insert_or_ignore(
        NameCorrectionRequest,
        certificate_id=certificate.id,
        current_name=certificate.learner_name,
        requested_name=name,
        explanation=explanation,
        status=NameRequestStatus.PENDING,
        requested_by_id=holder.id,
        requested_at=utcnow(),
        decision_reason="",
        decided_by_label="",
    )
    if not inserted:
        raise services.CertificateError(
            _l("A correction of this certificate's name is already waiting for an answer.")
        )
    services._audit(
        certificate,
        CertificateAction.NAME_REQUESTED,
        services.Actor.person(holder),
        explanation,
        old_name=certificate.learner_name,
        new_name=name,
    )
    return pending_request(certificate)


def pending_request(certificate: Certificate) -> NameCorrectionRequest | None:
    return db.session.scalar(
        select(NameCorrectionRequest).where(
            NameCorrectionRequest.certificate_id == certificate.id,
            NameCorrectionRequest.status == NameRequestStatus.PENDING,
        )
    )


def pending_requests() -> list[NameCorrectionRequest]:
    """Requests waiting for an administrator, oldest first, with their certificates."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(NameCorrectionRequest)
            .where(NameCorrectionRequest.status == NameRequestStatus.PENDING)
            .options(joinedload(NameCorrectionRequest.certificate))
            .order_by(NameCorrectionRequest.requested_at, NameCorrectionRequest.id)
        )
    )


def decide(
    request: NameCorrectionRequest, approve: bool, reason: str, actor: services.Actor
) -> None:
    """Approve (a new edition with the requested name) or refuse a waiting request."""
    reason = services._check_reason(reason)
    certificate = request.certificate
    status = NameRequestStatus.APPROVED if approve else NameRequestStatus.REFUSED
    result = db.session.execute(
        update(NameCorrectionRequest)
        .where(
            NameCorrectionRequest.id == request.id,
            NameCorrectionRequest.status == NameRequestStatus.PENDING,
        )
        .values(
            status=status,
            decided_by_id=actor.user_id,
            decided_by_label=actor.label[:300],
            decided_at=utcnow(),
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise services.CertificateError(_l("This request was already answered."))
    db.session.refresh(request)
    old_name = certificate.learner_name
    if approve:
        if certificate.status != CertificateStatus.VALID:
            raise services.AlreadyRevoked(_l("This certificate is revoked: restore it first."))
        if not services._new_edition(certificate, {"learner_name": request.requested_name}):
            raise services.CertificateError(_l("The certificate changed meanwhile: try again."))
        services._audit(
            certificate,
            CertificateAction.NAME_CORRECTED,
            actor,
            reason,
            old_name=old_name,
            new_name=request.requested_name,
        )
        services.request_document(certificate)
    else:
        services._audit(
            certificate,
            CertificateAction.NAME_REFUSED,
            actor,
            reason,
            old_name=old_name,
            new_name=request.requested_name,
        )
    services.tell_holder(
        certificate,
        NAME_DECIDED,
        "certificates/mail/name_decision",
        _l("Your certificate's name correction"),
        values={"approved": approve},
        request=request,
        approved=approve,
        reason=reason,
    )
