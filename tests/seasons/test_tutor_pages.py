"""Tutors see their cohorts, each roster with institution, country and progress, and write
to a cohort by mail; a tutor sees only their own cohorts, administrators see any."""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.catalog.models import CourseKind, Item
from app.core.db import utcnow
from app.extensions import db
from app.learning.models import ItemProgress
from app.seasons import services
from tests.conftest import csrf_token, outbox
from tests.learning.helpers import build_course, counting_queries, flashes, main_of
from tests.seasons.factories import enroll, make_cohort

TUTORED = "tutored"


@pytest.fixture
def tutored(app):
    # 1 module of 4 required lessons.
    course = build_course(
        TUTORED, kind=CourseKind.TUTOR_LED, languages=["es", "en"], modules=1,
        title={"es": "Curso tutorizado", "en": "Tutored course"},
    )  # fmt: skip
    db.session.commit()
    return course


def roster_url(cohort):
    return f"/tutor/cohorts/{cohort.id}"


def message_url(cohort):
    return f"/tutor/cohorts/{cohort.id}/message"


def send(client, cohort, subject, message):
    token = csrf_token(client, message_url(cohort))
    return client.post(
        message_url(cohort), data={"csrf_token": token, "subject": subject, "message": message}
    )


def do_items(enrollment, count):
    items = db.session.scalars(
        select(Item).where(Item.course_id == enrollment.course_id).order_by(Item.position)
    ).all()
    for item in items[:count]:
        db.session.add(ItemProgress(enrollment_id=enrollment.id, item_id=item.id))
    db.session.flush()


def roster_rows(html):
    """The roster table's rows as lists of cell texts."""
    body = main_of(html).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


# The list of cohorts -------------------------------------------------------------------


def test_a_tutor_sees_only_the_cohorts_they_lead(client, login_as, make_user, tutored):
    tutor = login_as(Role.TUTOR, locale="en")
    mine = make_cohort(tutored, name="Mañana", seats=12, tutors=[tutor])
    theirs = make_cohort(tutored, name="Tarde", tutors=[make_user(role=Role.TUTOR)])
    enroll(make_user(), tutored, mine)
    db.session.commit()
    html = main_of(client.get("/tutor/cohorts").get_data(as_text=True))
    assert "Tutored course" in html  # the course title in the reader's language
    assert "Test season" in html
    assert f'href="/tutor/cohorts/{mine.id}"' in html and "Mañana" in html
    assert "1 of 12" in html
    assert mine.starts_on.strftime("%Y") in html
    assert f"/tutor/cohorts/{theirs.id}" not in html and "Tarde" not in html


def test_an_administrator_leading_no_cohort_sees_an_empty_list(app, client, login_as, tutored):
    make_cohort(tutored, name="Someone else's")
    db.session.commit()
    login_as(Role.ADMIN, locale="en")
    response = client.get("/tutor/cohorts")
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert "You do not lead any cohort." in html and "Someone else" not in html
    if "seasons_admin.seasons" in app.view_functions:  # the administrators' seasons page
        assert 'href="/admin/seasons"' in html


# The roster ---------------------------------------------------------------------------


def test_the_roster_shows_each_learner_with_institution_country_and_progress(
    client, login_as, make_user, tutored, institutions
):
    tutor = login_as(Role.TUTOR, locale="en")
    cohort = make_cohort(tutored, seats=5, tutors=[tutor])
    zoe = make_user(full_name="Zoe Zapata")
    zoe.country_code, zoe.institution_id = "AR", institutions[0].id
    alvaro = make_user(full_name="Álvaro Ruiz")
    alvaro.country_code, alvaro.institution_other = "ES", "Escuela Taller"
    bea = make_user(full_name="bea Moreno")
    bea.country_code = "MX"
    places = {user.full_name: enroll(user, tutored, cohort) for user in (zoe, alvaro, bea)}
    do_items(places["Álvaro Ruiz"], 4)
    places["Álvaro Ruiz"].completed_at = utcnow()
    do_items(places["Zoe Zapata"], 1)
    services.join_waitlist(make_user(), make_cohort(tutored, seats=1, tutors=[tutor]))
    db.session.commit()

    html = client.get(roster_url(cohort)).get_data(as_text=True)
    rows = roster_rows(html)
    # Sorted by name as a reader expects: accents and case do not move a name.
    assert [row[0] for row in rows] == ["Álvaro Ruiz", "bea Moreno", "Zoe Zapata"]
    alvaro_row, bea_row, zoe_row = rows
    assert alvaro_row[1:3] == ["Escuela Taller", "Spain"]
    assert alvaro_row[4] == "4 of 4 (100%)" and alvaro_row[5] != "—"
    assert bea_row[2] == "Mexico" and bea_row[4] == "0 of 4 (0%)" and bea_row[5] == "—"
    # The institution in the reader's language beside its acronym.
    institution = institutions[0]
    assert zoe_row[1:3] == [f"{institution.acronym} — {institution.name_en}", "Argentina"]
    assert zoe_row[4] == "1 of 4 (25%)"
    assert "0 people waiting" in main_of(html)


def test_the_roster_counts_the_waiting_list(client, login_as, make_user, tutored):
    tutor = login_as(Role.TUTOR, locale="en")
    cohort = make_cohort(tutored, seats=1, tutors=[tutor])
    enroll(make_user(), tutored, cohort)
    services.join_waitlist(make_user(), cohort)
    services.join_waitlist(make_user(), cohort)
    db.session.commit()
    assert "2 people waiting" in client.get(roster_url(cohort)).get_data(as_text=True)


def test_the_roster_runs_the_same_queries_for_2_and_30_learners(
    client, login_as, make_user, tutored, institutions
):
    tutor = login_as(Role.TUTOR)
    cohort = make_cohort(tutored, seats=40, tutors=[tutor])
    url = roster_url(cohort)  # read now: the test's own reload of `cohort` is not counted

    def add_learners(start, stop):
        for n in range(start, stop):
            learner = make_user(email=f"learner{n}@example.org")
            learner.institution_id = institutions[n % len(institutions)].id
            do_items(enroll(learner, tutored, cohort), n % 5)
        db.session.commit()

    def count():
        with counting_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return len(statements), len(roster_rows(response.get_data(as_text=True)))

    add_learners(0, 2)
    count()  # warm up anything loaded once per process
    few, shown = count()
    assert shown == 2
    add_learners(2, 30)
    many, shown = count()
    assert shown == 30
    assert few == many, (few, many)


# Who may see what ---------------------------------------------------------------------


@pytest.mark.parametrize("page", [roster_url, message_url])
def test_a_tutor_of_another_cohort_and_a_learner_are_refused(
    client, login_as, make_user, tutored, page
):
    cohort = make_cohort(tutored, tutors=[make_user(role=Role.TUTOR)])
    db.session.commit()
    login_as(Role.TUTOR)
    assert client.get(page(cohort)).status_code == 403


@pytest.mark.parametrize("page", [roster_url, message_url])
def test_a_learner_is_refused(client, login_as, tutored, page):
    cohort = make_cohort(tutored)
    db.session.commit()
    login_as(Role.LEARNER)
    assert client.get(page(cohort)).status_code == 403


def test_a_tutor_of_another_cohort_cannot_send_to_it(client, login_as, make_user, tutored):
    cohort = make_cohort(tutored, tutors=[make_user(role=Role.TUTOR)])
    learner = make_user()
    enroll(learner, tutored, cohort)
    own = make_cohort(tutored, name="Own")
    db.session.commit()
    tutor = login_as(Role.TUTOR)
    own.tutors.append(tutor)
    db.session.commit()
    token = csrf_token(client, message_url(own))
    response = client.post(
        message_url(cohort), data={"csrf_token": token, "subject": "Hola", "message": "Spam"}
    )
    assert response.status_code == 403
    assert outbox(learner.email) == []


def test_an_administrator_sees_any_cohort(client, login_as, make_user, tutored):
    cohort = make_cohort(tutored, tutors=[make_user(role=Role.TUTOR)])
    enroll(make_user(full_name="Ana Learner"), tutored, cohort)
    db.session.commit()
    login_as(Role.ADMIN)
    response = client.get(roster_url(cohort))
    assert response.status_code == 200 and "Ana Learner" in response.get_data(as_text=True)
    assert client.get(message_url(cohort)).status_code == 200


def test_an_unknown_cohort_is_not_found(client, login_as):
    login_as(Role.TUTOR)
    assert client.get("/tutor/cohorts/999999").status_code == 404
    assert client.get("/tutor/cohorts/999999/message").status_code == 404


# Writing to the cohort ----------------------------------------------------------------


def test_the_message_reaches_every_learner_in_their_language_as_plain_text(
    client, login_as, make_user, tutored
):
    tutor = login_as(Role.TUTOR, locale="en", full_name="Tomás Tutor", email="tomas@example.org")
    cohort = make_cohort(tutored, name="Mañana", tutors=[tutor])
    other = make_cohort(tutored, name="Tarde")
    english = make_user(locale="en", email="ann@example.org")
    spanish = make_user(locale="es", email="bea@example.org")
    outsider = make_user(email="outsider@example.org")
    for learner in (english, spanish):
        enroll(learner, tutored, cohort)
    enroll(outsider, tutored, other)
    db.session.commit()

    hostile = (
        '=HYPERLINK("http://evil.example","x"),+1,-2,@SUM(A1)\n<script>alert(1)</script> & “ok”'
    )
    response = send(client, cohort, "  Week 2: readings  ", hostile)
    assert response.status_code == 302
    assert response.headers["Location"] == roster_url(cohort)
    page = client.get(roster_url(cohort)).get_data(as_text=True)
    assert ("success", "Your message was sent to 2 learners.") in flashes(page)

    (to_ann,) = outbox("ann@example.org")
    (to_bea,) = outbox("bea@example.org")
    assert outbox("outsider@example.org") == []
    assert to_ann.subject == to_bea.subject == "Week 2: readings"  # stripped
    for mail in (to_ann, to_bea):
        assert hostile in mail.body  # as typed: no escaping, no formula handling in a mail
        assert "tomas@example.org" in mail.body and "Tomás Tutor" in mail.body
        assert f"/learn/{TUTORED}" in mail.body
    assert "To answer, write to Tomás Tutor at tomas@example.org." in to_ann.body
    assert "Tutored course" in to_ann.body and "Curso tutorizado" in to_bea.body
    assert "“Mañana”" in to_ann.body


@pytest.mark.parametrize(
    ("subject", "message", "field", "error"),
    [
        ("", "Hello", "subject", "Write a subject."),
        ("   ", "Hello", "subject", "Write a subject."),
        ("Hello", "", "message", "Write a message."),
        ("Hello", " \n\t ", "message", "Write a message."),
        ("x" * 151, "Hello", "subject", "The subject can have at most 150 characters."),
        ("Hello", "y" * 5001, "message", "The message can have at most 5000 characters."),
        ("Hi\r\nBcc: all@example.org", "Hello", "subject", "The subject must fit on one line."),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_is_sent(
    client, login_as, make_user, tutored, subject, message, field, error
):
    tutor = login_as(Role.TUTOR, locale="en")
    cohort = make_cohort(tutored, tutors=[tutor])
    enroll(make_user(email="learner@example.org"), tutored, cohort)
    db.session.commit()
    response = send(client, cohort, subject, message)
    assert response.status_code == 200
    html = main_of(response.get_data(as_text=True))
    assert f'<p class="error" id="{field}-error">Error: {error}</p>' in html
    assert outbox("learner@example.org") == []


def test_the_longest_message_with_browser_line_breaks_is_accepted(
    client, login_as, make_user, tutored
):
    tutor = login_as(Role.TUTOR, locale="en")
    cohort = make_cohort(tutored, tutors=[tutor])
    enroll(make_user(email="learner@example.org"), tutored, cohort)
    db.session.commit()
    # 5,000 characters as typed; the browser sends each line break as CRLF.
    typed = ("z" * 99 + "\n") * 50
    response = send(client, cohort, "s" * 150, typed.replace("\n", "\r\n"))
    assert response.status_code == 302
    (mail,) = outbox("learner@example.org")
    assert typed.strip() in mail.body


def test_a_cohort_without_learners_sends_nothing(client, login_as, tutored):
    tutor = login_as(Role.TUTOR, locale="en")
    cohort = make_cohort(tutored, tutors=[tutor])
    db.session.commit()
    response = send(client, cohort, "Hello", "Anyone?")
    assert response.status_code == 302
    page = client.get(roster_url(cohort)).get_data(as_text=True)
    assert ("success", "Your message was sent to 0 learners.") in flashes(page)
    assert outbox() == []


def test_the_form_needs_its_csrf_token(client, login_as, make_user, tutored):
    tutor = login_as(Role.TUTOR)
    cohort = make_cohort(tutored, tutors=[tutor])
    enroll(make_user(email="learner@example.org"), tutored, cohort)
    db.session.commit()
    response = client.post(message_url(cohort), data={"subject": "Hi", "message": "There"})
    assert response.status_code == 400
    assert outbox("learner@example.org") == []
