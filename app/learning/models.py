"""Progress through items and quiz attempts, per enrolment (app/seasons owns the enrolment)."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
