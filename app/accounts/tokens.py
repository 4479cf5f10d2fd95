"""Signed, expiring tokens for links sent by mail.

A reset token carries a fingerprint of the password hash, so it stops working the moment the
password changes: it can be used once. A confirmation token carries the email it confirms.
"""

import hashlib

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

from app.accounts.models import User
from app.extensions import db


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"aula.{purpose}")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    """A token for resetting this user's password."""
    return _serializer("reset").dumps({"u": user.id, "p": _fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user a valid, unused, unexpired reset token belongs to, else None."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _serializer("reset").loads(token, max_age=max_age)
        user = db.session.get(User, int(data["u"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if user is None or data.get("p") != _fingerprint(user):
        return None
    return user


def make_confirm_token(user: User) -> str:
    """A token confirming that this user owns their email address."""
    return _serializer("confirm").dumps({"u": user.id, "e": user.email})


def user_for_confirm_token(token: str) -> User | None:
    """The user a valid confirmation token belongs to, else None."""
    max_age = current_app.config["EMAIL_CONFIRM_MAX_AGE"]
    try:
        data = _serializer("confirm").loads(token, max_age=max_age)
        user = db.session.get(User, int(data["u"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if user is None or data.get("e") != user.email:
        return None
    return user


# An invitation lasts two weeks unless INVITATION_MAX_AGE (seconds) says otherwise.
DEFAULT_INVITATION_MAX_AGE = 14 * 24 * 3600


def invitation_max_age() -> int:
    """How long an invitation link works, in seconds."""
    return int(current_app.config.get("INVITATION_MAX_AGE", DEFAULT_INVITATION_MAX_AGE))


def make_invitation_token(user: User) -> str:
    """A token with which an invited person chooses their first password.

    Like a reset token it carries the password-hash fingerprint: it stops working once a
    password is set, by this link or by a reset.
    """
    return _serializer("invitation").dumps({"u": user.id, "p": _fingerprint(user)})


def user_for_invitation_token(token: str) -> User | None:
    """The user a valid, unused, unexpired invitation token belongs to, else None."""
    try:
        data = _serializer("invitation").loads(token, max_age=invitation_max_age())
        user = db.session.get(User, int(data["u"]))
    except (BadData, KeyError, TypeError, ValueError):
        return None
    if user is None or data.get("p") != _fingerprint(user):
        return None
    return user
