"""Second factors: an authenticator app (TOTP, RFC 6238) with single-use recovery codes, and
passkeys (WebAuthn, app/accounts/passkeys.py).

A TOTP code is accepted once: the time step it belongs to is stored with one guarded UPDATE,
and no code of that step or an earlier one is accepted again, so a code seen over someone's
shoulder (or replayed by two requests at once) does not work a second time. Recovery codes
are kept as hashes and spent with one guarded UPDATE each.
"""

import hashlib
import secrets
import time

import pyotp
import segno
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from app.accounts import passwords, security_log
from app.accounts.models import (
    Passkey,
    RecoveryCode,
    SecurityEventKind,
    TotpFactor,
    User,
)
from app.core.db import utcnow
from app.core.refusals import Refusal
from app.extensions import db

RECOVERY_CODES = 10
# A code of the step before or after the current one is accepted too (clocks drift).
DRIFT_STEPS = 1
ISSUER = "Aula"
# Recovery codes: 10 characters of base32 (no 0/1/8/9 to mistake for letters), 50 bits.
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class FactorError(Refusal):
    """A second-factor rule was broken; the message is for the person."""


class WrongPassword(FactorError):
    """The password typed to confirm a change is not the person's."""


def staff_must_have_one(user: User) -> bool:
    """Whether the person must set up a second factor before using the platform."""
    required = current_app.config["STAFF_SECOND_FACTOR_REQUIRED"]
    return required and (user.is_admin or user.is_tutor) and not user.second_factor


# The authenticator app ----------------------------------------------------------------


def new_totp_secret() -> str:
    """A fresh random secret (160 bits, base32), shown once to set up an app."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of a link, as an SVG data: URI for an <img> (the page's policy allows
    data: images; no markup of ours is built from it)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (within the drift allowed), or None."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(_utc(now))
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _utc(now: float | None):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(time.time() if now is None else now, UTC)


def totp_of(user: User) -> TotpFactor | None:
    return db.session.get(TotpFactor, user.id)


def enable_totp(user: User, secret: str, code: str) -> list[str]:
    """Keep the app's secret once the person proves it works with a code; returns new
    recovery codes (shown once)."""
    step = _matching_step(secret, code)
    if step is None:
        raise FactorError(_l("That code is not right. Check the time on your phone and try again."))
    if totp_of(user) is not None:
        raise FactorError(_l("An authenticator app is already set up."))
    db.session.add(TotpFactor(user_id=user.id, secret=secret, last_step=step))
    user.second_factor = True
    db.session.flush()
    security_log.record(SecurityEventKind.FACTOR_ADDED, user, detail="totp")
    return _new_recovery_codes(user) if not _has_recovery_codes(user) else []


def disable_totp(user: User, password: str) -> None:
    """Remove the authenticator app, after the person confirms with their password."""
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword(_l("The password is not correct."))
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    _after_removal(user, "totp")


def check_totp(user: User, code: str) -> bool:
    """Whether the code is right for the person's app and was never accepted before (its
    step is then spent, atomically)."""
    factor = totp_of(user)
    if factor is None:
        return False
    step = _matching_step(factor.secret, code)
    if step is None:
        return False
    spent = db.session.execute(
        update(TotpFactor)
        .where(
            TotpFactor.user_id == user.id,
            (TotpFactor.last_step.is_(None)) | (TotpFactor.last_step < step),
        )
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return spent == 1


# Recovery codes -----------------------------------------------------------------------


def _hash_code(code: str) -> str:
    # The codes are random (50 bits each), so a plain hash keeps them as safe as a slow one.
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _has_recovery_codes(user: User) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
    )


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes)
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    """New recovery codes (the old ones stop working), after the password is confirmed."""
    if not user.second_factor:
        raise FactorError(_l("Set up a second factor first."))
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword(_l("The password is not correct."))
    codes = _new_recovery_codes(user)
    security_log.record(SecurityEventKind.FACTOR_ADDED, user, detail="recovery codes")
    return codes


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one of the person's recovery codes; False if it is not one or was used."""
    if len(_normalise(code)) != 10:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent:
        security_log.record(SecurityEventKind.RECOVERY_CODE_USED, user)
    return spent == 1


def check_second_factor(user: User, code: str) -> str:
    """Accept an app code or a recovery code for the person (which one, for the log); raise
    FactorError otherwise (after which the view logs the failure)."""
    if check_totp(user, code):
        return "app code"
    if use_recovery_code(user, code):
        return "recovery code"
    raise FactorError(_l("That code is not right, or was already used."))


def record_failed_second_factor(user: User) -> None:
    security_log.record(SecurityEventKind.SECOND_FACTOR_FAILED, user)


def record_wrong_password(user: User) -> None:
    """Log a wrong password typed to confirm a change (after the refusal's rollback)."""
    security_log.record(SecurityEventKind.REAUTH_FAILED, user)


# Passkeys and the whole set -------------------------------------------------------------


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(
            select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)
        )
    )


def remove_passkey(user: User, public_id: str) -> bool:
    """Remove one of the person's own passkeys; False if it is not theirs or is gone."""
    removed = db.session.execute(
        delete(Passkey).where(Passkey.user_id == user.id, Passkey.public_id == public_id)
    ).rowcount
    if removed:
        _after_removal(user, "passkey")
    return bool(removed)


def _after_removal(user: User, what: str) -> None:
    db.session.flush()
    remaining = totp_of(user) is not None or bool(passkeys_of(user))
    user.second_factor = remaining
    if not remaining:
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    security_log.record(SecurityEventKind.FACTOR_REMOVED, user, detail=what)


def reset_factors(actor: User | None, user: User) -> None:
    """An administrator removes every second factor of a person who lost theirs (after
    checking who they are, outside the platform) and signs them out everywhere; audited.
    No actor: `flask users reset-factors`, on the server."""
    from app.accounts.sessions import end_other_sessions

    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.second_factor = False
    keep = actor.current_session_key if actor is not None and actor.id == user.id else None
    end_other_sessions(user, keep_key=keep, actor=actor, log=False)
    db.session.flush()
    security_log.record(
        SecurityEventKind.FACTORS_RESET,
        user,
        actor=actor,
        detail=None if actor is not None else "command line",
    )
