"""The network survey: written and opened by administrators, answered once per institution
by its coordinators (editable until it closes), read by question, country and type."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.extensions import db
from app.observatory.models import Entry, EntryState
from app.survey import services
from app.survey.models import Answer, Question, Survey, SurveyResponse, SurveyState
from tests.conftest import login, outbox, post_form
from tests.test_access import make_coordinator, open_survey_with_questions


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def first(institutions):
    return institutions[0]


@pytest.fixture
def second(institutions):
    return next(i for i in institutions if i.country_code != institutions[0].country_code)


@pytest.fixture
def survey(app):
    found = open_survey_with_questions()
    db.session.commit()
    return found


def answers(survey, **by_kind):
    """Form data: the institution's type and an answer per question kind given."""
    data = {"institution_kind": by_kind.pop("institution_kind", "public")}
    for question in survey.questions:
        if question.kind.value in by_kind:
            data[f"q{question.id}"] = by_kind[question.kind.value]
    return data


def test_an_administrator_writes_and_opens_a_survey(client, login_as):
    login_as(Role.ADMIN)
    today = date.today()
    response = post_form(
        client, "/admin/surveys/",
        {"title": "Cómo operan", "intro": "", "language": "es",
         "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=7)).isoformat()},
    )  # fmt: skip
    assert response.status_code == 302
    found = db.session.scalar(select(Survey))
    url = f"/admin/surveys/{found.id}"
    post_form(client, f"{url}/questions", {"kind": "single", "prompt": "¿Abierta?",
              "choices": "Sí\nNo", "required": "y"}, form_page=url)  # fmt: skip
    post_form(client, f"{url}/questions", {"kind": "long", "prompt": "¿Qué hicieron?"},
              form_page=url)  # fmt: skip
    # Refused: a choice question with one choice, a prompt with markup is kept as text.
    refused = post_form(
        client,
        f"{url}/questions",
        {"kind": "single", "prompt": "¿Uno?", "choices": "Solo"},
        form_page=url,
    )
    assert refused.status_code == 200
    post_form(client, f"{url}/open", {}, form_page=url)
    db.session.expire_all()
    found = db.session.get(Survey, found.id)
    assert [q.kind.value for q in found.questions] == ["single", "long"]
    assert found.questions[0].choices == ["Sí", "No"] and found.questions[0].required
    assert found.state == SurveyState.OPEN


def test_a_coordinator_answers_once_and_edits_until_it_closes(
    client, app, make_user, first, survey
):
    coordinator = make_coordinator(make_user, first)
    colleague = make_coordinator(make_user, first)
    login(client, coordinator)
    url = f"/institution/{first.id}/surveys/{survey.id}"
    assert "¿Sigue abierta?" in client.get(url).get_data(as_text=True)
    data = answers(survey, single="1", multiple=["0", "2"], number="120", short="Moodle",
                   long="Clases por SMS.")  # fmt: skip
    assert post_form(client, url, data).status_code == 302
    # A colleague coordinating the same institution edits the same response.
    other = app.test_client()
    login(other, colleague)
    assert "Clases por SMS." in other.get(url).get_data(as_text=True)
    assert (
        post_form(other, url, {**data, f"q{survey.questions[4].id}": "Y radio."}).status_code == 302
    )
    assert count(SurveyResponse) == 1
    response = db.session.scalar(select(SurveyResponse))
    values = {a.question_id: a.value for a in response.answers}
    assert values[survey.questions[0].id] == 1 and values[survey.questions[1].id] == [0, 2]
    assert values[survey.questions[2].id] == 120 and values[survey.questions[4].id] == "Y radio."
    # Closed: no more changes.
    services.close_survey(db.session.get(Survey, survey.id))
    db.session.commit()
    post_form(client, url, {**data, f"q{survey.questions[3].id}": "Otra"}, form_page=url)
    db.session.expire_all()
    stored = [a.value for a in db.session.scalars(select(Answer))]
    assert "Moodle" in stored and "Otra" not in stored
    # Closed, the answers are read as words: the choices chosen, not their numbers.
    page = client.get(url).get_data(as_text=True)
    assert "Moodle, SMS" in page and "En parte" not in page and "No" in page


@pytest.mark.parametrize(
    "bad",
    [
        {"single": "7"},
        {"single": "x"},
        {"single": "²"},  # a digit to str.isdigit, not to int()
        {"single": "9" * 5000},
        {"single": "0", "multiple": ["²"]},
        {"single": ""},  # required
        {"single": "0", "multiple": ["0", "9"]},
        {"single": "0", "number": "1e400"},
        {"single": "0", "number": "NaN"},
        {"single": "0", "number": "doce"},
        {"single": "0", "short": "Con\x00nulo"},
        {"single": "0", "short": "x" * 301},
        {"single": "0", "long": "x" * 10_001},
        {"single": "0", "institution_kind": "alien"},
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(client, make_user, first, survey, bad):
    login(client, make_coordinator(make_user, first))
    url = f"/institution/{first.id}/surveys/{survey.id}"
    response = post_form(client, url, answers(survey, **bad))
    assert response.status_code == 200
    assert count(SurveyResponse) == 0 and count(Answer) == 0


def test_markup_in_answers_is_shown_as_text(client, make_user, first, survey):
    login(client, make_coordinator(make_user, first))
    url = f"/institution/{first.id}/surveys/{survey.id}"
    post_form(client, url, answers(survey, single="0", long="<script>alert(1)</script>"))
    admin = make_user(role=Role.ADMIN)
    login(other := client.application.test_client(), admin)
    page = other.get(f"/admin/surveys/{survey.id}/results").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_results_by_question_country_and_type_and_csv(app, make_user, first, second, survey):
    ana, bea = make_user(), make_user()
    services.save_response(survey, first, ana, "public", {
        survey.questions[0].id: "0", survey.questions[2].id: "10",
        survey.questions[4].id: "=HYPERLINK(\"http://evil\")"})  # fmt: skip
    services.save_response(survey, second, bea, "private", {
        survey.questions[0].id: "0", survey.questions[2].id: "20"})  # fmt: skip
    db.session.commit()
    rows, groups, responses = services.results(survey)
    assert responses == 2 and groups == [""]
    assert rows[0].counts[""][0] == 2 and rows[2].numbers[""] == [10, 20]
    rows, groups, _ = services.results(survey, "country")
    assert groups == sorted([first.country_code, second.country_code])
    rows, groups, _ = services.results(survey, "kind")
    assert groups == ["private", "public"] and rows[0].counts["public"][0] == 1
    client = app.test_client()
    login(client, make_user(role=Role.ADMIN))
    for by in ("", "country", "kind"):
        assert client.get(f"/admin/surveys/{survey.id}/results?by={by}").status_code == 200
    csv = client.get(f"/admin/surveys/{survey.id}/results.csv?by=kind")
    assert csv.headers["Content-Disposition"].startswith("attachment")
    text = csv.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert "¿Sigue abierta?" in text and "public" in text
    # The same table as a workbook, which administrators open; formulas stay text.
    from tests.reports.test_network_and_workbooks import XLSX, read_xlsx

    book = client.get(f"/admin/surveys/{survey.id}/results.xlsx?by=kind")
    assert book.mimetype == XLSX and book.headers["Content-Disposition"].startswith("attachment")
    assert book.headers["Cache-Control"] == "private, no-store"
    [sheet] = read_xlsx(book.data).values()
    assert sheet[0][:2] == ["question_number", "question"]
    cells = [cell for row in sheet for cell in row]
    assert '=HYPERLINK("http://evil")' in cells and "¿Sigue abierta?" in cells


def test_an_answer_becomes_a_draft_entry_with_one_click(client, make_user, first, survey):
    coordinator = make_coordinator(make_user, first)
    services.save_response(survey, first, coordinator, "public", {
        survey.questions[0].id: "0",
        survey.questions[4].id: "Instructores por SMS y radio."})  # fmt: skip
    db.session.commit()
    login(client, coordinator)
    url = f"/institution/{first.id}/surveys/{survey.id}"
    response = post_form(
        client, f"{url}/questions/{survey.questions[4].id}/entry", {}, form_page=url
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(Entry))
    assert entry.state == EntryState.DRAFT and entry.institution_id == first.id
    assert entry.body["es"] == "Instructores por SMS y radio."
    assert response.headers["Location"].endswith(f"/experiences/{entry.id}")


def test_reminders_go_to_institutions_that_have_not_answered(make_user, first, second, survey):
    answered = make_coordinator(make_user, first, email="answered@example.org")
    make_coordinator(make_user, second, email="waiting@example.org")
    services.save_response(survey, first, answered, "public", {survey.questions[0].id: "0"})
    assert [i.id for i in services.not_answered(survey)] == [second.id]
    assert services.remind(survey) == 1
    db.session.commit()
    assert [m.recipient for m in outbox()] == ["waiting@example.org"]
    assert f"/institution/{second.id}/surveys/{survey.id}" in outbox()[0].body


def test_the_schedule_reminds_weekly_with_no_crontab(make_user, first, second, survey):
    from datetime import UTC, datetime, time, timedelta

    from app.core import schedule

    entry = schedule.SCHEDULE["survey.remind"]
    assert (entry.interval, entry.at) == (timedelta(days=7), time(9, 0))
    make_coordinator(make_user, second, email="waiting@example.org")
    db.session.commit()
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    schedule.enqueue_due(tomorrow.replace(hour=8, minute=0))  # first looked at before 09:00
    assert outbox() == []
    schedule.enqueue_due(tomorrow.replace(hour=9, minute=30))
    schedule.enqueue_due(tomorrow.replace(hour=10, minute=0) + timedelta(days=3))  # a week
    assert [m.recipient for m in outbox()] == ["waiting@example.org"]
    schedule.enqueue_due(tomorrow.replace(hour=9, minute=30) + timedelta(days=7))
    assert [m.recipient for m in outbox()] == ["waiting@example.org"] * 2


def test_questions_cannot_change_once_answered(make_user, first, survey):
    services.save_response(survey, first, make_user(), "public", {survey.questions[0].id: "0"})
    with pytest.raises(services.SurveyError):
        services.add_question(survey, "short", "¿Otra?", "", False)
    with pytest.raises(services.SurveyError):
        services.remove_question(survey, survey.questions[0])
    assert count(Question) == 5


def test_results_and_review_pages_keep_their_queries(app, make_user, institutions, survey):
    from tests.learning.helpers import counting_queries

    client = app.test_client()
    login(client, make_user(role=Role.ADMIN))
    urls = [f"/admin/surveys/{survey.id}/results?by={by}" for by in ("", "country", "kind")]
    urls += [f"/admin/surveys/{survey.id}/results.csv", f"/admin/surveys/{survey.id}"]

    def answer(institution):
        services.save_response(survey, institution, make_user(), "public", {
            survey.questions[0].id: "1", survey.questions[1].id: ["0", "1"],
            survey.questions[2].id: "7", survey.questions[4].id: "Texto"})  # fmt: skip
        db.session.commit()

    def queries():
        counts = {}
        for url in urls:
            with counting_queries() as statements:
                assert client.get(url).status_code == 200, url
            counts[url] = len(statements)
        return counts

    answer(institutions[0])
    queries()
    few = queries()
    for institution in institutions[1:12]:
        answer(institution)
    assert queries() == few


def test_the_remind_command_mails_who_has_not_answered(app, make_user, first, second, survey):
    make_coordinator(make_user, second, email="waiting@example.org")
    result = app.test_cli_runner().invoke(args=["survey", "remind"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) sent" in result.output
    assert [m.recipient for m in outbox()] == ["waiting@example.org"]


def test_a_survey_written_in_spanish_is_answered_in_portuguese(app, make_user, first, survey):
    admin = app.test_client()
    login(admin, make_user(role=Role.ADMIN))
    url = f"/admin/surveys/{survey.id}/translations/pt"
    prompts = {q.id: (f"Pergunta {n}", "") for n, q in enumerate(survey.questions, start=1)}
    data = {"title": "Pesquisa da rede", "intro": "Responda, por favor."}
    for question in survey.questions:
        data[f"q{question.id}_prompt"] = prompts[question.id][0]
    single, multiple = survey.questions[0], survey.questions[1]
    # Two choices for a question with three: refused, nothing kept.
    many = {f"q{multiple.id}_choices": "Moodle\nBlackboard\nSMS"}
    response = post_form(admin, url, {**data, **many, f"q{single.id}_choices": "Sim\nNão"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).translations == {}
    three = {f"q{single.id}_choices": "Sim\nNão\nEm parte"}
    response = post_form(admin, url, {**data, **many, **three})
    assert response.status_code == 302
    coordinator = make_coordinator(make_user, first, locale="pt")
    client = app.test_client()
    login(client, coordinator)
    answer_url = f"/institution/{first.id}/surveys/{survey.id}"
    page = client.get(answer_url).get_data(as_text=True)
    assert "Pesquisa da rede" in page and "Em parte" in page and "Pergunta 1" in page
    assert "¿Sigue abierta?" not in page
    post_form(client, answer_url, answers(survey, single="2"))
    # The answer is the same index whatever the language it was given in.
    assert services.results(survey)[0][0].counts[""][2] == 1
    # The reminder speaks the coordinator's language too.
    db.session.expire_all()
    other = make_coordinator(make_user, institutions_other(first), locale="pt")
    services.remind(db.session.get(Survey, survey.id))
    db.session.commit()
    assert "Pesquisa da rede" in outbox(other.email)[0].body


def institutions_other(institution):
    from app.accounts.models import Institution

    return db.session.scalar(select(Institution).where(Institution.id != institution.id).limit(1))
