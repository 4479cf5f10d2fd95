"""No lock-out by strangers, no telling who has an account, a limit on password changes."""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.accounts import passwords
from app.accounts.models import Role
from app.core import jobs
from app.extensions import db
from tests.conftest import CSRF_RE, TEST_PASSWORD, count_users, login, outbox, post_form

STRANGER, OWNER = "203.0.113.9", "198.51.100.7"


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ADMIN])
def test_a_strangers_failures_never_stop_the_owner_signing_in_from_elsewhere(app, make_user, role):
    owner = make_user(role=role)
    stranger = from_address(app, STRANGER)
    answers = [
        post_form(stranger, "/login", {"email": owner.email, "password": f"guess {i}"}).status_code
        for i in range(20)
    ]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}  # the stranger slows down
    login(from_address(app, OWNER), owner)


def test_the_pair_limit_holds_however_the_email_is_written(app, make_user):
    owner = make_user()
    stranger = from_address(app, STRANGER)
    for i in range(5):
        spelled = owner.email.upper() if i % 2 else f"  {owner.email} "
        post_form(stranger, "/login", {"email": spelled, "password": f"guess {i}"})
    response = post_form(stranger, "/login", {"email": owner.email, "password": TEST_PASSWORD})
    assert response.status_code == 429


def test_one_address_guessing_many_accounts_is_slowed_down(app, make_user):
    stranger = from_address(app, STRANGER)
    answers = [
        post_form(
            stranger, "/login", {"email": f"p{i}@example.org", "password": "guess"}
        ).status_code
        for i in range(11)
    ]
    assert answers[10] == 429
    # Someone else signs in meanwhile.
    login(from_address(app, OWNER), make_user())


def hashes_made(monkeypatch) -> list:
    """Count the real password hashes made from now on (the real function still runs)."""
    made = []
    real = passwords.hash_password

    def counting(password):
        made.append(1)
        return real(password)

    monkeypatch.setattr(passwords, "hash_password", counting)
    return made


def registration(email, institution_id):
    return {
        "email": email,
        "full_name": "Ana Pereira",
        "country": "UY",
        "institution": str(institution_id),
        "represents": "vti",
        "locale": "es",
        "password": "lapiz naranja montaña 7",
        "confirm_password": "lapiz naranja montaña 7",
        "privacy_consent": "y",
    }


def test_registering_a_known_email_does_the_same_work_as_a_new_one(
    client, make_user, institutions, monkeypatch
):
    owner = make_user()
    made = hashes_made(monkeypatch)
    known = post_form(client, "/register", registration(owner.email, institutions[0].id))
    assert len(made) == 1  # hashed although nothing is created
    new = post_form(client, "/register", registration("new@example.org", institutions[0].id))
    assert len(made) == 2
    assert known.status_code == new.status_code == 302
    assert known.headers["Location"] == new.headers["Location"]
    assert count_users() == 2
    assert len(outbox(owner.email)) == len(outbox("new@example.org")) == 1


@contextmanager
def statements_of_this_thread():
    """The SQL statements this thread sends meanwhile (a background pool's are left out)."""
    seen, me = [], threading.get_ident()

    def record(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == me:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_asking_for_a_reset_does_the_same_work_for_known_and_unknown_addresses(
    app, client, make_user, backend
):
    owner = make_user()
    backend("pool")  # the request's own work apart from the mail task's, as in production
    work = {}
    for email in (owner.email, "nobody@example.org"):
        page = client.get("/forgot-password")
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)
        with statements_of_this_thread() as seen:
            response = client.post("/forgot-password", data={"email": email, "csrf_token": token})
        assert response.status_code == 302
        assert jobs.wait_for_pool(app, timeout=30)
        work[email] = seen
    assert work[owner.email] == work["nobody@example.org"]
    # The task mails the owner only.
    assert len(outbox(owner.email)) == 1
    assert outbox("nobody@example.org") == []


def test_signing_in_to_an_unknown_email_checks_a_hash_made_like_the_real_ones(client, make_user):
    owner = make_user()
    assert not passwords.needs_rehash(passwords.dummy_hash())
    assert passwords.dummy_hash().split("$")[3] == owner.password_hash.split("$")[3]


def change(client, current):
    new = "una frase nueva para el taller"
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "password": new, "confirm_password": new},
    )


def test_password_change_is_rate_limited_per_account(app, make_user):
    user = make_user()
    phone, laptop = from_address(app, STRANGER), from_address(app, OWNER)
    login(phone, user)
    login(laptop, user)
    answers = [change(phone if i % 2 else laptop, f"guess {i}").status_code for i in range(6)]
    assert answers[:5] == [200] * 5
    assert answers[5] == 429  # across both sessions and addresses
    # Another account on the same address is not limited.
    other = from_address(app, OWNER)
    login(other, make_user())
    assert change(other, "wrong again").status_code == 200


def test_password_change_is_rate_limited_per_address(app, make_user):
    shared = [from_address(app, STRANGER) for _ in range(3)]
    for client in shared:
        login(client, make_user())
    answers = [change(shared[i % 3], f"guess {i}").status_code for i in range(11)]
    assert answers[:10] == [200] * 10
    assert answers[10] == 429


def test_a_successful_password_change_uses_no_attempt(client, make_user):
    user = make_user()
    login(client, user)
    for _ in range(4):
        change(client, "wrong")
    assert change(client, TEST_PASSWORD).status_code == 302
