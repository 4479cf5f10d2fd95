"""Surveys, their questions, and each institution's response. A response names who answered
it (personal data: `answered_by_id`); answers speak for the institution."""

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from app.accounts.models import Institution
from app.core.db import NEVER_REUSE_IDS, UTCDateTime, enum_column, utcnow
from app.extensions import db


class SurveyState(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    NUMBER = "number"
    SHORT = "short"
    LONG = "long"

    @property
    def has_choices(self) -> bool:
        return self in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class InstitutionKind(enum.StrEnum):
    """How an institution describes itself when it answers (results are grouped by it)."""

    PUBLIC = "public"
    PRIVATE = "private"
    TRIPARTITE = "tripartite"
    GOVERNMENT = "government"
    OTHER = "other"


class Survey(db.Model):
    """A survey of member institutions, answered while open and between its dates."""

    __tablename__ = "survey"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates_in_order"),
        CheckConstraint("length(title) > 0", name="has_a_title"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5))
    state: Mapped[SurveyState] = mapped_column(
        enum_column(SurveyState, "survey_state"), default=SurveyState.DRAFT
    )
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    # {language: {"title": ..., "intro": ...}} for the other platform languages.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questions: Mapped[list["Question"]] = relationship(
        back_populates="survey",
        cascade="all, delete-orphan",
        order_by="(Question.position, Question.id)",
    )

    def accepts_answers(self, today: date) -> bool:
        return self.state == SurveyState.OPEN and self.opens_on <= today <= self.closes_on

    def shown_language(self, language: str) -> str:
        """The language the survey is shown in to a reader of `language`."""
        return language if language in (self.translations or {}) else self.language

    def title_in(self, language: str) -> str:
        return (self.translations or {}).get(language, {}).get("title") or self.title

    def intro_in(self, language: str) -> str:
        if language in (self.translations or {}):
            return self.translations[language].get("intro", "")
        return self.intro


class Question(db.Model):
    __tablename__ = "survey_question"
    __table_args__ = (CheckConstraint("length(prompt) > 0", name="has_a_prompt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "survey_question_kind"))
    prompt: Mapped[str] = mapped_column(String(500))
    choices: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # {language: {"prompt": ..., "choices": [...]}}: the same choices, in the same order.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def prompt_in(self, language: str) -> str:
        return (self.translations or {}).get(language, {}).get("prompt") or self.prompt

    def choices_in(self, language: str) -> list[str]:
        translated = (self.translations or {}).get(language, {}).get("choices")
        return translated if translated and len(translated) == len(self.choices) else self.choices


class SurveyResponse(db.Model):
    """One institution's answers to one survey: one per institution (a UNIQUE index)."""

    __tablename__ = "survey_response"
    __table_args__ = (
        Index("uq_survey_response_institution", "survey_id", "institution_id", unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    institution_kind: Mapped[InstitutionKind] = mapped_column(
        enum_column(InstitutionKind, "survey_institution_kind")
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    institution: Mapped[Institution] = relationship(lazy="joined", innerjoin=True)
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):
    """One answer: `value` is a choice index (single), a list of them (multiple), a number,
    or text."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        Index("uq_survey_answer_question", "response_id", "question_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_question.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[object] = mapped_column(JSON)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")
