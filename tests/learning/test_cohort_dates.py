"""Cohort dates mean something: a tutor-led cohort's lessons, quizzes and capstone open on its
first day (or when an administrator opens it early); before that its learners see the outline
and the day it opens, and every service refuses work, so no completion (and no certificate)
predates the start."""

from html import unescape

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.capstones import services as capstones
from app.capstones.models import Submission, SubmissionVersion
from app.catalog.models import Item
from app.extensions import db
from app.learning import services as learning
from app.learning.models import ItemProgress, QuizAttempt
from app.seasons import services as seasons
from app.seasons.models import Cohort
from tests.capstones.helpers import (
    ITEM_URL,
    OSH,
    capstone_item,
    enrollment_of,
    make_person,
    osh_course,
    pdf_bytes,
    post_project,
    start,
)
from tests.conftest import csrf_token, login
from tests.learning.helpers import count_rows, flashes, main_of
from tests.seasons.factories import days, enroll, make_cohort


@pytest.fixture
def early(client):
    """A learner enrolled in an OSH cohort that starts in 20 days and was not opened early,
    signed in; reads in English."""
    cohort = make_cohort(osh_course(), open_early=False, tutors=[make_person(Role.TUTOR)])
    learner = make_person(Role.LEARNER, locale="en")
    enroll(learner, osh_course(), cohort)
    db.session.commit()
    login(client, learner)
    return cohort, learner


def items(kind=None):
    query = select(Item).where(Item.course_id == osh_course().id).order_by(Item.position)
    if kind:
        query = query.where(Item.kind == kind)
    return list(db.session.scalars(query))


def long_date(day) -> str:
    return f"{day:%B} {day.day}, {day.year}"  # Babel's "long" date in English


def test_the_course_home_shows_the_outline_and_the_day_it_opens(client, early):
    cohort, _learner = early
    page = unescape(main_of(client.get(f"/learn/{OSH}").get_data(as_text=True)))
    assert f"This course opens on {long_date(cohort.starts_on)}." in page
    assert "Continue:" not in page
    for item in items()[:3]:
        title = item.title.get("en") or item.title[osh_course().language]
        assert title in page  # the outline is there to read


def test_every_item_page_shows_when_it_opens_not_its_content(client, early):
    cohort, _learner = early
    for item in items():
        response = client.get(f"/learn/{OSH}/{item.slug}")
        assert response.status_code == 200, item.slug
        page = main_of(response.get_data(as_text=True))
        assert f"This course opens on {long_date(cohort.starts_on)}." in page, item.slug
        assert "<form" not in page, item.slug  # no quiz, no project form, no "done" button
    capstone = main_of(client.get(ITEM_URL).get_data(as_text=True))
    assert "Assessment rubric" not in capstone


def test_every_service_refuses_work_before_the_start(client, early):
    _cohort, learner = early
    enrollment = enrollment_of(learner)
    lesson = items("lesson")[0]
    with pytest.raises(learning.NotOpenYet):
        learning.mark_done(enrollment, lesson)
    quiz = items("quiz")[0]
    with pytest.raises(learning.NotOpenYet):
        learning.submit_quiz(enrollment, quiz, 1, {"0": ["0"]})
    submission = start(learner)
    with pytest.raises(capstones.SubmissionClosed, match="opens on"):
        capstones.save_draft(submission, "Early draft")
    with pytest.raises(capstones.SubmissionClosed, match="opens on"):
        capstones.submit(submission, "Early", [("plan.pdf", pdf_bytes())])
    db.session.rollback()
    assert count_rows(ItemProgress) == 0 and count_rows(QuizAttempt) == 0
    assert enrollment_of(learner).completed_at is None


def test_the_forms_refuse_before_the_start_and_change_nothing(client, early):
    _cohort, learner = early
    lesson = items("lesson")[0]
    url = f"/learn/{OSH}/{lesson.slug}"
    token = csrf_token(client, f"/learn/{OSH}")
    response = client.post(f"{url}/done", data={"csrf_token": token}, follow_redirects=True)
    assert "This course opens on" in " ".join(
        t for _c, t in flashes(response.get_data(as_text=True))
    )
    quiz = items("quiz")[0]
    client.post(f"/learn/{OSH}/{quiz.slug}/quiz", data={"csrf_token": token, "attempt": "1"})
    response = post_project(
        client, "Too early", files=[("plan.pdf", pdf_bytes())], action="submit_project"
    )
    assert "opens on" in response.get_data(as_text=True)
    assert count_rows(ItemProgress) == 0 and count_rows(QuizAttempt) == 0
    assert capstone_item() is not None and count_rows(SubmissionVersion) == 0
    assert count_rows(Submission) == 0


def test_an_administrator_opens_a_cohort_early_once_and_it_is_kept(app, early):
    cohort, learner = early
    admin = make_person(Role.ADMIN, full_name="Ana Admin")
    client = app.test_client()
    login(client, admin)
    page = client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Open the course to this cohort now" in page
    token = csrf_token(client, f"/admin/cohorts/{cohort.id}")
    response = client.post(f"/admin/cohorts/{cohort.id}/open-early", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    opened = db.session.get(Cohort, cohort.id)
    first = opened.opened_early_at
    assert first is not None and opened.opened_early_by_id == admin.id
    # Sent twice: the first opening stays as it was.
    client.post(f"/admin/cohorts/{cohort.id}/open-early", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).opened_early_at == first
    page = client.get(f"/admin/cohorts/{cohort.id}").get_data(as_text=True)
    assert "opened early by Ana Admin" in page
    assert "Open the course to this cohort now" not in page

    # The learner can start now.
    enrollment = enrollment_of(learner)
    learning.mark_done(enrollment, items("lesson")[0])
    db.session.commit()
    assert count_rows(ItemProgress) == 1


def test_a_started_cohort_cannot_be_opened_early(client, early):
    started = make_cohort(osh_course(), name="Started", starts_on=days(-3), open_early=False)
    db.session.commit()
    with pytest.raises(seasons.InvalidSeason):
        seasons.open_cohort_early(started, None)
    db.session.rollback()
    assert db.session.get(Cohort, started.id).opened_early_at is None
    assert started.is_open_for_work


def test_learners_and_tutors_cannot_open_a_cohort_early(app, client, early):
    cohort, _learner = early
    token = csrf_token(client, f"/learn/{OSH}")
    response = client.post(f"/admin/cohorts/{cohort.id}/open-early", data={"csrf_token": token})
    assert response.status_code == 403
    client = app.test_client()
    login(client, cohort.tutors[0])
    token = csrf_token(client, "/")
    response = client.post(f"/admin/cohorts/{cohort.id}/open-early", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).opened_early_at is None


def test_the_day_it_opens_is_in_the_learners_language(client, early):
    cohort, learner = early
    learner.locale = "pt"
    db.session.commit()
    page = main_of(client.get(f"/learn/{OSH}").get_data(as_text=True))
    assert "Este curso abre em" in page
    months = ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
              "setembro", "outubro", "novembro", "dezembro"]  # fmt: skip
    assert f"{cohort.starts_on.day} de {months[cohort.starts_on.month - 1]}" in page


def test_the_dashboard_says_when_it_opens_and_no_project_yet(client, early):
    cohort, _learner = early
    page = main_of(client.get("/dashboard").get_data(as_text=True))
    assert f"Opens on {long_date(cohort.starts_on)}." in page
    assert "Capstone project:" not in page
