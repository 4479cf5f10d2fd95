"""Passkeys on the server side: hostile answers are refused without a session, and nobody
removes another person's passkey. (The browser journey: tests/e2e/test_passkey_journey.py.)"""

import json

import pytest
from sqlalchemy import select

from app.accounts import passkeys
from app.accounts.models import Passkey
from app.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form


def add_row(user, credential_id="AAAA", public_id="pk-1"):
    row = Passkey(
        public_id=public_id,
        user_id=user.id,
        credential_id=credential_id,
        public_key=b"not a key",
        sign_count=0,
        name="Phone",
    )
    db.session.add(row)
    user.second_factor = True
    db.session.commit()
    return row


def post_json(client, url, body, token):
    return client.post(
        url, data=json.dumps(body), content_type="application/json", headers={"X-CSRFToken": token}
    )


@pytest.mark.parametrize(
    "credential",
    [
        None,
        "a string",
        {},
        {"id": "AAAA"},
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
        {"id": "x" * 5000, "response": {"clientDataJSON": "!!"}},
        {"id": ["not", "a", "string"]},
    ],
)
def test_hostile_answers_sign_nobody_in(app, client, make_user, credential):
    add_row(make_user())
    token = csrf_token(client, "/login")
    options = post_json(client, "/login/passkey/options", {}, token)
    assert options.status_code == 200 and "challenge" in options.get_json()
    answer = post_json(client, "/login/passkey", {"credential": credential}, token)
    assert answer.status_code == 200 and answer.get_json()["ok"] is False
    assert client.get("/account/profile").status_code == 302


def test_an_answer_without_a_challenge_asked_for_is_refused(client, make_user):
    add_row(make_user())
    token = csrf_token(client, "/login")
    answer = post_json(client, "/login/passkey", {"credential": {"id": "AAAA"}}, token)
    assert answer.get_json()["ok"] is False


def test_a_posted_passkey_needs_a_challenge_asked_for(client, make_user):
    login(client, make_user())
    token = csrf_token(client, "/account/two-factor")
    answer = post_json(client, "/account/passkeys", {"credential": {"id": "x"}}, token)
    assert answer.get_json()["ok"] is False
    options = post_json(client, "/account/passkeys/options", {}, token).get_json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    answer = post_json(client, "/account/passkeys", {"credential": {"id": "x"}}, token)
    assert answer.get_json()["ok"] is False
    assert db.session.scalars(select(Passkey)).all() == []


def test_nobody_removes_another_persons_passkey(client, make_user):
    owner = make_user()
    add_row(owner, public_id="owners-key")
    login(client, make_user())
    post_form(client, "/account/passkeys/owners-key/remove", {}, form_page="/")
    assert db.session.scalars(select(Passkey.public_id)).all() == ["owners-key"]


def test_the_owner_removes_their_passkey_and_the_second_factor_goes(client, make_user):
    owner = make_user()
    login(client, owner)
    add_row(owner, public_id="mine")
    post_form(client, "/account/passkeys/mine/remove", {}, form_page="/")
    db.session.expire_all()
    assert db.session.scalars(select(Passkey)).all() == []
    assert not db.session.get(type(owner), owner.id).second_factor
    post_form(client, "/logout", {}, form_page="/")
    login(client, owner)  # the password alone again


def test_with_a_passkey_the_password_leads_to_the_second_step(client, make_user):
    owner = make_user()
    add_row(owner)
    response = post_form(client, "/login", {"email": owner.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/login/second-factor"
    assert client.get("/account/profile").status_code == 302


def test_the_relying_party_is_base_urls_host(app):
    with app.test_request_context():
        saved = app.config["BASE_URL"]
        app.config["BASE_URL"] = "https://aula.example.org"
        try:
            assert passkeys.relying_party() == ("aula.example.org", "https://aula.example.org")
        finally:
            app.config["BASE_URL"] = saved


def test_refused_passkey_answers_are_rate_limited_per_address(client, make_user):
    add_row(make_user())
    token = csrf_token(client, "/login")
    answers = []
    for _ in range(11):
        post_json(client, "/login/passkey/options", {}, token)
        answers.append(post_json(client, "/login/passkey", {"credential": {}}, token).status_code)
    assert answers[:10] == [200] * 10 and answers[10] == 429
