"""Other areas' news reaches the notification centre where they already send their mail: a
capstone reviewed or sent back for revision, a certificate ready, a seat from a waiting list."""

from sqlalchemy import select

from app.accounts.models import Role
from app.capstones import services as capstones
from app.capstones.models import Decision
from app.catalog.models import CourseKind
from app.certificates import corrections
from app.certificates import services as certificates
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


def test_a_revocation_and_a_name_decision_say_what_happened_not_ready(app, make_user, small_course):
    learner = make_user(locale="en")
    certificate = certificate_for(learner, small_course)
    db.session.commit()
    render_and_tell(certificate.id)
    first = corrections.request_correction(certificate, "Ana María Pérez", "ID", learner)
    corrections.decide(first, False, "Does not match the ID", certificates.PLATFORM)
    second = corrections.request_correction(certificate, "Ana Pérez", "ID", learner)
    corrections.decide(second, True, "Matches the ID", certificates.PLATFORM)
    certificates.revoke(certificate, "Identity not confirmed", certificates.PLATFORM)
    db.session.commit()
    ready, refused, approved, revoked = news_of(learner)
    assert ready.endswith(" is ready")
    assert refused.startswith("The name correction you asked for") and "refused" in refused
    assert approved.startswith("The corrected name on your certificate") and "approved" in approved
    assert revoked.startswith("Your certificate for ") and revoked.endswith(" was revoked")


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
