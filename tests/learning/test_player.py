"""The course player: enrolment, the dashboard, lesson pages, "mark as done", access for
learners who are not enrolled, and texts that fall back to the course's main language."""

import re

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.learning.models import ItemProgress
from app.seasons.models import Enrollment
from tests.conftest import csrf_token, login
from tests.learning.helpers import (
    SMALL,
    build_course,
    count_rows,
    done_slugs,
    enroll_by_form,
    enroll_directly,
    enroll_url,
    enrollment_of,
    flashes,
    import_season,
    lesson_slugs,
    main_of,
    mark_done_by_form,
    outline_of,
    tags_of,
)
from tests.seasons.factories import offering_for

ITEMS = ["welcome", "checklist", "guide", "basics-quiz", "visit-hosted", "visit-embed"]


def url(item_slug=None):
    return f"/learn/{SMALL}" + (f"/{item_slug}" if item_slug else "")


@pytest.fixture
def learner(client, login_as, small_course):
    """An English-speaking learner, signed in and enrolled through the course page's form."""
    user = login_as(Role.LEARNER, locale="en")
    response = enroll_by_form(client)
    assert response.status_code == 302
    return user


def test_enrolling_through_the_form_creates_the_enrollment_and_opens_the_course(
    client, login_as, small_course
):
    user = login_as(Role.LEARNER, locale="en")
    assert enrollment_of(user) is None
    response = enroll_by_form(client)
    assert response.status_code == 302
    assert response.headers["Location"] == url()
    assert enrollment_of(user) is not None
    home = client.get(url()).get_data(as_text=True)
    assert ("success", "You are enrolled. Welcome to the course!") in flashes(home)
    assert f'href="{url("welcome")}">Continue: Welcome' in home
    # The course page now offers to continue instead of enrolling.
    course_page = main_of(client.get(f"/courses/{SMALL}").get_data(as_text=True))
    assert "/enrol" not in course_page and f'href="{url()}"' in course_page


def test_enrolling_needs_the_csrf_token(client, login_as, small_course):
    login_as(Role.LEARNER)
    offering = offering_for(small_course)
    db.session.commit()
    assert client.post(enroll_url(offering)).status_code == 400
    assert count_rows(Enrollment) == 0


def test_the_dashboard_lists_the_course_with_progress_and_next_item(client, learner):
    html = main_of(client.get("/dashboard").get_data(as_text=True))
    assert f'href="{url()}">Example course</a>' in html
    assert '<progress max="100" value="0"' in html and "0% done" in html
    assert re.search(rf'Next: <a href="{url("welcome")}">Welcome</a>', html)

    assert mark_done_by_form(client, "welcome").status_code == 302
    html = main_of(client.get("/dashboard").get_data(as_text=True))
    assert '<progress max="100" value="25"' in html and "25% done" in html  # 1 of 4 required
    assert re.search(rf'Next: <a href="{url("checklist")}">Checklist</a>', html)


def test_the_dashboard_shows_only_the_learners_own_courses(
    client, login_as, make_user, small_course
):
    other = make_user()
    enroll_directly(other, small_course, done_items=2)
    db.session.commit()
    login_as(Role.LEARNER, locale="en")
    html = main_of(client.get("/dashboard").get_data(as_text=True))
    assert "Example course" not in html
    assert "You are not enrolled in any course yet." in html


def test_lesson_pages_link_to_the_previous_and_next_items(client, learner):
    links = {}
    for slug in ITEMS:
        response = client.get(url(slug))
        assert response.status_code == 200, slug
        tags = tags_of(main_of(response.get_data(as_text=True)))
        links[slug] = {
            attrs["rel"]: attrs["href"]
            for tag, attrs in tags
            if tag == "a" and attrs.get("rel") in ("prev", "next")
        }
    assert links["welcome"] == {"next": url("checklist")}
    assert links["checklist"] == {"prev": url("welcome"), "next": url("guide")}
    assert links["guide"] == {"prev": url("checklist"), "next": url("basics-quiz")}
    assert links["basics-quiz"] == {"prev": url("guide"), "next": url("visit-hosted")}
    assert links["visit-embed"] == {"prev": url("visit-hosted")}


def test_a_lesson_shows_its_text(client, learner):
    html = main_of(client.get(url("welcome")).get_data(as_text=True))
    assert "<h1>Welcome</h1>" in html
    assert "<strong>format</strong>" in html
    assert "Not available in your language" not in html
    assert '<div class="lesson">' in html  # in the reader's language: no lang attribute


def test_mark_as_done_records_progress_and_moves_on(client, learner):
    page = client.get(url("welcome")).get_data(as_text=True)
    assert f'action="{url("welcome")}/done"' in page

    response = mark_done_by_form(client, "welcome")
    assert response.status_code == 302
    assert response.headers["Location"] == url("checklist")
    assert done_slugs(learner) == {"welcome"}

    page = client.get(url("welcome")).get_data(as_text=True)
    assert "<strong>Done</strong>" in page
    assert f'action="{url("welcome")}/done"' not in page  # done: no button any more

    # Done twice still counts once.
    token = csrf_token(client, "/")
    client.post(f"{url('welcome')}/done", data={"csrf_token": token})
    assert count_rows(ItemProgress) == 1


def test_the_module_list_marks_done_items(client, learner):
    mark_done_by_form(client, "welcome")
    mark_done_by_form(client, "guide")
    html = client.get(url("checklist")).get_data(as_text=True)
    outline = outline_of(html)
    assert "The basics" in html
    assert list(outline) == [url(slug) for slug in ITEMS]
    assert {href: done for href, (done, _) in outline.items()} == {
        url("welcome"): True,
        url("checklist"): False,
        url("guide"): True,
        url("basics-quiz"): False,
        url("visit-hosted"): False,
        url("visit-embed"): False,
    }
    assert [href for href, (_, current) in outline.items() if current] == [url("checklist")]
    # The course's home page lists the same marks.
    home = outline_of(client.get(url()).get_data(as_text=True))
    assert {href for href, (done, _) in home.items() if done} == {url("welcome"), url("guide")}


def test_marking_the_last_non_quiz_item_moves_on_to_the_quiz(client, learner):
    response = mark_done_by_form(client, "guide")
    assert response.headers["Location"] == url("basics-quiz")


def test_the_last_item_done_goes_back_to_the_course_home(client, login_as):
    build_course(
        "one-module",
        modules=1,
        items_per_module=2,
        languages=["es", "en"],
        lesson_html={"es": "<p>Hola</p>", "en": "<p>Hello</p>"},
    )
    db.session.commit()
    login_as(Role.LEARNER, locale="en")
    enroll_by_form(client, "one-module")
    response = mark_done_by_form(client, "m0-i1", "one-module")
    assert response.status_code == 302
    assert response.headers["Location"] == "/learn/one-module"


def test_a_quiz_cannot_be_marked_done_by_hand(client, learner):
    token = csrf_token(client, "/")
    response = client.post(f"{url('basics-quiz')}/done", data={"csrf_token": token})
    assert response.status_code == 400
    assert count_rows(ItemProgress) == 0


def test_mark_as_done_needs_the_csrf_token(client, learner):
    assert client.post(f"{url('welcome')}/done").status_code == 400
    assert count_rows(ItemProgress) == 0


def test_an_unknown_item_is_not_found(client, learner):
    assert client.get(url("no-such-item")).status_code == 404
    token = csrf_token(client, "/")
    assert client.post(f"{url('no-such-item')}/done", data={"csrf_token": token}).status_code == (
        404
    )


@pytest.mark.parametrize("path", [url(), url("welcome"), url("basics-quiz")])
def test_a_learner_who_is_not_enrolled_is_sent_to_the_course_page(
    client, login_as, small_course, path
):
    login_as(Role.LEARNER, locale="en")
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/courses/{SMALL}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("info", "Enrol in the course to start it.") in flashes(page)


def test_a_learner_who_is_not_enrolled_cannot_mark_items_done(
    client, login_as, make_user, small_course
):
    someone = make_user()
    enroll_directly(someone, small_course)  # another learner's enrolment does not count
    db.session.commit()
    login_as(Role.LEARNER)
    token = csrf_token(client, "/")
    response = client.post(f"{url('welcome')}/done", data={"csrf_token": token})
    assert response.status_code == 403
    assert count_rows(ItemProgress) == 0
    assert count_rows(Enrollment) == 1
    response = client.post(
        f"{url('basics-quiz')}/quiz", data={"csrf_token": token, "attempt": "1", "q0": "0"}
    )
    assert response.status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, small_course):
    response = client.get(url("welcome"))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# Texts in the course's main language when the reader's is missing -------------------------


@pytest.mark.parametrize("locale", ["en", "pt"])
def test_a_title_without_translation_falls_back_marked_as_spanish(
    client, login_as, small_course, locale
):
    login_as(Role.LEARNER, locale=locale)
    enroll_by_form(client)
    fallback = '<span lang="es">Lista de control</span>'
    checklist = client.get(url("checklist")).get_data(as_text=True)
    home = client.get(url()).get_data(as_text=True)
    course_page = client.get(f"/courses/{SMALL}").get_data(as_text=True)
    if locale == "en":  # the resource has an English title: no fallback
        assert "<h1>Checklist</h1>" in checklist
        for html in (checklist, home, course_page):
            assert "Lista de control" not in html
    else:  # no Portuguese title: the Spanish one, marked as Spanish, everywhere it shows
        assert f"<h1>{fallback}</h1>" in checklist
        assert f'href="{url("checklist")}">{fallback}</a>' in checklist  # outline
        assert f'href="{url("checklist")}">{fallback}</a>' in home
        assert f"<li>{fallback} " in course_page  # the public outline
        welcome = client.get(url("welcome")).get_data(as_text=True)
        assert f'rel="next" href="{url("checklist")}">{fallback} →</a>' in welcome
        assert "Boas-vindas" in welcome  # the translated titles stay unmarked
        assert '<span lang="es">Boas-vindas' not in welcome
        for html in (checklist, home, course_page, welcome):
            assert not re.search(r'(?<!lang="es">)Lista de control', main_of(html)), html


@pytest.mark.parametrize("locale", ["en", "pt"])
def test_the_spanish_only_guide_links_the_spanish_pdf_marked_as_spanish(
    client, login_as, small_course, locale
):
    login_as(Role.LEARNER, locale=locale)
    enroll_by_form(client)
    html = main_of(client.get(url("guide")).get_data(as_text=True))
    links = [
        attrs for tag, attrs in tags_of(html) if tag == "a" and "/files/" in attrs.get("href", "")
    ]
    assert len(links) == 1
    assert links[0]["hreflang"] == "es"
    assert links[0]["href"].endswith("-es.pdf")


@pytest.mark.parametrize("locale", ["en", "pt"])
def test_the_spanish_only_guide_has_a_visible_note_for_other_readers(
    client, login_as, small_course, locale
):
    """Like a lesson shown in the main language, the guide says it is not in the reader's."""
    login_as(Role.LEARNER, locale=locale)
    enroll_by_form(client)
    html = main_of(client.get(url("guide")).get_data(as_text=True))
    notes = re.findall(r'<p class="note">(.*?)</p>', html, flags=re.S)
    assert any("Español" in note for note in notes), (
        "no visible note that the guide is only in Spanish",
        html,
    )


def test_the_spanish_guide_needs_no_note_for_a_spanish_reader(client, login_as, small_course):
    login_as(Role.LEARNER, locale="es")
    enroll_by_form(client)
    html = main_of(client.get(url("guide")).get_data(as_text=True))
    assert 'hreflang="es"' in html
    assert '<p class="note">' not in html


@pytest.mark.parametrize("locale", ["en", "pt"])
def test_a_lesson_without_translation_shows_the_spanish_text_with_a_note(client, login_as, locale):
    build_course(
        "spanish-lessons",
        languages=["es", "pt", "en"],
        title={"es": "Lecciones", "pt": "Lições", "en": "Lessons"},
        modules=1,
        items_per_module=2,
        lesson_html={"es": "<p>Texto solo en español.</p>"},
    )
    db.session.commit()
    login_as(Role.LEARNER, locale=locale)
    enroll_by_form(client, "spanish-lessons")
    response = client.get("/learn/spanish-lessons/m0-i0")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert '<div class="lesson" lang="es"><p>Texto solo en español.</p></div>' in html
    notes = re.findall(r'<p class="note">(.*?)</p>', html, flags=re.S)
    assert any("Español" in note for note in notes), html
    if locale == "en":
        assert "Not available in your language; shown in Español." in html
    # The item title is Spanish too, and marked so.
    assert '<h1><span lang="es">Lección 0.0 de spanish-lessons</span></h1>' in html


def test_every_lesson_of_the_first_season_opens_in_each_course_language(app, make_user):
    """The real courses list a language only when every lesson is written in it (the content
    check refuses anything else): each lesson opens in each listed language, in it."""
    failures, fallbacks = [], []
    for course in import_season():
        for language in course.languages:
            learner = make_user(locale=language)
            enroll_directly(learner, course)
            db.session.commit()
            client = app.test_client()
            login(client, learner)
            for slug in lesson_slugs(course):
                try:
                    response = client.get(f"/learn/{course.slug}/{slug}")
                except Exception as error:  # TESTING propagates errors instead of a 500
                    failures.append((course.slug, slug, language, repr(error)))
                    continue
                if response.status_code != 200:
                    failures.append((course.slug, slug, language, response.status_code))
                elif 'class="lesson" lang="' in response.get_data(as_text=True):
                    fallbacks.append((course.slug, slug, language))
    assert failures == [], f"{len(failures)} lesson pages fail, first: {failures[:5]}"
    assert fallbacks == [], f"lessons shown in another language: {fallbacks[:5]}"


def test_a_lesson_of_another_course_is_not_shown_through_this_one(client, learner):
    other = build_course("other-course", modules=1, items_per_module=1)
    db.session.commit()
    assert other.id
    assert client.get(url("m0-i0")).status_code == 404
