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
