"""Writing and opening surveys, answering them for an institution, reading the results,
reminding institutions that have not answered. Every check runs before the first write."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import Institution, User
from app.accounts.services import external_url
from app.coordinators.models import InstitutionCoordinator
from app.core.db import utcnow
from app.core.mail import send_template_mail
from app.core.refusals import Refusal
from app.extensions import db
from app.observatory import services as observatory
from app.survey.models import (
    Answer,
    InstitutionKind,
    Question,
    QuestionKind,
    Survey,
    SurveyResponse,
    SurveyState,
)

TITLE_MAX = 200
INTRO_MAX = 5_000
PROMPT_MAX = 500
CHOICE_MAX = 200
CHOICES_MAX = 30
QUESTIONS_MAX = 100
SHORT_MAX = 300
LONG_MAX = 10_000
NUMBER_LIMIT = Decimal("1e12")
LANGUAGES = ("es", "pt", "en")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SurveyError(Refusal):
    """A rule about surveys was broken; the message is for the person."""


def _line(value: str, limit: int, missing=None) -> str:
    value = (value or "").strip()
    if _LINE_CONTROL.search(value):
        raise SurveyError(_l("Use one line of text, without control characters."))
    if len(value) > limit:
        raise SurveyError(_l("Write at most %(max)s characters.", max=limit))
    if missing and not value:
        raise SurveyError(missing)
    return value


def _text(value: str, limit: int) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if _CONTROL.search(value):
        raise SurveyError(_l("The text has control characters."))
    if len(value) > limit:
        raise SurveyError(_l("Write at most %(max)s characters.", max=limit))
    return value


# Writing a survey -------------------------------------------------------------------------


def save_survey(
    survey: Survey | None, title: str, intro: str, language: str, opens_on, closes_on
) -> Survey:
    title = _line(title, TITLE_MAX, _l("A survey needs a title."))
    intro = _text(intro, INTRO_MAX)
    if language not in LANGUAGES:
        raise SurveyError(_l("Choose Spanish, Portuguese or English."))
    if opens_on is None or closes_on is None:
        raise SurveyError(_l("A survey needs a first and a last day."))
    if closes_on < opens_on:
        raise SurveyError(_l("The survey closes before it opens."))
    if survey is None:
        survey = Survey(state=SurveyState.DRAFT)
        db.session.add(survey)
    survey.title, survey.intro, survey.language = title, intro, language
    survey.opens_on, survey.closes_on = opens_on, closes_on
    db.session.flush()
    return survey


def _has_responses(survey: Survey) -> bool:
    return (
        db.session.scalar(
            select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id).limit(1)
        )
        is not None
    )


def add_question(
    survey: Survey, kind: str, prompt: str, choices_text: str, required: bool
) -> Question:
    """A new last question; only while nobody has answered (answers would lose meaning)."""
    if _has_responses(survey):
        raise SurveyError(_l("Institutions have answered: the questions can no longer change."))
    if len(survey.questions) >= QUESTIONS_MAX:
        raise SurveyError(_l("A survey has at most %(max)s questions.", max=QUESTIONS_MAX))
    try:
        kind = QuestionKind(kind)
    except ValueError:
        raise SurveyError(_l("Choose a kind of question.")) from None
    prompt = _line(prompt, PROMPT_MAX, _l("Write the question."))
    choices = []
    if kind.has_choices:
        for line in (choices_text or "").replace("\r\n", "\n").split("\n"):
            if line.strip():
                choices.append(_line(line, CHOICE_MAX))
        if len(choices) < 2:
            raise SurveyError(_l("A choice question needs at least two choices, one per line."))
        if len(choices) > CHOICES_MAX:
            raise SurveyError(_l("A question has at most %(max)s choices.", max=CHOICES_MAX))
        if len(set(choices)) != len(choices):
            raise SurveyError(_l("Each choice must be different."))
    question = Question(
        survey=survey,
        kind=kind,
        prompt=prompt,
        choices=choices,
        required=bool(required),
        position=len(survey.questions),
    )
    db.session.add(question)
    db.session.flush()
    return question


def remove_question(survey: Survey, question: Question) -> None:
    if _has_responses(survey):
        raise SurveyError(_l("Institutions have answered: the questions can no longer change."))
    survey.questions.remove(question)
    db.session.flush()


def translate_survey(
    survey: Survey, language: str, title: str, intro: str, questions: dict[int, tuple[str, str]]
) -> None:
    """Write the survey in another platform language: its title, introduction and every
    question (the prompt, and for choice questions as many choices, in the same order).
    An empty title removes the translation. Answers keep their meaning: they are indexes."""
    if language not in LANGUAGES or language == survey.language:
        raise SurveyError(_l("Choose another language than the survey's own."))
    title = _line(title, TITLE_MAX)
    translations = dict(survey.translations or {})
    if not title:
        translations.pop(language, None)
        survey.translations = translations
        for question in survey.questions:
            question.translations = {
                k: v for k, v in (question.translations or {}).items() if k != language
            }
        db.session.flush()
        return
    intro = _text(intro, INTRO_MAX)
    checked = {}
    for question in survey.questions:
        prompt_text, choices_text = questions.get(question.id, ("", ""))
        prompt = _line(prompt_text, PROMPT_MAX, _l("Translate every question."))
        choices = []
        if question.kind.has_choices:
            choices = [
                _line(line, CHOICE_MAX)
                for line in (choices_text or "").replace("\r\n", "\n").split("\n")
                if line.strip()
            ]
            if len(choices) != len(question.choices):
                raise SurveyError(
                    _l(
                        "“%(question)s” has %(num)s choices: translate each, one per line, "
                        "in the same order.",
                        question=question.prompt[:60],
                        num=len(question.choices),
                    )
                )
        checked[question.id] = {"prompt": prompt, "choices": choices}
    # Every check passed: only now is anything changed.
    translations[language] = {"title": title, "intro": intro}
    survey.translations = translations
    for question in survey.questions:
        question.translations = {**(question.translations or {}), language: checked[question.id]}
    db.session.flush()


def open_survey(survey: Survey) -> None:
    if not survey.questions:
        raise SurveyError(_l("Add at least one question before opening the survey."))
    survey.state = SurveyState.OPEN
    db.session.flush()


def close_survey(survey: Survey) -> None:
    survey.state = SurveyState.CLOSED
    db.session.flush()


# Answering --------------------------------------------------------------------------------


def response_of(survey: Survey, institution: Institution) -> SurveyResponse | None:
    return db.session.scalar(
        select(SurveyResponse)
        .where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.institution_id == institution.id,
        )
        .options(selectinload(SurveyResponse.answers))
    )


def _choice_index(raw, question: Question) -> int | None:
    """The index a form's value names among the question's choices, or None."""
    raw = str(raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
        return None
    index = int(raw)
    return index if index < len(question.choices) else None


def _checked_value(question: Question, raw):
    """The value to store for one question's raw form input (None: not answered)."""
    kind = question.kind
    if kind == QuestionKind.SINGLE:
        raw = (raw or "").strip()
        if not raw:
            return None
        index = _choice_index(raw, question)
        if index is None:
            raise SurveyError(_l("Choose one of the choices offered."))
        return index
    if kind == QuestionKind.MULTIPLE:
        picked = [_choice_index(item, question) for item in (raw or []) if item]
        if None in picked:
            raise SurveyError(_l("Choose among the choices offered."))
        return sorted(set(picked)) or None
    if kind == QuestionKind.NUMBER:
        raw = str(raw if raw is not None else "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise SurveyError(_l("Write a number.")) from None
        if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
            raise SurveyError(_l("Write a number."))
        return int(number) if number == number.to_integral_value() else float(number)
    limit = SHORT_MAX if kind == QuestionKind.SHORT else LONG_MAX
    value = _line(raw, limit) if kind == QuestionKind.SHORT else _text(raw, limit)
    return value or None


def save_response(
    survey: Survey,
    institution: Institution,
    author: User,
    institution_kind: str,
    raw_answers: dict[int, object],
    today: date | None = None,
) -> SurveyResponse:
    """Answer (or change the answer) for the institution, while the survey is open.

    Problems are gathered per question and raised together: `SurveyError.problems`."""
    if not survey.accepts_answers(today or date.today()):
        raise SurveyError(_l("This survey is not open for answers."))
    try:
        kind = InstitutionKind(institution_kind)
    except ValueError:
        raise SurveyError(_l("Choose the type of your institution.")) from None
    values, problems = {}, {}
    for question in survey.questions:
        try:
            value = _checked_value(question, raw_answers.get(question.id))
        except SurveyError as error:
            problems[question.id] = str(error)
            continue
        if value is None and question.required:
            problems[question.id] = str(_l("This question needs an answer."))
        values[question.id] = value
    if problems:
        error = SurveyError(_l("Some answers need a change."))
        error.problems = problems
        raise error
    response = response_of(survey, institution)
    if response is None:
        response = SurveyResponse(survey_id=survey.id, institution_id=institution.id)
        db.session.add(response)
    response.institution_kind = kind
    response.answered_by_id = author.id
    response.updated_at = utcnow()
    by_question = {answer.question_id: answer for answer in response.answers}
    for question_id, value in values.items():
        answer = by_question.get(question_id)
        if value is None:
            if answer is not None:
                response.answers.remove(answer)
        elif answer is None:
            response.answers.append(Answer(question_id=question_id, value=value))
        else:
            answer.value = value
    db.session.flush()
    return response


def answer_text(question: Question, value, language: str = "") -> str:
    """An answer as people read it: the choices' words, the number, the text."""
    if value is None:
        return ""
    choices = question.choices_in(language) if language else question.choices
    if question.kind == QuestionKind.SINGLE:
        return choices[value] if 0 <= value < len(choices) else ""
    if question.kind == QuestionKind.MULTIPLE:
        return ", ".join(choices[i] for i in value if 0 <= i < len(choices))
    return str(value)


def answer_to_entry(survey: Survey, institution: Institution, question: Question, author: User):
    """A draft observatory entry from the institution's text answer to the question."""
    if question.survey_id != survey.id or question.kind not in (
        QuestionKind.LONG,
        QuestionKind.SHORT,
    ):
        raise SurveyError(_l("Only a text answer can become an observatory entry."))
    response = response_of(survey, institution)
    answer = next(
        (a for a in (response.answers if response else []) if a.question_id == question.id),
        None,
    )
    if answer is None or not isinstance(answer.value, str):
        raise SurveyError(_l("This question has no answer yet."))
    text = answer.value
    summary = " ".join(text.split())[: observatory.SUMMARY_MAX]
    return observatory.draft_from(
        institution, author, survey.language, question.prompt, summary, text
    )


# Results ----------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: Question
    answered: int = 0
    # group -> choice index -> count (choice questions)
    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    # group -> list of numbers (number questions)
    numbers: dict = field(default_factory=lambda: defaultdict(list))
    # (institution, group, text) (text questions)
    texts: list = field(default_factory=list)


def _group(response: SurveyResponse, by: str) -> str:
    if by == "country":
        return response.institution.country_code
    if by == "kind":
        return response.institution_kind.value
    return ""


def results(survey: Survey, by: str = "") -> tuple[list[QuestionResult], list[str], int]:
    """Results of every question, grouped by country, by type of institution or not at all:
    (per question, the groups found, responses). Two queries whatever the number of answers."""
    responses = list(
        db.session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.survey_id == survey.id)
            .options(selectinload(SurveyResponse.answers))
        )
    )
    by_question = {q.id: QuestionResult(q) for q in survey.questions}
    groups = set()
    for response in responses:
        group = _group(response, by)
        groups.add(group)
        for answer in response.answers:
            result = by_question.get(answer.question_id)
            if result is None:
                continue
            result.answered += 1
            kind = result.question.kind
            if kind == QuestionKind.SINGLE:
                result.counts[group][answer.value] += 1
            elif kind == QuestionKind.MULTIPLE:
                for index in answer.value:
                    result.counts[group][index] += 1
            elif kind == QuestionKind.NUMBER:
                result.numbers[group].append(answer.value)
            else:
                result.texts.append((response.institution, group, answer.value))
    return list(by_question.values()), sorted(groups), len(responses)


# Who has not answered ---------------------------------------------------------------------


def coordinated_institutions() -> list[Institution]:
    """Institutions with a coordinator: those a survey asks."""
    return list(
        db.session.scalars(
            select(Institution)
            .where(
                Institution.id.in_(select(InstitutionCoordinator.institution_id)),
                Institution.active.is_(True),
            )
            .order_by(Institution.acronym)
        )
    )


def not_answered(survey: Survey) -> list[Institution]:
    answered = select(SurveyResponse.institution_id).where(SurveyResponse.survey_id == survey.id)
    return [i for i in coordinated_institutions() if i.id not in set(db.session.scalars(answered))]


def remind(survey: Survey, today: date | None = None) -> int:
    """Mail every coordinator of an institution that has not answered; returns the mails."""
    if not survey.accepts_answers(today or date.today()):
        raise SurveyError(_l("Reminders are sent while the survey is open."))
    waiting = {i.id for i in not_answered(survey)}
    if not waiting:
        return 0
    coordinators = db.session.scalars(
        select(InstitutionCoordinator).where(InstitutionCoordinator.institution_id.in_(waiting))
    ).all()
    for row in coordinators:
        user = row.user
        send_template_mail(
            user.email,
            user.locale,
            "survey/mail/reminder",
            _l("The network's survey is waiting for your institution's answers"),
            user=user,
            survey=survey,
            title=survey.title_in(user.locale),
            institution=row.institution,
            url=external_url(
                "survey_coordinator.answer", institution_id=row.institution_id, survey_id=survey.id
            ),
        )
    return len(coordinators)


def remind_open_surveys(today: date) -> list[tuple[Survey, int]]:
    """Remind every survey taking answers today; (survey, mails sent) for each."""
    surveys = db.session.scalars(select(Survey).where(Survey.state == SurveyState.OPEN)).all()
    return [(s, remind(s, today)) for s in surveys if s.accepts_answers(today)]


def surveys_for_institutions() -> list[Survey]:
    """Surveys coordinators see: open or closed (never drafts), newest first."""
    return list(
        db.session.scalars(
            select(Survey)
            .where(Survey.state != SurveyState.DRAFT)
            .order_by(Survey.opens_on.desc(), Survey.id.desc())
        )
    )


def all_surveys() -> list[Survey]:
    return list(db.session.scalars(select(Survey).order_by(Survey.created_at.desc())))
