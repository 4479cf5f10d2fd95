"""A member institution's own online course, as its coordinators list it (no personal data)."""

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Institution
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db


class Modality(enum.StrEnum):
    SELF_PACED = "self_paced"
    TUTOR_LED = "tutor_led"
    BLENDED = "blended"
    MOBILE = "mobile"  # by SMS or messaging, for learners without connectivity


class MemberCourse(db.Model):
    __tablename__ = "member_course"
    __table_args__ = (
        CheckConstraint("length(title) > 0", name="has_a_title"),
        CheckConstraint("hours IS NULL OR (hours > 0 AND hours <= 10000)", name="hours_in_range"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    modality: Mapped[Modality] = mapped_column(enum_column(Modality, "member_course_modality"))
    language: Mapped[str] = mapped_column(String(5), index=True)
    theme: Mapped[str] = mapped_column(String(40), index=True)
    hours: Mapped[int | None]
    free: Mapped[bool] = mapped_column(Boolean, default=True)
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship(lazy="joined", innerjoin=True)
