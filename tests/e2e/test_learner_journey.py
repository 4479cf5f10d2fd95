"""Journey (a): a learner registers in Spanish, takes a self-paced course, completes it and
downloads the certificate, printed in Spanish with a QR code of its verification page, then
prints it in Portuguese too while the Spanish PDF still verifies."""

import json
import re
from pathlib import Path

from ruamel.yaml import YAML

from app.certificates.credentials.verify import verify_credential
from app.certificates.signing import embedded_credential
from tests.certificates.helpers import pdf_text, qr_codes
from tests.e2e.conftest import assert_accessible, assert_fits_phone, downloaded, expect, snapshot

COURSE = Path(__file__).resolve().parents[2] / "course_content" / "green-jobs"
EMAIL = "lucia.fernandez@example.org"
PASSWORD = "taller de energía solar 2026"


def course_items():
    """The course's items in order, with what a learner must do on each."""
    spec = YAML(typ="safe").load((COURSE / "course.yaml").read_text(encoding="utf-8"))
    return [item for module in spec["modules"] for item in module["items"]]


def answer_quiz(page, item):
    """Answer every question correctly, as a learner who studied would."""
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


def take_tour(page):
    """Load the hosted tour and go to each scene with the text version's buttons."""
    page.get_by_role("button", name=re.compile("Cargar el recorrido")).click()
    page.locator("#tour-viewer canvas").wait_for()
    for button in page.get_by_role("button", name="Ir allí en el recorrido").all():
        button.click()
    page.get_by_role("status").filter(has_text="Visita de estudio completada").wait_for()


def test_a_learner_registers_in_spanish_and_completes_a_self_paced_course(phone, live_server):
    page = phone
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "es"
    assert_accessible(page)
    snapshot(page, "a1-home")

    page.get_by_role("link", name="Registrarse").first.click()
    page.get_by_label("Nombre completo").fill("Lucía Fernández")
    page.get_by_label("Correo electrónico", exact=True).fill(EMAIL)
    page.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    page.get_by_label("Repita la contraseña").fill(PASSWORD)
    page.get_by_label("País").select_option("UY")
    page.get_by_label("Institución", exact=True).select_option(
        label="INEFOP — Instituto Nacional de Empleo y Formación Profesional"
    )
    page.get_by_label("Una institución de formación profesional").check()
    page.get_by_label("He leído el aviso de privacidad").check()
    assert_accessible(page)
    snapshot(page, "a2-register")
    page.get_by_role("button", name="Crear mi cuenta").click()
    page.wait_for_url("**/register/check-email")

    (body,) = live_server.query(
        "SELECT body FROM outbox_message WHERE recipient = ? ORDER BY id DESC LIMIT 1", EMAIL
    )[0]
    confirm = re.search(r"https?://\S+/confirm/\S+", body).group(0)
    page.goto(confirm)
    page.get_by_label("Correo electrónico").fill(EMAIL)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/courses")
    assert_accessible(page)
    snapshot(page, "a3-catalog")
    page.get_by_role("link", name="Formación profesional y empleos verdes").click()
    assert_accessible(page)
    page.get_by_role("button", name="Inscribirme en este curso").click()
    page.wait_for_url("**/learn/green-jobs")

    checked = set()
    for item in course_items():
        page.goto(f"/learn/green-jobs/{item['slug']}")
        if item["kind"] not in checked:
            assert_accessible(page)
            snapshot(page, f"a4-{item['kind']}")
            checked.add(item["kind"])
        if item["kind"] == "quiz":
            answer_quiz(page, item)
            page.get_by_role("button", name="Enviar mis respuestas").click()
            # wait_for: the result arrives with the next page load, not at the click.
            page.locator("#result").get_by_text("aprobado").first.wait_for()
        elif item["kind"] == "study_visit":
            take_tour(page)
        else:
            page.get_by_role("button", name=re.compile("Marcar como completado")).click()
    assert "¡Felicitaciones!" in page.content() or "Felicitaciones" in page.content()

    page.goto("/dashboard")
    assert_accessible(page)
    snapshot(page, "a5-dashboard")
    assert page.locator("progress").get_attribute("value") == "100"
    ((completed,),) = live_server.query(
        "SELECT e.completed_at FROM enrollment e JOIN user_account u ON u.id = e.user_id "
        "WHERE u.email = ?",
        EMAIL,
    )
    assert completed is not None

    # The certificate is listed on the dashboard and downloads as a PDF in Spanish.
    expect(page.get_by_role("heading", name="Mis certificados")).to_have_count(1)
    assert_fits_phone(page)
    pdf = downloaded(page, page.get_by_role("link", name="Descargar el certificado (PDF)"))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Lucía Fernández" in text and "Certificado de aprobación" in text
    assert "Formación profesional y empleos verdes" in text
    ((code,),) = live_server.query(
        "SELECT c.code FROM certificate c JOIN user_account u ON u.id = c.user_id "
        "WHERE u.email = ?",
        EMAIL,
    )
    (url,) = qr_codes(pdf)
    assert url.startswith(live_server.url + "/verify/") and url.replace("-", "").endswith(code)

    # Beside it, the learner downloads the digital credential, which verifies against the
    # server's DID document and status list; it is the one the PDF carries.
    credential = json.loads(
        downloaded(
            page,
            page.get_by_role("link", name="Descargar la credencial digital (Open Badges, JSON)"),
        )
    )
    assert credential["credentialSubject"]["name"] == "Lucía Fernández"
    assert credential == embedded_credential(pdf)
    result = verify_credential(credential)
    assert result.verified, result.problems

    # She prints it in Portuguese too: a second PDF of the same edition, while the Spanish
    # one she may already have sent someone still verifies.
    page.goto("/dashboard")
    page.get_by_label("Idioma del certificado").select_option("pt")
    page.get_by_role("button", name="Imprimirlo en este idioma").click()
    page.wait_for_url("**/dashboard")
    assert_accessible(page)
    snapshot(page, "a6-dashboard-second-language")
    for _ in range(60):  # the Portuguese PDF is rendered in the background
        if live_server.query(
            "SELECT 1 FROM certificate_document d JOIN certificate c ON c.id = d.certificate_id "
            "WHERE c.code = ? AND d.language = 'pt'",
            code,
        ):
            break
        page.wait_for_timeout(500)
    page.reload()
    portuguese = downloaded(page, page.get_by_role("link", name="Descargar el certificado (PDF)"))
    assert "Certificado de conclusão" in pdf_text(portuguese) and portuguese != pdf

    page.goto(url)
    assert "Português" in page.content() and "Español" in page.content()
    spanish_file = Path(snapshot(page, "a7-verification")).with_name("certificate-es.pdf")
    spanish_file.write_bytes(pdf)
    page.get_by_label("PDF del certificado").set_input_files(str(spanish_file))
    page.get_by_role("button", name="Comprobar el archivo").click()
    page.get_by_text("Este archivo es, byte a byte, el PDF emitido").wait_for()
    assert_accessible(page)
    snapshot(page, "a8-verification-first-language-still-valid")
