"""Journey (b): a cohort with a tutor, a capstone project sent, revised, passed; course done.

Three people, each in a browser of their own (a phone, in Spanish): the administrator adds a
cohort to the tutor-led OSH course, a learner enrols and does the course, the tutor reviews
the project twice, and passing it issues the certificate.

Journey (c) follows on the same server: a visitor with no account opens that certificate's
verification page from the QR code on the PDF, checks the file, and sees it revoked once the
administrator revokes it.
"""

import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from babel.support import Translations
from ruamel.yaml import YAML

from tests.certificates.helpers import qr_codes
from tests.e2e.conftest import (
    PHONE,
    ROOT,
    assert_accessible,
    assert_fits_phone,
    downloaded,
    expect,
    snapshot,
)

COURSE_SLUG = "osh-in-vocational-training"
COURSE = ROOT / "course_content" / COURSE_SLUG
CAPSTONE = "proyecto-final"
COHORT = "Cohorte SST Proyecto E2E"
PASSWORD = "una clave larga para el proyecto 2026"
ADMIN = ("admin.proyecto@example.org", "Ana Administradora")
TUTOR = ("tutor.proyecto@example.org", "Tomás Tutor")
LEARNER = ("aprendiz.proyecto@example.org", "Luisa Aprendiz")
PDF = {
    "name": "plan.pdf",
    "mimeType": "application/pdf",
    "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}

# The Spanish the server shows: its compiled catalog, falling back to English as it does.
_SPANISH = Translations.load(str(ROOT / "app" / "translations"), ["es"])


def es(message: str, **values) -> str:
    return _SPANISH.gettext(message) % values if values else _SPANISH.gettext(message)


def course_items():
    spec = YAML(typ="safe").load((COURSE / "course.yaml").read_text(encoding="utf-8"))
    return [item for module in spec["modules"] for item in module["items"]]


def flask_command(live_server, *args: str) -> None:
    """A `flask` command on the live server's database, with the server's settings."""
    env = live_server.env
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def people(browser, live_server, request):
    """open(who) -> a page in a fresh phone-sized Spanish browser context for that person."""
    pages = {}

    def open_page(who: str):
        context = browser.new_context(viewport=PHONE, locale="es-ES", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15_000)
        pages[who] = page
        return page

    yield open_page
    failed = getattr(request.node, "rep_call", None)
    for who, page in pages.items():
        if failed is not None and failed.failed:
            snapshot(page, f"FAILED-{request.node.name}-{who}")
        page.context.close()


def visit(page, path: str) -> None:
    page.goto(path)
    assert_accessible(page)


def sign_in(page, email: str) -> None:
    visit(page, "/login")
    page.get_by_label(es("Email")).fill(email)
    page.get_by_label(es("Password")).fill(PASSWORD)
    page.get_by_role("button", name=es("Sign in")).click()
    # Each lands on their own start page (administration, projects to review, home).
    page.wait_for_url(lambda url: "/login" not in url)
    assert_accessible(page)


def submission_state(live_server):
    return live_server.query(
        "SELECT s.state, s.versions FROM capstone_submission s "
        "JOIN enrollment e ON e.id = s.enrollment_id JOIN user_account u ON u.id = e.user_id "
        "WHERE u.email = ?",
        LEARNER[0],
    )


def review(page, levels: list[int], comment: str, decision: str) -> None:
    """On the tutor's review page: a level per criterion (by index), a comment, a decision."""
    capstone = next(i for i in course_items() if i["kind"] == "capstone")
    criteria = capstone["rubric"]["criteria"]
    assert len(levels) == len(criteria)
    for criterion, level in zip(criteria, levels, strict=True):
        group = page.get_by_role("group", name=criterion["title"]["es"])
        group.get_by_role("radio").nth(level).check()
    # The running total follows the levels chosen (the page's script), against the pass mark.
    points = sum(c["levels"][level]["points"] for c, level in zip(criteria, levels, strict=True))
    threshold = capstone["rubric"]["pass_threshold"]
    verdict = es("at or above the pass mark" if points >= threshold else "below the pass mark")
    total = es("Total: %(points)s points; pass mark %(threshold)s, %(verdict)s.",
               points=points, threshold=threshold, verdict=verdict)  # fmt: skip
    assert page.locator("#rubric-total").inner_text().strip() == total
    page.get_by_label(es("Overall comment")).fill(comment)
    page.get_by_role("radio", name=decision, exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name=es("Save the review")).click()
    page.wait_for_load_state()
    assert_accessible(page)


def test_a_tutor_reviews_a_capstone_project_until_it_passes(people, live_server):
    for (email, name), role in ((ADMIN, "admin"), (TUTOR, "tutor"), (LEARNER, "learner")):
        flask_command(
            live_server, "users", "create", email, "--name", name, "--role", role,
            "--password", PASSWORD,
        )  # fmt: skip
    today = date.today()

    # The administrator adds a cohort, led by the tutor, to the tutor-led course.
    admin = people("admin")
    sign_in(admin, ADMIN[0])
    admin.get_by_role("link", name=es("Administration")).click()
    assert_accessible(admin)
    admin.get_by_role("link", name=es("Seasons, courses and cohorts")).click()
    assert_accessible(admin)
    snapshot(admin, "b1-admin-seasons")
    admin.get_by_role("link", name="Season E2E").click()
    assert_accessible(admin)
    course_title = admin.get_by_role("heading", name=re.compile("seguridad y salud"))
    expect(course_title).to_have_count(1)
    add_cohort = re.compile(re.escape(es("Add a cohort")) + r".*seguridad y salud")
    admin.get_by_role("link", name=add_cohort).click()
    admin.wait_for_url("**/admin/offerings/*/cohorts/new")
    assert_accessible(admin)
    admin.get_by_label(es("Name"), exact=True).fill(COHORT)
    days = {
        "First day": today,
        "Last day": today + timedelta(days=120),
        "Enrolment opens": today - timedelta(days=1),
        "Enrolment closes": today + timedelta(days=30),
        "Capstone deadline": today + timedelta(days=60),
    }
    for label, day in days.items():
        admin.get_by_label(es(label), exact=True).fill(day.isoformat())
    admin.get_by_label(es("Seats"), exact=True).fill("5")
    admin.get_by_label(es("Language of instruction")).select_option("es")
    admin.get_by_label(f"{TUTOR[1]} ({TUTOR[0]})").check()
    assert_accessible(admin)
    snapshot(admin, "b2-cohort-form")
    admin.get_by_role("button", name=es("Save the cohort")).click()
    admin.wait_for_load_state()
    assert_accessible(admin)
    expect(admin.get_by_text(COHORT).first).to_be_visible()
    ((seats, tutors),) = live_server.query(
        "SELECT c.seats, (SELECT count(*) FROM cohort_tutor t WHERE t.cohort_id = c.id) "
        "FROM cohort c WHERE c.name = ?",
        COHORT,
    )
    assert (seats, tutors) == (5, 1)

    # The learner enrols in the cohort and does every other item of the course.
    learner = people("learner")
    sign_in(learner, LEARNER[0])
    visit(learner, f"/courses/{COURSE_SLUG}")
    cohort = learner.locator(".cohort").filter(has_text=COHORT)
    assert TUTOR[1] in cohort.inner_text()
    snapshot(learner, "b3-course-with-cohort")
    cohort.get_by_role("button", name=es("Enrol in this cohort")).click()
    learner.wait_for_url(f"**/learn/{COURSE_SLUG}**")
    assert_accessible(learner)

    for item in course_items():
        if item["kind"] == "capstone":
            continue
        visit(learner, f"/learn/{COURSE_SLUG}/{item['slug']}")
        if item["kind"] == "quiz":
            answer_quiz(learner, item)
            learner.get_by_role("button", name=es("Submit my answers")).click()
            learner.wait_for_load_state()
            expect(learner.locator("#result").get_by_text("aprobado").first).to_be_visible()
        else:
            learner.get_by_role("button", name=es("Mark as done and continue")).click()
            learner.wait_for_load_state()
        assert_accessible(learner)

    # ... writes the project, attaches a PDF and submits it.
    visit(learner, f"/learn/{COURSE_SLUG}/{CAPSTONE}")
    project = learner.locator("#project")
    project.get_by_role("textbox", name=es("Your project")).fill(
        "Plan para transversalizar la SST en el programa de soldadura.\n\nDiagnóstico inicial."
    )
    project.get_by_label(es("Add files")).set_input_files(PDF)
    assert_accessible(learner)
    snapshot(learner, "b4-project")
    project.get_by_role("button", name=es("Submit to my tutor…"), exact=True).click()
    learner.wait_for_load_state()
    # Submitting spends an attempt: it is confirmed on a page of its own.
    assert_accessible(learner)
    snapshot(learner, "b4-confirm-submit")
    assert submission_state(live_server) == [("draft", 0)]
    learner.get_by_role("button", name=es("Yes, submit version %(number)s", number=1)).click()
    learner.wait_for_load_state()
    assert_accessible(learner)
    expect(learner.get_by_text(es("Submitted: waiting for your tutor's review."))).to_have_count(1)
    expect(learner.get_by_role("link", name="plan.pdf")).to_have_count(1)
    assert submission_state(live_server) == [("submitted", 1)]

    # The tutor finds it in the queue and asks for a revision.
    tutor = people("tutor")
    sign_in(tutor, TUTOR[0])
    visit(tutor, "/tutor/capstones")
    snapshot(tutor, "b5-tutor-queue")
    tutor.get_by_role("link", name=LEARNER[1]).click()
    tutor.wait_for_url("**/tutor/capstones/*")
    assert_accessible(tutor)
    expect(tutor.get_by_role("link", name="plan.pdf")).to_have_count(1)
    snapshot(tutor, "b6-tutor-review")
    review(
        tutor,
        levels=[1, 1, 1, 1],
        comment="Falta la tabla de evaluación de riesgos con al menos cinco peligros.",
        decision=es("Ask for a revision"),
    )
    assert submission_state(live_server) == [("revise", 1)]

    # The learner reads the review, improves the project and sends version 2.
    visit(learner, f"/learn/{COURSE_SLUG}/{CAPSTONE}")
    expect(learner.get_by_text(es("Decision: revise and submit again."))).to_have_count(1)
    comment = learner.locator(".review-comment")
    assert "Falta la tabla de evaluación de riesgos" in comment.inner_text()
    status = es("Your tutor asked for a revision: improve your project and submit it again.")
    expect(learner.get_by_text(status)).to_have_count(1)
    snapshot(learner, "b7-project-revise")
    learner.locator("#project").get_by_role("textbox", name=es("Your project")).fill(
        "Plan para transversalizar la SST en el programa de soldadura.\n\n"
        "Tabla de evaluación de riesgos: humos, radiación, quemaduras, ruido, incendio."
    )
    # The revision starts from version 1's file, which stays unless removed.
    expect(
        learner.locator("#project").get_by_label(es("Remove %(name)s", name="plan.pdf"))
    ).to_have_count(1)
    learner.locator("#project").get_by_role("button", name=es("Submit to my tutor…")).click()
    learner.wait_for_load_state()
    assert_accessible(learner)
    learner.get_by_role("button", name=es("Yes, submit version %(number)s", number=2)).click()
    learner.wait_for_load_state()
    assert_accessible(learner)
    expect(learner.get_by_role("heading", name=es("Version %(number)s", number=2))).to_have_count(1)
    assert submission_state(live_server) == [("submitted", 2)]

    # The tutor passes it with the top level of every criterion.
    visit(tutor, "/tutor/capstones")
    tutor.get_by_role("link", name=LEARNER[1]).click()
    tutor.wait_for_url("**/tutor/capstones/*")
    assert_accessible(tutor)
    review(tutor, levels=[3, 3, 3, 3], comment="Muy buen plan.", decision=es("Pass"))
    assert submission_state(live_server) == [("passed", 2)]

    # The learner sees it passed, the project done and the course complete.
    visit(learner, f"/learn/{COURSE_SLUG}/{CAPSTONE}")
    expect(learner.get_by_text(es("Passed."), exact=True)).to_have_count(1)
    expect(learner.get_by_text(es("Decision: passed."))).to_have_count(1)
    expect(learner.locator("p.meta").get_by_text(es("Done"))).to_have_count(1)
    snapshot(learner, "b8-project-passed")
    visit(learner, "/dashboard")
    snapshot(learner, "b9-dashboard")
    ((completed,),) = live_server.query(
        "SELECT e.completed_at FROM enrollment e JOIN user_account u ON u.id = e.user_id "
        "WHERE u.email = ?",
        LEARNER[0],
    )
    assert completed is not None
    # Passing the project completed the course, which issued the certificate.
    expect(learner.get_by_role("heading", name=es("My certificates"))).to_have_count(1)
    expect(learner.get_by_role("link", name=es("Download the certificate (PDF)"))).to_have_count(1)
    assert certificate_of_learner(live_server) is not None


def certificate_of_learner(live_server):
    rows = live_server.query(
        "SELECT c.code, c.status FROM certificate c JOIN user_account u ON u.id = c.user_id "
        "WHERE u.email = ?",
        LEARNER[0],
    )
    return rows[0] if rows else None


def test_a_visitor_verifies_the_certificate_and_sees_it_revoked(people, live_server, tmp_path):
    assert certificate_of_learner(live_server), "journey (b) above issues this certificate"

    # The learner downloads the PDF and sends it on; its QR code holds the address.
    learner = people("learner")
    sign_in(learner, LEARNER[0])
    visit(learner, "/dashboard")
    pdf = downloaded(
        learner, learner.get_by_role("link", name=es("Download the certificate (PDF)"))
    )
    (url,) = qr_codes(pdf)
    assert url.startswith(live_server.url + "/verify/")

    # A visitor with no account opens it: valid, with what the certificate prints.
    visitor = people("visitor")
    visit(visitor, url)
    assert_fits_phone(visitor)
    snapshot(visitor, "c1-verify-valid")
    status = visitor.get_by_role("status").first
    assert es("Valid") in status.inner_text()
    expect(visitor.get_by_text(LEARNER[1])).to_have_count(1)
    assert visitor.locator('meta[name="robots"]').get_attribute("content").startswith("noindex")
    assert LEARNER[0] not in visitor.content()  # no email or other personal data
    # ... and checks that the file received is the one issued, then an edited copy.
    received = tmp_path / "certificado.pdf"
    received.write_bytes(pdf)
    visitor.get_by_label(es("Certificate PDF")).set_input_files(str(received))
    visitor.get_by_role("button", name=es("Check the file")).click()
    visitor.wait_for_load_state()
    assert_accessible(visitor)
    expect(
        visitor.get_by_text(es("This file is byte for byte the PDF issued for this certificate."))
    ).to_have_count(1)
    snapshot(visitor, "c2-file-checked")
    edited = tmp_path / "editado.pdf"
    edited.write_bytes(pdf.replace(b"%%EOF", b"%%EOF\n% edited", 1))
    visitor.get_by_label(es("Certificate PDF")).set_input_files(str(edited))
    visitor.get_by_role("button", name=es("Check the file")).click()
    visitor.wait_for_load_state()
    expect(visitor.locator(".status-bad")).to_have_count(1)

    # The administrator finds the certificate and revokes it, giving the reason.
    admin = people("admin")
    sign_in(admin, ADMIN[0])
    admin.get_by_role("link", name=es("Administration")).click()
    admin.get_by_role("link", name=es("Certificates"), exact=True).click()
    assert_accessible(admin)
    admin.get_by_label(es("Search by name, course or code")).fill(LEARNER[1])
    admin.get_by_role("button", name=es("Search")).click()
    admin.get_by_role("link", name=LEARNER[1]).click()
    assert_accessible(admin)
    snapshot(admin, "c3-admin-certificate")
    admin.get_by_label(es("Reason")).fill("Proyecto presentado por otra persona.")
    admin.get_by_role("button", name=es("Revoke"), exact=True).click()
    admin.wait_for_load_state()
    assert_accessible(admin)
    expect(admin.get_by_text("Proyecto presentado por otra persona.")).to_have_count(1)
    assert certificate_of_learner(live_server)[1] == "revoked"

    # The visitor's next look says revoked, on the page and in the JSON.
    visit(visitor, url)
    snapshot(visitor, "c4-verify-revoked")
    assert es("Revoked") in visitor.get_by_role("status").first.inner_text()
    record = visitor.request.get(url + ".json").json()
    assert record["status"] == "revoked" and record["revoked_on"]


def answer_quiz(page, item):
    """Answer every question correctly (as journey a does)."""
    for index, question in enumerate(item["questions"]):
        kind = question["kind"]
        if kind in ("single", "multiple"):
            for choice, option in enumerate(question["choices"]):
                if option.get("correct"):
                    page.check(f"#q{index}-{choice}")
        elif kind == "true_false":
            page.check(f"#q{index}-{'t' if question['answer'] else 'f'}")
        else:
            page.fill(f"#q{index}-n", str(question["answer"]).replace(".", ","))
