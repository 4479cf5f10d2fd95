"""Outgoing mail through the outbox, against a real SMTP server (aiosmtpd on a local port):
mail leaves only after its transaction commits, a server that is down loses nothing, and a
delivered mail keeps no body."""

import socket
import threading
import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app.core import jobs
from app.core.db import utcnow
from app.core.mail import DELIVER, send_mail
from app.core.models import MailState, OutboxMessage
from app.extensions import db
from tests.conftest import job_worker, login, outbox, post_form


class Inbox:
    """What the SMTP server received: (envelope sender, recipients, parsed message)."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(app):
    """The application sends through a real SMTP server on this machine; yields its inbox."""
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=free_port())
    server.start()
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_STARTTLS=False)
    yield inbox
    app.config.update(saved)
    server.stop()


@pytest.fixture
def smtp_down(app):
    """SMTP is configured but nothing answers on its port."""
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    yield
    app.config.update(saved)


def mail_cli(app, *args):
    return app.test_cli_runner().invoke(args=["mail", *[str(a) for a in args]])


def test_a_mail_is_delivered_after_its_commit_in_the_recipients_language(client, make_user, smtp):
    make_user(email="ana@example.org", locale="pt")
    response = post_form(client, "/forgot-password", {"email": "ana@example.org"})
    assert response.status_code == 302

    [(sender, recipients, message)] = smtp.received
    assert recipients == ["ana@example.org"]
    assert "no-reply@aula.invalid" in sender
    assert message["To"] == "ana@example.org"
    assert "senha" in message["Subject"].lower()  # Portuguese
    assert "/reset-password/" in message.get_content()
    [kept] = outbox()
    assert (kept.state, kept.attempts, kept.last_error) == (MailState.SENT, 1, None)
    assert kept.sent_at is not None
    assert kept.body == "", "a delivered mail keeps no one-time link"


def test_a_mail_of_a_transaction_that_rolls_back_is_never_sent(app, smtp):
    send_mail("nobody@example.org", "Not to be sent", "This transaction rolls back.")
    assert smtp.received == [], "nothing leaves before the commit"
    db.session.rollback()
    db.session.commit()
    assert smtp.received == []
    assert outbox() == []


def test_a_mail_server_that_is_down_loses_nothing_and_the_mail_goes_later(
    app, client, make_user, smtp_down
):
    make_user(email="luis@example.org")
    response = post_form(client, "/forgot-password", {"email": "luis@example.org"})
    assert response.status_code == 302, "the person's action stands"
    [waiting] = outbox()
    assert (waiting.state, waiting.attempts) == (MailState.PENDING, 1)
    assert "Connection" in waiting.last_error or "refused" in waiting.last_error.lower()
    assert "/reset-password/" in waiting.body

    result = mail_cli(app, "send-pending")  # still down: tried again, still kept
    assert result.exit_code == 1, result.output
    assert "1 pending mail(s) queued" in result.output
    db.session.expire_all()
    assert outbox()[0].attempts == 2

    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=app.config["SMTP_PORT"])
    server.start()
    try:
        result = mail_cli(app, "send-pending")
        assert result.exit_code == 0, result.output
        assert "still pending: 0" in result.output
        [(_, recipients, message)] = inbox.received
        assert recipients == ["luis@example.org"] and "/reset-password/" in message.get_content()
        result = mail_cli(app, "send-pending")  # nothing left: nothing sent twice
        assert "0 pending mail(s) queued" in result.output and len(inbox.received) == 1
    finally:
        server.stop()
    db.session.expire_all()
    assert (outbox()[0].state, outbox()[0].attempts) == (MailState.SENT, 3)


def test_send_pending_leaves_mail_that_failed_too_often(app, smtp):
    db.session.add(
        OutboxMessage(
            recipient="x@example.org", subject="s", body="b", state=MailState.PENDING, attempts=10
        )
    )
    db.session.commit()
    result = mail_cli(app, "send-pending")
    assert "0 pending mail(s) queued" in result.output
    result = mail_cli(app, "send-pending", "--max-attempts", 11)
    assert "1 pending mail(s) queued" in result.output and len(smtp.received) == 1


@pytest.mark.parametrize("value", ["0", "-1", "abc", "", "99999"])
def test_send_pending_refuses_a_wrong_attempt_limit(app, smtp, value):
    result = mail_cli(app, "send-pending", "--max-attempts", value)
    assert result.exit_code == 2 and "--max-attempts" in result.output
    assert smtp.received == []


def test_send_pending_without_smtp_says_mail_is_kept(app):
    send_mail("x@example.org", "Kept", "Body")
    db.session.commit()
    result = mail_cli(app, "send-pending")
    assert result.exit_code == 1 and "no SMTP server is configured" in result.output
    assert outbox()[0].state == MailState.KEPT and outbox()[0].body == "Body"


def test_a_subject_the_mail_server_cannot_take_is_recorded_not_lost(app, smtp):
    send_mail("x@example.org", "Line one\nBcc: victim@example.org", "Body")
    db.session.commit()
    assert smtp.received == [], "no header can be injected"
    [waiting] = outbox()
    assert waiting.state == MailState.PENDING and waiting.last_error


def test_mail_kept_before_smtp_was_configured_is_never_sent(app, smtp):
    db.session.add(OutboxMessage(recipient="old@example.org", subject="Old", body="dev"))
    db.session.commit()
    assert mail_cli(app, "send-pending").exit_code == 0
    assert smtp.received == []
    assert db.session.scalar(select(OutboxMessage.state)) == MailState.KEPT


def test_the_outbox_page_shows_states_and_no_body_of_sent_or_waiting_mail(
    app, client, make_user, smtp_down
):
    from app.accounts.models import Role

    make_user(email="luis@example.org")
    post_form(client, "/forgot-password", {"email": "luis@example.org"})
    login(client, make_user(role=Role.ADMIN))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "luis@example.org" in page
    assert "1 attempt" in page or "1 intento" in page
    assert "/reset-password/" not in page, "an administrator never sees someone's reset link"


def test_job_workers_on_redis_deliver_the_mail(app, make_user, smtp, backend, redis_url):
    queue = f"aula-test-mail-{uuid.uuid4().hex[:8]}"
    backend("rq", REDIS_URL=redis_url, JOBS_QUEUE=queue)
    for n in range(3):
        send_mail(f"person{n}@example.org", f"Hello {n}", "Body")
    assert jobs.rq_queue(app).count == 0, "nothing is queued before the commit"
    db.session.commit()
    assert jobs.rq_queue(app).count == 3 and smtp.received == []

    process = job_worker(
        app,
        queue,
        redis_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(app.config["SMTP_PORT"]),
        SMTP_STARTTLS="0",
    )
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, output
    assert sorted(r for _, [r], _ in smtp.received) == [f"person{n}@example.org" for n in range(3)]
    db.session.expire_all()
    assert {m.state for m in outbox()} == {MailState.SENT}
    jobs.rq_queue(app).delete(delete_jobs=True)


def test_twenty_simultaneous_deliveries_of_one_mail_send_it_once(app, smtp):
    send_mail("once@example.org", "Once", "Body")
    db.session.commit()  # delivered once here (inline); put it back as if still queued
    smtp.received.clear()
    message_id = db.session.scalar(select(OutboxMessage.id))
    db.session.execute(
        update(OutboxMessage).values(state=MailState.PENDING, body="Body", attempts=0)
    )
    db.session.commit()

    barrier = threading.Barrier(20)

    def deliver_once():
        barrier.wait()
        # The delivery itself, twenty times at once (as twenty tasks asked for it would).
        with app.app_context():
            try:
                jobs.TASKS[DELIVER].function(message_id=message_id)
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deliver_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [r for _, [r], _ in smtp.received] == ["once@example.org"]
    db.session.expire_all()
    assert (outbox()[0].state, outbox()[0].attempts) == (MailState.SENT, 1)


def test_a_mail_another_delivery_holds_is_left_until_its_claim_is_stale(app, smtp):
    db.session.add(
        OutboxMessage(
            recipient="held@example.org",
            subject="Held",
            body="Body",
            state=MailState.SENDING,
            claimed_at=utcnow() - timedelta(minutes=1),
            attempts=1,
        )
    )
    db.session.commit()
    assert "0 pending mail(s) queued" in mail_cli(app, "send-pending").output
    assert smtp.received == []

    db.session.execute(update(OutboxMessage).values(claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()  # its worker died an hour ago
    result = mail_cli(app, "send-pending")
    assert "1 pending mail(s) queued" in result.output and result.exit_code == 0
    assert [r for _, [r], _ in smtp.received] == ["held@example.org"]


def test_in_development_kept_mail_prints_its_subject_and_links_on_the_console(
    app, make_user, capfd
):
    from app import create_app

    development = create_app({"TESTING": True, "MAIL_TO_CONSOLE": True})
    with development.test_request_context():
        send_mail(
            "ana@example.org",
            "Confirm your account",
            "Hello,\nopen https://aula.example/confirm/abc.def-1 within a week.\n",
        )
        db.session.rollback()
    printed = capfd.readouterr().err
    assert "ana@example.org: Confirm your account" in printed
    assert "\n  https://aula.example/confirm/abc.def-1\n" in printed + "\n"


def test_without_the_console_setting_kept_mail_prints_nothing(app, capfd):
    with app.test_request_context():
        send_mail("ana@example.org", "Quiet", "https://aula.example/confirm/x")
        db.session.rollback()
    assert "Quiet" not in capfd.readouterr().err


def test_the_outbox_links_of_kept_mail_are_clickable(client, make_user):
    from app.accounts.models import Role

    send_mail("ana@example.org", "Links", 'See https://aula.example/confirm/x?a=1&b="2" now')
    db.session.commit()
    login(client, make_user(role=Role.ADMIN))
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert '<a href="https://aula.example/confirm/x?a=1&amp;b=' in page
    assert '"2"' not in page, "mail text stays escaped inside the link"
