"""What core keeps about a person (app/core/privacy.py): the mails sent to them, and the
background jobs they started (administrators)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update

from app.core.models import Job, MailState, OutboxMessage
from app.core.privacy import explain_table, register_personal_data
from app.extensions import db


def _mails(user) -> list[dict]:
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == user.email)
        .order_by(OutboxMessage.id)
    )
    return [
        {
            "subject": m.subject,
            "created_at": m.created_at,
            "state": m.state,
            "sent_at": m.sent_at,
            # A delivered mail's body is not kept (it may hold one-time links): "" then.
            "body": m.body,
        }
        for m in rows
    ]


def _erase_mails(user) -> None:
    db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.recipient == user.email)
        .execution_options(synchronize_session=False)
    )
    # Mails to other people that name this person (a tutor told of their project): a
    # delivered mail keeps no body already; one kept unsent (no SMTP server: development)
    # loses its body too. A mail still pending delivery is left to go out as it was written.
    names = [user.email, user.full_name]
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.state == MailState.KEPT,
            or_(*(OutboxMessage.body.contains(n, autoescape=True) for n in names if n)),
        )
        .values(body="")
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "mails",
    tables=("outbox_message",),
    export=_mails,
    erase=_erase_mails,
    erase_order=80,
)


def _jobs(user) -> list[dict]:
    rows = db.session.execute(
        select(Job.kind, Job.title, Job.created_at)
        .where(Job.created_by_id == user.id)
        .order_by(Job.id)
    )
    return [{"kind": kind, "title": title, "created_at": at} for kind, title, at in rows]


def _erase_jobs(user) -> None:
    db.session.execute(
        update(Job)
        .where(Job.created_by_id == user.id)
        .values(created_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "background_jobs_started",
    tables=("background_job",),
    export=_jobs,
    erase=_erase_jobs,
    erase_order=80,
    kept=_l(
        "Background work an administrator started (such as issuing a season's certificates) "
        "stays in the administrators' job list, without the link to your account."
    ),
)

explain_table(
    "background_task",
    "a unit of a background job: what it worked on (an enrolment or certificate id) and, for "
    "a bulk issue, the audit label of the administrator who started it; the job's starter is "
    "answered for by background_jobs_started, and a learner's enrolment rows are erased by "
    "their own areas",
)
