"""Sign-in and sign-out, sessions, rehashing and rate limits."""

from argon2 import PasswordHasher

from app.accounts.models import User, UserSession
from app.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_user):
    user = make_user()
    wrong = post_form(client, "/login", {"email": user.email, "password": "not the password"})
    unknown = post_form(client, "/login", {"email": "nobody@example.org", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 200

    def error_part(response):
        """The page's main content up to the form token, without the email typed."""
        body = response.get_data(as_text=True).replace("nobody@example.org", "")
        return body.replace(user.email, "").split("<main", 1)[1].split('name="csrf_token"')[0]

    assert error_part(wrong) == error_part(unknown)


def test_signing_in_renews_the_session_and_signing_out_ends_it(client, make_user):
    user = make_user()
    csrf_token(client, "/login")
    before = client.get_cookie("aula").value
    login(client, user)
    after = client.get_cookie("aula").value
    assert after != before
    assert client.get("/account/profile").status_code == 200

    # Replaying the signed-in cookie after signing out must not work: the session is gone
    # on the server, not only in this browser.
    post_form(client, "/logout", {}, form_page="/")
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 0
    client.set_cookie("aula", after)
    response = client.get("/account/profile")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_changing_the_password_signs_out_other_sessions(app, client, make_user):
    user = make_user()
    phone = app.test_client()
    login(phone, user)
    login(client, user)
    new = "una frase nueva para el taller"
    response = post_form(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": new, "confirm_password": new},
    )
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert phone.get("/account/profile").status_code == 302


def test_a_hash_with_old_parameters_is_rehashed_at_login(client, make_user):
    user = make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(TEST_PASSWORD)
    user.password_hash = weak
    db.session.commit()
    login(client, user)
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert stored != weak
    assert stored.startswith("$argon2id$") and "m=8192" not in stored


def test_login_is_rate_limited_per_account_and_address(client, make_user):
    user = make_user()
    answers = [
        post_form(client, "/login", {"email": user.email, "password": f"wrong-{i}"}).status_code
        for i in range(6)
    ]
    assert answers[:5] == [200] * 5
    assert answers[5] == 429
    # Another account from the same address is not yet limited (see
    # tests/accounts/test_lockout_and_enumeration.py for the owner at another address).
    other = post_form(client, "/login", {"email": "else@example.org", "password": "wrong-x"})
    assert other.status_code == 200


def test_login_is_rate_limited_per_address(client):
    answers = [
        post_form(
            client, "/login", {"email": f"p{i}@example.org", "password": "wrong-pw"}
        ).status_code
        for i in range(11)
    ]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429


def test_successful_logins_do_not_use_up_the_limit(client, make_user):
    user = make_user()
    for _ in range(7):
        login(client, user)
        post_form(client, "/logout", {}, form_page="/")
