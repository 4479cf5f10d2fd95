"""Sessions people control: listed with device, network and last use, signed out one by one
or all others, by an administrator everywhere, and ended by idle and absolute timeouts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import sessions
from app.accounts.models import Role, SecurityEvent, SecurityEventKind, UserSession
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import csrf_token, login, post_form

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def device(app, address, agent):
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    return client


def signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def session_rows(user):
    db.session.expire_all()
    return db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()


def test_the_sessions_page_lists_each_device_and_signs_one_out(app, make_user):
    user = make_user()
    laptop = device(app, "203.0.113.45", FIREFOX_WINDOWS)
    phone = device(app, "2001:db8:1234:5678::9", CHROME_ANDROID)
    login(laptop, user)
    login(phone, user)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Firefox / Windows" in page and "Chrome / Android" in page
    assert "203.0.113.0/24" in page and "2001:db8:1234::/48" in page
    assert "203.0.113.45" not in page  # a network, not the exact address

    phone_id = next(s.public_id for s in session_rows(user) if s.address.startswith("2001"))
    response = post_form(laptop, f"/account/sessions/{phone_id}/end", {}, form_page="/")
    assert response.status_code == 302
    assert not signed_in(phone)
    assert signed_in(laptop)
    assert len(session_rows(user)) == 1


def test_signing_out_all_other_sessions_keeps_this_one(app, make_user):
    user = make_user()
    clients = [device(app, f"198.51.100.{n}", FIREFOX_WINDOWS) for n in range(3)]
    for client in clients:
        login(client, user)
    post_form(clients[0], "/account/sessions/end-others", {}, form_page="/")
    assert [signed_in(c) for c in clients] == [True, False, False]


def test_nobody_signs_out_another_persons_session(app, make_user):
    owner, other = make_user(), make_user()
    owners_phone, intruder = device(app, "192.0.2.1", CHROME_ANDROID), app.test_client()
    login(owners_phone, owner)
    login(intruder, other)
    (owners_session,) = session_rows(owner)
    response = post_form(
        intruder, f"/account/sessions/{owners_session.public_id}/end", {}, form_page="/"
    )
    assert response.status_code == 302  # the same answer as for one already gone
    assert signed_in(owners_phone)


def test_signing_out_this_session_from_the_list_signs_out(app, client, make_user):
    user = make_user()
    login(client, user)
    (mine,) = session_rows(user)
    post_form(client, f"/account/sessions/{mine.public_id}/end", {}, form_page="/")
    assert not signed_in(client)


def test_an_administrator_signs_a_person_out_everywhere(app, client, make_user):
    person = make_user()
    devices = [device(app, f"198.51.100.{n}", CHROME_ANDROID) for n in range(2)]
    for d in devices:
        login(d, person)
    admin = make_user(role=Role.ADMIN)
    login(client, admin)
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert page.count("Chrome / Android") == 2
    url = f"/admin/people/{person.id}/end-sessions"
    token = csrf_token(client, f"/admin/people/{person.id}")
    refused = client.post(url, data={"sessions-csrf_token": token, "sessions-reason": ""})
    assert refused.status_code == 200 and all(signed_in(d) for d in devices)  # no reason given
    response = client.post(
        url, data={"sessions-csrf_token": token, "sessions-reason": "Lost phone, reported by call"}
    )
    assert response.status_code == 302
    assert not any(signed_in(d) for d in devices)
    assert signed_in(client)  # the administrator's own session is untouched
    event = db.session.scalar(
        select(SecurityEvent).where(SecurityEvent.kind == SecurityEventKind.SESSIONS_ENDED)
    )
    assert (event.user_id, event.actor_id, event.detail) == (person.id, admin.id, "2")


def age(user, *, idle=None, since_sign_in=None):
    """Move the user's sessions back in time: last used `idle` ago, opened `since_sign_in` ago."""
    now = utcnow()
    for row in session_rows(user):
        if idle is not None:
            row.last_seen_at = now - idle
        if since_sign_in is not None:
            row.created_at = now - since_sign_in
    db.session.commit()


def test_a_session_unused_for_13_days_is_signed_out(client, make_user):
    user = make_user()
    login(client, user)
    age(user, idle=timedelta(days=13), since_sign_in=timedelta(days=13))
    assert not signed_in(client)


@pytest.mark.parametrize(
    "role, idle, signed_in_still",
    [
        (Role.LEARNER, timedelta(hours=3), True),
        (Role.LEARNER, timedelta(days=4), False),
        (Role.TUTOR, timedelta(hours=3), False),
        (Role.ADMIN, timedelta(hours=3), False),
        (Role.ADMIN, timedelta(minutes=90), True),
    ],
)
def test_idle_sessions_end_sooner_for_staff(client, make_user, role, idle, signed_in_still):
    user = make_user(role=role)
    login(client, user)
    age(user, idle=idle)
    assert signed_in(client) is signed_in_still


@pytest.mark.parametrize(
    "role, since, signed_in_still",
    [
        (Role.LEARNER, timedelta(days=13), True),
        (Role.LEARNER, timedelta(days=15), False),
        (Role.ADMIN, timedelta(hours=11), True),
        (Role.ADMIN, timedelta(hours=13), False),
    ],
)
def test_sessions_have_an_absolute_lifetime_however_busy(
    client, make_user, role, since, signed_in_still
):
    user = make_user(role=role)
    login(client, user)
    age(user, idle=timedelta(seconds=5), since_sign_in=since)
    assert signed_in(client) is signed_in_still


def test_a_learner_made_administrator_gets_the_staff_limits_at_once(client, make_user):
    user = make_user()
    login(client, user)
    age(user, since_sign_in=timedelta(days=1), idle=timedelta(seconds=5))
    assert signed_in(client)
    user.is_admin = True
    db.session.commit()
    assert not signed_in(client)


def test_the_timeouts_are_settings(app, client, make_user):
    user = make_user()
    login(client, user)
    age(user, idle=timedelta(minutes=20))
    saved = app.config["SESSION_IDLE_TIMEOUT"]
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(minutes=15)
    try:
        assert not signed_in(client)
    finally:
        app.config["SESSION_IDLE_TIMEOUT"] = saved


def test_last_seen_is_written_at_most_once_a_minute(client, make_user):
    user = make_user()
    login(client, user)
    (before,) = session_rows(user)
    first_seen = before.last_seen_at
    client.get("/account/profile")
    (after,) = session_rows(user)
    assert after.last_seen_at == first_seen  # used again within the minute: no write
    age(user, idle=timedelta(minutes=2))
    client.get("/account/profile")
    (later,) = session_rows(user)
    assert utcnow() - later.last_seen_at < timedelta(seconds=30)


def test_a_signed_in_page_loads_user_and_session_in_one_statement(app, client, make_user):
    from tests.learning.helpers import counting_queries

    login(client, make_user())
    with counting_queries() as statements:
        client.get("/account/password")
    # The user with their session in one statement; the header's unread count is the other.
    assert len(statements) == 2, statements
    assert "FROM user_session JOIN user_account" in statements[0]
    assert "FROM notification" in statements[1] and "user_session" not in statements[1]


def test_clean_up_removes_ended_sessions(app, client, make_user):
    user = make_user()
    login(client, user)
    login(app.test_client(), make_user())
    age(user, idle=timedelta(days=30))
    result = app.test_cli_runner().invoke(args=["users", "clean-up"])
    assert result.exit_code == 0, result.output
    assert session_rows(user) == []
    assert db.session.scalar(select(db.func.count()).select_from(UserSession)) == 1


def test_device_labels_and_networks():
    assert sessions.device_label(FIREFOX_WINDOWS) == "Firefox / Windows"
    assert sessions.device_label("") == sessions.device_label(None) == ""
    assert sessions.device_label("<script>x</script>") == ""
    assert sessions.approximate_network("10.1.2.3") == "10.1.2.0/24"
    assert sessions.approximate_network("not an address") == ""
    assert sessions.approximate_network(None) == ""


def test_the_sessions_page_runs_the_same_queries_for_few_and_many(app, client, make_user):
    from tests.learning.helpers import counting_queries

    user = make_user()
    login(client, user)

    def count():
        with counting_queries() as statements:
            assert client.get("/account/sessions").status_code == 200
        return len(statements)

    few = count()
    for n in range(10):
        login(device(app, f"198.51.100.{n}", CHROME_ANDROID), user)
    assert count() == few


def test_the_cookie_is_sent_again_only_when_what_it_holds_changes(app, client, make_user):
    """The session's row keeps the limits, so an answer that changes nothing in the cookie
    does not sign it again; the cookie set at sign-in lives as long as the session may."""
    user = make_user()
    login(client, user)
    client.get("/dashboard")  # the first page with a form token puts it in the cookie
    for path in ("/dashboard", "/courses", "/account/security"):
        assert client.get(path).headers.getlist("Set-Cookie") == [], path
    language = post_form(client, "/language", {"locale": "pt", "next": "/dashboard"})
    (cookie,) = [c for c in language.headers.getlist("Set-Cookie") if c.startswith("aula=")]
    assert "Expires=" in cookie  # still the signed-in (permanent) cookie
    assert app.config["PERMANENT_SESSION_LIFETIME"] == app.config["SESSION_LIFETIME"]
