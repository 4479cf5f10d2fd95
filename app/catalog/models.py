"""Courses, their modules and items, as imported from course packages."""

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db


class CourseKind(enum.StrEnum):
    TUTOR_LED = "tutor_led"
    SELF_PACED = "self_paced"


class Course(db.Model):
    """A course as its package declares it. Texts are {language: text} mappings."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[CourseKind] = mapped_column(enum_column(CourseKind, "course_kind"))
    language: Mapped[str] = mapped_column(String(5))
    languages: Mapped[list] = mapped_column(JSON)
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    hours: Mapped[int]
    outcomes: Mapped[list] = mapped_column(JSON)
    completion_rule: Mapped[str] = mapped_column(String(40), default="all_required")
    position: Mapped[int] = mapped_column(default=0)
    package_hash: Mapped[str] = mapped_column(String(64), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    modules: Mapped[list["Module"]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )


class Module(db.Model):
    __tablename__ = "course_module"
    __table_args__ = (Index("uq_course_module_slug", "course_id", "slug", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    title: Mapped[dict] = mapped_column(JSON)

    course: Mapped[Course] = relationship(back_populates="modules")
    items: Mapped[list["Item"]] = relationship(
        back_populates="module", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(db.Model):
    """One item of a course, of a kind registered in app/catalog/kinds.py.

    `content` holds what the kind needs (rendered HTML by language, quiz questions with their
    answers, stored-file references); it never leaves the server as is.
    """

    __tablename__ = "course_item"
    __table_args__ = (
        Index("uq_course_item_slug", "course_id", "slug", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(
        ForeignKey("course_module.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(80))
    # A registered kind's name (app/catalog/kinds.py); only validated packages write it.
    kind: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]  # order within the whole course
    title: Mapped[dict] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    content: Mapped[dict] = mapped_column(JSON)

    module: Mapped[Module] = relationship(back_populates="items")
