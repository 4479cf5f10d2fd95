"""Outgoing mail through an outbox: every mail is a row written in the transaction that causes
it, and leaves only once that transaction commits.

With SMTP configured, each committed mail is delivered by a background task (app/core/jobs.py),
so a request never waits on the mail server, a mail server that is down loses nothing (the
mail stays pending, with its error, for `flask mail send-pending`), and a transaction that
rolls back sends nothing. A delivered mail keeps its recipient and subject but not its body,
which may hold one-time links. Without SMTP, mail is kept for reading in development
(/admin/outbox) and written to the log.
"""

import logging
import re
import smtplib
import sys
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import and_, func, or_, select, update

from app.core import jobs, schedule
from app.core.db import utcnow
from app.core.models import MailState, OutboxMessage
from app.extensions import db

log = logging.getLogger(__name__)
_LINK = re.compile(r"https?://[^\s<>\"']+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

DELIVER = "mail.deliver"
# `flask mail send-pending` leaves a mail alone after this many failed deliveries.
MAX_ATTEMPTS = 10
# A mail claimed this long ago by a worker that never finished (it died) may be sent again.
SENDING_LEASE = timedelta(minutes=10)


# Header fields a caller may add (never From, To or Subject, which the outbox writes).
EXTRA_HEADERS = {"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Auto-Submitted"}


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Send a plain-text mail once the current transaction commits (or keep it, without SMTP).

    `headers` may add the fields in EXTRA_HEADERS (a one-click unsubscribe, say)."""
    smtp = bool(current_app.config["SMTP_HOST"])
    if headers:
        unknown = set(headers) - EXTRA_HEADERS
        if unknown or any(_CONTROL.search(value) for value in headers.values()):
            raise ValueError(f"header fields the outbox does not add: {sorted(unknown)}")
    message = OutboxMessage(
        recipient=to,
        subject=subject[:300],
        body=body,
        headers=dict(headers) if headers else None,
        state=MailState.PENDING if smtp else MailState.KEPT,
    )
    db.session.add(message)
    db.session.flush()
    if smtp:
        jobs.enqueue(DELIVER, message_id=message.id)
    else:
        # Without SMTP (development): the subject and the mail's links reach the console, so a
        # confirmation or reset link is one click away without opening the outbox.
        links = "".join(f"\n  {link}" for link in _LINK.findall(body))
        log.info("Mail kept (no SMTP) to %s: %s%s", to, subject, links)
        if current_app.config.get("MAIL_TO_CONSOLE"):
            print(f"Mail kept (no SMTP) to {to}: {subject}{links}", file=sys.stderr, flush=True)


def send_template_mail(
    to: str, locale: str, template: str, subject: str, headers=None, **context
) -> None:
    """Render `<template>.txt` in the recipient's language and send it.

    `subject` is a lazy or plain string; it is resolved inside the recipient's locale.
    """
    with force_locale(locale):
        body = render_template(f"{template}.txt", **context)
        send_mail(to, str(subject), body, headers=headers)


class DeliveryFailed(Exception):
    """The SMTP server refused a mail or could not be reached; it stays pending."""


@jobs.task(DELIVER)
def deliver(message_id: int) -> None:
    """Hand one pending mail to the SMTP server, unless another delivery has it or it is sent.

    The mail is claimed first (one guarded UPDATE, committed), so two deliveries of one mail
    (a retry queued while the first still waits in the queue, say) never both send it. A
    failure puts it back to pending with the reason (and is raised, so a queue that retries
    tries again); success clears its body.
    """
    now = utcnow()
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _deliverable(now))
        .values(state=MailState.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(claim).rowcount == 1
    db.session.commit()
    if not claimed:
        return  # sent, kept, unknown, or in another delivery's hands
    message = db.session.get(OutboxMessage, message_id)
    try:
        _smtp_send(message)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        message.state = MailState.PENDING
        message.last_error = f"{type(error).__name__}: {error}"[:300]
        db.session.commit()
        raise DeliveryFailed(message.last_error) from error
    message.state = MailState.SENT
    message.sent_at = utcnow()
    message.body = ""
    message.headers = None
    message.last_error = None


def _deliverable(now):
    """Pending mail, or mail whose delivery was claimed too long ago to be still running."""
    return or_(
        OutboxMessage.state == MailState.PENDING,
        and_(
            OutboxMessage.state == MailState.SENDING,
            OutboxMessage.claimed_at < now - SENDING_LEASE,
        ),
    )


def _smtp_send(message: OutboxMessage) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(email)


def queue_pending(max_attempts: int = MAX_ATTEMPTS) -> int:
    """Queue delivery of every pending mail (and any whose delivery died) tried fewer than
    `max_attempts` times; how many.

    Committed by the caller; the deliveries start once it commits."""
    if not current_app.config["SMTP_HOST"]:
        raise DeliveryFailed("no SMTP server is configured (SMTP_HOST): mail is kept instead")
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(_deliverable(utcnow()), OutboxMessage.attempts < max_attempts)
        .order_by(OutboxMessage.id)
    ).all()
    for message_id in ids:
        jobs.enqueue(DELIVER, message_id=message_id)
    return len(ids)


def mail_counts() -> dict[str, int]:
    """How many mails are in each state."""
    counts = dict.fromkeys(MailState.ALL, 0)
    counts.update(
        db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
    )
    return counts


@jobs.task("mail.send_pending")
def send_pending_task() -> None:
    """Scheduled: deliver mail the SMTP server did not take earlier (nothing without SMTP)."""
    if current_app.config["SMTP_HOST"]:
        queue_pending()


schedule.every("mail.send_pending", "mail.send_pending", timedelta(minutes=15))
