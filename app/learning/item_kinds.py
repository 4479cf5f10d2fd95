"""Quizzes, the learning area's kind of course item: graded here, done when passed."""

from dataclasses import dataclass, field
from typing import Literal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from pydantic import Field, model_validator

from app.catalog import kinds
from app.catalog.content.schema import ItemBase, LocalText, Strict
from app.catalog.kinds import ItemKind, OfflinePart

QUIZ = "quiz"


class Choice(Strict):
    text: LocalText
    correct: bool = False


class Question(Strict):
    kind: Literal["single", "multiple", "true_false", "numeric"]
    prompt: LocalText
    choices: list[Choice] = []
    answer: bool | float | None = None
    tolerance: float = Field(0, ge=0)
    feedback: LocalText | None = None

    @model_validator(mode="after")
    def has_a_correct_answer(self):
        correct = sum(choice.correct for choice in self.choices)
        if self.kind in ("single", "multiple"):
            if len(self.choices) < 2:
                raise ValueError("a choice question needs at least two choices")
            if correct == 0:
                raise ValueError("a quiz question with no correct answer")
            if self.kind == "single" and correct > 1:
                raise ValueError("a single-choice question has more than one correct answer")
        elif self.kind == "true_false":
            if not isinstance(self.answer, bool):
                raise ValueError("a true/false question needs `answer: true` or `answer: false`")
        elif isinstance(self.answer, bool) or self.answer is None:
            raise ValueError("a numeric question needs a number as `answer`")
        return self


class Quiz(ItemBase):
    kind: Literal["quiz"]
    pass_mark: int = Field(70, ge=0, le=100)  # percent
    max_attempts: int = Field(3, ge=0)  # 0: no limit
    # When the correct answers and explanations (feedback) show: once the quiz is passed or
    # every attempt is spent (the default), or after every attempt (a practice quiz).
    show_answers: Literal["when_passed_or_spent", "always"] = "when_passed_or_spent"
    questions: list[Question] = Field(min_length=1)


def _content(context, spec) -> dict:
    local = context.localised
    return {
        "pass_mark": spec.pass_mark,
        "max_attempts": spec.max_attempts,
        "show_answers": spec.show_answers,
        "questions": [
            {
                "kind": q.kind,
                "prompt": local(q.prompt),
                "choices": [{"text": local(c.text), "correct": c.correct} for c in q.choices],
                "answer": q.answer,
                "tolerance": q.tolerance,
                "feedback": local(q.feedback),
            }
            for q in spec.questions
        ],
    }


@dataclass
class QuizPart:
    """What the quiz partial shows: the learner's attempts, what is left, whether the correct
    answers show, and who can help once every attempt is spent."""

    attempts: list
    best: object
    attempts_left: int | None
    reveal: bool = False  # the correct answers and explanations show
    helpers: list = field(default_factory=list)  # who can give more attempts
    helpers_are_tutors: bool = False
    given: dict | None = None  # answers sent back with a refusal, to fill the form again
    missing: list = field(default_factory=list)  # questions a refused form left blank

    @property
    def latest(self):
        return self.attempts[-1] if self.attempts else None

    @property
    def passed(self) -> bool:
        return any(attempt.passed for attempt in self.attempts)

    @property
    def spent(self) -> bool:
        return not self.passed and self.attempts_left == 0

    @property
    def may_submit(self) -> bool:
        return not self.passed and self.attempts_left != 0

    def chosen(self, question: int, value: str) -> bool:
        """Whether the refused form had `value` for `question` (to keep the learner's work)."""
        return self.given is not None and value in self.given.get(str(question), [])

    @staticmethod
    def number(value) -> str:
        """A number as the learner's locale writes it (2,5 in Spanish)."""
        return format_decimal(value)

    def typed(self, question: int) -> str:
        values = (self.given or {}).get(str(question), [])
        return values[0] if values else ""


def page(enrollment, item, given=None, missing=()) -> QuizPart:
    from app.learning import services  # services import the models, which import the catalog

    attempts = services.attempts_of(enrollment, item)
    granted = services.granted_attempts(enrollment, item)
    part = QuizPart(
        attempts=attempts,
        best=services.best_attempt(attempts),
        attempts_left=services.attempts_left(item, attempts, granted),
        given=given,
        missing=list(missing),
    )
    part.reveal = (
        part.passed or part.spent or (bool(attempts) and services.shows_answers_always(item))
    )
    if part.spent and item.required:
        part.helpers, part.helpers_are_tutors = services.who_can_grant(enrollment)
    return part


def _offline(item) -> OfflinePart:
    """The questions and choices, never which answer is correct (grading is the server's)."""
    questions = [
        {
            "kind": q["kind"],
            "prompt": q["prompt"],
            "choices": [{"text": c["text"]} for c in q["choices"]],
        }
        for q in item.content["questions"]
    ]
    return OfflinePart(
        content={
            "pass_mark": item.content["pass_mark"],
            "max_attempts": item.content["max_attempts"],
            "questions": questions,
        }
    )


def _learner_data(item_ids: list[int]) -> dict[int, list[str]]:
    from app.learning.services import learner_data_for_items

    return learner_data_for_items(item_ids)


kinds.register_item_data(_learner_data)
kinds.register(
    ItemKind(
        name=QUIZ,
        label=_l("quiz"),
        schema=Quiz,
        build_content=_content,
        template="learning/_quiz.html",
        done_when="the learner passes it (its pass_mark, within max_attempts)",
        page=page,
        learner_marks_done=lambda item, part: False,
        offline=_offline,
    )
)
