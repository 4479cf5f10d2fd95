"""Outgoing mail: SMTP when configured, else the log and the development outbox."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale

from app.core.models import OutboxMessage
from app.extensions import db

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail, or keep it in the outbox when there is no SMTP server."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        log.info("Mail to %s: %s\n%s", to, subject, body)
        db.session.add(OutboxMessage(recipient=to, subject=subject[:300], body=body))
        db.session.flush()
        return
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(message)


def send_template_mail(to: str, locale: str, template: str, subject: str, **context) -> None:
    """Render `<template>.txt` in the recipient's language and send it.

    `subject` is a lazy or plain string; it is resolved inside the recipient's locale.
    """
    with force_locale(locale):
        body = render_template(f"{template}.txt", **context)
        send_mail(to, str(subject), body)
