"""The gradebook's quiz columns: each quiz's best score and the attempts used, per learner."""

from flask_babel import format_percent
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.catalog.models import Item
from app.core.i18n import localise
from app.extensions import db
from app.learning.models import QuizAttempt
from app.seasons.gradebook import Cell, Column, ColumnGroup, register_columns


def _quizzes(cohort) -> list[Item]:
    course = cohort.offering.course
    return list(
        db.session.scalars(
            select(Item)
            .where(Item.course_id == course.id, Item.kind == "quiz")
            .order_by(Item.position)
        )
    )


def _columns(cohort) -> list[Column]:
    course = cohort.offering.course
    columns = []
    for quiz in _quizzes(cohort):
        title = localise(quiz.title, course.language)
        columns.append(Column(f"quiz-{quiz.id}", _("%(quiz)s: best score", quiz=title)))
        columns.append(Column(f"quiz-{quiz.id}-attempts", _("%(quiz)s: attempts", quiz=title)))
    return columns


def _cells(cohort, places) -> dict[int, dict[str, Cell]]:
    if not places:
        return {}
    cells: dict[int, dict[str, Cell]] = {}
    best = db.session.execute(
        select(
            QuizAttempt.enrollment_id,
            QuizAttempt.item_id,
            func.max(QuizAttempt.score),
            func.count(),
            func.max(QuizAttempt.passed.cast(db.Integer)),
        )
        .where(QuizAttempt.enrollment_id.in_([e.id for e in places]))
        .group_by(QuizAttempt.enrollment_id, QuizAttempt.item_id)
    )
    for enrollment_id, item_id, score, attempts, passed in best:
        text = format_percent(score / 100)
        if passed:
            text = _("%(score)s, passed", score=text)
        cells.setdefault(enrollment_id, {}).update(
            {
                f"quiz-{item_id}": Cell(text, score),
                f"quiz-{item_id}-attempts": Cell(str(attempts), attempts),
            }
        )
    return cells


register_columns(ColumnGroup("quizzes", _columns, _cells, position=10))
