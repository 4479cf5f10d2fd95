"""The embed allow-list and which scenes of a hosted tour each learner has seen."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class EmbedHostList(db.Model):
    """The hosts whose tours may be framed, as an administrator last saved them.

    One row at most (the database refuses a second); without it, the built-in defaults apply.
    """

    __tablename__ = "embed_host_list"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hosts: Mapped[list] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class TourSceneView(db.Model):
    """A scene of a hosted tour a learner has looked at; once per enrolment, item and scene."""

    __tablename__ = "tour_scene_view"
    __table_args__ = (
        Index("uq_tour_scene_view", "enrollment_id", "item_id", "scene", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("course_item.id", ondelete="CASCADE"), index=True
    )
    scene: Mapped[str] = mapped_column(String(80))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
