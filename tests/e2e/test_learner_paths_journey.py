"""Journeys (d): no dead ends on a phone. A required hosted study visit completed with
JavaScript off, through its text version; and a cohort that has not started: its learner sees
the outline and the day it opens, until an administrator opens it early."""

import re
import subprocess
import sys
from datetime import date, timedelta

from babel.dates import format_date

from tests.e2e.conftest import PHONE, ROOT, assert_accessible, assert_fits_phone, expect, snapshot

PASSWORD = "caminos sin salida 2026 no"
VISIT_COURSE = "green-jobs"
VISIT = f"/learn/{VISIT_COURSE}/senar-excellence-centre-visit"
COHORT_COURSE = "quality-apprenticeship"


def flask(live_server, *command):
    env = live_server.env
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def create_user(live_server, email, name, role="learner"):
    flask(live_server, "users", "create", email, "--name", name, "--role", role,
          "--password", PASSWORD)  # fmt: skip


def sign_in(page, email):
    page.goto("/login")
    page.get_by_label("Correo electrónico").fill(email)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(re.compile(r"/$"))


def check_page_with_scripts(browser, context, live_server, url, name=None):
    """axe and the phone's width on `url` as the no-JavaScript session sees it: Playwright
    cannot evaluate scripts in a page whose scripts are off, so the same session (its
    cookies) opens it in a second context to run them; GET pages change nothing."""
    checker = browser.new_context(
        viewport=PHONE, locale="es-ES", base_url=live_server.url,
        storage_state=context.storage_state(),
    )  # fmt: skip
    try:
        page = checker.new_page()
        page.set_default_timeout(15_000)
        page.goto(url)
        assert_fits_phone(page)
        assert_accessible(page)
        if name:
            snapshot(page, name)
    finally:
        checker.close()


def test_a_required_hosted_visit_is_completed_with_javascript_off(browser, live_server):
    email = "rosa.caminos@example.org"
    create_user(live_server, email, "Rosa Quispe")
    context = browser.new_context(
        viewport=PHONE, locale="es-ES", base_url=live_server.url, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, email)
        page.goto(f"/courses/{VISIT_COURSE}")
        page.get_by_role("button", name="Inscribirme en este curso").click()
        page.wait_for_url(f"**/learn/{VISIT_COURSE}")

        page.goto(VISIT)
        # Without JavaScript: no tour button, the text version, and its own completion form.
        assert page.get_by_role("button", name=re.compile("Cargar el recorrido")).count() == 0
        assert page.locator("#tour-viewer").is_hidden()
        expect(page.get_by_role("heading", name="Invernadero y riego")).to_be_visible()
        read = page.get_by_role("button", name="He leído esta visita")
        expect(read).to_be_visible()
        check_page_with_scripts(browser, context, live_server, VISIT)
        snapshot(page, "d1-visit-without-javascript")

        read.click()
        page.wait_for_load_state()
        expect(page.get_by_text("Visita de estudio completada.")).to_be_visible()
        check_page_with_scripts(browser, context, live_server, page.url)
        ((done,),) = live_server.query(
            "SELECT count(*) FROM item_progress p JOIN course_item i ON i.id = p.item_id "
            "JOIN enrollment e ON e.id = p.enrollment_id JOIN user_account u "
            "ON u.id = e.user_id WHERE u.email = ? AND i.slug = ? AND i.required",
            email,
            "senar-excellence-centre-visit",
        )
        assert done == 1
        page.goto(VISIT)
        expect(page.get_by_text("Esta visita está completada.")).to_be_visible()
        assert page.get_by_role("button", name="He leído esta visita").count() == 0
        check_page_with_scripts(browser, context, live_server, VISIT)
    finally:
        context.close()


def test_a_cohort_that_has_not_started_shows_its_outline_until_it_opens(
    browser, phone, live_server
):
    learner_email, admin_email = "tomas.rivera@example.org", "marta.admin@example.org"
    create_user(live_server, learner_email, "Tomás Rivera")
    create_user(live_server, admin_email, "Marta Admin", role="admin")
    today = date.today()
    starts = today + timedelta(days=20)
    flask(
        live_server, "seasons", "add-cohort", "Season E2E", COHORT_COURSE, "--name", "Futura",
        "--starts", starts.isoformat(), "--ends", (today + timedelta(days=120)).isoformat(),
        "--enroll-opens", (today - timedelta(days=1)).isoformat(),
        "--enroll-closes", (today + timedelta(days=15)).isoformat(), "--seats", "5",
    )  # fmt: skip
    opens = f"Este curso se abre el {format_date(starts, 'long', locale='es')}."

    page = phone
    sign_in(page, learner_email)
    page.goto(f"/courses/{COHORT_COURSE}")
    page.locator(".cohort").filter(has_text="Futura").get_by_role(
        "button", name="Inscribirme en esta cohorte"
    ).click()
    page.wait_for_url(f"**/learn/{COHORT_COURSE}**")
    page.goto(f"/learn/{COHORT_COURSE}")
    expect(page.get_by_text(opens)).to_be_visible()
    assert page.get_by_role("link", name=re.compile("^Continuar")).count() == 0
    assert_fits_phone(page)
    assert_accessible(page)
    snapshot(page, "d2-cohort-not-started")

    # Every item shows its title and the opening day, and nothing to do yet.
    first = page.locator("nav.outline li a").first
    first.click()
    page.wait_for_load_state()
    expect(page.get_by_text(opens)).to_be_visible()
    assert page.locator("main form").count() == 0
    assert_accessible(page)
    page.goto("/dashboard")
    expect(
        page.get_by_text(f"Se abre el {format_date(starts, 'long', locale='es')}.")
    ).to_be_visible()
    assert_accessible(page)

    # An administrator opens the cohort early; the learner can start.
    admin_context = browser.new_context(viewport=PHONE, locale="es-ES", base_url=live_server.url)
    admin = admin_context.new_page()
    try:
        sign_in(admin, admin_email)
        ((cohort_id,),) = live_server.query("SELECT id FROM cohort WHERE name = 'Futura'")
        admin.goto(f"/admin/cohorts/{cohort_id}")
        assert_accessible(admin)
        admin.get_by_role("button", name="Abrir ya el curso a esta cohorte").click()
        admin.wait_for_load_state()
        expect(admin.get_by_text("abierto antes de tiempo por Marta Admin")).to_be_visible()
        assert_accessible(admin)
        snapshot(admin, "d3-cohort-opened-early")
    finally:
        admin_context.close()

    page.goto(f"/learn/{COHORT_COURSE}")
    assert page.get_by_text(opens).count() == 0
    expect(page.get_by_role("link", name=re.compile("^Continuar"))).to_be_visible()
    assert_accessible(page)
