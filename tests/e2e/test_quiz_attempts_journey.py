"""Journey (e): a learner spends every attempt at a required quiz, is told who can help, the
tutor (mailed) gives one more attempt with a reason, and the learner passes.

On a phone, in Spanish, axe on every page: a blank submission is refused and spends nothing,
a failed attempt shows the learner's answers but not the correct ones, the spent quiz names
the cohort's tutor, the tutor finds the learner from the cohort roster and grants one attempt.
"""

import re
from datetime import date, timedelta

from ruamel.yaml import YAML

from tests.e2e import test_capstone_journey
from tests.e2e.conftest import ROOT, assert_accessible, assert_fits_phone, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, sign_in, visit
from tests.e2e.test_learner_journey import answer_quiz

people = test_capstone_journey.people  # the fixture: each person in a phone of their own

COURSE_SLUG = "national-qualifications-frameworks"
COURSE = ROOT / "course_content" / COURSE_SLUG
COHORT = "Cohorte MNC Intentos E2E"
PASSWORD = "una clave larga para el proyecto 2026"
TUTOR = ("tutora.intentos@example.org", "Teresa Tutora")
LEARNER = ("aprendiz.intentos@example.org", "Pablo Aprendiz")


def first_quiz():
    spec = YAML(typ="safe").load((COURSE / "course.yaml").read_text(encoding="utf-8"))
    items = [item for module in spec["modules"] for item in module["items"]]
    return next(item for item in items if item["kind"] == "quiz")


def answer_wrongly(page, item):
    """A wrong answer to every question."""
    for index, question in enumerate(item["questions"]):
        kind = question["kind"]
        if kind in ("single", "multiple"):
            wrong = next(i for i, c in enumerate(question["choices"]) if not c.get("correct"))
            page.check(f"#q{index}-{wrong}")
        elif kind == "true_false":
            page.check(f"#q{index}-{'f' if question['answer'] else 't'}")
        else:
            page.fill(f"#q{index}-n", str(question["answer"] + 1000))


def attempts_made(live_server):
    ((count,),) = live_server.query(
        "SELECT count(*) FROM quiz_attempt a JOIN enrollment e ON e.id = a.enrollment_id "
        "JOIN user_account u ON u.id = e.user_id WHERE u.email = ?",
        LEARNER[0],
    )
    return count


def submit(page):
    page.get_by_role("button", name=es("Submit my answers")).click()
    page.wait_for_load_state()
    assert_accessible(page)
    assert_fits_phone(page)


def test_spent_attempts_then_a_tutor_grants_one_then_a_pass(people, live_server):
    for (email, name), role in ((TUTOR, "tutor"), (LEARNER, "learner")):
        flask_command(
            live_server, "users", "create", email, "--name", name, "--role", role,
            "--password", PASSWORD,
        )  # fmt: skip
    today = date.today()
    flask_command(
        live_server, "seasons", "add-cohort", "Season E2E", COURSE_SLUG, "--name", COHORT,
        "--starts", today.isoformat(), "--ends", (today + timedelta(days=90)).isoformat(),
        "--enroll-opens", (today - timedelta(days=1)).isoformat(),
        "--enroll-closes", (today + timedelta(days=30)).isoformat(),
        "--seats", "5", "--language", "es", "--tutor", TUTOR[0],
    )  # fmt: skip
    quiz = first_quiz()
    quiz_path = f"/learn/{COURSE_SLUG}/{quiz['slug']}"

    learner = people("learner")
    sign_in(learner, LEARNER[0])
    visit(learner, f"/courses/{COURSE_SLUG}")
    learner.locator(".cohort").filter(has_text=COHORT).get_by_role(
        "button", name=es("Enrol in this cohort")
    ).click()
    learner.wait_for_url(f"**/learn/{COURSE_SLUG}**")

    # A blank submission is refused, names how many are missing, and spends nothing.
    visit(learner, quiz_path)
    learner.check("#q0-0")
    submit(learner)
    missing = len(quiz["questions"]) - 1
    expect(learner.get_by_text(f"{missing} preguntas no tienen respuesta.")).to_have_count(1)
    assert learner.locator("#q0-0").is_checked()  # the answer given is kept
    assert learner.locator(".question.has-error").count() == missing
    snapshot(learner, "e1-quiz-blank-refused")
    assert attempts_made(live_server) == 0

    # Three wrong attempts: the learner's answers show, the correct ones only at the end.
    for number in range(1, 4):
        visit(learner, quiz_path)
        answer_wrongly(learner, quiz)
        submit(learner)
        result = learner.locator("#result")
        assert es("Your answer:") in result.inner_text()
        if number < 3:
            assert es("Correct answer:") not in learner.content()
            feedback = quiz["questions"][0]["feedback"]
            feedback = feedback["es"] if isinstance(feedback, dict) else feedback
            assert feedback not in learner.content()
    assert attempts_made(live_server) == 3
    assert es("Correct answer:") in learner.locator("#result").inner_text()
    helper = learner.locator("#help")
    assert TUTOR[1] in helper.inner_text()
    assert learner.get_by_role("button", name=es("Submit my answers")).count() == 0
    snapshot(learner, "e2-quiz-spent")

    # The tutor was mailed, with the page where attempts are given.
    ((body,),) = live_server.query(
        "SELECT body FROM outbox_message WHERE recipient = ? ORDER BY id DESC LIMIT 1", TUTOR[0]
    )
    assert LEARNER[1] in body
    link = re.search(r"https?://\S+/tutor/enrollments/\d+/attempts", body).group(0)

    # The tutor finds the learner from the cohort roster and gives one attempt.
    tutor = people("tutor")
    sign_in(tutor, TUTOR[0])
    visit(tutor, "/tutor/cohorts")
    tutor.get_by_role("link", name=COHORT, exact=True).click()
    tutor.wait_for_load_state()
    assert_accessible(tutor)
    tutor.get_by_role("link", name=f"{es('Quiz attempts')} {LEARNER[1]}").click()
    tutor.wait_for_url("**/attempts")
    assert tutor.url == link.replace(re.match(r"https?://[^/]+", link).group(0), live_server.url)
    assert_accessible(tutor)
    assert_fits_phone(tutor)
    tutor.get_by_label(es("More attempts")).fill("1")
    tutor.get_by_role("button", name=es("Give the attempts")).click()  # no reason yet
    tutor.wait_for_load_state()
    assert_accessible(tutor)
    expect(tutor.get_by_text(es("Give a reason.")).first).to_be_visible()
    tutor.get_by_label(es("Reason")).fill("Se cortó la conexión durante el tercer intento.")
    snapshot(tutor, "e3-tutor-grants")
    tutor.get_by_role("button", name=es("Give the attempts")).click()
    tutor.wait_for_load_state()
    assert_accessible(tutor)
    assert "Se cortó la conexión" in tutor.content()

    # The learner has one attempt more, and passes.
    visit(learner, quiz_path)
    expect(learner.get_by_text("Le queda 1 intento.")).to_have_count(1)
    assert es("Correct answer:") not in learner.content()  # hidden again while attempts remain
    answer_quiz(learner, quiz)
    submit(learner)
    expect(learner.locator("#result").get_by_text("aprobado").first).to_be_visible()
    expect(learner.get_by_text(es("You passed this quiz."))).to_have_count(1)
    assert learner.get_by_role("button", name=es("Submit my answers")).count() == 0
    snapshot(learner, "e4-quiz-passed")
    assert attempts_made(live_server) == 4
