"""Password reset by an emailed link: single use, one hour, tamper-proof, silent on unknowns."""

import time

import itsdangerous.timed

from app.accounts import tokens
from app.accounts.models import User
from app.extensions import db
from tests.conftest import TEST_PASSWORD, link_in, login, outbox, post_form

NEW = "otra frase para el taller nueve"


def ask_reset(client, email):
    return post_form(client, "/forgot-password", {"email": email})


def test_reset_by_link_sets_the_password_and_works_once(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    link = link_in(outbox(user.email)[-1], "/reset-password/")
    response = post_form(client, link, {"password": NEW, "confirm_password": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    login(client, user, password=NEW)

    # The same link a second time is refused and changes nothing.
    other = "third phrase never stored here"
    response = post_form(
        client, link, {"password": other, "confirm_password": other}, form_page="/"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password"
    db.session.expire_all()
    assert tokens.user_for_reset_token(link.rsplit("/", 1)[1]) is None
    post_form(client, "/logout", {}, form_page="/")
    login(client, db.session.get(User, user.id), password=NEW)


def test_unknown_and_known_addresses_get_the_same_answer(client, make_user):
    user = make_user()
    known = ask_reset(client, user.email)
    unknown = ask_reset(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert len(outbox(user.email)) == 1
    assert outbox("nobody@example.org") == []


def test_a_reset_link_expires_after_one_hour(app, make_user, monkeypatch):
    user = make_user()
    token = tokens.make_reset_token(user)
    now = time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 3599)
    assert tokens.user_for_reset_token(token) == user
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 3602)
    assert tokens.user_for_reset_token(token) is None


def test_a_tampered_reset_link_is_refused(client, make_user):
    user = make_user()
    ask_reset(client, user.email)
    link = link_in(outbox(user.email)[-1], "/reset-password/")
    payload, timestamp, signature = link.rsplit("/", 1)[1].split(".")
    forged = f"/reset-password/{payload}.{timestamp}.{signature[::-1]}"
    response = post_form(client, forged, {"password": NEW, "confirm_password": NEW}, form_page="/")
    assert response.status_code == 302 and response.headers["Location"] == "/forgot-password"
    db.session.expire_all()
    login(client, db.session.get(User, user.id), password=TEST_PASSWORD)


def test_a_reset_link_for_one_user_cannot_be_moved_to_another(client, make_user):
    alice, bob = make_user(), make_user()
    token = tokens.make_reset_token(alice)
    payload = token.split(".")[0]
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = bob.id
    moved = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    assert tokens.user_for_reset_token(".".join([moved, *token.split(".")[1:]])) is None


def test_reset_signs_out_every_session(app, client, make_user):
    user = make_user()
    phone = app.test_client()
    login(phone, user)
    ask_reset(client, user.email)
    link = link_in(outbox(user.email)[-1], "/reset-password/")
    post_form(client, link, {"password": NEW, "confirm_password": NEW})
    assert phone.get("/account/profile").status_code == 302


def test_forgot_password_is_rate_limited_per_account(client, make_user):
    user = make_user()
    answers = [ask_reset(client, user.email).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(outbox(user.email)) == 3
