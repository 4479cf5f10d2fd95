"""A lesson page, with its stylesheet, stays light for slow connections: under 40 KB."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import Course
from app.extensions import db
from tests.conftest import login
from tests.learning.helpers import (
    SMALL,
    build_course,
    enroll_directly,
    import_season,
    lesson_slugs,
    tags_of,
)

LIMIT = 40 * 1024


def weight(client, path):
    """Bytes of the page plus every stylesheet it links."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data()
    stylesheets = [
        attrs["href"]
        for tag, attrs in tags_of(html.decode())
        if tag == "link" and attrs.get("rel") == "stylesheet"
    ]
    assert stylesheets, "the page links no stylesheet"
    css = 0
    for href in stylesheets:
        sheet = client.get(href)
        assert sheet.status_code == 200, href
        css += len(sheet.get_data())
    return len(html), css


@pytest.mark.parametrize("locale", ["es", "pt", "en"])
def test_the_small_example_lessons_weigh_under_40_kb(client, login_as, small_course, locale):
    learner = login_as(Role.LEARNER, locale=locale)
    enroll_directly(learner, small_course)
    db.session.commit()
    for slug in ("welcome", "checklist", "guide", "basics-quiz"):
        html, css = weight(client, f"/learn/{SMALL}/{slug}")
        assert html + css < LIMIT, (slug, html, css)


def test_a_lesson_of_a_long_course_weighs_under_40_kb(client, login_as):
    """Twelve modules of six items: the outline on every lesson page grows with the course."""
    build_course(
        "long-course",
        modules=12,
        items_per_module=6,
        lesson_html={"es": "<p>" + "Texto de una lección bastante larga. " * 80 + "</p>"},
    )
    learner = login_as(Role.LEARNER)
    enroll_directly(learner, db.session.scalar(select(Course).where(Course.slug == "long-course")))
    db.session.commit()
    html, css = weight(client, "/learn/long-course/m6-i3")
    assert html + css < LIMIT, (html, css)


def test_every_lesson_of_the_first_season_weighs_under_40_kb(app, make_user):
    """The real courses, read in their main language (the text every lesson has)."""
    checked = 0
    for course in import_season():
        learner = make_user(locale=course.language)
        enroll_directly(learner, course)
        db.session.commit()
        client = app.test_client()
        login(client, learner)
        for slug in lesson_slugs(course):
            html, css = weight(client, f"/learn/{course.slug}/{slug}")
            assert html + css < LIMIT, (course.slug, slug, html, css)
            checked += 1
    assert checked >= 20
