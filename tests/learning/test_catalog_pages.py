"""The catalog lists every course with what it offers; course pages show outline, outcomes
and (for self-paced courses) the enrol button; tutor-led courses cannot be enrolled in yet."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Course, CourseKind
from app.extensions import db
from app.seasons.models import Enrollment
from tests.conftest import TEST_PASSWORD, csrf_token, post_form
from tests.learning.helpers import (
    SMALL,
    build_course,
    count_rows,
    enroll_by_form,
    flashes,
    main_of,
)
from tests.seasons.factories import offering_for

TUTORED = "tutored-course"
ENGLISH = "english-only"


@pytest.fixture
def courses(small_course):
    """small-example (self-paced, es/pt/en, 2 hours), a tutor-led course (es/pt, 40 hours) and
    a self-paced course in English only (6 hours)."""
    build_course(
        TUTORED,
        kind=CourseKind.TUTOR_LED,
        languages=["es", "pt"],
        title={"es": "Curso con tutoría", "pt": "Curso com tutoria", "en": "Tutored course"},
        hours=40,
        modules=1,
        items_per_module=2,
        position=1,
        outcomes=[{"es": "Planificar la formación", "en": "Plan the training"}],
    )
    build_course(
        ENGLISH,
        language="en",
        title={"en": "English only course"},
        hours=6,
        modules=1,
        items_per_module=1,
        position=2,
    )
    # The open season offers the two self-paced courses; the tutor-led one has no cohort yet.
    offering_for(small_course)
    offering_for(course_by_slug(ENGLISH))
    db.session.commit()


def course_by_slug(slug):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def enroll_action(slug=SMALL):
    offering = offering_for(course_by_slug(slug))
    return f'action="/offerings/{offering.id}/enrol"'


def cards(html):
    """Each course card of the catalog, by course slug."""
    found = {}
    for chunk in main_of(html).split('<li class="card">')[1:]:
        match = re.search(r'href="/courses/([^"/]+)"', chunk)
        assert match, chunk
        found[match.group(1)] = chunk.split("</li>\n")[0]
    return found


def status(card):
    match = re.search(r'<p class="status">(.*?)</p>', card, flags=re.S)
    assert match, card
    return match.group(1).strip()


def listed(client, query=""):
    response = client.get(f"/courses{query}")
    assert response.status_code == 200
    return set(cards(response.get_data(as_text=True)))


def test_the_catalog_lists_every_course_with_kind_hours_languages_and_enrollment(
    client, login_as, courses
):
    login_as(Role.LEARNER, locale="en")
    html = client.get("/courses").get_data(as_text=True)
    found = cards(html)
    assert set(found) == {SMALL, TUTORED, ENGLISH}
    assert "3 of 3 courses" in html

    small = found[SMALL]
    assert "Example course" in small
    assert "Self-paced" in small and "Tutor-led" not in small
    assert "2 hours" in small
    for code, name in (("es", "Español"), ("pt", "Português"), ("en", "English")):
        assert f'<span lang="{code}">{name}</span>' in small
    assert status(small) == "Enrolment open"

    tutored = found[TUTORED]
    assert "Tutored course" in tutored
    assert "Tutor-led" in tutored and "Self-paced" not in tutored
    assert "40 hours" in tutored
    assert '<span lang="es">Español</span>' in tutored
    assert '<span lang="pt">Português</span>' in tutored
    assert 'lang="en"' not in tutored
    assert status(tutored) == "Enrolment opens with the next season"

    english = found[ENGLISH]
    assert "6 hours" in english and "Self-paced" in english
    assert status(english) == "Enrolment open"


def test_an_anonymous_visitor_sees_the_catalog_too(client, courses):
    assert listed(client) == {SMALL, TUTORED, ENGLISH}


def test_the_catalog_says_where_the_learner_is_enrolled(client, login_as, courses):
    login_as(Role.LEARNER, locale="en")
    enroll_by_form(client)
    found = cards(client.get("/courses").get_data(as_text=True))
    assert status(found[SMALL]) == "You are enrolled"
    assert status(found[ENGLISH]) == "Enrolment open"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?kind=self_paced", {SMALL, ENGLISH}),
        ("?kind=tutor_led", {TUTORED}),
        ("?language=es", {SMALL, TUTORED}),
        ("?language=pt", {SMALL, TUTORED}),
        ("?language=en", {SMALL, ENGLISH}),
        ("?kind=tutor_led&language=en", set()),
        ("?kind=self_paced&language=pt", {SMALL}),
        ("?kind=nonsense&language=xx", {SMALL, TUTORED, ENGLISH}),  # unknown values: no filter
    ],
)
def test_the_catalog_filters_by_kind_and_language(client, courses, query, expected):
    assert listed(client, query) == expected


def test_filters_say_how_many_courses_they_show_and_keep_their_choice(client, login_as, courses):
    login_as(Role.LEARNER, locale="en")
    html = client.get("/courses?kind=tutor_led&language=pt").get_data(as_text=True)
    assert "1 of 3 courses" in html
    assert '<option value="tutor_led" selected>' in html
    assert re.search(r'<option value="pt" lang="pt" selected>', html)
    empty = client.get("/courses?kind=tutor_led&language=en").get_data(as_text=True)
    assert "No course matches these filters." in empty


def test_a_self_paced_course_page_shows_outline_outcomes_and_the_enroll_button(
    client, login_as, courses
):
    login_as(Role.LEARNER, locale="en")
    response = client.get(f"/courses/{SMALL}")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert "Example course" in html and "A short course that shows the format." in html
    assert "Recognise the parts of a course." in html  # the outcome
    assert "The basics" in html  # the module
    titles = ["Welcome", "Checklist", "Practical guide", "Quiz"]
    positions = [html.find(t) for t in titles]
    assert all(p > 0 for p in positions), positions
    assert positions == sorted(positions), "outline items out of order"
    assert enroll_action() in html
    assert "Enrol in this course" in html


def test_an_anonymous_visitor_signs_in_and_comes_back_to_enroll(client, courses, make_user):
    html = client.get(f"/courses/{SMALL}").get_data(as_text=True)
    assert enroll_action() not in html  # no form that would lead nowhere
    assert f'href="/login?next=/courses/{SMALL}"' in html
    # Posting anyway is refused until signed in, and enrols nobody.
    response = enroll_by_form(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert count_rows(Enrollment) == 0
    # Signing in from the link returns to the course page, which now offers enrolment.
    user = make_user()
    response = post_form(
        client,
        "/login",
        {"email": user.email, "password": TEST_PASSWORD, "next": f"/courses/{SMALL}"},
    )
    assert response.headers["Location"] == f"/courses/{SMALL}"
    assert enroll_action() in client.get(f"/courses/{SMALL}").get_data(True)


def test_a_tutor_led_course_page_has_no_enroll_button(client, login_as, courses):
    login_as(Role.LEARNER, locale="en")
    response = client.get(f"/courses/{TUTORED}")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert "Tutored course" in html
    assert "Plan the training" in html  # outcome
    assert f"Lección 0.0 de {TUTORED}" in html  # the outline, in the main language
    assert "/enrol" not in html
    assert "Enrol in this course" not in html
    assert "Enrolment opens with the next season." in html


def test_enrolling_in_a_tutor_led_course_is_refused_with_a_message(client, login_as, courses):
    login_as(Role.LEARNER, locale="en")
    response = enroll_by_form(client, TUTORED)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{TUTORED}"
    assert count_rows(Enrollment) == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("error", "Choose a cohort of this course.") in flashes(page)
    # and the player stays closed
    learn = client.get(f"/learn/{TUTORED}")
    assert learn.status_code == 302 and learn.headers["Location"] == f"/courses/{TUTORED}"


def test_an_unknown_course_is_not_found(client, login_as, courses):
    assert client.get("/courses/no-such-course").status_code == 404
    login_as(Role.LEARNER)
    token = csrf_token(client, "/")
    response = client.post("/offerings/999999/enrol", data={"csrf_token": token})
    assert response.status_code == 404


def test_enrolling_twice_keeps_one_enrollment(client, login_as, courses):
    login_as(Role.LEARNER)
    assert enroll_by_form(client).status_code == 302
    assert enroll_by_form(client).status_code == 302
    assert count_rows(Enrollment) == 1
