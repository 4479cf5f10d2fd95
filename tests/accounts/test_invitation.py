"""Invited accounts: nobody can sign in until the invited person chooses a password through
the emailed link, which works once, for 14 days, and cannot be forged or moved."""

import base64
import json
import time

import itsdangerous.timed
import pytest
from flask_babel import force_locale

from app.accounts import passwords, services, tokens
from app.accounts.models import Represents, User
from app.catalog.models import CourseKind
from app.extensions import db
from tests.conftest import csrf_token, link_in, login, outbox, post_form
from tests.learning.helpers import build_course
from tests.seasons.factories import make_cohort

CHOSEN = "cuaderno azul bajo la lluvia"
FOURTEEN_DAYS = 14 * 24 * 3600


@pytest.fixture
def invited(app):
    user = services.invite_user(
        "Invitee@Example.org",
        "Inés Invitada",
        country_code="PE",
        locale="pt",
        institution_other="Escuela del Sur",
    )
    with force_locale("en"):
        services.send_invitation(user)
    db.session.commit()
    return user


def invitation_link(user) -> str:
    return link_in(outbox(user.email)[-1], "/invitation/")


def accept(client, link, password=CHOSEN, confirm=None, form_page=None):
    return post_form(
        client,
        link,
        {"password": password, "confirm_password": confirm or password},
        form_page=form_page,
    )


def fresh(user) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def is_invalid_page(response) -> bool:
    html = response.get_data(as_text=True)
    return (
        response.status_code == 200
        and 'href="/forgot-password"' in html
        and 'name="password"' not in html
    )


def test_an_invited_account_cannot_be_signed_in_to(client, invited):
    assert invited.email == "invitee@example.org"
    assert invited.email_confirmed_at is None
    assert invited.represents == Represents.OTHER and invited.locale == "pt"
    assert invited.timezone == "America/Lima"
    assert services.invitation_pending(invited)
    for guess in ("", invited.password_hash, invited.password_hash[len("!invited-") :]):
        assert not passwords.verify_password(invited.password_hash, guess)
    response = post_form(client, "/login", {"email": invited.email, "password": "anything at all"})
    assert response.status_code == 200  # the form again, with an error
    assert "/login" in client.get("/dashboard").headers.get("Location", "")


def test_each_invitation_has_its_own_unusable_hash(app):
    one = services.invite_user(
        "a@example.org", "A a", country_code="UY", locale="es", institution_other="X"
    )
    two = services.invite_user(
        "b@example.org", "B b", country_code="UY", locale="es", institution_other="X"
    )
    assert one.password_hash != two.password_hash


def test_an_existing_email_cannot_be_invited_again(app, make_user):
    make_user(email="taken@example.org")
    with pytest.raises(services.AccountError):
        services.invite_user(
            "TAKEN@example.org", "T", country_code="UY", locale="es", institution_other="X"
        )


def test_the_mail_says_who_invited_them_to_what_and_for_how_long(app, make_user):
    inviter = make_user(full_name="Olga Organiza")
    course = build_course("invite-course", kind=CourseKind.TUTOR_LED, languages=["es"])
    cohort = make_cohort(course, name="Grupo Lunes")
    user = services.invite_user(
        "new@example.org", "New Person", country_code="UY", locale="en", institution_other="X"
    )
    services.send_invitation(user, invited_by=inviter, course=course, cohort=cohort)
    body = outbox("new@example.org")[-1].body
    assert "Olga Organiza" in body and "Grupo Lunes" in body and "Curso invite-course" in body
    assert "14 days" in body and "new@example.org" in body
    assert "/invitation/" in body and "/forgot-password" in body


def test_the_link_sets_the_password_confirms_the_email_and_signs_in(client, invited):
    link = invitation_link(invited)
    page = client.get(link)
    assert page.status_code == 200 and invited.email in page.get_data(as_text=True)
    response = accept(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200  # signed in
    user = fresh(invited)
    assert user.email_confirmed_at is not None and not services.invitation_pending(user)
    post_form(client, "/logout", {}, form_page="/")
    login(client, user, password=CHOSEN)


def test_a_used_link_is_refused_and_changes_nothing(client, app, invited):
    link = invitation_link(invited)
    accept(client, link)
    post_form(client, "/logout", {}, form_page="/")
    assert is_invalid_page(client.get(link))
    response = accept(client, link, password="otra clave que no vale", form_page="/")
    assert is_invalid_page(response)
    login(client, fresh(invited), password=CHOSEN)


def test_a_link_expires_after_fourteen_days(app, invited, monkeypatch):
    token = tokens.make_invitation_token(invited)
    now = time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + FOURTEEN_DAYS - 60)
    assert tokens.user_for_invitation_token(token) == invited
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + FOURTEEN_DAYS + 2)
    assert tokens.user_for_invitation_token(token) is None


def test_an_expired_link_shows_the_way_to_a_reset(client, invited, monkeypatch):
    link = invitation_link(invited)
    later = time.time() + FOURTEEN_DAYS + 5
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert is_invalid_page(client.get(link))
    assert is_invalid_page(accept(client, link, form_page="/"))
    assert services.invitation_pending(fresh(invited))


def test_a_tampered_or_moved_link_is_refused(client, invited, make_user):
    link = invitation_link(invited)
    payload, timestamp, signature = link.rsplit("/", 1)[1].split(".")
    forged = f"/invitation/{payload}.{timestamp}.{signature[::-1]}"
    assert is_invalid_page(accept(client, forged, form_page="/"))

    other = make_user()
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = other.id
    moved = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    assert is_invalid_page(
        accept(client, f"/invitation/{moved}.{timestamp}.{signature}", form_page="/")
    )
    assert is_invalid_page(client.get("/invitation/not-a-token"))
    assert services.invitation_pending(fresh(invited))


def test_reset_and_invitation_tokens_do_not_stand_in_for_each_other(app, invited):
    assert tokens.user_for_reset_token(tokens.make_invitation_token(invited)) is None
    assert tokens.user_for_invitation_token(tokens.make_reset_token(invited)) is None


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(client, invited):
    link = invitation_link(invited)
    weak = accept(client, link, password="password123")
    assert weak.status_code == 200
    assert '<p class="error" id="password-error">' in weak.get_data(as_text=True)
    mismatch = accept(client, link, confirm="something else entirely")
    assert '<p class="error" id="confirm_password-error">' in mismatch.get_data(as_text=True)
    short = accept(client, link, password="short")
    assert '<p class="error" id="password-error">' in short.get_data(as_text=True)
    assert services.invitation_pending(fresh(invited))
    assert accept(client, link).status_code == 302


def test_a_post_without_csrf_is_refused(client, invited):
    link = invitation_link(invited)
    response = client.post(link, data={"password": CHOSEN, "confirm_password": CHOSEN})
    assert response.status_code == 400
    assert services.invitation_pending(fresh(invited))


def test_an_invitee_who_lost_the_link_can_reset_the_password(client, invited):
    invitation = invitation_link(invited)
    post_form(client, "/forgot-password", {"email": invited.email})
    link = link_in(outbox(invited.email)[-1], "/reset-password/")
    response = post_form(client, link, {"password": CHOSEN, "confirm_password": CHOSEN})
    assert response.status_code == 302
    user = fresh(invited)
    assert user.email_confirmed_at is not None
    login(client, user, password=CHOSEN)
    # The invitation dies with the first password, however it was chosen.
    assert is_invalid_page(client.get(invitation))


def test_someone_signed_in_who_opens_an_invitation_becomes_the_invitee(client, login_as, invited):
    login_as()
    link = invitation_link(invited)
    token = csrf_token(client, link)
    response = client.post(
        link, data={"password": CHOSEN, "confirm_password": CHOSEN, "csrf_token": token}
    )
    assert response.status_code == 302
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "Inés Invitada" in profile
