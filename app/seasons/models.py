"""Seasons, the courses each offers, cohorts with their seats and tutors, waiting lists, and
enrolments: each learner's place in a course in a season.

Calendar days (season, cohort and enrolment dates) are plain dates, read "anywhere on Earth":
a day has begun once it has begun somewhere (UTC+14) and has ended once it has ended
everywhere (UTC-12). A learner in Mexico and one in Spain see a window open and close on the
same printed dates, and nobody is refused on the last day of a window.
"""

import enum
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.catalog.models import Course
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.core.i18n import reader_language
from app.extensions import db

EARLIEST_ZONE = timezone(timedelta(hours=14))
LATEST_ZONE = timezone(timedelta(hours=-12))


def day_begins(day: date) -> datetime:
    """The first moment `day` has begun somewhere on Earth."""
    return datetime.combine(day, time(), EARLIEST_ZONE).astimezone(UTC)


def day_ends(day: date) -> datetime:
    """The moment `day` has ended everywhere on Earth."""
    return datetime.combine(day + timedelta(days=1), time(), LATEST_ZONE).astimezone(UTC)


def within(opens_on: date, closes_on: date, now: datetime | None = None) -> bool:
    """Whether `now` falls within the days from `opens_on` to `closes_on`, both included."""
    now = now or utcnow()
    return day_begins(opens_on) <= now < day_ends(closes_on)


class SeasonState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Season(db.Model):
    """A season of courses: draft while it is prepared, open for enrolment, then closed."""

    __tablename__ = "season"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name administrators and the command line know the season by (unique) ...
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # ... and the name learners, certificates and reports show, in each platform language
    # ("Temporada 2026", "Temporada 2026", "Season 2026"); each starts as `name`.
    name_es: Mapped[str] = mapped_column(String(120))
    name_pt: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[SeasonState] = mapped_column(
        enum_column(SeasonState, "season_state"), default=SeasonState.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offerings: Mapped[list["Offering"]] = relationship(
        back_populates="season", cascade="all, delete-orphan", order_by="Offering.id"
    )

    NAME_LANGUAGES = ("es", "pt", "en")

    def name_in(self, language: str | None) -> str:
        """The season's name in that language (its reference name for any other language)."""
        if language in self.NAME_LANGUAGES:
            return getattr(self, f"name_{language}") or self.name
        return self.name

    @property
    def names(self) -> dict[str, str]:
        return {language: self.name_in(language) for language in self.NAME_LANGUAGES}

    @property
    def display_name(self) -> str:
        """The name in the reader's language."""
        return self.name_in(reader_language())

    @property
    def is_open(self) -> bool:
        return self.state == SeasonState.OPEN


class Offering(db.Model):
    """A course offered in a season. Self-paced courses may narrow enrolment to a window."""

    __tablename__ = "season_course"
    __table_args__ = (
        Index("uq_season_course", "season_id", "course_id", unique=True),
        CheckConstraint(
            "enroll_opens_on IS NULL OR enroll_closes_on IS NULL "
            "OR enroll_closes_on >= enroll_opens_on",
            name="window_in_order",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = mapped_column(ForeignKey("season.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    enroll_opens_on: Mapped[date | None] = mapped_column(Date)
    enroll_closes_on: Mapped[date | None] = mapped_column(Date)

    season: Mapped[Season] = relationship(back_populates="offerings")
    course: Mapped[Course] = relationship()
    cohorts: Mapped[list["Cohort"]] = relationship(
        back_populates="offering",
        cascade="all, delete-orphan",
        order_by="(Cohort.starts_on, Cohort.id)",
    )

    @property
    def window(self) -> tuple[date, date]:
        """The days learners can enrol (a self-paced course): the season's unless narrowed."""
        return (
            self.enroll_opens_on or self.season.starts_on,
            self.enroll_closes_on or self.season.ends_on,
        )


cohort_tutor = Table(
    "cohort_tutor",
    db.metadata,
    Column("cohort_id", ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class Cohort(db.Model):
    """A group of learners taking a tutor-led course together.

    `seats_taken` moves only through guarded UPDATEs in the services, and the database
    refuses a row where it passes `seats`: a cohort can never be over-filled.
    """

    __tablename__ = "cohort"
    __table_args__ = (
        Index("uq_cohort_name", "offering_id", "name", unique=True),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("enroll_closes_on >= enroll_opens_on", name="window_in_order"),
        CheckConstraint("seats > 0", name="has_seats"),
        CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name="seats_held"),
        CheckConstraint(
            "capstone_cutoff_on IS NULL OR capstone_due_on IS NULL "
            "OR capstone_cutoff_on >= capstone_due_on",
            name="cutoff_after_deadline",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("season_course.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    enroll_opens_on: Mapped[date] = mapped_column(Date)
    enroll_closes_on: Mapped[date] = mapped_column(Date)
    seats: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    language: Mapped[str] = mapped_column(String(5))
    # The capstone project's deadline; late work is accepted (and flagged) until the cut-off.
    capstone_due_on: Mapped[date | None] = mapped_column(Date)
    capstone_cutoff_on: Mapped[date | None] = mapped_column(Date)
    # An administrator opened the cohort's items before its first day: when, and who.
    opened_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_early_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    offering: Mapped[Offering] = relationship(back_populates="cohorts")
    tutors: Mapped[list[User]] = relationship(secondary=cohort_tutor, order_by=User.full_name)
    opened_early_by: Mapped[User | None] = relationship(foreign_keys=[opened_early_by_id])

    @property
    def seats_left(self) -> int:
        return self.seats - self.seats_taken

    @property
    def has_started(self) -> bool:
        return utcnow() >= day_begins(self.starts_on)

    @property
    def is_open_for_work(self) -> bool:
        """Whether its learners can work on the course's items: from its first day, or from
        when an administrator opened it early."""
        return self.opened_early_at is not None or self.has_started

    def is_tutor(self, user) -> bool:
        """Whether `user` leads this cohort."""
        return user.is_authenticated and any(t.id == user.id for t in self.tutors)

    def can_lead(self, user) -> bool:
        """Whether `user` may see this cohort's roster and write to it: its tutors, admins."""
        return user.is_authenticated and (user.is_admin or self.is_tutor(user))


class CohortMessage(db.Model):
    """A tutor's message to a cohort, as mailed to its learners; their course pages show the
    latest one."""

    __tablename__ = "cohort_message"
    __table_args__ = (Index("ix_cohort_message_cohort_sent", "cohort_id", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[User | None] = relationship()


class WaitlistEntry(db.Model):
    """A learner waiting for a seat in a full cohort; the lowest id is first in line."""

    __tablename__ = "waitlist_entry"
    __table_args__ = (
        Index("uq_waitlist_cohort_user", "cohort_id", "user_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship()


class Enrollment(db.Model):
    """A learner's place in a course in one season (in a cohort when the course is tutor-led).

    One per learner, course and season, which the database enforces. `completed_at` is
    written once, atomically.
    """

    __tablename__ = "enrollment"
    __table_args__ = (
        Index("uq_enrollment_user_course_season", "user_id", "course_id", "season_id", unique=True),
        NEVER_REUSE_IDS,
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
