"""Capstone projects: one submission per learner and capstone, its numbered versions, its
files (kept in the database under generated names, never served inline) and tutors' reviews."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.capstones import queue_counts
from app.catalog.models import Item
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db
from app.seasons.models import Cohort, Enrollment


class SubmissionState(enum.StrEnum):
    DRAFT = "draft"  # not submitted yet (text or files saved)
    SUBMITTED = "submitted"  # waiting for a tutor
    REVISE = "revise"  # the tutor asked for a revision
    PASSED = "passed"
    NOT_PASSED = "not_passed"


class Decision(enum.StrEnum):
    PASS = "pass"  # noqa: S105  (a decision, not a password)
    REVISE = "revise"
    NOT_PASSED = "not_passed"


class Submission(db.Model):
    """A learner's capstone project in one cohort: the draft and the state of the review.

    `review_token` changes with every submission and every review; a review form carries
    the token it was drawn from, so two tutors can never silently overwrite each other.
    """

    __tablename__ = "capstone_submission"
    __table_args__ = (
        Index("uq_capstone_submission", "enrollment_id", "item_id", unique=True),
        Index("ix_capstone_submission_queue", "cohort_id", "state", "submitted_at"),
        # The review queue's pages, in their two orders (app/capstones/services.py).
        Index("ix_capstone_submission_state_submitted", "state", "submitted_at", "id"),
        Index("ix_capstone_submission_state_decided", "state", "decided_at", "id"),
        CheckConstraint("versions >= 0", name="versions_counted"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("course_item.id", ondelete="CASCADE"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    state: Mapped[SubmissionState] = mapped_column(
        enum_column(SubmissionState, "submission_state"), default=SubmissionState.DRAFT
    )
    draft_text: Mapped[str] = mapped_column(Text, default="")
    versions: Mapped[int] = mapped_column(default=0)
    review_token: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extended_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrollment: Mapped[Enrollment] = relationship()
    item: Mapped[Item] = relationship()
    cohort: Mapped[Cohort] = relationship()
    history: Mapped[list["SubmissionVersion"]] = relationship(
        back_populates="submission",
        order_by="SubmissionVersion.number",
        cascade="all, delete-orphan",
    )

    def is_owner(self, user) -> bool:
        return user.is_authenticated and self.enrollment.user_id == user.id

    def can_read(self, user) -> bool:
        """The learner, the cohort's tutors and administrators."""
        return self.is_owner(user) or self.cohort.can_lead(user)

    def can_review(self, user) -> bool:
        return self.cohort.can_lead(user)


class SubmissionVersion(db.Model):
    """One submitted version, kept as it was sent."""

    __tablename__ = "capstone_version"
    __table_args__ = (Index("uq_capstone_version", "submission_id", "number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("capstone_submission.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    late: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="history")
    files: Mapped[list["CapstoneFile"]] = relationship(
        primaryjoin="CapstoneFile.version_id == SubmissionVersion.id",
        order_by="CapstoneFile.id",
        viewonly=True,
    )
    review: Mapped["Review | None"] = relationship(viewonly=True, uselist=False)


class CapstoneFile(db.Model):
    """An uploaded file: a draft's (no version yet), a version's, or a review's feedback.

    The bytes live in the database (every machine serves them; nothing on a local disk);
    `token` is the generated name URLs use; `filename` is only ever shown and offered.
    """

    __tablename__ = "capstone_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("capstone_submission.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("capstone_version.id", ondelete="CASCADE"), index=True
    )
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("capstone_review.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship()


class Review(db.Model):
    """A tutor's review of one version: a level per criterion, points, comment, decision.

    The rubric's titles and points are copied in, so a review reads the same after the
    course's rubric changes.
    """

    __tablename__ = "capstone_review"
    __table_args__ = (Index("uq_capstone_review_version", "version_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("capstone_submission.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("capstone_version.id", ondelete="CASCADE"))
    tutor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    scores: Mapped[list] = mapped_column(JSON)  # [{criterion, level, points}], in rubric order
    points: Mapped[int]
    pass_threshold: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "review_decision"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tutor: Mapped[User | None] = relationship()
    files: Mapped[list[CapstoneFile]] = relationship(
        primaryjoin="CapstoneFile.review_id == Review.id",
        order_by="CapstoneFile.id",
        viewonly=True,
    )


class CapstoneReminder(db.Model):
    """A reminder sent before a deadline; one per enrolment and deadline, even if the
    daily command runs twice."""

    __tablename__ = "capstone_reminder"
    __table_args__ = (Index("uq_capstone_reminder", "enrollment_id", "due_on", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CapstoneRubric(db.Model):
    """The rubric a capstone item's projects are reviewed against. The package import writes
    it (app/capstones/item_kinds.py) and administrators may replace it from a CSV file; a later
    import of a changed package puts the package's rubric back."""

    __tablename__ = "capstone_rubric"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_item.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    rubric: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueCount(db.Model):
    """How many projects of a cohort are in each state: the tutor queue's figures, read from
    one row per cohort however many projects there are.

    Kept by the database itself (triggers on capstone_submission, app/capstones/queue_counts.py),
    so every way a project changes (a submission, a review, an enrolment or cohort deleted
    with its projects) counts. No foreign key: a cohort's deletion removes its projects, and
    their triggers write here within the same statement."""

    __tablename__ = "capstone_queue_count"

    cohort_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    draft: Mapped[int] = mapped_column(default=0, server_default="0")
    submitted: Mapped[int] = mapped_column(default=0, server_default="0")
    revise: Mapped[int] = mapped_column(default=0, server_default="0")
    passed: Mapped[int] = mapped_column(default=0, server_default="0")
    not_passed: Mapped[int] = mapped_column(default=0, server_default="0")


queue_counts.attach(Submission.__table__, QueueCount.__table__)
