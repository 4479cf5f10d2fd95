"""Boards, threads, posts, their attachments, reports and the moderation trail."""

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db
from app.seasons.models import Cohort, Offering


class ThreadKind(enum.StrEnum):
    DISCUSSION = "discussion"  # anyone on the board talks
    QUESTION = "question"  # the asker or a tutor marks the reply that answers it
    ANNOUNCEMENT = "announcement"  # a tutor's (or administrator's): pinned and sent to all
    PRIVATE = "private"  # a learner's question to the cohort's tutors: only they read it


class PostState(enum.StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # by a moderator: kept, shown to moderators only, may be shown again
    REMOVED = "removed"  # by a moderator: text and files deleted, only the trail remains


class Network(db.Model):
    """A thematic network: a network-wide board on one theme (green skills, apprenticeship...),
    which anyone registered may join; administrators create it and name its moderators."""

    __tablename__ = "discussion_network"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # Members-only: only members read the board; otherwise anyone signed in reads it.
    members_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The course whose theme it carries: learners of its cohorts are invited when they end.
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NetworkInvitation(db.Model):
    """A learner invited to a network when their cohort ended; once per person and network."""

    __tablename__ = "discussion_network_invitation"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_network.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NetworkMember(db.Model):
    """A person in a network; moderators hide, remove and lock on its board."""

    __tablename__ = "discussion_network_member"

    network_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_network.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    moderator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class Board(db.Model):
    """The discussion board of one cohort, of one self-paced course in a season, or of a
    thematic network.

    Made when its first thread is started; a board page with no row is simply empty."""

    __tablename__ = "discussion_board"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN cohort_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN offering_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN network_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_place",
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="CASCADE"), unique=True
    )
    offering_id: Mapped[int | None] = mapped_column(
        ForeignKey("season_course.id", ondelete="CASCADE"), unique=True
    )
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_network.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort | None] = relationship()
    offering: Mapped[Offering | None] = relationship()
    network: Mapped[Network | None] = relationship()


class Thread(db.Model):
    """A conversation on a board; its first post is the opening one.

    `reply_count`, `last_post_at` and `last_author_id` move with each reply (one UPDATE), so
    lists and the page count need no counting query; `answered_at` is set when an answer is
    marked."""

    __tablename__ = "discussion_thread"
    __table_args__ = (
        Index("ix_discussion_thread_board_list", "board_id", "pinned", "last_post_at"),
        CheckConstraint("reply_count >= 0", name="replies_counted"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("discussion_board.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ThreadKind] = mapped_column(enum_column(ThreadKind, "discussion_thread_kind"))
    title: Mapped[str] = mapped_column(String(150))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[PostState] = mapped_column(
        enum_column(PostState, "discussion_thread_state"), default=PostState.VISIBLE
    )
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    board: Mapped[Board] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    last_author: Mapped[User | None] = relationship(foreign_keys=[last_author_id])

    @property
    def is_private(self) -> bool:
        return self.kind == ThreadKind.PRIVATE

    @property
    def awaits_tutor(self) -> bool:
        """A private question whose last word is the learner's."""
        return self.is_private and self.last_author_id == self.author_id


class Post(db.Model):
    """One message in a thread: its Markdown as written and the sanitised HTML shown."""

    __tablename__ = "discussion_post"
    __table_args__ = (
        Index("ix_discussion_post_thread_id_id", "thread_id", "id"),
        # One marked answer per thread, whoever marks it and however often.
        Index(
            "uq_discussion_post_answer",
            "thread_id",
            unique=True,
            sqlite_where=text("is_answer"),
            postgresql_where=text("is_answer"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_thread.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[PostState] = mapped_column(
        enum_column(PostState, "discussion_post_state"), default=PostState.VISIBLE
    )
    is_answer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        order_by="Attachment.id", cascade="all, delete-orphan", passive_deletes=True
    )


class Attachment(db.Model):
    """A picture or PDF attached to a post, checked by content, served as an attachment.

    `token` is the generated name URLs use; `filename` is only ever shown and offered."""

    __tablename__ = "discussion_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    post_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_post.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="attachments")

    @property
    def is_picture(self) -> bool:
        return self.content_type.startswith("image/")


class Report(db.Model):
    """Someone's report of a post, with their reason; one per person and post."""

    __tablename__ = "discussion_report"
    __table_args__ = (Index("uq_discussion_report", "post_id", "reporter_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("discussion_post.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a moderator acts on the post (hides, removes or leaves it shown).
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship()
    reporter: Mapped[User] = relationship()


class ModerationAction(enum.StrEnum):
    HIDE = "hide"
    SHOW = "show"
    REMOVE = "remove"
    LOCK = "lock"
    UNLOCK = "unlock"
    DISMISS = "dismiss"  # reports looked at, the post left as it is


class ModerationEntry(db.Model):
    """The audit trail: who did what to which post or thread, when and why. Never edited."""

    __tablename__ = "discussion_moderation"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(
        ForeignKey("discussion_board.id", ondelete="CASCADE"), index=True
    )
    thread_id: Mapped[int] = mapped_column(ForeignKey("discussion_thread.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussion_post.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[ModerationAction] = mapped_column(
        enum_column(ModerationAction, "discussion_moderation_action")
    )
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    thread: Mapped[Thread] = relationship()
