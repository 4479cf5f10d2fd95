"""The layout's header, written once per kind of reader and kept (app/core/site_header.py):
each reader still sees their own links, language, token and the page they are on."""

import re
from html import unescape
from urllib.parse import unquote

from app.accounts.models import Role
from app.extensions import db
from tests.conftest import login

HEADER_RE = re.compile(r"<header .*?</header>", re.S)
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def header(client, path="/courses", **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, path
    return HEADER_RE.search(response.get_data(as_text=True)).group(0)


def links(html: str) -> set[str]:
    return set(re.findall(r'(?:href|action)="([^"]+)"', html))


VISITOR = {"/", "/courses", "/observatory/", "/login", "/register", "/language"}
SIGNED_IN = {"/", "/courses", "/observatory/", "/dashboard", "/networks", "/notifications",
             "/account/profile", "/logout", "/language"}  # fmt: skip
TUTOR = {"/tutor/cohorts", "/tutor/capstones"}
ADMIN = {"/admin/"}


def signed_in_client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_each_kind_of_reader_gets_its_own_links_and_language(app, make_user):
    """Readers of every kind in turn, on one app: a kept header of one kind never reaches
    another (each would see the links of whoever came first if the kind were not part of
    the key)."""
    learner = signed_in_client(app, make_user(Role.LEARNER, locale="es"))
    admin = signed_in_client(app, make_user(Role.ADMIN, locale="es"))
    tutor = signed_in_client(app, make_user(Role.TUTOR, locale="pt"))

    visitor_header = header(app.test_client())
    assert links(visitor_header) == VISITOR
    assert "Iniciar sesión" in visitor_header
    learner_header = header(learner)
    assert links(learner_header) == SIGNED_IN
    assert "Mis cursos" in learner_header and "Administración" not in learner_header
    assert links(header(admin)) == SIGNED_IN | ADMIN
    tutor_header = header(tutor)
    assert links(tutor_header) == SIGNED_IN | TUTOR
    assert "Projetos para avaliar" in tutor_header and "Meus cursos" in tutor_header
    assert 'value="pt" lang="pt" aria-describedby="language-label"\n      aria-current="true"' in (
        tutor_header
    )
    # Back to the first kinds: their own headers still.
    assert links(header(learner)) == SIGNED_IN
    assert links(header(app.test_client())) == VISITOR


def test_a_role_given_or_taken_shows_on_the_next_page(app, make_user):
    user = make_user(Role.LEARNER)
    client = signed_in_client(app, user)
    assert links(header(client)) == SIGNED_IN
    user.is_tutor = True
    db.session.commit()
    assert links(header(client)) == SIGNED_IN | TUTOR
    user.is_tutor, user.is_admin = False, True
    db.session.commit()
    assert links(header(client)) == SIGNED_IN | ADMIN


def test_switching_language_comes_back_to_the_page_it_was_on_hostile_query_and_all(app):
    client = app.test_client()
    path = '/courses?q=<script>alert(1)</script>&x="y"'
    html = header(client, path)
    assert "<script>" not in html
    value = re.search(r'name="next" value="([^"]*)"', html).group(1)
    assert unescape(value) == path  # escaped in the page, the very path once read
    token = TOKEN_RE.search(html).group(1)
    response = client.post(
        "/language", data={"csrf_token": token, "locale": "en", "next": unescape(value)}
    )
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == path
    assert "Sign in" in header(client)
    # Another page's header names that page.
    assert 'name="next" value="/observatory/?"' in header(client, "/observatory/")


def test_each_reader_gets_the_token_of_their_own_session(app, make_user):
    """The kept header holds no token: two visitors (whose pages come from the page cache) and
    a signed-in reader each get their own, and only their own is accepted."""
    first, second = app.test_client(), app.test_client()
    first_token = TOKEN_RE.search(header(first)).group(1)
    second_token = TOKEN_RE.search(header(second)).group(1)
    assert first_token != second_token
    assert (
        first.post("/language", data={"csrf_token": second_token, "locale": "en"}).status_code
        == 400
    )
    assert (
        first.post("/language", data={"csrf_token": first_token, "locale": "en"}).status_code == 302
    )

    user = make_user(Role.LEARNER)
    reader = signed_in_client(app, user)
    html = header(reader)
    tokens = TOKEN_RE.findall(html)  # the sign-out and language forms
    assert len(tokens) == 2 and tokens[0] not in (first_token, second_token)
    assert reader.post("/logout", data={"csrf_token": tokens[0]}).status_code == 302
    assert links(header(reader)) == VISITOR
