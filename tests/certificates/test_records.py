"""What a certificate certifies is frozen when it is issued: a profile rename changes no
edition; only a name correction the holder asks for and an administrator approves does.
Editions are bounded (one PDF per language), every language stays valid, quick language
switches render without crashing, and a revoked certificate's holder is told why."""

import pytest
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Represents, Role
from app.certificates import corrections, services
from app.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDocument,
    CertificateEvent,
    NameCorrectionRequest,
    NameRequestStatus,
)
from app.extensions import db
from tests.certificates.helpers import certificate_of, complete, count, pdf_text, stored_pdf
from tests.conftest import csrf_token, login, outbox, post_form


def rename_in_profile(user, new_name):
    """What the profile page does when the learner saves another name."""
    accounts.update_profile(
        user,
        full_name=new_name,
        country_code=user.country_code,
        institution_id=user.institution_id,
        institution_other=user.institution_other,
        represents=Represents(user.represents),
        locale=user.locale,
        timezone=user.timezone,
    )
    db.session.commit()


def switch(client, certificate, language):
    return post_form(
        client, f"/certificates/{certificate.id}/language", {"language": language}, "/dashboard"
    )


def documents(certificate) -> list[CertificateDocument]:
    from sqlalchemy.orm import undefer

    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CertificateDocument)
            .where(CertificateDocument.certificate_id == certificate.id)
            .options(undefer(CertificateDocument.data))
            .order_by(CertificateDocument.id)
        )
    )


@pytest.fixture
def holder(login_as):
    return login_as(Role.LEARNER, locale="es", full_name="Rosa Quispe")


@pytest.fixture
def admin_client(app, make_user):
    admin = make_user(role=Role.ADMIN, locale="en", email="ana.admin@example.org")
    other = app.test_client()
    login(other, admin)
    other.admin = admin
    return other


def test_a_profile_rename_leaves_every_edition_name_unchanged(
    client, admin_client, holder, small_course
):
    """The security review's case: rename, then print in other languages and re-issue."""
    certificate = certificate_of(complete(holder, small_course))
    rename_in_profile(holder, "Someone Else Entirely")

    assert switch(client, certificate, "pt").status_code == 302
    assert switch(client, certificate, "en").status_code == 302
    page = f"/admin/certificates/{certificate.id}"
    assert post_form(admin_client, page + "/reissue", {}, page).status_code == 302

    every = documents(certificate)
    assert {(d.edition, d.language) for d in every} == {(1, "es"), (1, "pt"), (1, "en"), (2, "en")}
    for document in every:
        text = pdf_text(document.data)
        assert "Rosa Quispe" in text and "Someone Else" not in text, document.language
    record = client.get(f"/verify/{certificate.grouped_code}.json").get_json()
    assert record["learner_name"] == "Rosa Quispe" and record["status"] == "valid"
    assert "Someone Else" not in client.get(f"/verify/{certificate.grouped_code}").get_data(
        as_text=True
    )


def test_the_course_printed_stays_as_issued_when_the_course_changes(client, holder, small_course):
    certificate = certificate_of(complete(holder, small_course))
    small_course.title = {"es": "Otro curso", "pt": "Outro curso", "en": "Another course"}
    small_course.hours = 999
    db.session.commit()
    switch(client, certificate, "pt")
    certificate = certificate_of_id(certificate.id)
    text = pdf_text(stored_pdf(certificate))
    assert "Outro curso" not in text and "999" not in text
    assert certificate.hours != 999


def certificate_of_id(certificate_id):
    db.session.expire_all()
    return db.session.get(Certificate, certificate_id)


def test_editions_are_bounded_one_pdf_per_language(client, holder, small_course):
    certificate = certificate_of(complete(holder, small_course))
    for language in ["pt", "en", "es", "pt", "en", "es"] * 3:
        assert switch(client, certificate, language).status_code == 302
    every = documents(certificate)
    assert sorted(d.language for d in every) == ["en", "es", "pt"]
    assert {d.edition for d in every} == {1}
    assert count(CertificateEvent, action=CertificateAction.LANGUAGE) == 2
    # Every one of them is the issued file on the verification page.
    for document in every:
        check = services.check_file(certificate_of_id(certificate.id), document.data)
        assert check.issued and check.language == document.language
    page = client.get(f"/verify/{certificate.grouped_code}").get_data(as_text=True)
    assert "Español" in page and "Português" in page and "English" in page


def test_the_verification_page_accepts_each_language_by_upload(client, holder, small_course):
    import io

    certificate = certificate_of(complete(holder, small_course))
    switch(client, certificate, "en")
    for document in documents(certificate):
        url = f"/verify/{certificate.grouped_code}"
        response = client.post(
            url,
            data={
                "csrf_token": csrf_token(client, url),
                "pdf": (io.BytesIO(document.data), "certificate.pdf"),
            },
        )
        body = response.get_data(as_text=True)  # in the holder's Spanish
        assert "byte a byte, el PDF emitido" in body, document.language


def test_a_render_task_for_an_edition_replaced_meanwhile_does_not_crash(
    app, client, admin_client, holder, small_course
):
    """Quick switches: a render queued for one edition or language runs after the
    certificate moved on. It renders what it was asked for, or nothing, and never fails."""
    certificate = certificate_of(complete(holder, small_course))
    # Asked for Portuguese, then back to Spanish before the task ran: the Portuguese task
    # still stores the Portuguese PDF it was asked for, under its own language.
    switch(client, certificate, "es")  # no change
    services.render_task(certificate_id=certificate.id, edition=1, language="pt")
    db.session.commit()
    assert {(d.edition, d.language) for d in documents(certificate)} == {(1, "es"), (1, "pt")}
    assert "Certificado de conclusão" in pdf_text(stored_pdf(certificate, "pt"))

    # The name is corrected (edition 2) while a task for edition 1 in English waits.
    corrections.request_correction(certificate, "Rosa Quispe Mamani", "", holder)
    request = corrections.pending_request(certificate)
    corrections.decide(request, True, "Matches her ID", services.Actor.person(admin_client.admin))
    db.session.commit()
    before = count(CertificateDocument)
    services.render_task(certificate_id=certificate.id, edition=1, language="en")
    db.session.commit()
    assert count(CertificateDocument) == before, "a replaced edition is not printed"
    # A task queued before this version (no edition, no language) renders the current one.
    services.render_task(certificate_id=certificate.id)
    db.session.commit()
    # And a task for a certificate that is gone does nothing.
    services.render_task(certificate_id=999_999, edition=1, language="es")
    certificate = certificate_of_id(certificate.id)
    assert "Rosa Quispe Mamani" in pdf_text(stored_pdf(certificate))


def test_the_ready_mail_goes_once_whatever_the_languages(client, holder, small_course):
    certificate = certificate_of(complete(holder, small_course))
    switch(client, certificate, "pt")
    switch(client, certificate, "en")
    subjects = [m.subject for m in outbox(holder.email)]
    assert len([s for s in subjects if "certificado" in s.lower()]) == 1, subjects
    assert certificate is not None


# Name corrections ---------------------------------------------------------------------------


def ask(client, certificate, name, explanation=""):
    return post_form(
        client,
        f"/certificates/{certificate.id}/name",
        {"name": name, "explanation": explanation},
        "/dashboard",
    )


def decide(admin_client, name_request, decision, reason):
    page = f"/admin/certificates/{name_request.certificate_id}"
    return post_form(
        admin_client,
        f"/admin/certificates/name-requests/{name_request.id}",
        {"decision": decision, "reason": reason},
        page,
    )


def pending(certificate) -> NameCorrectionRequest | None:
    db.session.expire_all()
    return corrections.pending_request(certificate)


def test_a_holder_asks_and_an_administrator_approves_a_corrected_name(
    client, admin_client, holder, small_course
):
    certificate = certificate_of(complete(holder, small_course))
    first_pdf = stored_pdf(certificate)
    response = ask(client, certificate, "  Rosa   Quispe Mamani ", "My second surname is missing")
    assert response.status_code == 302
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Rosa Quispe Mamani" in dashboard  # "you asked for ... : waiting"
    request = pending(certificate)
    assert request.requested_name == "Rosa Quispe Mamani" and request.current_name == "Rosa Quispe"
    # Asked for, not yet printed: verification still shows the issued name.
    assert client.get(f"/verify/{certificate.grouped_code}.json").get_json()["learner_name"] == (
        "Rosa Quispe"
    )
    # A second request while one waits is refused, nothing added.
    ask(client, certificate, "Rosa Q. Mamani")
    assert count(NameCorrectionRequest) == 1

    listing = admin_client.get("/admin/certificates/name-requests").get_data(as_text=True)
    assert "Rosa Quispe Mamani" in listing
    assert decide(admin_client, request, "approve", "Matches her passport").status_code == 302

    certificate = certificate_of_id(certificate.id)
    assert certificate.learner_name == "Rosa Quispe Mamani" and certificate.edition == 2
    new_pdf = stored_pdf(certificate)
    assert "Rosa Quispe Mamani" in pdf_text(new_pdf)
    assert services.check_file(certificate, new_pdf).issued
    earlier = services.check_file(certificate, first_pdf)
    assert not earlier.issued and earlier.earlier_edition_of is not None
    record = client.get(f"/verify/{certificate.grouped_code}.json").get_json()
    assert record["learner_name"] == "Rosa Quispe Mamani" and record["edition"] == 2

    events = services.history(certificate)
    asked, corrected = events[-2], events[-1]
    assert asked.action == CertificateAction.NAME_REQUESTED and asked.actor_id == holder.id
    assert corrected.action == CertificateAction.NAME_CORRECTED
    assert (corrected.old_name, corrected.new_name) == ("Rosa Quispe", "Rosa Quispe Mamani")
    assert corrected.actor_label == "ana.admin@example.org" and corrected.at is not None
    assert corrected.reason == "Matches her passport"
    history = admin_client.get(f"/admin/certificates/{certificate.id}").get_data(as_text=True)
    assert "Name corrected" in history and "Rosa Quispe Mamani" in history
    mails = outbox(holder.email)
    assert "Matches her passport" in mails[-1].body and "Rosa Quispe Mamani" in mails[-1].body

    # Answered once: a second decision changes nothing.
    db.session.expire_all()
    request = db.session.get(NameCorrectionRequest, request.id)
    decide(admin_client, request, "refuse", "Changed my mind")
    assert db.session.get(NameCorrectionRequest, request.id).status == NameRequestStatus.APPROVED
    assert certificate_of_id(certificate.id).edition == 2


def test_a_refused_correction_keeps_the_name_and_says_why(
    client, admin_client, holder, small_course
):
    certificate = certificate_of(complete(holder, small_course))
    ask(client, certificate, "Queen Rosa")
    request = pending(certificate)
    # Without a reason the decision is refused; nothing changes.
    response = decide(admin_client, request, "refuse", "")
    assert response.status_code == 200 and pending(certificate) is not None
    assert decide(admin_client, request, "refuse", "Not the name on her ID").status_code == 302
    certificate = certificate_of_id(certificate.id)
    assert certificate.learner_name == "Rosa Quispe" and certificate.edition == 1
    last = services.history(certificate)[-1]
    assert last.action == CertificateAction.NAME_REFUSED and last.reason == "Not the name on her ID"
    assert (last.old_name, last.new_name) == ("Rosa Quispe", "Queen Rosa")
    assert "Not the name on her ID" in outbox(holder.email)[-1].body
    # Answered, so the holder may ask again.
    ask(client, certificate, "Rosa Quispe Mamani")
    assert pending(certificate).requested_name == "Rosa Quispe Mamani"


@pytest.mark.parametrize(
    "name",
    ["", "   ", "Rosa Quispe", "x" * 121, "Rosa\x00Quispe", "Rosa\x1b[31mQuispe"],
    ids=["empty", "blank", "same", "too-long", "nul", "escape"],
)
def test_bad_names_are_refused_and_nothing_is_written(client, holder, small_course, name):
    certificate = certificate_of(complete(holder, small_course))
    events = count(CertificateEvent)
    response = ask(client, certificate, name)
    assert response.status_code == 302
    assert count(NameCorrectionRequest) == 0 and count(CertificateEvent) == events


def test_a_revoked_certificate_takes_no_name_request(client, holder, small_course):
    certificate = certificate_of(complete(holder, small_course))
    services.revoke(certificate, "Identity not confirmed", services.PLATFORM)
    db.session.commit()
    ask(client, certificate, "Rosa Quispe Mamani")
    assert count(NameCorrectionRequest) == 0


def test_only_the_holder_asks_and_only_administrators_decide(
    app, client, make_user, holder, small_course
):
    certificate = certificate_of(complete(make_user(full_name="Owner"), small_course))
    # Someone else's certificate: forbidden, nothing written.
    response = client.post(
        f"/certificates/{certificate.id}/name",
        data={"csrf_token": csrf_token(client, "/dashboard"), "name": "Mallory"},
    )
    assert response.status_code == 403 and count(NameCorrectionRequest) == 0
    # An administrator may read it but not ask in the holder's place.
    admin = app.test_client()
    login(admin, make_user(role=Role.ADMIN))
    response = admin.post(
        f"/certificates/{certificate.id}/name",
        data={"csrf_token": csrf_token(admin, "/"), "name": "Mallory"},
    )
    assert response.status_code == 403 and count(NameCorrectionRequest) == 0
    # A learner cannot decide on a request, even their own.
    own = certificate_of(complete(holder, small_course))
    ask(client, own, "Rosa Quispe Mamani")
    request = pending(own)
    response = client.post(
        f"/admin/certificates/name-requests/{request.id}",
        data={"csrf_token": csrf_token(client, "/"), "decision": "approve", "reason": "Me"},
    )
    assert response.status_code == 403 and pending(own) is not None
    assert client.get("/admin/certificates/name-requests").status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"/certificates/{own.id}/name").status_code in (302, 400)
    assert (
        admin.post(
            "/admin/certificates/name-requests/999999",
            data={"csrf_token": csrf_token(admin, "/"), "decision": "approve", "reason": "x"},
        ).status_code
        == 404
    )


# Revocation -----------------------------------------------------------------------------------


def test_a_revoked_certificates_holder_is_told_why_in_their_language(
    admin_client, make_user, small_course
):
    holder = make_user(locale="pt", full_name="Joaquim Batista")
    certificate = certificate_of(complete(holder, small_course))
    before = len(outbox(holder.email))
    page = f"/admin/certificates/{certificate.id}"
    response = post_form(admin_client, page + "/revoke", {"reason": "Plágio no projeto"}, page)
    assert response.status_code == 302
    mails = outbox(holder.email)[before:]
    assert len(mails) == 1
    mail = mails[0]
    assert mail.subject == "Seu certificado foi revogado"
    assert "Plágio no projeto" in mail.body and certificate.grouped_code in mail.body
    assert "Olá, Joaquim Batista" in mail.body
    # Restoring it sends no revocation mail.
    post_form(admin_client, page + "/restore", {"reason": "Error"}, page)
    assert len(outbox(holder.email)[before:]) == 1


def test_a_certificate_issued_before_records_were_frozen_still_prints(client, holder, small_course):
    """Rows the migration left with an empty record print what their columns hold."""
    certificate = certificate_of(complete(holder, small_course))
    certificate.printed = {}
    certificate.course_title = "Título como se emitió"
    db.session.commit()
    assert switch(client, certificate, "en").status_code == 302
    certificate = certificate_of_id(certificate.id)
    text = pdf_text(stored_pdf(certificate))
    assert "Título como se emitió" in text and "Rosa Quispe" in text


def test_the_dashboards_certificates_read_as_the_certificates(app, client, holder, small_course):
    """The dashboard lists plain values (services.HeldCertificate): every column and property
    it shows reads as the Certificate's own, a revoked one too."""
    from dataclasses import fields

    first = certificate_of(complete(holder, small_course))
    first.printed = {**(first.printed or {}), "season_names": {"pt": "Temporada P"}}
    db.session.flush()
    services.revoke(first, "Issued by mistake", services.PLATFORM)
    db.session.commit()
    held = services.certificates_of(holder)
    assert len(held) == 1
    (found, _ready, waiting), certificate = held[0], certificate_of_id(first.id)
    assert waiting is None
    for field in fields(found):
        assert getattr(found, field.name) == getattr(certificate, field.name), field.name
    assert found.revoked is certificate.revoked is True
    assert found.grouped_code == certificate.grouped_code
    for language in ("es", "pt", "en"):
        assert found.season_name_in(language) == certificate.season_name_in(language)
    assert found.season_name_in("pt") == "Temporada P"
