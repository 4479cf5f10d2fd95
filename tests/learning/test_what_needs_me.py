"""What needs me now: the dashboard's card and the course's home page show, for each course,
progress as a bar and in words, the capstone's state, the cohort's latest tutor message and
the certificate once there is one; a completed course leads to its certificate, not back to
lesson 1; and the pages keep a fixed number of queries."""

from datetime import date, timedelta
from html import unescape

from app.accounts.models import Role
from app.capstones import services as capstones
from app.capstones.models import Decision
from app.catalog.models import CourseKind
from app.certificates.services import issue_certificate
from app.core.db import utcnow
from app.extensions import db
from app.seasons import services as seasons
from tests.capstones.helpers import (
    OSH,
    capstone_cohort,
    enrolled_learner,
    enrollment_of,
    make_person,
    osh_course,
    pdf_bytes,
    start,
)
from tests.conftest import login
from tests.learning.helpers import (
    build_course,
    counting_queries,
    lesson_slugs,
    main_of,
    mark_done_by_form,
)
from tests.seasons.factories import days, enroll, make_cohort
from tests.test_access import add_capstone


def card_of(page: str, slug: str) -> str:
    """The dashboard card of the course `slug`."""
    for card in page.split('<section class="card">')[1:]:
        if f'href="/learn/{slug}"' in card.split("</h2>")[0]:
            return unescape(card.split("</section>")[0])
    raise AssertionError(f"no card for {slug!r}")


def dashboard(client) -> str:
    response = client.get("/dashboard")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def osh_card(client) -> str:
    return card_of(dashboard(client), OSH)


def home(client) -> str:
    response = client.get(f"/learn/{OSH}")
    assert response.status_code == 200
    return unescape(main_of(response.get_data(as_text=True)))


def signed_in_learner(client, **dates):
    cohort = capstone_cohort(**dates)
    learner = enrolled_learner(cohort)
    login(client, learner)
    return cohort, learner


def submit_project(learner):
    submission = start(learner)
    capstones.submit(submission, "My project", [("plan.pdf", pdf_bytes())])
    db.session.commit()
    return submission


def review(submission, tutor, decision):
    levels = [len(c["levels"]) - 1 for c in capstones.rubric(submission.item)["criteria"]]
    if decision == Decision.REVISE:
        levels = [0] * len(levels)
    capstones.review(
        submission,
        tutor,
        seen_token=submission.review_token,
        levels=levels,
        comment="See my notes.",
        decision=decision,
    )
    db.session.commit()


def test_progress_is_a_bar_and_words(client):
    _cohort, learner = signed_in_learner(client)
    for page in (osh_card(client), home(client)):
        assert '<progress max="100" value="0"' in page
        assert "0% done" in page and "0 of " in page and " required items" in page


def test_the_capstone_deadline_counts_down_in_days(client):
    cohort, _learner = signed_in_learner(client)
    cohort.capstone_due_on = days(9)
    db.session.commit()
    for page in (osh_card(client), home(client)):
        assert "Capstone project:" in page and "due in 9 days" in page
    cohort.capstone_due_on = days(0)
    db.session.commit()
    assert "due today" in osh_card(client)


def test_an_extension_moves_the_countdown(client):
    cohort, learner = signed_in_learner(client)
    cohort.capstone_due_on = days(2)
    start(learner).extended_until = days(12)
    db.session.commit()
    assert "due in 12 days" in osh_card(client)


def test_the_capstone_state_follows_the_review(client):
    cohort, learner = signed_in_learner(client)
    submission = submit_project(learner)
    assert "waiting for your tutor's review" in osh_card(client)
    review(submission, cohort.tutors[0], Decision.REVISE)
    for page in (osh_card(client), home(client)):
        assert "your tutor asked for a revision" in page
        assert f'href="/learn/{OSH}/proyecto-final#project"' in page
    capstones.submit(submission, "Better", [("plan2.pdf", pdf_bytes())])
    db.session.commit()
    review(submission, cohort.tutors[0], Decision.PASS)
    assert "Capstone project: <strong>passed</strong>" in " ".join(osh_card(client).split())


def test_the_latest_tutor_message_of_the_learners_own_cohort(app, client):
    cohort, learner = signed_in_learner(client)
    other_cohort = make_cohort(osh_course(), name="Other cohort")
    tutor = cohort.tutors[0]
    seasons.message_cohort(cohort, tutor, "Welcome", "First words")
    seasons.message_cohort(cohort, tutor, "Week 2 <b>starts</b>", "Read module 2\nthen the guide")
    seasons.message_cohort(other_cohort, tutor, "Not for you", "Another cohort's news")
    db.session.commit()
    for page in (osh_card(client), home(client)):
        assert "Latest message from your tutor" in page
        assert "Week 2 <b>starts</b>" in page  # shown as text (unescaped here to compare)
        assert "Read module 2<br>then the guide" in page
        assert "Welcome" not in page and "Not for you" not in page
    raw = client.get("/dashboard").get_data(as_text=True)
    assert "<b>starts</b>" not in raw  # the subject is escaped, never markup
    assert tutor.full_name in osh_card(client)


def test_one_card_follows_each_change_on_the_next_request(client):
    """The card's parts are kept per the values they show (app/core/kept_html.py): the same
    reader, page after page, sees each change at once, and the course's home page its own."""
    cohort, learner = signed_in_learner(client)
    course = osh_course()
    first, second = lesson_slugs(course)[:2]
    card = osh_card(client)
    assert "0% done" in card and f'href="/learn/{OSH}/{first}"' in card
    assert "Cohort Cohort 1" in card

    mark_done_by_form(client, first, OSH)
    card = osh_card(client)
    assert "0% done" not in card and "1 of " in card
    assert f'href="/learn/{OSH}/{second}"' in card and f'href="/learn/{OSH}/{first}"' not in card
    assert "Next:" not in home(client)  # the home page has its own button for that

    seasons.message_cohort(cohort, cohort.tutors[0], "Week 1", "Hello")
    db.session.commit()
    assert "Week 1" in osh_card(client)
    seasons.message_cohort(cohort, cohort.tutors[0], "Week 2", "Again")
    db.session.commit()
    card = osh_card(client)
    assert "Week 2" in card and "Week 1" not in card

    cohort.name = "Renamed"
    cohort.ends_on = date(2031, 7, 9)
    db.session.commit()
    card = osh_card(client)
    assert "Cohort Renamed" in card and "Jul 9, 2031" in card

    learner.locale = "es"
    db.session.commit()
    card = osh_card(client)
    assert "Cohorte Renamed" in card and "9 jul 2031" in card and "Siguiente:" in card


def test_a_completed_course_leads_to_its_certificate_not_to_lesson_1(client):
    _cohort, learner = signed_in_learner(client)
    enrollment = enrollment_of(learner)
    enrollment.completed_at = utcnow()
    db.session.flush()
    certificate, _issued = issue_certificate(enrollment.id, render=False)
    db.session.commit()
    page = home(client)
    assert "Continue:" not in page
    assert f'href="/certificates/{certificate.id}/pdf"' in page
    assert f'href="/certificates/{certificate.id}/pdf"' in osh_card(client)


def test_a_completed_course_without_its_certificate_yet_says_it_is_coming(client):
    _cohort, learner = signed_in_learner(client)
    enrollment_of(learner).completed_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = home(client)
    assert "Continue:" not in page
    assert "Your certificate is being prepared" in page


def dashboard_and_home_queries(client) -> tuple[int, int]:
    counts = []
    for url in ("/dashboard", f"/learn/{OSH}"):
        with counting_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    return tuple(counts)


def test_the_notes_keep_the_query_count_fixed(client):
    """Two tutor-led courses (a project sent, a message; one completed with its certificate),
    then ten: the same queries."""
    cohort, learner = signed_in_learner(client)
    submit_project(learner)
    seasons.message_cohort(cohort, cohort.tutors[0], "Hello", "Hi")
    add_tutored_courses(learner, 0, 2)
    db.session.commit()
    dashboard_and_home_queries(client)  # warm up
    few = dashboard_and_home_queries(client)

    add_tutored_courses(learner, 2, 10)
    db.session.commit()
    many = dashboard_and_home_queries(client)
    assert few == many
    page = dashboard(client)
    assert page.count("Latest message from your tutor") == 11
    assert page.count("Capstone project:") == 11
    assert page.count('class="course-note certificate-note"') == 5


def add_tutored_courses(learner, first, last):
    """Tutor-led courses with a capstone, each with a project sent and a tutor's message;
    every odd one completed, with its certificate."""
    for n in range(first, last):
        course = build_course(f"tutored-{n}", kind=CourseKind.TUTOR_LED, position=10 + n)
        item = add_capstone(course)
        other = make_cohort(course, tutors=[make_person(Role.TUTOR)])
        other.capstone_due_on = days(30)
        place = enroll(learner, course, other)
        submission = capstones.start_submission(place, item)
        capstones.submit(submission, "Project", [("p.pdf", pdf_bytes())])
        seasons.message_cohort(other, other.tutors[0], f"News {n}", "Body")
        if n % 2:
            place.completed_at = utcnow()
            db.session.flush()
            issue_certificate(place.id, render=False)


def test_sections_say_in_one_statement_whether_they_have_anything(
    client, login_as, institutions, monkeypatch
):
    """The dashboard asks every section that says how (`present`) in one statement and loads
    only those that may show something: a learner with no certificate who coordinates nothing
    pays one statement for both, and another such section adds none. Once they coordinate,
    the coordinator's section is loaded and shown on the next request."""
    from dataclasses import replace

    from sqlalchemy import bindparam, select

    from app.coordinators import services as coordinators
    from app.learning import dashboard as registry
    from app.notifications.models import Notification

    learner = login_as(Role.LEARNER, locale="en")
    loaded = []
    for name in ("certificates", "coordinator"):
        section = registry._SECTIONS[name]

        def counted(user, load=section.load, name=name):
            loaded.append(name)
            return load(user)

        monkeypatch.setitem(registry._SECTIONS, name, replace(section, load=counted))

    def statements():
        with counting_queries() as found:
            page = dashboard(client)
        return len(found), page

    dashboard(client)
    count, page = statements()
    assert loaded == [] and "You coordinate" not in page

    extra = registry.DashboardSection(
        name="test-extra",
        template="never-rendered.html",
        load=lambda user: loaded.append("test-extra"),
        present=select(Notification.id).where(Notification.user_id == bindparam("user")).exists(),
    )
    monkeypatch.setitem(registry._SECTIONS, extra.name, extra)
    assert statements()[0] == count
    assert loaded == []

    institution = institutions[0]
    learner.institution_id = institution.id
    db.session.flush()
    coordinators.grant_coordinator(learner, institution, learner)
    db.session.commit()
    _count, page = statements()
    assert loaded == ["coordinator"]
    assert f"You coordinate {institution.acronym}" in unescape(page)
