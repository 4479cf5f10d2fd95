"""Other areas' news reaches the notification centre where they already send their mail: a
capstone reviewed or sent back for revision, a certificate ready, a seat from a waiting list."""

from sqlalchemy import select

from app.accounts.models import Role
from app.capstones import services as capstones
from app.capstones.models import Decision
from app.catalog.models import CourseKind
from app.certificates.services import render_and_tell
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from app.seasons import services as seasons
from tests.conftest import outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import enroll, make_cohort
from tests.test_access import TINY_PDF, add_capstone, certificate_for


def news_of(user) -> list[str]:
    db.session.expire_all()
    return [
        services.describe(n)
        for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def test_a_review_and_a_revision_request_reach_the_learner(app, make_user):
    tutor = make_user(role=Role.TUTOR)
    learner = make_user(locale="en")
    course = build_course("reviewed", kind=CourseKind.TUTOR_LED, title={"es": "Curso revisado"})
    item = add_capstone(course)
    cohort = make_cohort(course, tutors=[tutor])
    submission = capstones.start_submission(enroll(learner, course, cohort), item)
    capstones.submit(submission, "Mi proyecto", [("p.pdf", TINY_PDF)])
    capstones.review(
        submission, tutor, seen_token=submission.review_token, levels=[0], comment="Más",
        decision=Decision.REVISE,
    )  # fmt: skip
    db.session.commit()
    assert news_of(learner) == [
        "Your tutor asked for a revision of your capstone project in Curso revisado"
    ]
    # The area's own mail is still the only mail: the kind offers no second one.
    assert len([m for m in outbox(learner.email)]) == 1


def test_a_certificate_ready_reaches_the_learner(app, make_user, small_course):
    learner = make_user(locale="en")
    certificate = certificate_for(learner, small_course)
    db.session.commit()
    render_and_tell(certificate.id)
    db.session.commit()
    (line,) = news_of(learner)
    assert line.startswith("Your certificate for ") and line.endswith(" is ready")


def test_a_seat_from_the_waiting_list_reaches_the_learner(app, make_user):
    first, waiting = make_user(), make_user(locale="en")
    course = build_course("full", kind=CourseKind.TUTOR_LED, title={"es": "Curso lleno"})
    cohort = make_cohort(course, seats=1)
    place = enroll(first, course, cohort)
    seasons.join_waitlist(waiting, cohort)
    db.session.commit()
    seasons.withdraw(place)
    db.session.commit()
    assert news_of(waiting) == ["A seat in Curso lleno is yours"]
    assert news_of(first) == []
