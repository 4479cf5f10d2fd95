"""What the offline area keeps: the actions a device queued offline and sent later."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db

ACTION_KINDS = ("done", "quiz", "draft")
OUTCOMES = ("done", "refused")


class OfflineAction(db.Model):
    """One action a learner's device queued while offline, as the server received it.

    (user, key) is unique: the device sends each action with a random idempotency key, and a
    copy sent again (a lost answer, two tabs, a retry) finds this row and acts no more.
    """

    __tablename__ = "offline_action"
    __table_args__ = (
        Index("uq_offline_action_user_key", "user_id", "key", unique=True),
        CheckConstraint(f"kind IN {ACTION_KINDS!r}", name="kind_known"),
        CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    course_slug: Mapped[str] = mapped_column(String(80))
    item_slug: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(10))
    # What the learner is told: the score of a graded attempt, or why it was refused.
    message: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoursePack(db.Model):
    """A course's printable pack in one language: a PDF rendered at import and stored."""

    __tablename__ = "course_pack"
    __table_args__ = (Index("uq_course_pack_language", "course_id", "language", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    file: Mapped[dict] = mapped_column(JSON)  # a stored-file reference (app/core/storage.py)
    package_hash: Mapped[str] = mapped_column(String(64), default="")
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
