"""Journey (f): a learner saves a tutor-led course on a phone, studies with no signal (two
lessons, the practical guide, a quiz, items marked done), and when the signal returns the
server counts it all once; a second learner's queued attempt arrives after their attempts
were spent on another device, and they are told why it did not count.

On a phone, in Spanish, axe on the pages the learner sees online.
"""

import re
from datetime import date, timedelta

from ruamel.yaml import YAML

from tests.e2e.conftest import ROOT, assert_accessible, assert_fits_phone, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, sign_in, visit
from tests.e2e.test_learner_journey import answer_quiz
from tests.e2e.test_quiz_attempts_journey import answer_wrongly, first_quiz

people = __import__("tests.e2e.test_capstone_journey", fromlist=["people"]).people

COURSE_SLUG = "national-qualifications-frameworks"
COHORT = "Cohorte MNC Sin Conexión E2E"
PASSWORD = "una clave larga para el proyecto 2026"
LEARNER = ("aprendiz.offline@example.org", "Olga Sinconexión")
SECOND = ("aprendiz.offline2@example.org", "Omar Sinseñal")
LESSONS = ("que-es-un-mnc", "niveles-descriptores-resultados")


def attempts(live_server, email):
    return live_server.query(
        "SELECT a.number, a.passed FROM quiz_attempt a JOIN enrollment e ON e.id = a.enrollment_id"
        " JOIN user_account u ON u.id = e.user_id WHERE u.email = ? ORDER BY a.number",
        email,
    )


def done_items(live_server, email):
    return {
        slug
        for (slug,) in live_server.query(
            "SELECT i.slug FROM item_progress p JOIN course_item i ON i.id = p.item_id "
            "JOIN enrollment e ON e.id = p.enrollment_id JOIN user_account u ON u.id = e.user_id "
            "WHERE u.email = ?",
            email,
        )
    }


def enrol_and_save(page, email):
    sign_in(page, email)
    visit(page, f"/courses/{COURSE_SLUG}")
    page.locator(".cohort").filter(has_text=COHORT).get_by_role(
        "button", name=es("Enrol in this cohort")
    ).click()
    page.wait_for_url(f"**/learn/{COURSE_SLUG}**")
    page.goto(f"/learn/{COURSE_SLUG}")
    page.get_by_role(
        "link", name=es("Save for offline or download the printable course pack")
    ).click()
    page.wait_for_url(f"**/offline/courses/{COURSE_SLUG}")
    assert_accessible(page)
    assert_fits_phone(page)
    page.get_by_role(
        "button",
        name=re.compile(
            "^" + re.escape(es("Save the whole course (about %(size)s)", size="")[:20])
        ),
    ).click()
    page.get_by_role("status").filter(has_text=es("Saved for offline.")).wait_for(timeout=60_000)
    snapshot(page, f"f-saved-{email.split('@')[0]}")


def submit_quiz(page):
    page.get_by_role("button", name=es("Submit my answers")).click()
    page.wait_for_load_state()


def test_a_course_saved_on_a_phone_is_studied_offline_and_synced_once(people, live_server):
    for email, name in (LEARNER, SECOND):
        flask_command(
            live_server, "users", "create", email, "--name", name, "--role", "learner",
            "--password", PASSWORD,
        )  # fmt: skip
    today = date.today()
    flask_command(
        live_server, "seasons", "add-cohort", "Season E2E", COURSE_SLUG, "--name", COHORT,
        "--starts", today.isoformat(), "--ends", (today + timedelta(days=90)).isoformat(),
        "--enroll-opens", (today - timedelta(days=1)).isoformat(),
        "--enroll-closes", (today + timedelta(days=30)).isoformat(),
        "--seats", "5", "--language", "es",
    )  # fmt: skip
    quiz = first_quiz()
    page = people("learner")
    enrol_and_save(page, LEARNER[0])

    # The saved list shows the course with its size.
    visit(page, "/offline/")
    saved = page.locator("#offline-saved")
    saved.get_by_role("link").first.wait_for()
    assert re.search(r"\d+(,\d)? (KB|MB)", saved.inner_text())

    # No signal: two lessons, the guide and the quiz open from the device.
    page.context.set_offline(True)
    spec = YAML(typ="safe").load(
        (ROOT / "course_content" / COURSE_SLUG / "course.yaml").read_text()
    )
    titles = {i["slug"]: i["title"]["es"] for m in spec["modules"] for i in m["items"]}
    for slug in LESSONS:
        page.goto(f"/learn/{COURSE_SLUG}/{slug}")
        assert page.locator("h1").inner_text().strip() == titles[slug]
        assert len(page.locator(".lesson").inner_text()) > 500  # the lesson's text, not a stub
    page.goto(f"/learn/{COURSE_SLUG}/guia-practica")
    guide = page.locator("a[hreflang='es']").get_attribute("href")
    head = page.evaluate(
        "url => fetch(url).then(r => r.arrayBuffer()).then(b => "
        "String.fromCharCode(...new Uint8Array(b).slice(0, 5)))",
        guide,
    )
    assert head == "%PDF-"
    # A page that was not saved says so and lists what is saved.
    page.goto("/certificates")
    expect(page.get_by_role("heading", name=es("You are offline"))).to_have_count(1)
    page.get_by_role("link", name=re.compile("cualificaciones", re.I)).first.wait_for()

    # Marked done and the quiz answered with no signal: kept on the device.
    page.goto(f"/learn/{COURSE_SLUG}/{LESSONS[0]}")
    page.get_by_role("button", name=es("Mark as done and continue")).click()
    page.get_by_role("heading", name=es("Kept on this device")).wait_for()
    page.goto(f"/learn/{COURSE_SLUG}/{quiz['slug']}")
    answer_quiz(page, quiz)
    submit_quiz(page)
    page.get_by_role("heading", name=es("Kept on this device")).wait_for()
    snapshot(page, "f-queued")
    assert attempts(live_server, LEARNER[0]) == []
    assert done_items(live_server, LEARNER[0]) == set()

    # The signal returns: the next page sends the queue first and shows what arrived.
    page.context.set_offline(False)
    visit(page, f"/learn/{COURSE_SLUG}")
    assert attempts(live_server, LEARNER[0]) == [(1, 1)]
    assert done_items(live_server, LEARNER[0]) == {LESSONS[0], quiz["slug"]}
    flashes = page.locator(".flashes").inner_text()
    sent = es("Sent from your device: %(title)s. %(message)s") % {
        "title": quiz["title"]["es"],
        "message": es("Passed with %(score)s%%.", score=100),
    }
    assert sent in flashes
    snapshot(page, "f-synced")
    # Sent once: going on does not send it again.
    visit(page, f"/learn/{COURSE_SLUG}/{quiz['slug']}")
    assert attempts(live_server, LEARNER[0]) == [(1, 1)]
    assert live_server.query(
        "SELECT count(*) FROM offline_action a JOIN user_account u ON u.id = a.user_id "
        "WHERE u.email = ?",
        LEARNER[0],
    ) == [(2,)]

    # The data saver, chosen on its page (linked from the profile), without any script.
    visit(page, "/account/profile")
    page.get_by_role("link", name=es("Data saver and courses saved for offline")).click()
    page.wait_for_url("**/offline/data-saver")
    assert_accessible(page)
    page.get_by_label(
        es("Data saver: show a link with the picture's size instead of each picture in lessons")
    ).check()
    page.get_by_role("button", name=es("Save my preference")).click()
    page.get_by_text(es("Your data saver preference is saved.")).wait_for()
    assert live_server.query("SELECT data_saver FROM user_account WHERE email = ?", LEARNER[0]) == [
        (1,)
    ]

    # The course's content changes on the server: the saved copy brings itself up to date
    # and the list of saved courses says so.
    ((package_hash,),) = live_server.query(
        "SELECT package_hash FROM course WHERE slug = ?", COURSE_SLUG
    )
    live_server.query("UPDATE course SET package_hash = ? WHERE slug = ?", "e" * 64, COURSE_SLUG)
    try:
        visit(page, "/offline/")
        updated = es("Updated to the course’s new version on %(date)s.", date="")
        page.locator("#offline-saved").get_by_text(
            updated.split(" ")[0], exact=False
        ).first.wait_for(timeout=60_000)
        assert updated[:25] in page.locator("#offline-saved").inner_text()
        snapshot(page, "f-updated")
    finally:
        live_server.query(
            "UPDATE course SET package_hash = ? WHERE slug = ?", package_hash, COURSE_SLUG
        )

    # The second learner's attempt waits on the phone while another device spends them all.
    phone = people("second")
    enrol_and_save(phone, SECOND[0])
    phone.context.set_offline(True)
    phone.goto(f"/learn/{COURSE_SLUG}/{quiz['slug']}")
    answer_quiz(phone, quiz)
    submit_quiz(phone)
    phone.get_by_role("heading", name=es("Kept on this device")).wait_for()

    laptop = people("laptop")
    sign_in(laptop, SECOND[0])
    for _ in range(quiz["max_attempts"]):
        laptop.goto(f"/learn/{COURSE_SLUG}/{quiz['slug']}")
        answer_wrongly(laptop, quiz)
        submit_quiz(laptop)
    assert [n for n, _passed in attempts(live_server, SECOND[0])] == [1, 2, 3]

    phone.context.set_offline(False)
    visit(phone, f"/learn/{COURSE_SLUG}/{quiz['slug']}")
    assert_fits_phone(phone)
    refusal = phone.locator(".flash-error").filter(has_text=quiz["title"]["es"])
    assert es("You have used every attempt at this quiz.") in refusal.inner_text()
    snapshot(phone, "f-refused")
    assert [n for n, _passed in attempts(live_server, SECOND[0])] == [1, 2, 3]
    visit(phone, "/offline/")
    assert es("not counted") in phone.locator("main").inner_text()

    # Removed from the device, the course is no longer listed.
    saved = phone.locator("#offline-saved")
    saved.get_by_role("button", name=re.compile(re.escape(es("Remove")))).first.click()
    saved.get_by_text(es("Nothing is saved on this device yet.")).wait_for()

    # Signing out takes the first learner's saved pages (their own) off the device.
    saved_caches = "caches.keys().then(k => k.filter(n => n.startsWith('aula-saved:')).length)"
    assert page.evaluate(saved_caches) == 1
    page.get_by_role("button", name=es("Sign out")).click()
    page.wait_for_load_state()
    assert page.evaluate(saved_caches) == 0
