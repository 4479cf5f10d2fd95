"""Tables every area shares."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class MailState:
    KEPT = "kept"  # no SMTP server was configured: kept to be read in development
    PENDING = "pending"  # to be delivered through SMTP once its transaction commits
    SENDING = "sending"  # a worker has it (since claimed_at); another may take it when stale
    SENT = "sent"  # delivered; the body is no longer kept (it may hold one-time links)

    ALL = (KEPT, PENDING, SENDING, SENT)


class OutboxMessage(db.Model):
    """Every outgoing mail, written in the transaction that causes it (app/core/mail.py)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("state IN ('kept', 'pending', 'sending', 'sent')", name="state_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # More header fields ({"List-Unsubscribe": ...}); cleared with the body once delivered.
    headers: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state: Mapped[str] = mapped_column(
        String(10), default=MailState.KEPT, server_default=MailState.KEPT, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))


class StoredFile(db.Model):
    """A file kept by content (SHA-256), served from any machine with a cache-forever URL.

    Course pictures, resources and rendered guides live here; they are small and written once.
    """

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskState:
    PENDING = "pending"  # waiting for a worker (queued in Redis or not: the row is the record)
    RUNNING = "running"  # a worker has it until lease_expires_at; then any worker may take over
    DONE = "done"  # finished; kept only for a job's units (the job's figures count them)
    FAILED = "failed"  # given up, with the reason

    ALL = (PENDING, RUNNING, DONE, FAILED)


class Job(db.Model):
    """A piece of background work an administrator started and follows (a bulk issue).

    Its units are tasks (`Task.job_id`); its figures are counted from their rows whenever it
    is read, never kept along the way, so a worker that dies cannot leave them wrong.
    """

    __tablename__ = "background_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    # What the job works on, for people: e.g. "OSH in vocational training · Season 2026 · A".
    title: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    failures: Mapped[list["Task"]] = relationship(
        primaryjoin="and_(Task.job_id == Job.id, Task.state == 'failed')",
        order_by="Task.id",
        viewonly=True,
    )

    @property
    def percent(self) -> int:
        return 100 if not self.total else (self.done + self.failed) * 100 // self.total

    @property
    def finished(self) -> bool:
        return self.done + self.failed >= self.total

    @property
    def finished_at(self) -> datetime | None:
        return (self.last_finished_at or self.created_at) if self.finished else None


class Task(db.Model):
    """One run of a registered task (app/core/jobs.py), kept until it is done.

    Written in the transaction that asks for it; Redis only carries the news to a worker.
    A worker claims the row with a lease; when the lease runs out (the worker died) any
    worker may take it over, and a task is written so that a second run changes nothing.
    """

    __tablename__ = "background_task"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'running', 'done', 'failed')", name="state_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_background_task_job_id_state", "job_id", "state"),
        Index("ix_background_task_state_available_at", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[str] = mapped_column(Text)  # JSON
    job_id: Mapped[int | None] = mapped_column(ForeignKey("background_job.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(
        String(10), default=TaskState.PENDING, server_default=TaskState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not run before this moment (a retry waits a little).
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The run that holds it (a random token) and until when.
    claim: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The id it was last handed to Redis under, to see whether Redis still has it.
    dispatch_key: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    label: Mapped[str | None] = mapped_column(String(300))  # what failed, for people
    message: Mapped[str | None] = mapped_column(Text)  # why it failed


def _job_count(*where):
    return (
        select(func.count(Task.id))
        .where(Task.job_id == Job.id, *where)
        .correlate_except(Task)
        .scalar_subquery()
    )


Job.total = column_property(_job_count(), deferred=False)
Job.done = column_property(_job_count(Task.state == TaskState.DONE))
Job.failed = column_property(_job_count(Task.state == TaskState.FAILED))
Job.last_finished_at = column_property(
    select(func.max(Task.finished_at))
    .where(Task.job_id == Job.id)
    .correlate_except(Task)
    .scalar_subquery()
)


class ScheduleRun(db.Model):
    """When a scheduled entry (app/core/schedule.py) runs next, and when it last ran."""

    __tablename__ = "schedule_run"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PageVersion(db.Model):
    """How many times the rows a scope of visitor pages shows have changed (app/core/page_cache.py):
    advanced in the transaction that changes them, read before a cached page is served."""

    __tablename__ = "page_version"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
