"""The person page's section about quizzes (app/accounts/person_page.py): each quiz they
tried, with attempts used, best score, attempts given, and where more can be given."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, func, select

from app.accounts.person_page import PersonSection, register_action_label, register_person_section
from app.catalog.models import Course, Item
from app.extensions import db
from app.learning.models import QuizAttempt, QuizAttemptGrant
from app.seasons.models import Enrollment


def _quizzes(person) -> list | None:
    given = (
        select(
            QuizAttemptGrant.enrollment_id,
            QuizAttemptGrant.item_id,
            func.sum(QuizAttemptGrant.attempts).label("given"),
        )
        .group_by(QuizAttemptGrant.enrollment_id, QuizAttemptGrant.item_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            QuizAttempt.enrollment_id,
            Item,
            Course,
            func.count(QuizAttempt.id),
            func.max(QuizAttempt.score),
            func.max(QuizAttempt.passed.cast(Integer)),
            func.max(given.c.given),
        )
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .join(Item, Item.id == QuizAttempt.item_id)
        .join(Course, Course.id == Item.course_id)
        .outerjoin(
            given,
            (given.c.enrollment_id == QuizAttempt.enrollment_id)
            & (given.c.item_id == QuizAttempt.item_id),
        )
        .where(Enrollment.user_id == person.id)
        .group_by(QuizAttempt.enrollment_id, Item.id, Course.id)
        .order_by(Course.id, Item.position)
    ).all()
    return [
        {
            "enrollment_id": enrollment_id,
            "item": item,
            "course": course,
            "attempts": attempts,
            "best": best,
            "passed": bool(passed),
            "given": given_attempts or 0,
        }
        for enrollment_id, item, course, attempts, best, passed, given_attempts in rows
    ] or None


register_person_section(
    PersonSection("quizzes", "learning/admin/_person_quizzes.html", _quizzes, position=20)
)
register_action_label("attempts_granted", _l("Quiz attempts given"))
