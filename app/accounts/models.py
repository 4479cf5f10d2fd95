"""Accounts, their sessions and the network's institutions."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, false, true
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
    # Data saver: lessons show a tap-to-load link in place of each picture (app/offline).
    data_saver: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    institution: Mapped[Institution | None] = relationship(lazy="joined")

    # Set by the session loader: the key of the session this request belongs to.
    current_session_key = None

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
        if self.institution is not None:
            return self.institution.acronym
        return self.institution_other or ""


class UserSession(db.Model):
    """A signed-in session. The cookie holds the key; the table holds only its hash."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


def lower_email(value: str) -> str:
    """Emails are compared and stored lower-cased."""
    return value.strip().lower()


__all__ = ["Institution", "Represents", "Role", "User", "UserSession", "lower_email"]
