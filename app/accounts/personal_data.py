"""What the accounts area keeps about a person (app/core/privacy.py): the account, its
signed-in sessions and the privacy notices accepted. Erased last: every other area's rows
hang on the account."""

from sqlalchemy import delete, select

from app.accounts.models import UserSession
from app.accounts.privacy import consents_of, erase_consents
from app.core.privacy import register_personal_data
from app.extensions import db


def _account(user) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "country_code": user.country_code,
        "institution": (
            {"acronym": user.institution.acronym, "name": user.institution.name}
            if user.institution is not None
            else None
        ),
        "institution_other": user.institution_other,
        "represents": user.represents,
        "locale": user.locale,
        "timezone": user.timezone,
        "data_saver": user.data_saver,
        "roles": sorted(role.value for role in user.roles),
        "created_at": user.created_at,
        "email_confirmed_at": user.email_confirmed_at,
        "password_changed_at": user.password_changed_at,
    }


def _erase_account(user) -> None:
    db.session.delete(user)
    db.session.flush()


register_personal_data(
    "account", tables=("user_account",), export=_account, erase=_erase_account, erase_order=100
)


def _sessions(user) -> list[dict]:
    # When each signed-in session began and ends; never its key (nor the key's hash).
    rows = db.session.execute(
        select(UserSession.created_at, UserSession.expires_at)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.created_at)
    )
    return [{"created_at": created, "expires_at": expires} for created, expires in rows]


def _erase_sessions(user) -> None:
    db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "sessions", tables=("user_session",), export=_sessions, erase=_erase_sessions, erase_order=90
)


def _consents(user) -> list[dict]:
    return [
        {"notice_version": c.notice_version, "accepted_at": c.accepted_at}
        for c in consents_of(user)
    ]


register_personal_data(
    "privacy_consents",
    tables=("privacy_consent",),
    export=_consents,
    erase=erase_consents,
    erase_order=90,
)


# Added with the security work (sessions, the security log, second factors) -----------------


def _security_log(user) -> list[dict]:
    from app.accounts.models import SecurityEvent

    rows = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.user_id == user.id).order_by(SecurityEvent.id)
    )
    return [
        {"kind": e.kind, "at": e.created_at, "address": e.address, "detail": e.detail} for e in rows
    ]


def _erase_security_log(user) -> None:
    from sqlalchemy import update

    from app.accounts.models import SecurityEvent

    db.session.execute(
        delete(SecurityEvent)
        .where(SecurityEvent.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    # What they did to others' accounts as administrators stays in those people's logs.
    db.session.execute(
        update(SecurityEvent)
        .where(SecurityEvent.actor_id == user.id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "security_log",
    tables=("security_event",),
    export=_security_log,
    erase=_erase_security_log,
    erase_order=90,
)


def _second_factors(user) -> dict:
    # That they exist and when they were made; never a secret, a key or a code's hash.
    from app.accounts.models import Passkey, RecoveryCode, TotpFactor

    app_factor = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    codes = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    passkeys = db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all()
    return {
        "authenticator_app_since": app_factor.created_at if app_factor else None,
        "recovery_codes": {"unused": sum(1 for c in codes if c.used_at is None), "all": len(codes)},
        "passkeys": [{"name": p.name, "created_at": p.created_at} for p in passkeys],
    }


def _erase_second_factors(user) -> None:
    from app.accounts.models import Passkey, RecoveryCode, TotpFactor

    for model in (TotpFactor, RecoveryCode, Passkey):
        db.session.execute(
            delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )


register_personal_data(
    "second_factors",
    tables=("totp_factor", "recovery_code", "passkey"),
    export=_second_factors,
    erase=_erase_second_factors,
    erase_order=90,
)


def _history(user) -> list[dict]:
    from app.accounts.models import AccountAction

    rows = db.session.scalars(
        select(AccountAction).where(AccountAction.user_id == user.id).order_by(AccountAction.id)
    )
    return [
        {"action": a.action, "summary": a.summary, "reason": a.reason, "at": a.created_at}
        for a in rows
    ]


def _erase_history(user) -> None:
    from sqlalchemy import update

    from app.accounts.models import AccountAction

    db.session.execute(
        delete(AccountAction)
        .where(AccountAction.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    # What they did about others as staff stays in those people's history, without their name.
    db.session.execute(
        update(AccountAction)
        .where(AccountAction.actor_id == user.id)
        .values(actor_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "staff_actions_about_them",
    tables=("account_action",),
    export=_history,
    erase=_erase_history,
    erase_order=90,
)
