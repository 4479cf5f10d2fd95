"""Observatory entries and their files. An entry names its author (personal data: the
`created_by_id` and `reviewed_by_id` columns); the rest describes an institution's work."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from app.accounts.models import Institution
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.core.fulltext import Fts5Index
from app.core.models import StoredFile
from app.extensions import db

LANGUAGES = ("es", "pt", "en")
# The text search vector of an entry: its folded text (every language, accents and case
# removed) as words, without stemming, since entries mix languages.
SEARCH_VECTOR = "to_tsvector('simple'::regconfig, search_text)"


class EntryState(enum.StrEnum):
    """Coordinators draft and submit; administrators publish or send back."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    RETURNED = "returned"


class Entry(db.Model):
    """An initiative or measure of an institution, in one or more languages.

    Its id is its citable address (/observatory/<id>): never reused. Texts are dicts by
    language, as course content is; `body_html` is the Markdown rendered and sanitised once,
    when saved. `themes` and `languages` are kept as ",a,b," so that every database filters
    them with the same LIKE.
    """

    __tablename__ = "observatory_entry"
    __table_args__ = (
        CheckConstraint("length(languages) > 2", name="has_a_language"),
        CheckConstraint(
            "period_from IS NULL OR period_to IS NULL OR period_to >= period_from",
            name="period_in_order",
        ),
        CheckConstraint(
            "state != 'published' OR published_at IS NOT NULL", name="published_has_a_date"
        ),
        # Full-text search on PostgreSQL (services.published_query); SQLite searches the same
        # folded text through its FTS5 index (SEARCH_INDEX, below).
        Index(
            "ix_observatory_entry_search",
            text(SEARCH_VECTOR),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="RESTRICT"), index=True
    )
    state: Mapped[EntryState] = mapped_column(
        enum_column(EntryState, "observatory_entry_state"), default=EntryState.DRAFT, index=True
    )
    main_language: Mapped[str] = mapped_column(String(5))
    languages: Mapped[str] = mapped_column(String(20))  # ",es,pt,"
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    body: Mapped[dict] = mapped_column(JSON)  # Markdown, as written
    body_html: Mapped[dict] = mapped_column(JSON)  # rendered, then sanitised
    country_code: Mapped[str] = mapped_column(String(2), index=True)
    themes: Mapped[str] = mapped_column(String(300), default=",")  # ",osh,green,"
    audience: Mapped[str] = mapped_column(String(40))
    period_from: Mapped[int | None] = mapped_column(Integer)
    period_to: Mapped[int | None] = mapped_column(Integer)
    links: Mapped[list] = mapped_column(JSON, default=list)  # [{"url":..., "label":...}]
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded, every language
    review_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    institution: Mapped[Institution] = relationship(lazy="joined", innerjoin=True)
    files: Mapped[list["EntryFile"]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryFile.id"
    )

    @property
    def language(self) -> str:
        """The language texts fall back to (what `tr` in templates reads, as for a course)."""
        return self.main_language

    @property
    def language_list(self) -> list[str]:
        return [code for code in LANGUAGES if f",{code}," in self.languages]

    @property
    def theme_list(self) -> list[str]:
        return [theme for theme in self.themes.split(",") if theme]

    @property
    def is_public(self) -> bool:
        return self.state == EntryState.PUBLISHED

    @property
    def editable(self) -> bool:
        """Coordinators change drafts and entries sent back; the rest wait for review."""
        return self.state in (EntryState.DRAFT, EntryState.RETURNED)


# SQLite: an FTS5 index of the entries' folded text, kept in step by triggers (the migration
# makes the same, migrations/versions/6b0d4e2f8a19_observatory_search_on_sqlite.py).
SEARCH_INDEX = Fts5Index("observatory_entry", "search_text")
SEARCH_INDEX.attach(Entry.__table__)


class EntryFile(db.Model):
    """A file of an entry (a guide, a toolkit), checked as capstone files are, always
    served as an attachment."""

    __tablename__ = "observatory_file"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("observatory_entry.id", ondelete="CASCADE"), index=True
    )
    stored_file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="files")
    stored: Mapped[StoredFile] = relationship()
