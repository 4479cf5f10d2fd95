"""Certificates, their rendered documents and their audit trail."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class Certificate(db.Model):
    """A learner's certificate for one completed enrolment (at most one: a UNIQUE index).

    What it prints is frozen when it is issued (name, course, hours, season, cohort, dates,
    institution, country, outcomes; `printed` holds what has no column of its own, the
    course's title and outcomes in every language among them), so it reads the same after the
    course or the account changes. Only an administrator changes the record: a name
    correction the holder asked for, or a re-issue with today's design and signatories; each
    such change is a new `edition`. An edition is printed once per language (a
    CertificateDocument each, at most one per language); `language` is the one its holder
    chose last, which downloads serve. Every language of the current edition is valid.
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
    # The frozen record beyond the columns above (see printed_record in services.py).
    printed: Mapped[dict] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
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

    def season_name_in(self, language: str) -> str:
        """The season's name as frozen at issue, in `language` where it had one."""
        return (self.printed or {}).get("season_names", {}).get(language) or self.season_name

    @property
    def revoked(self) -> bool:
        return self.status == CertificateStatus.REVOKED

    def can_download(self, user) -> bool:
        """The learner it belongs to and administrators may download its PDF."""
        return user.is_authenticated and (user.id == self.user_id or user.is_admin)


class CertificateDocument(db.Model):
    """One edition of a certificate in one language, rendered to PDF, stored once and served
    as stored.

    Written in one statement after the render succeeded, so a failed or stopped render leaves
    nothing behind; UNIQUE (certificate, edition, language) keeps the first of two racing
    renders and bounds an edition to one PDF per language.
    """

    __tablename__ = "certificate_document"
    __table_args__ = (
        Index(
            "uq_certificate_document_language",
            "certificate_id",
            "edition",
            "language",
            unique=True,
        ),
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
    NAME_REQUESTED = "name_requested"
    NAME_CORRECTED = "name_corrected"
    NAME_REFUSED = "name_refused"


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
    # A name correction's names: the one printed before and the one asked for or printed now.
    old_name: Mapped[str | None] = mapped_column(String(200))
    new_name: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    certificate: Mapped[Certificate] = relationship(back_populates="events")


class NameRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class NameCorrectionRequest(db.Model):
    """A holder asks for the name on their certificate to be corrected; an administrator
    approves (a new edition with the new name) or refuses, with a reason. At most one request
    per certificate waits at a time (a partial UNIQUE index)."""

    __tablename__ = "certificate_name_request"
    __table_args__ = (
        Index(
            "uq_certificate_name_request_pending",
            "certificate_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_has_date"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), index=True
    )
    current_name: Mapped[str] = mapped_column(String(200))
    requested_name: Mapped[str] = mapped_column(String(200))
    explanation: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NameRequestStatus] = mapped_column(
        enum_column(NameRequestStatus, "name_request_status"), default=NameRequestStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_by_label: Mapped[str] = mapped_column(String(300), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(Text, default="")

    certificate: Mapped[Certificate] = relationship()

    @property
    def pending(self) -> bool:
        return self.status == NameRequestStatus.PENDING


class Signatory(db.Model):
    """Someone who signs a course's certificates (or a season's, or a course's in one season):
    name, title and a picture of the signature, uploaded by an administrator and kept in the
    core storage. A certificate prints at most two, frozen in its record at each edition."""

    __tablename__ = "certificate_signatory"
    __table_args__ = (
        CheckConstraint("course_id IS NOT NULL OR season_id IS NOT NULL", name="has_scope"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), index=True
    )
    season_id: Mapped[int | None] = mapped_column(
        ForeignKey("season.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    signature_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Partner(db.Model):
    """A partner institution of a course, whose logo its certificates print (set by an
    administrator; the logo is checked as a picture and kept in the core storage)."""

    __tablename__ = "certificate_partner"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    logo_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
