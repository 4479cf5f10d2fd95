"""What the learning area keeps about a person (app/core/privacy.py): the items they have
done and their quiz attempts (answers, results, scores), per enrolment."""

from sqlalchemy import delete, select

from app.catalog.models import Item
from app.core.privacy import register_personal_data
from app.extensions import db
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons.models import Enrollment


def _their_enrollments(user):
    return select(Enrollment.id).where(Enrollment.user_id == user.id)


def _progress(user) -> list[dict]:
    rows = db.session.execute(
        select(ItemProgress.enrollment_id, Item.slug, ItemProgress.done_at)
        .join(Item, Item.id == ItemProgress.item_id)
        .where(ItemProgress.enrollment_id.in_(_their_enrollments(user)))
        .order_by(ItemProgress.enrollment_id, ItemProgress.done_at, ItemProgress.id)
    )
    return [{"enrollment_id": e, "item": slug, "done_at": at} for e, slug, at in rows]


def _attempts(user) -> list[dict]:
    rows = db.session.execute(
        select(QuizAttempt, Item.slug)
        .join(Item, Item.id == QuizAttempt.item_id)
        .where(QuizAttempt.enrollment_id.in_(_their_enrollments(user)))
        .order_by(QuizAttempt.enrollment_id, QuizAttempt.item_id, QuizAttempt.number)
    )
    return [
        {
            "enrollment_id": a.enrollment_id,
            "quiz": slug,
            "number": a.number,
            "answers": a.answers,
            "results": a.results,
            "score": a.score,
            "passed": a.passed,
            "submitted_at": a.submitted_at,
        }
        for a, slug in rows
    ]


def _erase(model):
    def erase(user) -> None:
        db.session.execute(
            delete(model)
            .where(model.enrollment_id.in_(_their_enrollments(user)))
            .execution_options(synchronize_session=False)
        )

    return erase


register_personal_data(
    "progress",
    tables=("item_progress",),
    export=_progress,
    erase=_erase(ItemProgress),
    erase_order=20,
)
register_personal_data(
    "quiz_attempts",
    tables=("quiz_attempt",),
    export=_attempts,
    erase=_erase(QuizAttempt),
    erase_order=20,
)


def _grants(user) -> dict:
    """Attempts given to them (with the reason), and attempts they gave others as staff."""
    from app.learning.models import QuizAttemptGrant

    received = db.session.execute(
        select(Item.slug, QuizAttemptGrant.attempts, QuizAttemptGrant.reason,
               QuizAttemptGrant.granted_at)
        .join(Enrollment, Enrollment.id == QuizAttemptGrant.enrollment_id)
        .join(Item, Item.id == QuizAttemptGrant.item_id)
        .where(Enrollment.user_id == user.id)
        .order_by(QuizAttemptGrant.id)
    )  # fmt: skip
    given = db.session.execute(
        select(Item.slug, QuizAttemptGrant.attempts, QuizAttemptGrant.granted_at)
        .join(Item, Item.id == QuizAttemptGrant.item_id)
        .where(QuizAttemptGrant.granted_by_id == user.id)
        .order_by(QuizAttemptGrant.id)
    )
    return {
        "received": [
            {"quiz": q, "attempts": n, "reason": reason, "at": at} for q, n, reason, at in received
        ],
        "given": [{"quiz": q, "attempts": n, "at": at} for q, n, at in given],
    }


def _erase_grants(user) -> None:
    from sqlalchemy import update

    from app.learning.models import QuizAttemptGrant

    places = select(Enrollment.id).where(Enrollment.user_id == user.id)
    db.session.execute(
        delete(QuizAttemptGrant)
        .where(QuizAttemptGrant.enrollment_id.in_(places))
        .execution_options(synchronize_session=False)
    )
    # Grants they made stay with the learners who received them, without the giver's name.
    db.session.execute(
        update(QuizAttemptGrant)
        .where(QuizAttemptGrant.granted_by_id == user.id)
        .values(granted_by_id=None)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "quiz_attempt_grants",
    tables=("quiz_attempt_grant",),
    export=_grants,
    erase=_erase_grants,
    erase_order=20,
)
