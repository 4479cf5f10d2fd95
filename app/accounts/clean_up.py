"""The accounts area's daily clean-up, run by the schedule (app/core/schedule.py, no crontab)
and by `flask users clean-up`: security-log lines past their keeping period, ended sessions,
and accounts registered but never confirmed (UNCONFIRMED_ACCOUNT_DAYS after registering).

An unconfirmed account cannot sign in, so it holds nothing but what registering wrote; it
is erased as its owner would erase it (app/core/privacy.py), which frees the email address.
Invited people (bulk enrolment) are left alone: their places wait for the administrator who
invited them, who can send the invitation again.
"""

from dataclasses import dataclass
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import select

from app.accounts import security_log, sessions
from app.accounts.models import User
from app.accounts.privacy import erase_account
from app.accounts.services import INVITED_HASH_PREFIX
from app.core import jobs, schedule
from app.core.db import utcnow
from app.extensions import db

# At most this many accounts a run: a backlog goes over the next days, never in one long run.
ACCOUNTS_PER_RUN = 500


@dataclass(frozen=True)
class Cleaned:
    events: int
    sessions: int
    accounts: int


def unconfirmed_accounts(days: int | None = None, limit: int = ACCOUNTS_PER_RUN) -> list[User]:
    """Accounts registered more than `days` ago (UNCONFIRMED_ACCOUNT_DAYS) whose email was
    never confirmed, oldest first; never staff, never invited people."""
    days = days or current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.email_confirmed_at.is_(None),
                User.created_at < utcnow() - timedelta(days=days),
                User.password_hash.not_like(f"{INVITED_HASH_PREFIX}%"),
                ~User.is_admin,
                ~User.is_tutor,
            )
            .order_by(User.created_at, User.id)
            .limit(limit)
        )
    )


def clean_up(log_days: int | None = None, unconfirmed_days: int | None = None) -> Cleaned:
    """Everything the clean-up removes, in the caller's transaction (flushes only)."""
    events = security_log.remove_old_events(log_days)
    ended = sessions.remove_ended_sessions()
    accounts = unconfirmed_accounts(unconfirmed_days)
    for user in accounts:
        erase_account(user, by="the clean-up (never confirmed)")
    return Cleaned(events, ended, len(accounts))


@jobs.task("accounts.clean_up")
def clean_up_task() -> None:
    clean_up()


schedule.daily_at("accounts.clean_up", "accounts.clean_up", time(3, 0))
