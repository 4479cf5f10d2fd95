"""Journey: a learner asks the cohort's tutor privately, the tutor sees the question waiting
on their start page and answers, and the learner sees the notification and the answer.

Two people, each in a browser of their own (a phone, in Spanish), on the live server."""

import re
from datetime import date, timedelta

from tests.e2e.conftest import assert_accessible, assert_fits_phone, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, people, sign_in, visit  # noqa: F401

COURSE_SLUG = "national-qualifications-frameworks"
COHORT = "Cohorte MNC Preguntas E2E"
PASSWORD = "una clave larga para el proyecto 2026"
TUTOR = ("tutora.preguntas@example.org", "Teresa Tutora")
LEARNER = ("aprendiz.preguntas@example.org", "Lucas Aprendiz")
QUESTION = "¿Puedo centrar el proyecto en mi institución?"


def test_a_learner_asks_the_tutor_who_answers_and_the_learner_is_told(people, live_server):  # noqa: F811
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

    # The learner enrols, finds the cohort's discussions on the dashboard and asks privately.
    learner = people("learner")
    sign_in(learner, LEARNER[0])
    visit(learner, f"/courses/{COURSE_SLUG}")
    cohort = learner.locator(".cohort").filter(has_text=COHORT)
    cohort.get_by_role("button", name=es("Enrol in this cohort")).click()
    learner.wait_for_url(f"**/learn/{COURSE_SLUG}**")
    # Their own enrolment is confirmed: a notification (unread) and, by default, a mail.
    assert es("%(num)s unread", num=1) in learner.locator("header").inner_text()
    ((confirmation,),) = live_server.query(
        "SELECT subject FROM outbox_message WHERE recipient = ?", LEARNER[0]
    )
    assert COHORT in confirmation
    visit(learner, "/dashboard")
    learner.get_by_role("link", name=es("Ask the tutors")).first.click()
    learner.wait_for_url("**/questions")
    assert_accessible(learner)
    assert_fits_phone(learner)
    learner.get_by_label(es("Title")).fill(QUESTION)
    learner.get_by_label(es("Message")).fill("Trabajo en el **SENAI** y quisiera usar su marco.")
    learner.get_by_role("button", name=es("Send to the tutors")).click()
    learner.get_by_text(es("Your question was sent to the tutors.")).wait_for()
    assert "/discussions/threads/" in learner.url
    assert_accessible(learner)
    snapshot(learner, "q1-question-sent")

    # The tutor sees it waiting, in the header and on the cohorts page, and answers.
    tutor = people("tutor")
    sign_in(tutor, TUTOR[0])
    assert es("%(num)s unread", num=1) in tutor.locator("header").inner_text()
    tutor.get_by_role("link", name=es("My cohorts")).click()
    assert_accessible(tutor)
    waiting = re.compile("1 " + re.escape(es("%(num)s question waiting for you").split(" ", 1)[1]))
    tutor.get_by_role("link", name=waiting).click()
    assert_accessible(tutor)
    tutor.get_by_role("link", name=QUESTION).click()
    assert_accessible(tutor)
    expect(tutor.locator("main")).to_contain_text("SENAI")
    tutor.get_by_label(es("Your reply")).fill("Sí, y compare con el marco regional.")
    tutor.get_by_role("button", name=es("Reply")).click()
    tutor.get_by_text(es("Your reply was posted.")).wait_for()
    assert_accessible(tutor)
    snapshot(tutor, "q2-tutor-answered")

    # The learner sees the notification in the header (beside their enrolment's), opens it
    # and reads the answer.
    visit(learner, "/dashboard")
    assert es("%(num)s unread", num=2) in learner.locator("header").inner_text()
    learner.get_by_role("link", name=re.compile(es("Notifications"))).click()
    assert_accessible(learner)
    line = es("%(who)s replied in “%(title)s”", who=TUTOR[1], title=QUESTION)
    learner.get_by_role("button", name=re.compile(re.escape(line))).click()
    learner.get_by_text("compare con el marco regional").wait_for()
    assert "/discussions/threads/" in learner.url
    assert_accessible(learner)
    assert "compare con el marco regional" in learner.locator("main").inner_text()
    # Read: only the enrolment's confirmation is left unread.
    assert es("%(num)s unread", num=1) in learner.locator("header").inner_text()
    snapshot(learner, "q3-learner-reads-the-answer")
