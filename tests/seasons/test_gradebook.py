"""A cohort's gradebook: every learner with progress, each quiz's best score and attempts, the
capstone's state and points, the certificate; sortable, exported as CSV, in a fixed number of
queries; and a tutor writes to one learner."""

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.capstones.models import SubmissionState
from app.catalog.models import Item
from app.certificates.models import Certificate
from app.extensions import db
from app.learning.models import QuizAttempt
from tests.capstones.helpers import capstone_cohort, enrolled_learner, enrollment_of, make_person
from tests.capstones.helpers import start as start_capstone
from tests.conftest import csrf_token, login, outbox, post_form
from tests.learning.helpers import counting_queries, main_of


def book_url(cohort, **query):
    args = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/tutor/cohorts/{cohort.id}/gradebook" + (f"?{args}" if args else "")


def first_quiz(course) -> Item:
    return db.session.scalar(
        select(Item).where(Item.course_id == course.id, Item.kind == "quiz").order_by(Item.position)
    )


def attempt(user, quiz, *scores):
    place = enrollment_of(user, quiz.course if hasattr(quiz, "course") else None)
    for number, score in enumerate(scores, start=1):
        db.session.add(
            QuizAttempt(
                enrollment_id=place.id, item_id=quiz.id, number=number, answers={},
                results=[], score=score, passed=score >= 70,
            )
        )  # fmt: skip
    db.session.commit()


def certify(user):
    place = enrollment_of(user)
    db.session.add(
        Certificate(
            code=f"TEST{place.id:08d}", enrollment_id=place.id, user_id=user.id,
            course_id=place.course_id, season_id=place.season_id, learner_name=user.full_name,
            course_title="OSH", season_name="Test season", completed_on=date.today(),
            language="en", design="classic", design_version="1", hours=20,
        )
    )  # fmt: skip
    db.session.commit()


def rows_of(page):
    body = main_of(page).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in cell.findall(row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture
def cohort_with_work(app):
    tutor = make_person(Role.TUTOR, locale="en")
    cohort = capstone_cohort(tutors=[tutor], seats=60)
    course = cohort.offering.course
    quiz = first_quiz(course)
    ana = enrolled_learner(cohort, full_name="Ana Ávila")
    bruno = enrolled_learner(cohort, full_name="Bruno Braga")
    carla = enrolled_learner(cohort, full_name='=HYPERLINK("x")')
    attempt(ana, quiz, 40, 80)
    attempt(bruno, quiz, 50)
    start_capstone(ana).state = SubmissionState.SUBMITTED
    db.session.commit()
    certify(bruno)
    return {"tutor": tutor, "cohort": cohort, "quiz": quiz, "people": (ana, bruno, carla)}


def test_the_gradebook_shows_each_learners_work(client, cohort_with_work):
    cohort = cohort_with_work["cohort"]
    login(client, cohort_with_work["tutor"])
    response = client.get(book_url(cohort))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "best score" in html and "attempts" in html and "Capstone project" in html
    rows = {row[0]: row for row in rows_of(html)}
    assert set(rows) == {"Ana Ávila", "Bruno Braga", '=HYPERLINK("x")'}
    ana, bruno, carla = rows["Ana Ávila"], rows["Bruno Braga"], rows['=HYPERLINK("x")']
    assert "80%, passed" in ana and "2" in ana and "To review" in ana
    assert "50%" in bruno and "1" in bruno and any(c.startswith("Issued") for c in bruno)
    assert "Nothing yet" in carla and "Issued" not in " ".join(carla)


def test_the_gradebook_sorts_by_any_column_either_way(client, cohort_with_work):
    cohort, quiz = cohort_with_work["cohort"], cohort_with_work["quiz"]
    login(client, cohort_with_work["tutor"])
    names = lambda html: [row[0] for row in rows_of(html)]  # noqa: E731
    by_score = client.get(book_url(cohort, sort=f"quiz-{quiz.id}", order="desc")).get_data(
        as_text=True
    )
    assert names(by_score) == ["Ana Ávila", "Bruno Braga", '=HYPERLINK("x")']  # no score: last
    assert 'aria-sort="descending"' in by_score
    by_score_up = client.get(book_url(cohort, sort=f"quiz-{quiz.id}", order="asc")).get_data(
        as_text=True
    )
    assert names(by_score_up) == ["Bruno Braga", "Ana Ávila", '=HYPERLINK("x")']
    by_capstone = client.get(book_url(cohort, sort="capstone")).get_data(as_text=True)
    assert names(by_capstone)[0] == "Ana Ávila"  # to review comes first
    unknown = client.get(book_url(cohort, sort="<script>", order="sideways"))
    assert unknown.status_code == 200 and "<script>" not in unknown.get_data(as_text=True)
    assert names(unknown.get_data(as_text=True))[0] == '=HYPERLINK("x")'  # by name


def test_the_csv_export_is_the_same_table_safe_for_spreadsheets(client, cohort_with_work):
    cohort = cohort_with_work["cohort"]
    login(client, cohort_with_work["tutor"])
    response = client.get(f"/tutor/cohorts/{cohort.id}/gradebook.csv?sort=learner")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "gradebook" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeffLearner,Email,Institution,Country,Progress")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert "80%, passed" in text


def test_the_gradebook_speaks_the_readers_language(client, cohort_with_work):
    cohort = cohort_with_work["cohort"]
    tutor = cohort_with_work["tutor"]
    tutor.locale = "es"
    db.session.commit()
    login(client, tutor)
    page = client.get(book_url(cohort)).get_data(as_text=True)
    assert "Libro de calificaciones" in page and "mejor puntuación" in page
    csv = client.get(f"/tutor/cohorts/{cohort.id}/gradebook.csv")
    assert csv.get_data().decode().startswith("\ufeffParticipante,Correo electrónico,")
    assert "calificaciones" in csv.headers["Content-Disposition"]


@pytest.mark.parametrize("role", ["other tutor", "learner"])
def test_only_the_cohorts_tutors_and_administrators_see_it(client, cohort_with_work, role):
    cohort = cohort_with_work["cohort"]
    someone = make_person(Role.TUTOR) if role == "other tutor" else cohort_with_work["people"][0]
    login(client, someone)
    assert client.get(book_url(cohort)).status_code == 403
    assert client.get(f"/tutor/cohorts/{cohort.id}/gradebook.csv").status_code == 403
    post_form(client, "/logout", {}, form_page="/")
    login(client, make_person(Role.ADMIN))
    assert client.get(book_url(cohort)).status_code == 200


def test_the_gradebook_runs_the_same_queries_for_5_and_500(client, cohort_with_work):
    cohort, quiz = cohort_with_work["cohort"], cohort_with_work["quiz"]

    def add_learners(first, count):
        for n in range(first, first + count):
            learner = enrolled_learner(cohort, full_name=f"Learner {n:03d}")
            attempt(learner, quiz, 60 + n % 30)
            if n % 3 == 0:
                start_capstone(learner)
            if n % 4 == 0:
                certify(learner)
        db.session.commit()

    cohort.seats = 500
    db.session.commit()
    add_learners(0, 2)  # with the scene's three: 5
    login(client, cohort_with_work["tutor"])
    url = book_url(cohort)
    client.get(url)
    with counting_queries() as few:
        assert len(rows_of(client.get(url).get_data(as_text=True))) == 5
    add_learners(2, 495)
    with counting_queries() as many:
        page = client.get(url).get_data(as_text=True)
    assert len(rows_of(page)) == 500
    assert len(many) == len(few), "\n\n".join(many)


def write_url(cohort, place):
    return f"/tutor/cohorts/{cohort.id}/learners/{place.id}/message"


def test_a_tutor_writes_to_one_learner_only(client, cohort_with_work):
    cohort = cohort_with_work["cohort"]
    ana, bruno, _carla = cohort_with_work["people"]
    login(client, cohort_with_work["tutor"])
    url = write_url(cohort, enrollment_of(ana))
    assert "Write to Ana Ávila" in client.get(book_url(cohort)).get_data(as_text=True)
    before = len(outbox())
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "subject": "Your quiz",
            "message": "Well done.",
        },
    )
    assert response.status_code == 302
    sent = outbox()[before:]
    assert [m.recipient for m in sent] == [ana.email]
    assert "Well done." in sent[0].body and "to you alone" in sent[0].body
    assert outbox(bruno.email) == []


def test_writing_to_one_learner_refuses_bad_input_and_strangers(client, cohort_with_work):
    cohort = cohort_with_work["cohort"]
    ana = cohort_with_work["people"][0]
    login(client, cohort_with_work["tutor"])
    url = write_url(cohort, enrollment_of(ana))
    before = len(outbox())
    for subject, message in (("", "x"), ("Two\nlines", "x"), ("Hi", ""), ("Hi", "x" * 5001)):
        response = client.post(
            url,
            data={"csrf_token": csrf_token(client, url), "subject": subject, "message": message},
        )
        assert response.status_code == 200
    assert client.post(url, data={"subject": "Hi", "message": "x"}).status_code == 400  # no CSRF
    assert len(outbox()) == before
    # A learner of another cohort is not found through this cohort.
    other = capstone_cohort()
    stranger = enrolled_learner(other)
    assert client.get(write_url(cohort, enrollment_of(stranger))).status_code == 404
    assert client.get(f"/tutor/cohorts/{cohort.id}/learners/{2**31}/message").status_code == 404
