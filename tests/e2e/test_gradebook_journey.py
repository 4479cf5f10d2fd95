"""Journey (f): an administrator enrols 30 people from a file; the tutor follows the cohort
from its gradebook (sorted, exported), gives one learner an attempt and writes to one learner;
the administrator finds a person by name. On a 1280 px screen and on a phone, axe on every page.
"""

import re
from datetime import date, timedelta

from tests.e2e.conftest import assert_accessible, assert_fits_phone, downloaded, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, visit

PASSWORD = "una clave larga para el libro de notas"
ADMIN = ("admin.notas@example.org", "Adela Administra")
TUTOR = ("tutor.notas@example.org", "Tomás Tutor")
COURSE_SLUG = "osh-in-vocational-training"
COHORT = "Cohorte Libro de Notas E2E"
SCREEN = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
LEARNERS = [(f"persona{n:02d}.notas@example.org", f"Persona {n:02d} Notas") for n in range(30)]


def open_page(browser, live_server, viewport):
    context = browser.new_context(viewport=viewport, locale="es-ES", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def sign_in(page, email):
    visit(page, "/login")
    page.get_by_label(es("Email")).fill(email)
    page.get_by_label(es("Password")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=es("Sign in")).click()
    assert "/login" not in page.url
    assert_accessible(page)


def click_and_wait(page, locator):
    with page.expect_navigation():
        locator.click()
    assert_accessible(page)


def assert_no_clipped_table(page):
    """Every table is as wide as what it shows, or scrolls inside its own wrapper."""
    clipped = page.evaluate(
        """Array.from(document.querySelectorAll('table')).filter(t => {
             const box = t.parentElement;
             const scrolls = ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
             return t.scrollWidth > box.clientWidth + 1 && !scrolls;
           }).length"""
    )
    assert clipped == 0, f"{page.url}: {clipped} table(s) clipped"


def test_a_tutor_follows_a_cohort_of_thirty_from_the_gradebook(browser, live_server):
    for (email, name), role in ((ADMIN, "admin"), (TUTOR, "tutor")):
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
        "--seats", "40", "--language", "es", "--tutor", TUTOR[0],
    )  # fmt: skip
    ((cohort_id,),) = live_server.query("SELECT id FROM cohort WHERE name = ?", COHORT)

    # The administrator enrols 30 people from a file (Brazilians get Portuguese accounts).
    admin = open_page(browser, live_server, SCREEN)
    sign_in(admin, ADMIN[0])
    visit(admin, f"/admin/cohorts/{cohort_id}/enrol")
    rows = "\n".join(
        f"{email};{name};{'SENAI' if n % 2 else 'SENA'};{'BR' if n % 2 else 'CO'}"
        for n, (email, name) in enumerate(LEARNERS)
    )
    admin.locator("#roster-file").set_input_files(
        files=[{"name": "cohorte.csv", "mimeType": "text/csv",
                "buffer": f"correo;nombre;institución;país\n{rows}\n".encode()}]
    )  # fmt: skip
    click_and_wait(admin, admin.get_by_role("button", name=es("Enrol the people in the file")))
    assert es("Seats taken now: %(taken)s of %(seats)s (%(left)s left)", taken=30, seats=40,
              left=10) in admin.content()  # fmt: skip
    snapshot(admin, "f1-admin-bulk-enrolment-1280")
    locales = dict(
        live_server.query(
            "SELECT locale, count(*) FROM user_account WHERE email LIKE '%.notas@example.org' "
            "AND email LIKE 'persona%' GROUP BY locale"
        )
    )
    assert locales == {"es": 15, "pt": 15}

    # The tutor opens the gradebook: 30 learners, on a wide screen and on a phone.
    tutor = open_page(browser, live_server, SCREEN)
    sign_in(tutor, TUTOR[0])
    visit(tutor, "/tutor/cohorts")
    click_and_wait(tutor, tutor.get_by_role("link", name=COHORT, exact=True))
    click_and_wait(tutor, tutor.get_by_role("link", name=es("Gradebook"), exact=True))
    table = tutor.locator("table.gradebook tbody tr")
    expect(table).to_have_count(30)
    assert_no_clipped_table(tutor)
    snapshot(tutor, "f2-gradebook-1280")
    click_and_wait(tutor, tutor.get_by_role("link", name=re.compile("^" + es("Progress"))))
    expect(tutor.locator('th[aria-sort="ascending"]')).to_have_count(1)
    click_and_wait(tutor, tutor.get_by_role("link", name=re.compile("^" + es("Progress"))))
    expect(tutor.locator('th[aria-sort="descending"]')).to_have_count(1)
    exported = downloaded(tutor, tutor.get_by_role("link", name=es("Download as CSV")))
    lines = exported.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 31 and lines[0].startswith(es("Learner"))
    assert any(LEARNERS[7][1] in line for line in lines)

    # One learner gets another quiz attempt, with a reason.
    name = LEARNERS[3][1]
    click_and_wait(tutor, tutor.get_by_role("link", name=f"{es('Quiz attempts')} {name}"))
    tutor.get_by_label(es("More attempts")).fill("1")
    tutor.get_by_label(es("Reason")).fill("Sin conexión el día del cuestionario.")
    click_and_wait(tutor, tutor.get_by_role("button", name=es("Give the attempts")))
    assert "Sin conexión el día del cuestionario." in tutor.content()

    # The tutor writes to one learner, and only that learner is mailed.
    visit(tutor, f"/tutor/cohorts/{cohort_id}/gradebook")
    before = live_server.query("SELECT count(*) FROM outbox_message")[0][0]
    click_and_wait(tutor, tutor.get_by_role("link", name=es("Write to %(name)s", name=name)))
    tutor.get_by_label(es("Subject")).fill("Su proyecto")
    tutor.get_by_label(es("Message")).fill("Hola: ¿le ayudo con el diagnóstico de riesgos?")
    click_and_wait(tutor, tutor.get_by_role("button", name=re.compile(".")).last)
    assert es("Your message was sent to %(name)s.", name=name) in tutor.content()
    sent = live_server.query(
        "SELECT recipient FROM outbox_message WHERE id > (SELECT max(id) - ? FROM outbox_message)",
        live_server.query("SELECT count(*) FROM outbox_message")[0][0] - before,
    )
    assert [r for (r,) in sent] == [LEARNERS[3][0]]

    # On a phone the gradebook scrolls inside its frame, never the page.
    phone = open_page(browser, live_server, PHONE)
    sign_in(phone, TUTOR[0])
    visit(phone, f"/tutor/cohorts/{cohort_id}/gradebook")
    assert_fits_phone(phone)
    assert_no_clipped_table(phone)
    snapshot(phone, "f3-gradebook-360")

    # The administrator finds a person by name and reads their page.
    visit(admin, "/admin/people")
    admin.get_by_label(es("Search by name, email or institution")).fill("Persona 07")
    click_and_wait(admin, admin.get_by_role("button", name=es("Search")))
    click_and_wait(admin, admin.get_by_role("link", name=LEARNERS[7][1]))
    assert LEARNERS[7][0] in admin.content()
    snapshot(admin, "f4-admin-person-1280")
    for page in (admin, tutor, phone):
        page.context.close()
