"""The security log: what it records, who reads which lines, how long it keeps them."""

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role, SecurityEvent, SecurityEventKind
from app.core.db import utcnow
from app.extensions import db
from tests.conftest import TEST_PASSWORD, link_in, login, outbox, post_form

K = SecurityEventKind
NEW = "una frase nueva para el taller"


def events():
    db.session.expire_all()
    return db.session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)).all()


def kinds_of(user):
    return [e.kind for e in events() if e.user_id == user.id]


def test_sign_ins_failures_and_sign_outs_are_recorded_with_the_address(app, make_user):
    user = make_user()
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    post_form(client, "/login", {"email": user.email, "password": "not it"})
    post_form(client, "/login", {"email": "nobody@example.org", "password": "not it"})
    login(client, user)
    post_form(client, "/logout", {}, form_page="/")
    recorded = [(e.kind, e.user_id, e.address) for e in events()]
    assert recorded == [
        (K.SIGN_IN_FAILED, user.id, "203.0.113.7"),
        (K.SIGN_IN_FAILED, None, "203.0.113.7"),  # no account, and no email kept
        (K.SIGNED_IN, user.id, "203.0.113.7"),
        (K.SIGNED_OUT, user.id, "203.0.113.7"),
    ]
    assert all("nobody" not in (e.detail or "") for e in events())


def test_password_changes_and_resets_are_recorded(client, make_user):
    user = make_user()
    login(client, user)
    post_form(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": NEW, "confirm_password": NEW},
    )
    post_form(client, "/logout", {}, form_page="/")
    post_form(client, "/forgot-password", {"email": user.email})
    link = link_in(outbox(user.email)[-1], "/reset-password/")
    other = "tercera frase para el taller"
    post_form(client, link, {"password": other, "confirm_password": other})
    assert kinds_of(user) == [
        K.SIGNED_IN,
        K.PASSWORD_CHANGED,
        K.SIGNED_OUT,
        K.PASSWORD_RESET,
    ]


def test_role_changes_name_the_administrator(client, make_user):
    person = make_user()
    admin = make_user(role=Role.ADMIN)
    login(client, admin)
    post_form(client, f"/admin/people/{person.id}", {"tutor": "y"})
    (change,) = [e for e in events() if e.kind == K.ROLES_CHANGED]
    assert (change.user_id, change.actor_id, change.detail) == (person.id, admin.id, "tutor")
    # Saving the same roles again records nothing.
    post_form(client, f"/admin/people/{person.id}", {"tutor": "y"})
    assert len([e for e in events() if e.kind == K.ROLES_CHANGED]) == 1


def test_each_person_reads_their_own_lines_only(app, make_user):
    alice, bob = make_user(), make_user()
    alices = app.test_client()
    alices.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    bobs = app.test_client()
    bobs.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    login(alices, alice)
    login(bobs, bob)
    page = alices.get("/account/security").get_data(as_text=True)
    assert "192.0.2.10" in page and "198.51.100.20" not in page


def test_administrators_read_everyones_lines(app, client, make_user):
    person = make_user()
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.66"
    post_form(stranger, "/login", {"email": person.email, "password": "guess"})
    login(client, make_user(role=Role.ADMIN))
    page = client.get("/admin/security-log").get_data(as_text=True)
    assert person.email in page and "203.0.113.66" in page
    only_failures = client.get("/admin/security-log?kind=sign_in_failed").get_data(as_text=True)
    assert "203.0.113.66" in only_failures
    signed_ins = client.get("/admin/security-log?kind=signed_in").get_data(as_text=True)
    assert "203.0.113.66" not in signed_ins
    assert client.get("/admin/security-log?kind=<script>&page=9999").status_code in (200, 404)
    person_page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert "203.0.113.66" in person_page


def test_the_admin_log_runs_the_same_queries_for_few_and_many(app, client, make_user):
    from tests.learning.helpers import counting_queries

    login(client, make_user(role=Role.ADMIN))

    def count():
        with counting_queries() as statements:
            assert client.get("/admin/security-log").status_code == 200
        return len(statements)

    few = count()
    for n in range(30):
        login(app.test_client(), make_user(email=f"many{n}@example.org"))
    assert count() == few


def test_clean_up_keeps_the_configured_period(app, make_user):
    user = make_user()
    now = utcnow()
    for days in (400, 200, 1):
        db.session.add(
            SecurityEvent(kind=K.SIGNED_IN, user_id=user.id, created_at=now - timedelta(days=days))
        )
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "clean-up"]).exit_code == 0  # 365 days by default
    assert len(events()) == 2
    result = runner.invoke(args=["users", "clean-up", "--days", "30"])
    assert result.exit_code == 0 and "1 old line" in result.output
    assert len(events()) == 1
    assert runner.invoke(args=["users", "clean-up", "--days", "0"]).exit_code != 0


def test_ending_sessions_from_the_command_line_is_recorded(app, client, make_user):
    user = make_user()
    login(client, user)
    result = app.test_cli_runner().invoke(args=["users", "end-sessions", user.email])
    assert result.exit_code == 0 and "1 session" in result.output
    assert client.get("/account/profile").status_code == 302
    assert kinds_of(user)[-1] == K.SESSIONS_ENDED
    assert app.test_cli_runner().invoke(args=["users", "end-sessions", "x@y.z"]).exit_code != 0


def test_a_persons_pages_run_the_same_queries_for_few_and_many_lines(app, client, make_user):
    from tests.learning.helpers import counting_queries

    person = make_user()
    login(client, person)
    admin_client = app.test_client()
    admins = [make_user(role=Role.ADMIN) for _ in range(5)]
    login(admin_client, admins[0])

    def count():
        counts = []
        for who, url in (
            (client, "/account/security"),
            (admin_client, f"/admin/people/{person.id}"),
        ):
            with counting_queries() as statements:
                assert who.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    few = count()
    for n in range(4):
        post_form(admin_client, f"/admin/people/{person.id}", {"tutor": "y" if n % 2 else ""})
    for admin in admins:  # lines by several administrators
        db.session.add(SecurityEvent(kind=K.ROLES_CHANGED, user_id=person.id, actor_id=admin.id))
    db.session.commit()
    assert count() == few


def test_a_wrong_password_confirming_a_change_is_recorded(client, make_user):
    user = make_user()
    login(client, user)
    post_form(
        client,
        "/account/password",
        {"current_password": "a guess", "password": NEW, "confirm_password": NEW},
    )
    post_form(client, "/account/two-factor/app/remove", {"password": "a guess"}, form_page="/")
    assert kinds_of(user) == [K.SIGNED_IN, K.REAUTH_FAILED, K.REAUTH_FAILED]


def test_changes_to_how_one_signs_in_are_mailed_to_the_person(app, client, make_user):
    user = make_user(locale="en")
    client.environ_base["REMOTE_ADDR"] = "203.0.113.44"
    login(client, user)
    post_form(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "password": NEW, "confirm_password": NEW},
    )
    admin_client = app.test_client()
    login(admin_client, make_user(role=Role.ADMIN))
    post_form(admin_client, f"/admin/people/{user.id}/reset-factors", {}, form_page="/")
    notices = [m for m in outbox(user.email) if "how you sign in" in m.subject]
    assert len(notices) == 2
    assert "Password changed" in notices[0].body and "203.0.113.44" in notices[0].body
    assert "/forgot-password" in notices[0].body
    assert "reset by an administrator" in notices[1].body
    # A wrong guess, a sign-in or a role change sends nothing.
    post_form(admin_client, f"/admin/people/{user.id}", {"tutor": "y"})
    assert len([m for m in outbox(user.email) if "how you sign in" in m.subject]) == 2


def test_an_invited_persons_first_password_sends_no_notice(client, make_user):
    from app.accounts import services

    user = services.invite_user(
        "invited@example.org", "Invited Person", country_code="UY", locale="en",
        institution_other="VTI",
    )  # fmt: skip
    services.accept_invitation(user, "una frase para el primer día")
    db.session.commit()
    assert [m for m in outbox(user.email) if "how you sign in" in m.subject] == []
