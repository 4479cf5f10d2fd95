"""Passkeys (WebAuthn): added from the two-factor page, used as the sign-in's second step or to
sign in without a password (a passkey asks for the device's PIN or biometrics: two factors in
one). The `webauthn` library checks every signature, challenge, origin and counter.

The relying party is the host of BASE_URL (PASSKEY_RP_ID overrides it), the expected origin
BASE_URL itself: browsers refuse passkeys for a bare IP address, so a deployment serves a name.
"""

import json
import secrets
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts import security_log
from app.accounts.factors import FactorError
from app.accounts.models import Passkey, SecurityEventKind, User
from app.core.db import utcnow
from app.extensions import db

MAX_PASSKEYS = 10


class PasskeyError(FactorError):
    pass


def relying_party() -> tuple[str, str]:
    """(RP id, expected origin)."""
    base = current_app.config["BASE_URL"]
    parts = urlsplit(base)
    rp_id = current_app.config.get("PASSKEY_RP_ID") or parts.hostname or "localhost"
    return rp_id, f"{parts.scheme}://{parts.netloc}"


def _user_handle(user: User) -> bytes:
    # A stable, opaque handle: not the email, not the plain id.
    import hashlib

    secret = current_app.config["SECRET_KEY"].encode()
    return hashlib.sha256(secret + b"passkey-user:" + str(user.id).encode()).digest()


def registration_options(user: User) -> tuple[str, bytes]:
    """Options for navigator.credentials.create(), as JSON, and the challenge to keep."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Aula",
        user_name=user.email,
        user_id=_user_handle(user),
        user_display_name=user.full_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_b64(p.credential_id))
            for p in db.session.scalars(select(Passkey).where(Passkey.user_id == user.id))
        ],
    )
    return options_to_json(options), options.challenge


def _b64(value: str) -> bytes:
    from webauthn import base64url_to_bytes

    return base64url_to_bytes(value)


def add_passkey(user: User, credential: dict | str, challenge: bytes, name: str) -> Passkey:
    """Keep a new passkey once its registration checks out."""
    rp_id, origin = relying_party()
    count = len(db.session.scalars(select(Passkey.id).where(Passkey.user_id == user.id)).all())
    if count >= MAX_PASSKEYS:
        raise PasskeyError(_l("You have as many passkeys as allowed. Remove one first."))
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError(_l("The passkey could not be added. Please try again.")) from error
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError(_l("This passkey is already registered."))
    passkey = Passkey(
        public_id=secrets.token_urlsafe(16),
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        name=(name or "").strip()[:60] or str(_l("Passkey")),
    )
    db.session.add(passkey)
    user.second_factor = True
    db.session.flush()
    security_log.record(SecurityEventKind.FACTOR_ADDED, user, detail="passkey")
    return passkey


def authentication_options(user: User | None) -> tuple[str, bytes]:
    """Options for navigator.credentials.get(): the person's passkeys when they are known
    (second step), else any passkey of this site (sign-in without a password)."""
    rp_id, _origin = relying_party()
    allowed = []
    if user is not None:
        allowed = [
            PublicKeyCredentialDescriptor(id=_b64(p.credential_id))
            for p in db.session.scalars(select(Passkey).where(Passkey.user_id == user.id))
        ]
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options), options.challenge


def authenticate(credential: dict | str, challenge: bytes, user: User | None = None) -> User:
    """The person whose passkey signed the challenge (it must be `user`'s when given)."""
    refused = PasskeyError(_l("This passkey was not accepted."))
    try:
        data = json.loads(credential) if isinstance(credential, str) else credential
        credential_id = str(data["id"])[:1400]
    except (ValueError, TypeError, KeyError):
        raise refused from None
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if passkey is None or (user is not None and passkey.user_id != user.id):
        raise refused
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=data,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise refused from error
    # The counter moves forward once (a cloned authenticator replaying an old count fails).
    moved = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise refused
    return db.session.get(User, passkey.user_id)
