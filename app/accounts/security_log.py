"""The security log: sign-ins and failures, password and role changes, sessions ended.

Each person reads their own lines (/account/security); administrators read everyone's
(/admin/security-log). Lines older than SECURITY_LOG_DAYS are removed by `flask users clean-up`.
"""

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from app.accounts.models import SecurityEvent, SecurityEventKind, User
from app.core.db import utcnow
from app.extensions import db

KIND_LABELS = {
    SecurityEventKind.SIGNED_IN: _l("Signed in"),
    SecurityEventKind.SIGN_IN_FAILED: _l("Failed sign-in"),
    SecurityEventKind.SIGNED_OUT: _l("Signed out"),
    SecurityEventKind.PASSWORD_CHANGED: _l("Password changed"),
    SecurityEventKind.PASSWORD_RESET: _l("Password set from an emailed link"),
    SecurityEventKind.ROLES_CHANGED: _l("Roles changed"),
    SecurityEventKind.SESSION_ENDED: _l("A session was signed out"),
    SecurityEventKind.SESSIONS_ENDED: _l("Sessions were signed out"),
    SecurityEventKind.FACTOR_ADDED: _l("Second factor added"),
    SecurityEventKind.FACTOR_REMOVED: _l("Second factor removed"),
    SecurityEventKind.FACTORS_RESET: _l("Second factors reset by an administrator"),
    SecurityEventKind.SECOND_FACTOR_FAILED: _l("Wrong second-factor code"),
    SecurityEventKind.RECOVERY_CODE_USED: _l("Recovery code used"),
    SecurityEventKind.REAUTH_FAILED: _l("Wrong password when confirming a change"),
}


def request_address() -> str | None:
    """The address the current request comes from (after trusted proxies), if any."""
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:45] or None


# Changes to how a person signs in are also mailed to them, so that a change they did not
# make does not go unseen.
NOTIFIED = {
    SecurityEventKind.PASSWORD_CHANGED,
    SecurityEventKind.PASSWORD_RESET,
    SecurityEventKind.FACTOR_ADDED,
    SecurityEventKind.FACTOR_REMOVED,
    SecurityEventKind.FACTORS_RESET,
}


def record(
    kind: SecurityEventKind,
    user: User | int | None,
    *,
    actor: User | None = None,
    detail: str | None = None,
    notify: bool = True,
) -> SecurityEvent:
    """Add a line to the security log (flushed with the request's other writes); a change to
    how the person signs in is mailed to them too (unless `notify` is false)."""
    user_id = user.id if isinstance(user, User) else user
    event = SecurityEvent(
        kind=kind,
        user_id=user_id,
        actor_id=actor.id if actor is not None and actor.id != user_id else None,
        address=request_address(),
        detail=(detail or None) and detail[:200],
    )
    db.session.add(event)
    db.session.flush()
    if notify and kind in NOTIFIED and isinstance(user, User):
        _mail_notice(user, event)
    return event


def _mail_notice(user: User, event: SecurityEvent) -> None:
    from flask_babel import force_locale, format_datetime

    from app.core.mail import send_template_mail

    base = current_app.config["BASE_URL"]
    with force_locale(user.locale):
        what = str(KIND_LABELS[event.kind])
        when = format_datetime(event.created_at, "medium", rebase=False) + " UTC"
    send_template_mail(
        user.email,
        user.locale,
        "accounts/mail/security_notice",
        _l("A change to how you sign in to Aula"),
        user=user,
        what=what,
        when=when,
        address=event.address,
        reset_url=base + "/forgot-password",
        log_url=base + "/account/security",
    )


def events_of(user: User):
    """A select of one person's lines (with the administrator who acted), newest first."""
    return (
        select(SecurityEvent)
        .options(joinedload(SecurityEvent.actor))
        .where(SecurityEvent.user_id == user.id)
        .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
    )


def all_events(kind: str = ""):
    """A select of everyone's lines (optionally of one kind), newest first, for pagination;
    the person and the actor come in the same statement."""
    stmt = select(SecurityEvent).options(
        joinedload(SecurityEvent.user), joinedload(SecurityEvent.actor)
    )
    if kind in set(SecurityEventKind):
        stmt = stmt.where(SecurityEvent.kind == SecurityEventKind(kind))
    return stmt.order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())


def remove_old_events(days: int | None = None) -> int:
    """Delete the lines older than the retention period; how many."""
    days = days if days is not None else current_app.config["SECURITY_LOG_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(
        delete(SecurityEvent).where(SecurityEvent.created_at < cutoff)
    ).rowcount
