"""Signed-in sessions kept on the server: each has a row; the cookie carries its random key.

A session ends when its owner signs out, ends it from their sessions page, changes their
password, or an administrator ends all of it; and by itself after SESSION_IDLE_TIMEOUT unused
or SESSION_LIFETIME after signing in (STAFF_* for tutors and administrators, whose sessions
can do more). The user and the session load in one statement; the last-seen time is written
at most once a minute, so most requests write nothing.
"""

import ipaddress
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, delete, select

from app.accounts import security_log
from app.accounts.models import SecurityEventKind, User, UserSession
from app.core.db import utcnow
from app.extensions import db

LAST_SEEN_EVERY = timedelta(minutes=1)


def limits_for(user: User) -> tuple[timedelta, timedelta]:
    """(idle timeout, lifetime) of the user's sessions."""
    config = current_app.config
    if user.is_admin or user.is_tutor:
        return config["STAFF_SESSION_IDLE_TIMEOUT"], config["STAFF_SESSION_LIFETIME"]
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_LIFETIME"]


def is_live(found: UserSession, now: datetime) -> bool:
    """Whether the session is neither idle too long nor too old (for its user's roles today)."""
    idle, lifetime = limits_for(found.user)
    return (
        now < found.expires_at
        and now < found.created_at + lifetime
        and now < found.last_seen_at + idle
    )


def start_session(user: User, how: str = "password") -> str:
    """Open a new session for the user and return its key (kept only in the cookie); `how`
    they proved who they are goes to the security log ("password", "password + app code",
    "passkey"...)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    _idle, lifetime = limits_for(user)
    agent = request.headers.get("User-Agent", "") if has_request_context() else ""
    db.session.add(
        UserSession(
            public_id=secrets.token_urlsafe(16),
            key_hash=UserSession.hash_key(key),
            user=user,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            user_agent=agent[:300] or None,
            address=security_log.request_address(),
        )
    )
    # Expired sessions of this user are swept as new ones open.
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < now)
    )
    db.session.flush()
    user.current_session_key = key
    security_log.record(SecurityEventKind.SIGNED_IN, user, detail=how)
    return key


# Built once: every signed-in request runs it (with the user and their institution, joined).
_BY_KEY_HASH = select(UserSession).where(UserSession.key_hash == bindparam("key_hash"))


def load_session(key: str) -> User | None:
    """The user of a live session, or None (one query; a write at most once a minute)."""
    found = db.session.scalar(_BY_KEY_HASH, {"key_hash": UserSession.hash_key(key)})
    now = utcnow()
    if found is None or not is_live(found, now):
        return None
    if now - found.last_seen_at >= LAST_SEEN_EVERY:
        found.last_seen_at = now  # committed with the request, if it succeeds
    found.user.current_session_key = key
    found.user.current_session_id = found.public_id
    return found.user


def end_session(key: str | None) -> None:
    """Close one session (sign out)."""
    if key:
        gone = db.session.execute(
            delete(UserSession)
            .where(UserSession.key_hash == UserSession.hash_key(key))
            .returning(UserSession.user_id)
        ).scalar()
        if gone is not None:
            security_log.record(SecurityEventKind.SIGNED_OUT, gone)


def end_session_by_id(user: User, public_id: str) -> bool:
    """Close one of the user's own sessions, named by its public id; False if it was not
    theirs or was already closed (nothing happens, and nothing tells which)."""
    ended = db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, UserSession.public_id == public_id
        )
    ).rowcount
    if ended:
        security_log.record(SecurityEventKind.SESSION_ENDED, user)
    return bool(ended)


def end_other_sessions(
    user: User, keep_key: str | None = None, *, actor: User | None = None, log: bool = True
) -> int:
    """Close every session of the user but the one given; how many."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_key:
        query = query.where(UserSession.key_hash != UserSession.hash_key(keep_key))
    ended = db.session.execute(query).rowcount
    if log and ended:
        security_log.record(SecurityEventKind.SESSIONS_ENDED, user, actor=actor, detail=str(ended))
    return ended


def sessions_of(user: User) -> list[UserSession]:
    """The user's live sessions, most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [row for row in rows if is_live(row, now)]


def remove_ended_sessions() -> int:
    """Delete every session past its absolute end or idle longer than any timeout allows."""
    config = current_app.config
    now = utcnow()
    longest_idle = max(config["SESSION_IDLE_TIMEOUT"], config["STAFF_SESSION_IDLE_TIMEOUT"])
    return db.session.execute(
        delete(UserSession).where(
            (UserSession.expires_at < now) | (UserSession.last_seen_at < now - longest_idle)
        )
    ).rowcount


def approximate_network(address: str | None) -> str:
    """The network an address belongs to (IPv4 /24, IPv6 /48): a rough "where", without the
    exact address and without a place database."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


_BROWSERS = [
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("Android", r"Android"),
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
]


def device_label(user_agent: str | None) -> str:
    """ "Firefox on Windows", from a User-Agent header; "" when it says nothing we know."""
    agent = user_agent or ""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, agent)), "")
    return " / ".join(part for part in (browser, system) if part)
