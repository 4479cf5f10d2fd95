"""Privacy: the notice people accept when they register (and when), everything the platform
holds about a person as JSON, and deleting an account.

What each area keeps about a person is registered by that area (app/core/privacy.py, the
areas' `personal_data.py`); this module only loops over the registry.
"""

import hashlib
import logging
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ForeignKey, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts import passwords
from app.accounts.models import User
from app.core import privacy as registry
from app.core.db import UTCDateTime, insert_or_ignore, utcnow
from app.core.refusals import Refusal
from app.extensions import db

log = logging.getLogger("aula.security")

# The version of the privacy notice (templates/accounts/privacy/notice_text.html). Change it
# whenever what the notice says changes: consent is recorded against the version shown.
NOTICE_VERSION = "2026-12-03"

EXPORT_FORMAT = "aula-personal-data"

# A deletion must be confirmed within this many seconds of the password being checked.
CONFIRM_MAX_AGE = 15 * 60


class PrivacyConsent(db.Model):
    """A person accepted a version of the privacy notice, at a moment."""

    __tablename__ = "privacy_consent"
    __table_args__ = (
        Index("uq_privacy_consent_user_version", "user_id", "notice_version", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    notice_version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrivacyError(Refusal):
    """A privacy rule refused the action; the message is for the person."""


class ConsentMissing(PrivacyError):
    pass


class WrongPassword(PrivacyError):
    pass


class DeletionNotConfirmed(PrivacyError):
    pass


class LastAdministratorStays(PrivacyError):
    pass


def check_consent(notice_version: str) -> None:
    """Refuse unless the person accepted the notice in force."""
    if notice_version != NOTICE_VERSION:
        raise ConsentMissing(_l("Please accept the privacy notice to register."))


def record_consent(user: User, notice_version: str) -> None:
    """Keep that the person accepted this version of the notice, now (once: accepting the
    same version again keeps the first moment)."""
    check_consent(notice_version)
    insert_or_ignore(
        PrivacyConsent, user_id=user.id, notice_version=notice_version, accepted_at=utcnow()
    )


def has_accepted_current_notice(consents: list[PrivacyConsent]) -> bool:
    return any(c.notice_version == NOTICE_VERSION for c in consents)


def consents_of(user: User) -> list[PrivacyConsent]:
    return list(
        db.session.scalars(
            select(PrivacyConsent)
            .where(PrivacyConsent.user_id == user.id)
            .order_by(PrivacyConsent.accepted_at, PrivacyConsent.id)
        )
    )


def erase_consents(user: User) -> None:
    db.session.execute(
        delete(PrivacyConsent)
        .where(PrivacyConsent.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


# Export ------------------------------------------------------------------------------------


def export_personal_data(user: User) -> dict:
    """Everything every area holds about the user, as one JSON-ready document."""
    return {
        "format": EXPORT_FORMAT,
        "format_version": 1,
        "exported_at": utcnow().isoformat(),
        "privacy_notice_version": NOTICE_VERSION,
        **registry.export_everything(user),
    }


def export_filename(user: User) -> str:
    return f"aula-my-data-{utcnow().date().isoformat()}.json"


# Deletion ----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="aula-delete-account")


def _fingerprint(user: User) -> str:
    # Changes with the password (and ends the token with it): the token is only good for the
    # account as it was when its password was checked.
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:32]


def check_password_for_deletion(user: User, password: str) -> str:
    """Step one: the person types their password again; returns the confirmation token."""
    if not passwords.verify_password(user.password_hash, password or ""):
        log.info("account deletion: wrong password for user %s", user.id)
        raise WrongPassword(_l("The password is not correct."))
    _refuse_last_administrator(user)
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def _refuse_last_administrator(user: User) -> None:
    admins = db.session.scalar(select(func.count()).select_from(User).where(User.is_admin))
    if user.is_admin and admins <= 1:
        raise LastAdministratorStays(
            _l(
                "You are the last administrator: grant the role to someone else before "
                "deleting your account."
            )
        )


def check_confirmation(user: User, token: str) -> None:
    """Refuse unless the token was given to this account, as it is, in the last minutes."""
    try:
        data = _serializer().loads(token or "", max_age=CONFIRM_MAX_AGE)
    except SignatureExpired as error:
        raise DeletionNotConfirmed(
            _l("The confirmation took too long. Type your password again.")
        ) from error
    except BadSignature as error:
        raise DeletionNotConfirmed(_l("Please type your password again to confirm.")) from error
    if (
        not isinstance(data, dict)
        or data.get("u") != user.id
        or (data.get("f") != _fingerprint(user))
    ):
        raise DeletionNotConfirmed(_l("Please type your password again to confirm."))


def delete_account(user: User, confirmation: str) -> None:
    """Step two: the person confirmed; their account goes."""
    check_confirmation(user, confirmation)
    erase_account(user, by="its owner")


def erase_account(user: User, *, by: str) -> None:
    """Erase what every area holds about the person, then the account (one transaction: a
    refusal anywhere leaves everything as it was)."""
    _refuse_last_administrator(user)
    user_id = user.id
    registry.erase_everything(user)
    log.info("account %s deleted by %s", user_id, by)


def kept_after_deletion() -> list:
    """What stays after an account is deleted, and why, one sentence per area."""
    return registry.kept_after_erasure()
