"""Tables every area shares."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class Job(db.Model):
    """A piece of background work an administrator started and follows (a bulk issue).

    Its units run as tasks on any worker; each adds to `done` or `failed` with one atomic
    UPDATE, and the one that completes the count sets `finished_at`.
    """

    __tablename__ = "background_job"
    __table_args__ = (
        CheckConstraint("total >= 0 AND done >= 0 AND failed >= 0", name="counts"),
        CheckConstraint("done + failed <= total", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    # What the job works on, for people: e.g. "OSH in vocational training · Season 2026 · A".
    title: Mapped[str] = mapped_column(String(300))
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    failures: Mapped[list["JobFailure"]] = relationship(
        back_populates="job", order_by="JobFailure.id", cascade="all, delete-orphan"
    )

    @property
    def percent(self) -> int:
        return 100 if not self.total else (self.done + self.failed) * 100 // self.total

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class JobFailure(db.Model):
    """One unit of a job that failed after its retries, and why."""

    __tablename__ = "background_job_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("background_job.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(300))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    job: Mapped[Job] = relationship(back_populates="failures")
