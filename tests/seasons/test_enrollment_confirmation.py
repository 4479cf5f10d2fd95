"""A learner who enrols themselves hears of it once, in their language, through the
notification centre: what they enrolled in, a cohort's dates, the course's link; by mail at
once, in the daily digest or in the platform only, as they chose; nothing when refused."""

import re

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from app.accounts.models import Role
from app.catalog.models import CourseKind
from app.extensions import db
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.seasons import services
from app.seasons.notification_kinds import ENROLLED
from tests.conftest import csrf_token, outbox
from tests.learning.helpers import build_course
from tests.seasons.factories import days, enroll, make_cohort, offering_for

TUTORED = "confirmed-tutored"
SELF_PACED = "confirmed-self-paced"


@pytest.fixture
def tutored(app):
    course = build_course(
        TUTORED,
        kind=CourseKind.TUTOR_LED,
        title={"es": "Aprendizaje de calidad", "pt": "Aprendizagem de qualidade"},
    )
    db.session.commit()
    return course


@pytest.fixture
def self_paced(app):
    course = build_course(
        SELF_PACED, title={"es": "Empleos verdes", "en": "Green jobs", "pt": "Empregos verdes"}
    )
    offering_for(course)
    db.session.commit()
    return course


def post(client, url, page):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def news_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == ENROLLED
            )
        )
    )


def test_a_learner_enrolled_in_a_cohort_gets_one_mail_in_their_language(client, login_as, tutored):
    cohort = make_cohort(tutored, name="Turma Sul", starts_on=days(20), ends_on=days(80))
    db.session.commit()
    learner = login_as(Role.LEARNER, locale="pt")
    response = post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}")
    assert response.status_code == 302
    # The same form sent again keeps the same place and mails nothing more.
    assert post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}").status_code == 302

    (mail,) = outbox(learner.email)
    start, end = (format_date(day, "long", locale="pt") for day in (days(20), days(80)))
    assert mail.subject == (
        f"Você tem uma vaga na turma “Turma Sul” de Aprendizagem de qualidade, de {start} a {end}"
    )
    assert mail.body.startswith("Olá") and f"/learn/{TUTORED}\n" in mail.body
    # A notification mail like the others: one-click unsubscribe (RFC 8058), signed out.
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://[^>]+/unsubscribe/[^>]+>", mail.headers["List-Unsubscribe"])
    assert "/unsubscribe/" in mail.body
    (news,) = news_of(learner)
    assert news.link == f"/learn/{TUTORED}" and news.read_at is None


def test_a_self_paced_enrolment_is_confirmed_without_dates(client, login_as, self_paced):
    learner = login_as(Role.LEARNER, locale="en")
    offering = offering_for(self_paced)
    db.session.commit()
    assert (
        post(client, f"/offerings/{offering.id}/enrol", f"/courses/{SELF_PACED}").status_code == 302
    )
    (mail,) = outbox(learner.email)
    assert mail.subject == "You are enrolled in Green jobs, at your own pace"
    assert f"/learn/{SELF_PACED}" in mail.body


def test_a_learner_who_chose_the_digest_hears_of_it_the_next_day(
    client, login_as, tutored, make_user
):
    cohort = make_cohort(tutored, name="Cohorte Norte")
    learner = login_as(Role.LEARNER, locale="es")
    notifications.set_preferences(learner, {ENROLLED: "digest"})
    db.session.commit()
    post(client, f"/cohorts/{cohort.id}/enrol", f"/courses/{TUTORED}")
    assert outbox(learner.email) == []
    assert len(news_of(learner)) == 1
    assert notifications.send_digests() == 1
    (digest,) = outbox(learner.email)
    assert digest.subject == "Sus novedades del día en Aula"
    assert "Tiene una plaza en la cohorte «Cohorte Norte» de Aprendizaje de calidad" in digest.body
    assert notifications.send_digests() == 0


def test_a_learner_who_chose_the_platform_only_gets_no_mail(client, login_as, self_paced):
    learner = login_as(Role.LEARNER, locale="en")
    notifications.set_preferences(learner, {ENROLLED: "platform"})
    offering = offering_for(self_paced)
    db.session.commit()
    post(client, f"/offerings/{offering.id}/enrol", f"/courses/{SELF_PACED}")
    assert outbox(learner.email) == []
    assert notifications.send_digests() == 0
    (news,) = news_of(learner)
    assert notifications.describe(news) == "You are enrolled in Green jobs, at your own pace"
    assert "1 unread" in client.get("/dashboard").get_data(as_text=True)


def test_a_refused_enrolment_mails_nothing(client, login_as, tutored, make_user):
    full = make_cohort(tutored, name="Llena", seats=1)
    # Closed two days ago: a window stays open while its last day lasts anywhere on Earth
    # (seasons.models.within), so one that closed yesterday is open until noon UTC.
    closed = make_cohort(
        tutored, name="Cerrada", enroll_opens_on=days(-10), enroll_closes_on=days(-2)
    )
    other = make_cohort(tutored, name="Otra")
    enroll(make_user(), tutored, full)  # the last seat, taken by someone enrolled for them
    db.session.commit()
    assert outbox() == []  # enrolling someone else tells them in the enroller's own words
    learner = login_as(Role.LEARNER, locale="es")
    assert post(client, f"/cohorts/{full.id}/enrol", f"/courses/{TUTORED}").status_code == 409
    assert post(client, f"/cohorts/{closed.id}/enrol", f"/courses/{TUTORED}").status_code == 302
    assert outbox() == [] and news_of(learner) == []
    # A second place in the same course is refused too, after the first one's confirmation.
    post(client, f"/cohorts/{other.id}/enrol", f"/courses/{TUTORED}")
    assert len(outbox(learner.email)) == 1
    elsewhere = make_cohort(tutored, name="Aparte")
    db.session.commit()
    post(client, f"/cohorts/{elsewhere.id}/enrol", f"/courses/{TUTORED}")
    assert len(outbox(learner.email)) == 1 and len(news_of(learner)) == 1


def test_a_rolled_back_enrolment_mails_nothing(tutored, make_user):
    cohort = make_cohort(tutored)
    learner = make_user()
    db.session.commit()
    services.enroll_self(learner, cohort.offering, cohort)
    db.session.rollback()
    assert outbox() == [] and news_of(learner) == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_the_waiting_list_confirms_once(client, login_as, tutored, make_user):
    cohort = make_cohort(tutored, name="Fila", seats=1)
    holder = make_user()
    place = enroll(holder, tutored, cohort)
    db.session.commit()
    # A full cohort: the learner waits, and is told nothing yet.
    learner = login_as(Role.LEARNER, locale="en")
    post(client, f"/cohorts/{cohort.id}/waitlist", f"/courses/{TUTORED}")
    assert outbox(learner.email) == []
    # The seat they get from the line is mailed by the waiting list, not a second time.
    services.withdraw(place)
    db.session.commit()
    assert [m.subject for m in outbox(learner.email)] == ["A seat is yours"]
    assert news_of(learner) == []
    # Asking to wait where a seat is free enrols at once: that is confirmed like an enrolment.
    roomy = make_cohort(build_course("roomy", kind=CourseKind.TUTOR_LED), name="Amplia")
    db.session.commit()
    post(client, f"/cohorts/{roomy.id}/waitlist", "/courses/roomy")
    subjects = [m.subject for m in outbox(learner.email)]
    assert len(subjects) == 2 and subjects[1].startswith("You have a place in cohort “Amplia”")
