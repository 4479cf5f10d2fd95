"""Wide tables on a laptop and on a phone: at 1280 px every table of the busiest pages (season
report, network view, tutor queue, rosters, people) fits its box with no clipped column; at
360 px the page itself never scrolls sideways, the table's wrapper does.

Runs after the other journeys on the shared server (the file sorts last): it adds a cohort to
the quality apprenticeship course and generated learners (`flask demo generate`) to the open
season, with long names, institutions and e-mail addresses."""

import re
from datetime import date, timedelta

import pytest

from tests.e2e.conftest import PHONE, assert_accessible, assert_fits_phone, snapshot
from tests.e2e.test_capstone_journey import es, flask_command

PASSWORD = "una clave larga para las tablas 2026"
ADMIN = "admin.tablas@example.org"
TUTOR = "tutora.tablas@example.org"
COHORT = "Cohorte Tablas Anchas E2E"
LAPTOP = {"width": 1280, "height": 800}

# Every table of the page: how far its box (the .table-wrap, else its parent) overflows, and
# whether that box scrolls sideways.
TABLES = """() => [...document.querySelectorAll('main table')].map(table => {
  const box = table.closest('.table-wrap') || table.parentElement;
  return {
    heading: (table.querySelector('th') || {}).textContent || '',
    overflow: box.scrollWidth - box.clientWidth,
    scrolls: ['auto', 'scroll'].includes(getComputedStyle(box).overflowX),
  };
})"""


@pytest.fixture
def sign_in(browser, live_server, request):
    """sign_in(email, viewport) -> a Spanish page signed in as that person."""
    pages = []

    def open_page(email, viewport):
        context = browser.new_context(viewport=viewport, locale="es-ES", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto("/login")
        page.get_by_label(es("Email")).fill(email)
        page.get_by_label(es("Password")).fill(PASSWORD)
        page.get_by_role("button", name=es("Sign in")).click()
        page.wait_for_url(lambda url: "/login" not in url)
        pages.append(page)
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None)
    for n, page in enumerate(pages):
        if failed is not None and failed.failed:
            snapshot(page, f"FAILED-{request.node.name}-{n}")
        page.context.close()


def test_wide_tables_fit_a_laptop_and_scroll_on_a_phone(live_server, sign_in):
    for email, role in ((ADMIN, "admin"), (TUTOR, "tutor")):
        flask_command(
            live_server, "users", "create", email, "--name", f"Persona {role}", "--role", role,
            "--password", PASSWORD,
        )  # fmt: skip
    day = lambda n: (date.today() + timedelta(days=n)).isoformat()  # noqa: E731
    flask_command(
        live_server, "seasons", "add-cohort", "Season E2E", "quality-apprenticeship",
        "--name", COHORT, "--starts", day(20), "--ends", day(80),
        "--enroll-opens", day(-10), "--enroll-closes", day(15), "--seats", "200",
        "--language", "es", "--tutor", TUTOR,
    )  # fmt: skip
    flask_command(live_server, "demo", "generate", "--learners", "60", "--seed", "7")
    ((season_id,),) = live_server.query("SELECT id FROM season WHERE name = 'Season E2E'")
    ((cohort_id,),) = live_server.query("SELECT id FROM cohort WHERE name = ?", COHORT)
    admin_pages = [
        f"/admin/seasons/{season_id}/report",
        "/admin/reports/seasons",
        f"/admin/cohorts/{cohort_id}",
        "/admin/people",
    ]
    tutor_pages = [
        "/tutor/capstones",
        f"/tutor/cohorts/{cohort_id}",
        f"/tutor/cohorts/{cohort_id}/capstones",
    ]

    # Staff land on their own start page.
    admin = sign_in(ADMIN, LAPTOP)
    assert re.search(r"/admin/$", admin.url)
    tutor = sign_in(TUTOR, LAPTOP)
    assert tutor.url.endswith("/tutor/capstones")

    # A laptop: every table fits its box, nothing scrolls sideways.
    for page, paths in ((admin, admin_pages), (tutor, tutor_pages)):
        for path in paths:
            page.goto(path)
            tables = page.evaluate(TABLES)
            assert tables, f"{path} shows no table"
            clipped = [t for t in tables if t["overflow"] > 1]
            assert clipped == [], f"{path} at 1280 px: {clipped}"
            assert_fits_phone(page)  # the page as a whole fits the window too
            assert_accessible(page)
            snapshot(page, f"d-1280-{path.strip('/').replace('/', '-')}")

    # A phone: the page never scrolls sideways; a table too wide scrolls in its wrapper.
    admin_phone = sign_in(ADMIN, PHONE)
    tutor_phone = sign_in(TUTOR, PHONE)
    wide_seen = 0
    for page, paths in ((admin_phone, admin_pages), (tutor_phone, tutor_pages)):
        for path in paths:
            page.goto(path)
            assert_fits_phone(page)
            for table in page.evaluate(TABLES):
                if table["overflow"] > 1:
                    assert table["scrolls"], f"{path} at 360 px: {table}"
                    wide_seen += 1
            snapshot(page, f"d-360-{path.strip('/').replace('/', '-')}")
    assert wide_seen >= 3  # the rosters and reports do not fit 360 px: they scroll
