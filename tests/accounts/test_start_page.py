"""After signing in, staff land on their own start page unless a `next` page was asked for:
administrators on the administration, tutors on the projects to review, learners at home."""

import pytest

from app.accounts.models import Role
from app.extensions import db
from tests.conftest import TEST_PASSWORD, post_form


def sign_in(client, user, next_url=None):
    data = {"email": user.email, "password": TEST_PASSWORD}
    if next_url is not None:
        data["next"] = next_url
    response = post_form(client, "/login", data)
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.parametrize(
    ("roles", "start"),
    [
        ((), "/"),
        ((Role.TUTOR,), "/tutor/capstones"),
        ((Role.ADMIN,), "/admin/"),
        ((Role.TUTOR, Role.ADMIN), "/admin/"),  # the administration links to everything
    ],
    ids=["learner", "tutor", "admin", "tutor-and-admin"],
)
def test_each_person_lands_on_their_start_page(client, make_user, roles, start):
    user = make_user()
    user.is_tutor = Role.TUTOR in roles
    user.is_admin = Role.ADMIN in roles
    db.session.commit()
    assert sign_in(client, user) == start
    assert client.get(start).status_code == 200


@pytest.mark.parametrize("role", [Role.TUTOR, Role.ADMIN])
def test_a_next_page_wins_over_the_start_page(client, make_user, role):
    user = make_user(role=role)
    assert sign_in(client, user, "/catalog?x=1") == "/catalog?x=1"


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example", "/\\evil", ""])
def test_a_hostile_next_falls_back_to_the_start_page(client, make_user, hostile):
    user = make_user(role=Role.ADMIN)
    assert sign_in(client, user, hostile) == "/admin/"
