"""Issuance: a completion issues exactly one certificate, rendered once in the learner's
language, with the name, the course and a QR code of the verification URL on it."""

import threading

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.certificates import services
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDocument,
    CertificateEvent,
)
from app.extensions import db
from tests.certificates.helpers import (
    certificate_of,
    complete,
    count,
    do_item,
    finish_all_but_last,
    pdf_pages,
    pdf_text,
    qr_codes,
    stored_pdf,
)
from tests.conftest import outbox
from tests.learning.helpers import RIGHT, enroll_by_form, mark_done_by_form, submit_quiz


def test_completing_the_course_by_its_pages_issues_the_certificate(client, login_as, small_course):
    learner = login_as(Role.LEARNER, locale="en", full_name="Ana María Pérez-Soto")
    assert enroll_by_form(client).status_code == 302
    for slug in ("welcome", "checklist", "guide"):
        mark_done_by_form(client, slug)
    assert count(Certificate) == 0
    submit_quiz(client, RIGHT, 1)

    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == learner.id))
    assert certificate is not None
    assert certificate.learner_name == "Ana María Pérez-Soto"
    assert certificate.language == "en"
    assert certificate.hours == small_course.hours
    assert certificate.course_title == small_course.title.get("en", small_course.title["es"])
    assert certificate.season_name == "Test season"
    assert certificate.design == "default" and certificate.design_version.startswith("2+")
    assert certificate.edition == 1 and not certificate.revoked
    assert len(certificate.code) == 28
    actions = [event.action for event in services.history(certificate)]
    assert actions == [CertificateAction.ISSUED]

    pdf = stored_pdf(certificate)
    assert pdf.startswith(b"%PDF")
    assert "Your certificate is ready" in [mail.subject for mail in outbox(learner.email)]

    # The dashboard lists it, and the download serves exactly the stored bytes.
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "My certificates" in dashboard and certificate.grouped_code in dashboard
    download = client.get(f"/certificates/{certificate.id}/pdf")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.data == pdf


def test_the_pdf_shows_the_name_course_url_and_a_qr_code_of_the_url(app, make_user, small_course):
    learner = make_user(full_name="Joaquim Batista", locale="pt")
    certificate = certificate_of(complete(learner, small_course))
    pdf = stored_pdf(certificate)

    assert pdf_pages(pdf) == 2  # the certificate, then what the course covered
    text = pdf_text(pdf)
    url = services.verification_url(certificate)
    assert url.endswith("/verify/" + certificate.grouped_code)
    assert "Joaquim Batista" in text
    # Printed in the learner's language (Portuguese), dates included.
    assert "Certificado de conclusão" in text and "Concluído em" in text
    assert certificate.course_title in text
    assert url in text.replace(" ", "") or url in text
    assert certificate.grouped_code in text
    assert qr_codes(pdf) == [url]


def test_long_names_and_titles_still_make_two_pages(app, make_user, small_course):
    # 112 characters: near the 120 a name may have.
    learner = make_user(full_name="María de los Ángeles " + "Fernández " * 9 + "Ó")
    enrollment = complete(learner, small_course)
    certificate = certificate_of(enrollment)
    long_title = "Un título de curso extraordinariamente largo " * 6
    certificate.printed = {
        **certificate.printed,
        "titles": {language: long_title for language in services.LANGUAGES},
        "institution": "Instituto Nacional de Formación Técnico Profesional " * 3,
    }
    db.session.commit()
    services.reissue(certificate, services.PLATFORM)
    db.session.commit()
    certificate = certificate_of(enrollment)
    pdf = stored_pdf(certificate)
    assert pdf_pages(pdf) == 2
    assert qr_codes(pdf) == [services.verification_url(certificate)]


def test_a_course_not_completed_has_nothing_to_certify(app, make_user, small_course):
    enrollment, _last = finish_all_but_last(make_user(), small_course)
    with pytest.raises(services.NotCompleted):
        services.issue_certificate(enrollment.id)
    assert count(Certificate) == 0


def _together(app, n, action):
    """Run `action()` in n threads released at once, each in its own app context."""
    barrier = threading.Barrier(n, timeout=60)
    errors = []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                action()
                db.session.commit()
            except Exception as error:  # collected and asserted on
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_twenty_simultaneous_issue_requests_make_one_certificate(app, make_user, small_course):
    enrollment, last = finish_all_but_last(make_user(), small_course)
    # Complete without the automatic issue, so only the racing requests can issue.
    services.learning.course_completed.disconnect(services.issue_on_completion)
    try:
        do_item(enrollment, last)
        db.session.commit()
    finally:
        services.learning.course_completed.connect(services.issue_on_completion)
    enrollment_id = enrollment.id

    errors = _together(
        app, 20, lambda: services.issue_certificate(enrollment_id, services.PLATFORM, render=False)
    )

    assert errors == []
    assert count(Certificate, enrollment_id=enrollment_id) == 1
    assert count(CertificateEvent, action=CertificateAction.ISSUED) == 1


def test_twenty_simultaneous_completions_make_one_certificate(app, make_user, small_course):
    enrollment, last = finish_all_but_last(make_user(), small_course)
    enrollment_id, last_id = enrollment.id, last.id

    def finish():
        from app.catalog.models import Item
        from app.seasons.models import Enrollment

        do_item(db.session.get(Enrollment, enrollment_id), db.session.get(Item, last_id))

    errors = _together(app, 20, finish)

    assert errors == []
    assert count(Certificate, enrollment_id=enrollment_id) == 1
    assert count(CertificateEvent, action=CertificateAction.ISSUED) == 1
    certificate = certificate_of(enrollment)
    assert count(CertificateDocument, certificate_id=certificate.id) == 1


def test_a_render_that_overruns_is_retried_then_reported_and_writes_nothing(
    app, make_user, small_course, caplog
):
    enrollment, last = finish_all_but_last(make_user(), small_course)
    app.config.update(CERTIFICATE_RENDER_SECONDS=0.001)
    try:
        do_item(enrollment, last)
        db.session.commit()  # the inline render task fails after its attempts
    finally:
        app.config.update(CERTIFICATE_RENDER_SECONDS=30)

    certificate = certificate_of(enrollment)
    assert certificate is not None, "the completion and its certificate stand"
    assert count(CertificateDocument) == 0, "no half-made file is kept"
    attempts = app.config["CERTIFICATE_RENDER_ATTEMPTS"]
    tries = [
        r
        for r in caplog.records
        if r.getMessage().startswith("Certificate") and "render" in r.getMessage()
    ]
    assert len(tries) == attempts

    # Within the time limit, the same certificate renders and is stored once.
    document, stored = services.render_document(certificate.id)
    db.session.commit()
    assert stored and document.sha256
    assert services.render_document(certificate.id)[1] is False
    assert count(CertificateDocument) == 1


def test_each_language_the_learner_chooses_is_a_valid_pdf_of_the_same_edition(
    client, login_as, small_course
):
    learner = login_as(Role.LEARNER, locale="es")
    enrollment = complete(learner, small_course)
    certificate = certificate_of(enrollment)
    first_pdf = stored_pdf(certificate)
    assert certificate.language == "es"

    from tests.conftest import post_form

    response = post_form(
        client, f"/certificates/{certificate.id}/language", {"language": "pt"}, "/dashboard"
    )
    assert response.status_code == 302
    certificate = certificate_of(enrollment)
    assert certificate.language == "pt" and certificate.edition == 1
    second_pdf = stored_pdf(certificate)
    assert second_pdf != first_pdf
    assert certificate.course_title in pdf_text(second_pdf)
    assert "Certificado de conclusão" in pdf_text(second_pdf)
    # Both languages are the issued file: the first one the holder may already have shared.
    assert services.check_file(certificate, second_pdf) == services.FileCheck(True, "pt")
    assert services.check_file(certificate, first_pdf) == services.FileCheck(True, "es")
    actions = [event.action for event in services.history(certificate)]
    assert actions == [CertificateAction.ISSUED, CertificateAction.LANGUAGE]

    # Going back to Spanish reuses the stored PDF: nothing rendered, nothing recorded.
    post_form(client, f"/certificates/{certificate.id}/language", {"language": "es"}, "/dashboard")
    certificate = certificate_of(enrollment)
    assert certificate.language == "es" and stored_pdf(certificate) == first_pdf
    assert count(CertificateDocument, certificate_id=certificate.id) == 2
    assert len(services.history(certificate)) == 2
    assert client.get(f"/certificates/{certificate.id}/pdf").data == first_pdf

    # A language we do not print in is refused, nothing changes.
    post_form(client, f"/certificates/{certificate.id}/language", {"language": "fr"}, "/dashboard")
    assert certificate_of(enrollment).language == "es"
    assert count(CertificateDocument, certificate_id=certificate.id) == 2


def test_only_its_learner_and_administrators_download_it(app, client, make_user, small_course):
    from tests.conftest import login

    owner = make_user()
    certificate = certificate_of(complete(owner, small_course))
    url = f"/certificates/{certificate.id}/pdf"

    assert client.get(url).status_code == 302  # to sign in
    login(client, make_user())
    assert client.get(url).status_code == 403
    assert client.post(f"/certificates/{certificate.id}/language", data={}).status_code in (
        400,
        403,
    )
    admin = app.test_client()
    login(admin, make_user(role=Role.ADMIN))
    assert admin.get(url).status_code == 200
    assert client.get("/certificates/999999/pdf").status_code == 404


def test_a_download_before_the_pdf_exists_asks_for_it_and_says_so(client, login_as, small_course):
    learner = login_as()
    enrollment, last = finish_all_but_last(learner, small_course)
    services.learning.course_completed.disconnect(services.issue_on_completion)
    try:
        do_item(enrollment, last)
        db.session.commit()
    finally:
        services.learning.course_completed.connect(services.issue_on_completion)
    certificate, _ = services.issue_certificate(enrollment.id, render=False)
    db.session.commit()

    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 202
    assert 'http-equiv="refresh"' in response.get_data(as_text=True)
    # The request queued the render (inline in tests): the next one downloads.
    again = client.get(f"/certificates/{certificate.id}/pdf")
    assert again.status_code == 200 and again.data.startswith(b"%PDF")


def test_a_revoked_certificate_is_not_downloaded_by_its_learner(
    app, client, make_user, small_course
):
    from tests.conftest import login

    learner = make_user(locale="en")
    login(client, learner)
    certificate = certificate_of(complete(learner, small_course))
    services.revoke(certificate, "Identity not confirmed", services.PLATFORM)
    db.session.commit()
    response = client.get(f"/certificates/{certificate.id}/pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert "revoked" in response.get_data(as_text=True)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Revoked on" in dashboard and f"/certificates/{certificate.id}/pdf" not in dashboard
    admin = app.test_client()
    login(admin, make_user(role=Role.ADMIN))
    assert admin.get(f"/certificates/{certificate.id}/pdf").status_code == 200
