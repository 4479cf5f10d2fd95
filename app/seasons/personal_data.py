"""What the seasons area keeps about a person (app/core/privacy.py): their places in
courses (enrolments), waiting-list places and the cohorts they lead as a tutor.

Erasing gives every place up through the seasons' own services, so a freed seat goes to the
next person in line as on any withdrawal. Areas whose rows hang on an enrolment (progress,
projects, certificates) erase theirs before this runs (a lower erase_order).
"""

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from app.core.privacy import register_personal_data
from app.extensions import db
from app.seasons import services
from app.seasons.models import Cohort, Enrollment, Offering, WaitlistEntry, cohort_tutor


def _enrollments(user) -> list[dict]:
    rows = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .options(
            joinedload(Enrollment.course),
            joinedload(Enrollment.season),
            joinedload(Enrollment.cohort),
        )
        .order_by(Enrollment.id)
    )
    return [
        {
            "id": e.id,
            "course": e.course.slug,
            "course_title": e.course.title,
            "season": e.season.name,
            "cohort": e.cohort.name if e.cohort else None,
            "enrolled_at": e.enrolled_at,
            "completed_at": e.completed_at,
        }
        for e in rows
    ]


def _erase_enrollments(user) -> None:
    places = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user.id)
            .options(joinedload(Enrollment.season), joinedload(Enrollment.cohort))
            .order_by(Enrollment.id)
        )
    )
    for place in places:
        services.withdraw(place, by_admin=True)  # frees the seat; the waiting list moves on


register_personal_data(
    "enrollments",
    tables=("enrollment",),
    export=_enrollments,
    erase=_erase_enrollments,
    erase_order=50,
)


def _waiting(user) -> list[dict]:
    return [
        {
            "course": entry.course_slug,
            "cohort": entry.cohort_name,
            "joined_at": entry.joined_at,
            "place_in_line": entry.position,
        }
        for entry in services.waiting_for(user)
    ]


def _erase_waiting(user) -> None:
    db.session.execute(
        delete(WaitlistEntry)
        .where(WaitlistEntry.user_id == user.id)
        .execution_options(synchronize_session=False)
    )


register_personal_data(
    "waiting_lists",
    tables=("waitlist_entry",),
    export=_waiting,
    erase=_erase_waiting,
    erase_order=40,
)


def _tutored(user) -> list[dict]:
    rows = db.session.scalars(
        select(Cohort)
        .join(cohort_tutor, cohort_tutor.c.cohort_id == Cohort.id)
        .where(cohort_tutor.c.user_id == user.id)
        .options(joinedload(Cohort.offering).joinedload(Offering.course))
        .order_by(Cohort.id)
    )
    return [{"course": c.offering.course.slug, "cohort": c.name} for c in rows]


def _erase_tutored(user) -> None:
    db.session.execute(delete(cohort_tutor).where(cohort_tutor.c.user_id == user.id))


register_personal_data(
    "cohorts_led",
    tables=("cohort_tutor",),
    export=_tutored,
    erase=_erase_tutored,
    erase_order=40,
)


def _staff_traces(user) -> dict:
    """As staff: the messages they sent cohorts, and the cohorts they opened early."""
    from app.seasons.models import CohortMessage

    sent = db.session.execute(
        select(Cohort.name, CohortMessage.subject, CohortMessage.body, CohortMessage.sent_at)
        .join(Cohort, Cohort.id == CohortMessage.cohort_id)
        .where(CohortMessage.sender_id == user.id)
        .order_by(CohortMessage.id)
    )
    opened = db.session.execute(
        select(Cohort.name, Cohort.opened_early_at).where(Cohort.opened_early_by_id == user.id)
    )
    return {
        "cohort_messages_sent": [
            {"cohort": c, "subject": s, "text": b, "sent_at": at} for c, s, b, at in sent
        ],
        "cohorts_opened_early": [{"cohort": c, "at": at} for c, at in opened],
    }


def _erase_staff_traces(user) -> None:
    # The messages stay with the cohorts that received them, and the cohorts stay open; only
    # the link to the account goes.
    from sqlalchemy import update

    from app.seasons.models import CohortMessage

    for statement in (
        update(CohortMessage).where(CohortMessage.sender_id == user.id).values(sender_id=None),
        update(Cohort).where(Cohort.opened_early_by_id == user.id).values(opened_early_by_id=None),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


register_personal_data(
    "cohort_staff_traces",
    tables=("cohort_message", "cohort"),
    export=_staff_traces,
    erase=_erase_staff_traces,
    erase_order=40,
)
