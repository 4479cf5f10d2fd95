"""Enrolments, progress through items, quiz attempts."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.catalog.models import Course, Item
from app.core.db import UTCDateTime, utcnow
from app.extensions import db
from app.seasons.models import Cohort, Season


class Enrollment(db.Model):
    """A learner's place in a course in one season (in a cohort when the course is tutor-led).

    One per learner, course and season, which the database enforces. `completed_at` is
    written once, atomically.
    """

    __tablename__ = "enrollment"
    __table_args__ = (
        Index("uq_enrollment_user_course_season", "user_id", "course_id", "season_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="RESTRICT"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="RESTRICT"), index=True
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    season: Mapped[Season] = relationship()
    cohort: Mapped[Cohort | None] = relationship()


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
