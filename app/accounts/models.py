"""Accounts, their sessions and the network's institutions."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import UTCDateTime, enum_column, utcnow
from app.core.i18n import reader_language
from app.extensions import db


class Role(enum.StrEnum):
    """What a person may do. Everyone is a learner; tutor and admin are granted."""

    LEARNER = "learner"
    TUTOR = "tutor"
    ADMIN = "admin"


class Represents(enum.StrEnum):
    """The kind of organisation a person represents."""

    VTI = "vti"
    GOVERNMENT = "government"
    EMPLOYERS = "employers"
    WORKERS = "workers"
    OTHER = "other"


class Institution(db.Model):
    """A member institution of the network, offered in the registration picker."""

    __tablename__ = "institution"
    __table_args__ = (
        Index("uq_institution_acronym_country", "acronym", "country_code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    acronym: Mapped[str] = mapped_column(String(40))
    # The name in each of the platform's languages (the institution's own official name in
    # its own language); shown in the reader's language everywhere.
    name_es: Mapped[str] = mapped_column(String(200))
    name_pt: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    NAME_LANGUAGES = ("es", "pt", "en")

    def name_in(self, language: str) -> str:
        """The name in that language (English for a language it has no name in)."""
        return getattr(self, f"name_{language}", None) or self.name_en

    @property
    def names(self) -> dict[str, str]:
        return {language: self.name_in(language) for language in self.NAME_LANGUAGES}

    @property
    def name(self) -> str:
        """The name in the reader's language."""
        return self.name_in(reader_language())

    @property
    def label(self) -> str:
        return f"{self.acronym} — {self.name}"

    @classmethod
    def label_column(cls, language: str):
        """`label` in the reader's language as an SQL expression, for pages that read rows."""
        name = getattr(cls, f"name_{language}", None) if language in cls.NAME_LANGUAGES else None
        return cls.acronym + " — " + func.coalesce(name, cls.name_en)


class User(UserMixin, db.Model):
    """A person with an account."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("length(full_name) > 0", name="full_name_not_empty"),
        CheckConstraint(
            "institution_id IS NOT NULL OR coalesce(length(institution_other), 0) > 0",
            name="has_institution",
        ),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    country_code: Mapped[str] = mapped_column(String(2))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    institution_other: Mapped[str | None] = mapped_column(String(200))
    represents: Mapped[Represents] = mapped_column(enum_column(Represents, "represents"))
    locale: Mapped[str] = mapped_column(String(5), default="es")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_tutor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the person has a second factor (an authenticator app or a passkey): read with
    # the user, so no page asks the factor tables whether sign-in needs one.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Data saver: lessons show a tap-to-load link in place of each picture (app/offline).
    data_saver: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    institution: Mapped[Institution | None] = relationship(lazy="joined")

    # Set by the session loader: the key of the session this request belongs to.
    current_session_key = None
    current_session_id = None  # its public id

    def get_id(self) -> str | None:
        # Flask-Login keeps this in the cookie: the session's key, never the user id,
        # so that signing out (or a password change) ends the session for good.
        return self.current_session_key

    @property
    def roles(self) -> set[Role]:
        granted = {Role.LEARNER}
        if self.is_tutor:
            granted.add(Role.TUTOR)
        if self.is_admin:
            granted.add(Role.ADMIN)
        return granted

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def institution_label(self) -> str:
        """The institution as rosters, gradebooks and people lists show it: its acronym and
        its name in the reader's language, else the name the person typed in."""
        if self.institution is not None:
            return self.institution.label
        return self.institution_other or ""


class UserSession(db.Model):
    """A signed-in session. The cookie holds the key; the table holds only its hash.

    `public_id` (random) names the session on the person's sessions page; the device and the
    address it signed in from let them recognise it.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most once a minute (app/accounts/sessions.py), for the idle timeout.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The absolute end of the session, whatever its use.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class SecurityEventKind(enum.StrEnum):
    """What the security log records."""

    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event, not a password)
    PASSWORD_RESET = "password_reset"  # noqa: S105
    ROLES_CHANGED = "roles_changed"
    SESSION_ENDED = "session_ended"
    SESSIONS_ENDED = "sessions_ended"
    FACTOR_ADDED = "factor_added"
    FACTOR_REMOVED = "factor_removed"
    FACTORS_RESET = "factors_reset"
    SECOND_FACTOR_FAILED = "second_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    # A wrong password typed to confirm a change (the password itself, a factor's removal).
    REAUTH_FAILED = "reauth_failed"


class SecurityEvent(db.Model):
    """One line of the security log: what happened to an account, from where, and who did it
    when it was not the account's owner (an administrator). Kept SECURITY_LOG_DAYS days.

    A failed sign-in for an email without an account has no user (and keeps no email: people
    type passwords into the wrong field).
    """

    __tablename__ = "security_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[SecurityEventKind] = mapped_column(
        enum_column(SecurityEventKind, "security_event_kind")
    )
    address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class TotpFactor(db.Model):
    """A person's authenticator app: the shared secret and the last time step accepted (a
    code is accepted once: never again, nor any code of an earlier step)."""

    __tablename__ = "totp_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """A single-use code for when the second factor is lost; only its hash is kept."""

    __tablename__ = "recovery_code"
    __table_args__ = (Index("uq_recovery_code_user_hash", "user_id", "code_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A WebAuthn credential (a passkey): a second factor, or a sign-in without password."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def lower_email(value: str) -> str:
    """Emails are compared and stored lower-cased."""
    return value.strip().lower()


__all__ = [
    "Institution",
    "Passkey",
    "RecoveryCode",
    "Represents",
    "Role",
    "SecurityEvent",
    "SecurityEventKind",
    "TotpFactor",
    "User",
    "UserSession",
    "lower_email",
]


class AccountAction(db.Model):
    """What staff did about a person (more quiz attempts, a confirmation sent again, a place
    withdrawn, their sessions ended...), with who and why: the person page's history. Kept
    as long as the account; other areas write it through accounts.services.record_action."""

    __tablename__ = "account_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # a key of app/accounts/person_page.py
    summary: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
