"""Second factors: an authenticator app with recovery codes, required for staff; codes never
accepted twice; administrators reset a lost factor."""

import re
import time

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import factors
from app.accounts.models import RecoveryCode, Role, SecurityEvent, SecurityEventKind, TotpFactor
from app.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token, login, post_form

SECRET_RE = re.compile(r"<code>([A-Z2-7]{32})</code>")
CODE_RE = re.compile(r"<code>([A-Z2-7]{5}-[A-Z2-7]{5})</code>")


def set_up_app(client):
    """Set up an authenticator app through the pages; (secret, recovery codes)."""
    page = client.get("/account/two-factor/app").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code
    secret = SECRET_RE.search(page).group(1)
    response = post_form(client, "/account/two-factor/app", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = CODE_RE.findall(response.get_data(as_text=True))
    assert len(codes) == factors.RECOVERY_CODES
    return secret, codes


def password_step(client, user):
    response = post_form(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/second-factor"
    return response


def second_step(client, code):
    return post_form(client, "/login/second-factor", {"code": code})


def signed_in(client):
    return client.get("/account/profile").status_code == 200


def spend_current_step(secret):
    """A code of a step the server has not seen yet: the next one (within the drift)."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + totp.interval)


@pytest.fixture
def with_app(app, client, make_user):
    user = make_user()
    login(client, user)
    secret, codes = set_up_app(client)
    post_form(client, "/logout", {}, form_page="/")
    return user, secret, codes


def test_with_an_app_signing_in_asks_for_its_code(app, client, with_app):
    user, secret, _codes = with_app
    password_step(client, user)
    assert not signed_in(client)  # the password alone is not enough
    response = second_step(client, spend_current_step(secret))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(client)
    signed = db.session.scalars(
        select(SecurityEvent.detail).where(SecurityEvent.kind == SecurityEventKind.SIGNED_IN)
    ).all()
    assert signed[-1] == "password + app code"


def test_a_code_is_never_accepted_twice(app, client, with_app):
    user, secret, _codes = with_app
    code = spend_current_step(secret)
    password_step(client, user)
    assert second_step(client, code).status_code == 302
    post_form(client, "/logout", {}, form_page="/")

    replayer = app.test_client()
    password_step(replayer, user)
    response = second_step(replayer, code)  # the same code, within its window
    assert response.status_code == 200
    assert not signed_in(replayer)
    # Nor an earlier step's code.
    earlier = pyotp.TOTP(secret).at(time.time() - 30)
    assert second_step(replayer, earlier).status_code == 200
    assert not signed_in(replayer)
    failures = db.session.scalars(
        select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.SECOND_FACTOR_FAILED)
    ).all()
    assert len(failures) == 2


def test_a_recovery_code_works_once(app, client, with_app):
    user, _secret, codes = with_app
    password_step(client, user)
    assert second_step(client, codes[0].lower().replace("-", " ")).status_code == 302
    post_form(client, "/logout", {}, form_page="/")
    password_step(client, user)
    assert second_step(client, codes[0]).status_code == 200
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert all(code not in stored and code.replace("-", "") not in stored for code in codes)


@pytest.mark.parametrize(
    "code", ["", "123", "0" * 6, "abcdef", "1" * 21, "' OR 1=1 --", "１２３４５６", "\x00" * 6]
)
def test_bad_codes_are_refused(app, client, with_app, code):
    user, _secret, _codes = with_app
    password_step(client, user)
    response = second_step(client, code)
    assert response.status_code == 200
    assert not signed_in(client)


def test_the_second_step_expires(app, client, with_app, monkeypatch):
    user, secret, _codes = with_app
    password_step(client, user)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 6 * 60)
    code = pyotp.TOTP(secret).at(real() + 6 * 60)
    response = post_form(client, "/login/second-factor", {"code": code}, form_page="/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert not signed_in(client)


def test_second_step_guesses_are_rate_limited(app, client, with_app):
    user, secret, _codes = with_app
    password_step(client, user)
    answers = [second_step(client, f"{n:06d}").status_code for n in range(6)]
    assert answers[:5] == [200] * 5 and answers[5] == 429


def test_a_wrong_setup_code_keeps_nothing(client, make_user):
    user = make_user()
    login(client, user)
    client.get("/account/two-factor/app")
    response = post_form(client, "/account/two-factor/app", {"code": "000000"})
    assert response.status_code == 200
    assert db.session.get(TotpFactor, user.id) is None
    db.session.expire_all()
    assert not db.session.get(type(user), user.id).second_factor


def test_removing_the_app_needs_the_password(client, make_user):
    user = make_user()
    login(client, user)
    set_up_app(client)
    post_form(client, "/account/two-factor/app/remove", {"password": "wrong"}, form_page="/")
    assert db.session.get(TotpFactor, user.id) is not None
    post_form(client, "/account/two-factor/app/remove", {"password": TEST_PASSWORD}, form_page="/")
    db.session.expire_all()
    assert db.session.get(TotpFactor, user.id) is None
    assert not db.session.get(type(user), user.id).second_factor
    assert db.session.scalars(select(RecoveryCode)).all() == []


def test_new_recovery_codes_replace_the_old_ones(client, with_app):
    user, secret, codes = with_app
    password_step(client, user)
    second_step(client, spend_current_step(secret))
    response = post_form(
        client, "/account/two-factor/recovery-codes", {"password": TEST_PASSWORD}, form_page="/"
    )
    fresh = CODE_RE.findall(response.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    post_form(client, "/logout", {}, form_page="/")
    password_step(client, user)
    assert second_step(client, codes[1]).status_code == 200
    assert second_step(client, fresh[0]).status_code == 302


@pytest.mark.parametrize("role", [Role.TUTOR, Role.ADMIN])
def test_staff_must_set_up_a_second_factor_first(app, client, make_user, role):
    app.config["STAFF_SECOND_FACTOR_REQUIRED"] = True
    try:
        user = make_user(role=role)
        login(client, user)
        for page in ("/dashboard", "/account/profile", "/admin/people", "/"):
            response = client.get(page)
            assert response.status_code == 302, page
            assert response.headers["Location"] == "/account/two-factor"
        assert client.get("/account/two-factor").status_code == 200
        set_up_app(client)
        assert client.get("/account/profile").status_code == 200
    finally:
        app.config["STAFF_SECOND_FACTOR_REQUIRED"] = False


def test_learners_are_offered_a_second_factor_not_made_to(app, client, make_user):
    app.config["STAFF_SECOND_FACTOR_REQUIRED"] = True
    try:
        login(client, make_user())
        assert client.get("/account/profile").status_code == 200
        assert "/account/two-factor" in client.get("/account/profile").get_data(as_text=True)
    finally:
        app.config["STAFF_SECOND_FACTOR_REQUIRED"] = False


def test_an_administrator_resets_a_lost_factor_and_it_is_audited(app, client, with_app, make_user):
    person, _secret, _codes = with_app
    phone = app.test_client()
    admin = make_user(role=Role.ADMIN)
    login(client, admin)
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert f"/admin/people/{person.id}/reset-factors" in page
    response = post_form(client, f"/admin/people/{person.id}/reset-factors", {}, form_page="/")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TotpFactor, person.id) is None
    # The person signs in with the password alone now.
    login(phone, person)
    assert signed_in(phone)
    event = db.session.scalar(
        select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.FACTORS_RESET)
    )
    assert (event.user_id, event.actor_id) == (person.id, admin.id)


def test_the_setup_secret_is_never_in_the_database_before_it_works(client, make_user):
    user = make_user()
    login(client, user)
    page = client.get("/account/two-factor/app").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1)
    assert secret not in repr(db.session.scalars(select(TotpFactor)).all())
    csrf_token(client, "/")
    # The same secret stays while the person types (a reload does not change the QR code).
    again = client.get("/account/two-factor/app").get_data(as_text=True)
    assert SECRET_RE.search(again).group(1) == secret


def test_the_last_administrator_recovers_from_the_command_line(app, client, with_app):
    person, _secret, _codes = with_app
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reset-factors", person.email])
    assert result.exit_code == 0, result.output
    login(client, person)  # the password alone now
    event = db.session.scalar(
        select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.FACTORS_RESET)
    )
    assert (event.actor_id, event.detail) == (None, "command line")
    assert runner.invoke(args=["users", "reset-factors", "nobody@x.org"]).exit_code != 0


def race(app, check, threads=10):
    """`threads` threads, each in its own app context and session, call check() together;
    how many were accepted."""
    import threading

    barrier = threading.Barrier(threads, timeout=60)
    accepted, errors, lock = [], [], threading.Lock()

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                ok = check()
                db.session.commit()
                with lock:
                    accepted.append(ok)
            except Exception as error:  # collected and asserted on below
                db.session.rollback()
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    assert not errors, errors
    return accepted.count(True)


def test_one_code_sent_by_many_requests_at_once_is_accepted_once(app, with_app):
    user, secret, codes = with_app
    code = spend_current_step(secret)

    def check_code():
        from app.accounts.models import User

        return factors.check_totp(db.session.get(User, user.id), code)

    assert race(app, check_code) == 1

    def check_recovery():
        from app.accounts.models import User

        return factors.use_recovery_code(db.session.get(User, user.id), codes[3])

    assert race(app, check_recovery) == 1
