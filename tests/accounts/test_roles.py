"""Administrators grant and remove roles; nobody else can."""

from app.accounts.models import Role, User
from app.extensions import db
from tests.conftest import csrf_token, post_form


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_an_administrator_grants_the_tutor_role(client, login_as, make_user):
    login_as(Role.ADMIN)
    person = make_user(full_name="Rosa Tutora")
    response = post_form(client, f"/admin/people/{person.id}", {"tutor": "y"})
    assert response.status_code == 302
    assert reload(person).roles == {Role.LEARNER, Role.TUTOR}

    response = post_form(client, f"/admin/people/{person.id}", {})
    assert reload(person).roles == {Role.LEARNER}


def test_a_tutor_or_learner_cannot_grant_roles(client, login_as, make_user):
    person = make_user()
    for role in (Role.LEARNER, Role.TUTOR):
        me = login_as(role)
        token = csrf_token(client, "/")
        for target in (person, me):
            response = client.post(
                f"/admin/people/{target.id}", data={"csrf_token": token, "admin": "y"}
            )
            assert response.status_code == 403
            assert not reload(target).is_admin
        post_form(client, "/logout", {}, form_page="/")


def test_the_last_administrator_cannot_lose_the_role(client, login_as):
    me = login_as(Role.ADMIN)
    response = post_form(client, f"/admin/people/{me.id}", {"tutor": "y"})
    assert response.status_code == 200
    assert 'id="admin-error"' in response.get_data(as_text=True)
    assert reload(me).is_admin and not reload(me).is_tutor


def test_people_are_searched_and_paginated(client, login_as, make_user):
    login_as(Role.ADMIN, full_name="Zoe Admin", locale="en")
    for n in range(30):
        make_user(full_name=f"Learner {n:02d}", email=f"l{n}@example.org")
    make_user(full_name="Carla Buscada", email="carla@example.org")

    first = client.get("/admin/people").get_data(as_text=True)
    assert "32 people" in first
    assert 'rel="next"' in first and "Zoe Admin" not in first  # sorted by name, 25 a page
    second = client.get("/admin/people?page=2").get_data(as_text=True)
    assert "Zoe Admin" in second

    found = client.get("/admin/people?q=BUSCADA").get_data(as_text=True)
    assert "Carla Buscada" in found and "Learner 01" not in found
    admins = client.get("/admin/people?role=admin").get_data(as_text=True)
    assert "Zoe Admin" in admins and "Carla" not in admins


def test_the_people_page_runs_the_same_queries_for_few_and_many(app, client, login_as, make_user):
    from sqlalchemy import event

    login_as(Role.ADMIN)

    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/admin/people").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    few = count_queries()
    for n in range(40):
        make_user(email=f"bulk{n}@example.org")
    assert count_queries() == few
