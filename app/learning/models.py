"""Progress through items and quiz attempts, per enrolment (app/seasons owns the enrolment)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.catalog.models import Item
from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class ItemProgress(db.Model):
    """An item a learner has done (a quiz counts once passed)."""

    __tablename__ = "item_progress"
    __table_args__ = (
        Index("uq_item_progress_enrollment_item", "enrollment_id", "item_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_item.id", ondelete="CASCADE"), index=True
    )
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[Item] = relationship()


class QuizAttempt(db.Model):
    """One submitted attempt; (enrollment, item, number) is unique, so a resent form counts once."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        Index("uq_quiz_attempt_number", "enrollment_id", "item_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_item.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    answers: Mapped[dict] = mapped_column(JSON)
    results: Mapped[list] = mapped_column(JSON)  # per question: correct or not
    score: Mapped[int]  # percent
    passed: Mapped[bool] = mapped_column(Boolean)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A grant gives at most this many attempts at once (a form bound, kept by the database too).
GRANT_MAX_ATTEMPTS = 10
GRANT_REASON_MAX = 500


class QuizAttemptGrant(db.Model):
    """More attempts at one quiz for one learner, given by a tutor of their cohort or an
    administrator, with the reason kept beside who gave them and when."""

    __tablename__ = "quiz_attempt_grant"
    __table_args__ = (
        CheckConstraint(f"attempts BETWEEN 1 AND {GRANT_MAX_ATTEMPTS}", name="attempts_in_range"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
        # A learner's grants are numbered 1, 2, ...: a form sent twice names the same number
        # and counts once.
        Index("uq_quiz_attempt_grant_number", "enrollment_id", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_item.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    attempts: Mapped[int]
    reason: Mapped[str] = mapped_column(String(GRANT_REASON_MAX))
    # Who gave them (None once that account is deleted; the grant itself stays).
    granted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    granted_by: Mapped[User | None] = relationship()
