"""Notifications and each person's choice of delivery per kind."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class MailState:
    NONE = "none"  # in the platform only
    SENT = "sent"  # mailed at once
    DIGEST = "digest"  # waits for the person's daily digest
    DIGESTED = "digested"  # went out in a digest (or was dropped from it: see send_digests)

    ALL = (NONE, SENT, DIGEST, DIGESTED)


class Notification(db.Model):
    """One piece of news for one person: its kind, the values its line is made of, where
    it leads, and whether it was read."""

    __tablename__ = "notification"
    __table_args__ = (
        # The header's unread count and the centre's page read this index only.
        Index("ix_notification_user_unread", "user_id", "read_at"),
        Index("ix_notification_digest", "mail_state", "user_id"),
        CheckConstraint(
            "mail_state IN ('none', 'sent', 'digest', 'digested')", name="mail_state_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500))  # a path on this site
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_state: Mapped[str] = mapped_column(String(10), default=MailState.NONE)


class NotificationPreference(db.Model):
    """How a person hears of one kind, when they chose something other than its default."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        CheckConstraint("delivery IN ('platform', 'mail', 'digest')", name="delivery_known"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(60), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
