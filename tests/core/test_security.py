"""CSRF, security headers and cookie flags."""

import pytest

from app import create_app
from app.accounts.models import Role
from tests.conftest import TEST_PASSWORD, count_users, csrf_token, login, post_form


def test_a_post_without_a_csrf_token_is_refused_with_400(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert client.get_cookie("aula") is None or "_user_id" not in client.get_cookie("aula").value


def test_a_post_with_a_forged_csrf_token_is_refused(client, institutions):
    csrf_token(client, "/register")
    response = client.post(
        "/register",
        data={"csrf_token": "forged.token.value", "email": "x@example.org", "full_name": "X"},
    )
    assert response.status_code == 400
    assert count_users() == 0


def test_a_csrf_token_from_another_session_is_refused(app, client, make_user):
    user = make_user()
    other = app.test_client()
    stolen = csrf_token(other, "/login")
    csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 400


def test_html_responses_carry_the_security_headers(client):
    response = client.get("/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # not in development or tests


def test_pages_have_no_inline_script_or_style_attribute(client, login_as):
    login_as(Role.ADMIN)
    for url in ["/", "/account/profile", "/admin/people", "/admin/institutions/new"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script" not in html, url
        assert " style=" not in html, url
        assert " onclick=" not in html, url


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    login(client, make_user())
    cookie = client.get_cookie("aula")
    assert cookie.http_only
    assert cookie.same_site == "Lax"


@pytest.fixture
def production_app(app, monkeypatch):
    monkeypatch.setenv("AULA_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-for-this-test-only")
    return create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_production_cookies_are_secure_and_hsts_is_sent(production_app, make_user):
    user = make_user()
    client = production_app.test_client()
    response = client.get("/login", base_url="https://aula.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    token = csrf_token_from(response)
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token},
        base_url="https://aula.example",
        headers={"Referer": "https://aula.example/login"},
    )
    assert response.status_code == 302
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("__Host-aula=")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def csrf_token_from(response):
    from tests.conftest import CSRF_RE

    return CSRF_RE.search(response.get_data(as_text=True)).group(1)


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    from app.config import ConfigError

    monkeypatch.setenv("AULA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_production_commands_run_without_a_secret_key_but_serve_nothing(app, monkeypatch, tmp_path):
    """`flask db upgrade` needs no secret; a request served without one fails loudly."""
    import click

    monkeypatch.setenv("AULA_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/production.db")
    with click.Context(click.Command("db")):
        production = create_app()
    assert production.config["SECRET_KEY"] is None
    response = production.test_client().get("/login")
    assert response.status_code == 500
    assert b"SECRET_KEY must be set" in response.data


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("https://evil.example/steal", "/"), ("/account/profile", "/account/profile")],
)
def test_login_returns_to_a_local_next_path_only(client, make_user, next_url, landing):
    user = make_user()
    response = post_form(
        client, "/login", {"email": user.email, "password": TEST_PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_the_policy_lets_no_page_change_its_base_url(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "base-uri 'none'" in policy.split("; ")


@pytest.mark.parametrize("number", [str(2**31), str(2**63), str(2**64 + 1), "9" * 40])
def test_an_id_too_large_for_the_database_is_a_404(client, login_as, number):
    login_as(Role.ADMIN)
    for url in (f"/admin/seasons/{number}", f"/admin/certificates/{number}"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/admin/seasons/{2**31 - 1}").status_code == 404  # the largest: no row
