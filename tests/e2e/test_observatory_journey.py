"""Journey (o): a person registers with their institution, an administrator makes them its
coordinator, they write an experience with a guide, the administrator publishes it, and a
visitor without an account finds it, reads it, downloads the guide and sees it in the feed.

On a phone, in Spanish, axe on every page.
"""

import re

from tests.e2e.conftest import assert_accessible, assert_fits_phone, downloaded, expect, snapshot
from tests.e2e.test_capstone_journey import es, flask_command, people, sign_in, visit

__all__ = ["people"]  # the fixture: each person in a phone of their own

PASSWORD = "una clave larga para el proyecto 2026"
ADMIN = ("admin.observatorio@example.org", "Ana Administradora")
COORDINATOR = ("coordinacion.inefop@example.org", "Carla Coordinadora")
TITLE = "Instructores conectados por SMS durante la pandemia"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def look(page, name):
    assert_accessible(page)
    assert_fits_phone(page)
    snapshot(page, name)


def test_an_experience_goes_from_a_coordinator_to_the_public(people, live_server, tmp_path):
    ((institution_id, acronym),) = live_server.query(
        "SELECT id, acronym FROM institution WHERE acronym = 'INEFOP'"
    )
    flask_command(
        live_server, "users", "create", ADMIN[0], "--name", ADMIN[1], "--role", "admin",
        "--password", PASSWORD,
    )  # fmt: skip

    # The person registers with their institution and confirms their email.
    coordinator = people("coordinator")
    coordinator.goto("/register")
    coordinator.get_by_label(es("Full name")).fill(COORDINATOR[1])
    coordinator.get_by_label(es("Email"), exact=True).fill(COORDINATOR[0])
    coordinator.get_by_label(es("Password"), exact=True).fill(PASSWORD)
    coordinator.get_by_label("Repita la contraseña").fill(PASSWORD)
    coordinator.get_by_label(es("Country")).select_option("UY")
    coordinator.get_by_label(es("Institution"), exact=True).select_option(str(institution_id))
    coordinator.get_by_label(es("A vocational training institution")).check()
    consent = es("I have read the privacy notice and agree to what it says.")
    coordinator.get_by_label(consent).check()
    coordinator.get_by_role("button", name=es("Create my account")).click()
    coordinator.wait_for_url("**/register/check-email")
    (body,) = live_server.query(
        "SELECT body FROM outbox_message WHERE recipient = ? ORDER BY id DESC LIMIT 1",
        COORDINATOR[0],
    )[0]
    coordinator.goto(re.search(r"https?://\S+/confirm/\S+", body).group(0))

    # The administrator makes them the institution's coordinator.
    admin = people("admin")
    sign_in(admin, ADMIN[0])
    visit(admin, "/admin/institutions")
    admin.get_by_role("link", name=f"{es('Coordinators')} · {acronym}").click()
    look(admin, "o1-coordinators")
    admin.get_by_label(es("Email of a person registered with this institution")).fill(
        COORDINATOR[0]
    )
    admin.get_by_role("button", name=es("Make coordinator")).click()
    admin.get_by_text(COORDINATOR[0]).wait_for()

    # The coordinator writes an experience, adds a guide and sends it for review.
    sign_in(coordinator, COORDINATOR[0])
    visit(coordinator, "/dashboard")
    coordinator.get_by_role(
        "link", name=es("Your institution's people, enrolments and participation")
    ).click()
    look(coordinator, "o2-institution")
    coordinator.get_by_role("link", name=es("Experiences")).click()
    coordinator.get_by_role("link", name=es("Write a new entry")).click()
    coordinator.get_by_label(es("Title (%(language)s)", language="Español")).wait_for()
    look(coordinator, "o3-new-entry")
    coordinator.get_by_label(es("Title (%(language)s)", language="Español")).fill(TITLE)
    coordinator.get_by_label(es("Summary (%(language)s)", language="Español")).fill(
        "Cómo siguieron las clases prácticas sin conexión."
    )
    coordinator.get_by_label(es("Text (%(language)s)", language="Español")).fill(
        "## Qué hicimos\n\nGuías por **SMS** y <script>alert(1)</script> paquetes de datos."
    )
    coordinator.get_by_label(es("Distance and online training")).check()
    coordinator.get_by_role("button", name=es("Save the draft")).click()
    coordinator.get_by_text(es("The draft is saved.")).wait_for()
    look(coordinator, "o4-draft")
    guide = tmp_path / "guía-sms.pdf"
    guide.write_bytes(PDF)
    coordinator.get_by_label(es("A file (a guide, a toolkit)")).set_input_files(str(guide))
    coordinator.get_by_role("button", name=es("Add the file")).click()
    coordinator.get_by_text(es("The file is added.")).wait_for()
    coordinator.get_by_role("button", name=es("Send for review")).click()
    coordinator.get_by_text(es("The entry is sent for review.")).wait_for()

    # The administrator reads it and publishes it.
    visit(admin, "/admin/")
    admin.get_by_role("link", name=es("Observatory: review")).click()
    look(admin, "o5-review-queue")
    admin.get_by_role("link", name=TITLE).click()
    look(admin, "o6-review")
    assert admin.locator("script", has_text="alert(1)").count() == 0
    admin.get_by_role("button", name=es("Publish")).click()
    admin.get_by_text(es("The entry is published.")).wait_for()

    # A visitor with no account searches, reads, downloads the guide and finds the feed.
    visitor = people("visitor")
    visit(visitor, "/observatory/")
    visitor.get_by_label(es("Search")).fill("instructores sms")
    visitor.get_by_role("button", name=es("Filter")).click()
    look(visitor, "o7-search")
    visitor.get_by_role("link", name=TITLE).click()
    look(visitor, "o8-entry")
    assert re.search(r"/observatory/\d+$", visitor.url)
    expect(visitor.get_by_role("heading", name=TITLE)).to_be_visible()
    assert downloaded(visitor, visitor.get_by_role("link", name="guía-sms.pdf")) == PDF
    feed = visitor.request.get("/observatory/feed.atom")
    assert feed.ok and TITLE in feed.text()

    # The network in numbers and the directory of members' courses: public, light, no script.
    visit(visitor, "/network/numbers")
    look(visitor, "o9-numbers")
    expect(visitor.locator("svg[role=img]").first).to_be_visible()
    assert visitor.locator("script").count() == 0
    visit(visitor, "/distance-courses/")
    look(visitor, "o10-directory")


def test_a_survey_is_written_answered_and_read(people, live_server):
    """After the journey above: its coordinator answers the network survey, turns an answer
    into a draft experience, and the administrator reads the results by country."""
    from datetime import date, timedelta

    today = date.today()
    admin = people("admin")
    sign_in(admin, ADMIN[0])
    visit(admin, "/admin/")
    admin.get_by_role("link", name=es("Network surveys")).click()
    look(admin, "s1-surveys")
    admin.get_by_label(es("Title")).fill("Cómo operan las instituciones")
    admin.get_by_label(es("Opens on")).fill(today.isoformat())
    admin.get_by_label(es("Closes on")).fill((today + timedelta(days=14)).isoformat())
    admin.get_by_role("button", name=es("Save the survey")).click()
    for kind, prompt, choices in (
        ("single", "¿Siguen las clases prácticas?", "Sí\nNo\nEn parte"),
        ("number", "¿Cuántos instructores enseñan a distancia?", ""),
        ("long", "¿Qué hicieron para seguir formando?", ""),
    ):
        admin.get_by_label(es("Kind of question")).select_option(kind)
        admin.get_by_label(es("Question text")).fill(prompt)
        admin.get_by_label(es("Choices (one per line)")).fill(choices)
        admin.get_by_role("button", name=es("Add the question")).click()
        admin.get_by_text(es("The question is added.")).wait_for()
    look(admin, "s2-survey")
    admin.get_by_role("button", name=es("Open the survey")).click()
    admin.get_by_text(es("The survey is open.")).wait_for()

    coordinator = people("coordinator")
    sign_in(coordinator, COORDINATOR[0])
    visit(coordinator, "/dashboard")
    coordinator.get_by_role(
        "link", name=es("Your institution's people, enrolments and participation")
    ).click()
    coordinator.get_by_role("link", name=es("Network surveys")).click()
    coordinator.get_by_role("link", name="Cómo operan las instituciones").click()
    look(coordinator, "s3-answer")
    coordinator.get_by_label(es("Public vocational training institution")).check()
    coordinator.get_by_label("En parte").check()
    coordinator.get_by_label("¿Cuántos instructores enseñan a distancia?").fill("120")
    coordinator.get_by_label("¿Qué hicieron para seguir formando?").fill(
        "Paquetes de datos para instructores y guías por SMS."
    )
    coordinator.get_by_role("button", name=es("Save the answers")).click()
    coordinator.get_by_text(es("Your institution's answers are saved.")).wait_for()
    look(coordinator, "s4-answered")
    coordinator.get_by_role(
        "button", name=re.compile("¿Qué hicieron para seguir formando?")
    ).click()
    coordinator.get_by_text(
        es("A draft entry is made from the answer: complete it, then send it.")
    ).wait_for()
    assert re.search(r"/experiences/\d+$", coordinator.url)

    visit(admin, "/admin/surveys/")
    admin.get_by_role("link", name="Cómo operan las instituciones").click()
    admin.get_by_role("link", name=es("Results")).click()
    admin.get_by_role("link", name=es("By country")).click()
    look(admin, "s5-results")
    expect(admin.get_by_role("row", name=re.compile("Uruguay")).first).to_be_visible()
