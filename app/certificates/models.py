"""Certificates, their rendered documents and their audit trail."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, enum_column, utcnow
from app.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Certificate(db.Model):
    """A learner's certificate for one completed enrolment (at most one: a UNIQUE index).

    It keeps what is printed on it (name, course, hours, season, cohort, dates, language,
    design), so it reads the same after the course or the account changes. `edition` grows
    when it is re-issued or its language changes; each edition is rendered once.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        Index("uq_certificate_enrollment", "enrollment_id", unique=True),
        CheckConstraint("(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_has_date"),
        CheckConstraint("edition >= 1", name="edition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The verification code: 28 Crockford base32 characters (140 bits), stored ungrouped.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # Kept when the enrolment or the account is removed: a certificate stays verifiable.
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    season_id: Mapped[int | None] = mapped_column(
        ForeignKey("season.id", ondelete="SET NULL"), index=True
    )
    learner_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    hours: Mapped[int]
    season_name: Mapped[str] = mapped_column(String(120))
    cohort_name: Mapped[str | None] = mapped_column(String(120))
    completed_on: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(5))
    design: Mapped[str] = mapped_column(String(80))
    design_version: Mapped[str] = mapped_column(String(80))
    edition: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edition_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[CertificateStatus] = mapped_column(
        enum_column(CertificateStatus, "certificate_status"), default=CertificateStatus.VALID
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # Its place in the Bitstring Status Lists (app/certificates/credentials/status.py).
    credential_status_index: Mapped[int | None] = mapped_column(unique=True)

    documents: Mapped[list["CertificateDocument"]] = relationship(
        back_populates="certificate",
        order_by="CertificateDocument.edition",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    events: Mapped[list["CertificateEvent"]] = relationship(
        back_populates="certificate",
        order_by="CertificateEvent.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def grouped_code(self) -> str:
        from app.certificates.codes import group

        return group(self.code)

    @property
    def revoked(self) -> bool:
        return self.status == CertificateStatus.REVOKED

    def can_download(self, user) -> bool:
        """The learner it belongs to and administrators may download its PDF."""
        return user.is_authenticated and (user.id == self.user_id or user.is_admin)


class CertificateDocument(db.Model):
    """One edition of a certificate rendered to PDF, stored once and served as stored.

    Written in one statement after the render succeeded, so a failed or stopped render leaves
    nothing behind; UNIQUE (certificate, edition) keeps the first of two racing renders.
    """

    __tablename__ = "certificate_document"
    __table_args__ = (
        Index("uq_certificate_document_edition", "certificate_id", "edition", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"))
    edition: Mapped[int]
    language: Mapped[str] = mapped_column(String(5))
    design_version: Mapped[str] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="documents")


class CertificateAction(enum.StrEnum):
    ISSUED = "issued"
    REISSUED = "reissued"
    LANGUAGE = "language"
    REVOKED = "revoked"
    RESTORED = "restored"


class CertificateEvent(db.Model):
    """The audit trail: who did what to a certificate, when and why."""

    __tablename__ = "certificate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[CertificateAction] = mapped_column(
        enum_column(CertificateAction, "certificate_action")
    )
    # The person, when a person acted (None: the platform, e.g. on completion).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    # Who acted, as words that survive the account: an email or "command line".
    actor_label: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")
